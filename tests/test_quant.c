/*
 * test_quant.c - F32, F16, BF16 and the 32-element block types (q4_0, q4_1,
 * q5_0, q5_1, q8_0, q8_1): decoders against decodings written here from the
 * formats, edge scales, quantizer round-trip bounds, the q8 activation bytes
 * (rounding ties, NaN, infinities, as ggml's x86 code makes them), dot products
 * against a double reference, every kernel tier against plain C, unaligned
 * rows, and the tensors of the shared model files.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/gguf/gguf.h"
#include "../src/quant/blocks.h"
#include "../src/quant/quant.h"

enum { QK = 32, NMAX = 5632 };

static const uint32_t wtypes[] = { LB_F32, LB_F16, LB_BF16, LB_Q4_0, LB_Q4_1, LB_Q5_0, LB_Q5_1, LB_Q8_0 };
static const uint32_t btypes[] = { LB_Q4_0, LB_Q4_1, LB_Q5_0, LB_Q5_1, LB_Q8_0, LB_Q8_1 };
/* block multiples, odd ones among them; the float types also get lengths that are not */
static const int lengths[] = { 32, 64, 96, 160, 256, 4064, 4096, 5632, 1, 7, 31, 33, 255 };
enum { NWTYPES = sizeof wtypes / sizeof wtypes[0], NBTYPES = sizeof btypes / sizeof btypes[0],
	NLENGTHS = sizeof lengths / sizeof lengths[0] };

/* The type's traits in a kernel tier (0: plain C). */
static const QuantType *
mode(uint32_t t, int tier)
{
	quant_use_tier(tier);
	return quant_type(t);
}

static int
hasmin(uint32_t t)
{
	return t == LB_Q4_1 || t == LB_Q5_1;
}

static uint16_t
to_half(float f)
{
	uint16_t h;

	quant_type(LB_F16)->from_float(&f, &h, 1);
	return h;
}

static void
expect_same_floats(const float *got, const float *want, int n, const char *what)
{
	int i = qr_first_diff(got, want, n);

	if(i >= 0){
		print_error("%s: element %d is %.9g, want %.9g\n", what, i, got[i], want[i]);
		fail();
	}
}

static void
expect_same_bytes(const void *got, const void *want, size_t n, const char *what)
{
	const uint8_t *a = got, *b = want;
	size_t i;

	for(i = 0; i < n; i++)
		if(a[i] != b[i]){
			print_error("%s: byte %zu is 0x%02x, want 0x%02x\n", what, i, a[i], b[i]);
			fail();
		}
}

/* ---- F16 and BF16 ---- */

static void
test_f16_decode_all(void **state)
{
	static uint16_t h[65536];
	static float got[65536], want[65536];
	int i, tier;

	(void)state;
	for(i = 0; i < 65536; i++){
		h[i] = (uint16_t)i;
		want[i] = qr_half((uint16_t)i);
	}
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_F16, tier)->to_float(h, got, 65536);
		expect_same_floats(got, want, 65536, quant_tier_name(tier));
	}
	qr_best_tier();
}

/* Every half survives the round trip; a NaN comes back quieted with its payload, as from F16C. */
static void
test_f16_roundtrip_all(void **state)
{
	static float f[65536];
	static uint16_t got[65536];
	int i, tier;

	(void)state;
	for(i = 0; i < 65536; i++)
		f[i] = qr_half((uint16_t)i);
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_F16, tier)->from_float(f, got, 65536);
		for(i = 0; i < 65536; i++){
			int nan = (i & 0x7C00) == 0x7C00 && (i & 0x3FF) != 0;
			uint16_t want = (uint16_t)(nan ? i | 0x200 : i);

			if(got[i] != want){
				print_error("half 0x%04x came back as 0x%04x (%s)\n", i, got[i], quant_tier_name(tier));
				fail();
			}
		}
	}
	qr_best_tier();
}

/* Halfway between two halves goes to the even one; a hair off goes to the nearer. */
static void
test_f16_rounding(void **state)
{
	enum { NPOS = 0x7BFF };	/* pairs (h, h+1) of positive finite halves */
	static float f[NPOS * 6];
	static uint16_t want[NPOS * 6], got[NPOS * 6];
	static const struct { float f; uint16_t h; } edge[] = {
		{ 65504.0f, 0x7BFF }, { 65519.996f, 0x7BFF }, { 65520.0f, 0x7C00 }, { 1e10f, 0x7C00 },
		{ FLT_MAX, 0x7C00 }, { -INFINITY, 0xFC00 }, { -0.0f, 0x8000 }, { 1e-30f, 0 },
		{ 0x1p-25f, 0 }, { 0x1.000002p-25f, 1 }, { 0x1.8p-24f, 2 }, { -0x1.8p-24f, 0x8002 },
		{ 0x1p-14f, 0x0400 }, { 0x1.ffcp-15f, 0x0400 }, { 0x1.ff8p-15f, 0x03FF }, { 0x1.ff4p-15f, 0x03FE },
	};
	uint16_t h, e;
	double mid;
	int i, k, tier;

	(void)state;
	for(h = 0, i = 0; h < NPOS; h++){
		mid = ((double)qr_half(h) + qr_half((uint16_t)(h + 1))) / 2;	/* 12 bits: exact in float */
		e = (uint16_t)(h & 1 ? h + 1 : h);
		f[i] = (float)mid, want[i++] = e;
		f[i] = nextafterf((float)mid, 1e9f), want[i++] = (uint16_t)(h + 1);
		f[i] = nextafterf((float)mid, 0), want[i++] = h;
		for(k = 0; k < 3; k++, i++){
			f[i] = -f[i - 3];
			want[i] = want[i - 3] | 0x8000;
		}
	}
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_F16, tier)->from_float(f, got, NPOS * 6);
		for(i = 0; i < NPOS * 6; i++)
			if(got[i] != want[i]){
				print_error("%a rounds to 0x%04x, want 0x%04x (%s)\n", f[i], got[i], want[i], quant_tier_name(tier));
				fail();
			}
		for(k = 0; k < (int)(sizeof edge / sizeof edge[0]); k++){
			mode(LB_F16, tier)->from_float(&edge[k].f, &h, 1);
			if(h != edge[k].h){
				print_error("%a rounds to 0x%04x, want 0x%04x (%s)\n", edge[k].f, h, edge[k].h, quant_tier_name(tier));
				fail();
			}
		}
	}
	qr_best_tier();
}

/*
 * F16X (F16's activations in tiers that want them as floats): in every tier,
 * each float is its F16 value, so every half, the points between two halves
 * and beside them, and a tail of fewer than sixteen.
 */
static void
test_f16x(void **state)
{
	enum { N = 65536 * 3 + 5 };
	static float f[N], got[N];
	static uint16_t h[N];
	uint32_t a, b;
	int i, tier;

	(void)state;
	for(i = 0; i < 65536; i++){
		f[3*i] = qr_half((uint16_t)i);
		f[3*i + 1] = f[3*i] * (1 + 0x1p-11f);	/* halfway to the next half, about */
		f[3*i + 2] = nextafterf(f[3*i + 1], 0);
	}
	for(i = 3*65536; i < N; i++)
		f[i] = 1.0f / (float)(i - 3*65536 + 3);
	mode(LB_F16, 0)->from_float(f, h, N);
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_F16X, tier)->from_float(f, got, N);
		for(i = 0; i < N; i++){
			float want = qr_half(h[i]);

			memcpy(&a, &got[i], 4);
			memcpy(&b, &want, 4);
			if(a != b && !(isnan(got[i]) && isnan(want))){
				print_error("%a as F16X is %a, want %a (%s)\n", f[i], got[i], want, quant_tier_name(tier));
				fail();
			}
		}
	}
	qr_best_tier();
}

/* float to bfloat16, worked out in double: the nearer of the two neighbours, ties to even. */
static uint16_t
want_bf16(float f)
{
	uint32_t u, lo;
	float flo;
	double a, below, ulp;

	memcpy(&u, &f, 4);
	if(isnan(f))
		return (uint16_t)(u >> 16 | 0x40);	/* quieted, as ggml */
	lo = u & 0xFFFF0000u;
	memcpy(&flo, &lo, 4);
	a = fabs((double)f);
	below = fabs((double)flo);
	ulp = (lo & 0x7F800000u) == 0 ? 0x1p-133 : ldexp(1, ilogb(flo) - 7);
	if(a - below > below + ulp - a || (a - below == below + ulp - a && (lo >> 16 & 1)))
		return (uint16_t)((lo >> 16) + 1);
	return (uint16_t)(lo >> 16);
}

static void
test_bf16(void **state)
{
	enum { N = 1 << 16 };
	static uint16_t h[N], got[N], got2[N];
	static float f[N], want[N];
	uint32_t u;
	int i, tier;

	(void)state;
	for(i = 0; i < N; i++){
		h[i] = (uint16_t)i;
		u = (uint32_t)i << 16;
		memcpy(&want[i], &u, 4);
	}
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_BF16, tier)->to_float(h, f, N);
		expect_same_floats(f, want, N, "bf16 to_float");
	}
	/* random bit patterns (NaNs among them), then the halfway cases */
	for(i = 0; i < N; i++){
		u = qr_rand32();
		if(i % 4 == 1)
			u = (u & 0xFFFF0000u) | 0x8000u;
		memcpy(&f[i], &u, 4);
	}
	mode(LB_BF16, 0)->from_float(f, got, N);
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_BF16, tier)->from_float(f, got2, N);
		for(i = 0; i < N; i++)
			if(got[i] != want_bf16(f[i]) || got2[i] != got[i]){
				print_error("%a: bf16 0x%04x / 0x%04x (%s), want 0x%04x\n", f[i], got[i], got2[i],
					quant_tier_name(tier), want_bf16(f[i]));
				fail();
			}
	}
	qr_best_tier();
}

/* ---- the block types: decoding ---- */

/* Element j of a block, read from the format's description: 4-bit values are the
 * low nibbles of qs[0..15] then their high nibbles; the fifth bit is bit j of qh. */
static int
want_q(uint32_t t, const uint8_t *b, int j)
{
	const uint8_t *qs, *qh;
	uint32_t h;
	int v;

	if(t == LB_Q8_0 || t == LB_Q8_1)
		return (int8_t)b[t == LB_Q8_0 ? 2 + j : 4 + j];
	qs = b + (t == LB_Q4_0 ? 2 : t == LB_Q4_1 ? 4 : t == LB_Q5_0 ? 6 : 8);
	v = j < 16 ? qs[j] & 15 : qs[j - 16] >> 4;
	if(t == LB_Q5_0 || t == LB_Q5_1){
		qh = b + (t == LB_Q5_0 ? 2 : 4);
		h = (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
		v += (int)(h >> j & 1) * 16;
	}
	return t == LB_Q4_0 ? v - 8 : t == LB_Q5_0 ? v - 16 : v;
}

/* ggml's float operations: q*d, or q*d + m */
static float
want_value(uint32_t t, const uint8_t *b, int j)
{
	const float d = qr_half((uint16_t)(b[0] | b[1] << 8));
	const float q = (float)want_q(t, b, j);

	return hasmin(t) ? q*d + qr_half((uint16_t)(b[2] | b[3] << 8)) : q*d;
}

/* Bits equal, or both NaN: which NaN comes out of NaN + NaN depends on the compiler's operand order. */
static void
expect_same_values(const float *got, const float *want, int n, const char *what)
{
	int i;

	for(i = 0; i < n; i++)
		if(memcmp(&got[i], &want[i], 4) != 0 && !(isnan(got[i]) && isnan(want[i]))){
			print_error("%s: element %d is %.9g, want %.9g\n", what, i, got[i], want[i]);
			fail();
		}
}

static void
put16(uint8_t *p, uint16_t h)
{
	p[0] = (uint8_t)h;
	p[1] = (uint8_t)(h >> 8);
}

/* Random blocks under every interesting scale: zero, -0, subnormal, largest, infinite, NaN. */
static void
test_decode_edges(void **state)
{
	static const uint16_t edge[] = { 0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x3555,
		0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE7F };
	enum { NE = sizeof edge / sizeof edge[0], NB = NE * NE };
	static uint8_t buf[NB * sizeof(block_q8_1)];
	static float got[NB * QK], want[NB * QK];
	char what[64];
	int ti, i, j, tier;

	(void)state;
	for(ti = 0; ti < NBTYPES; ti++){
		const uint32_t t = btypes[ti];
		const size_t size = quant_type(t)->size;

		qr_fill_bytes(buf, sizeof buf);
		for(i = 0; i < NB; i++){
			put16(buf + i*size, edge[i % NE]);
			if(hasmin(t))
				put16(buf + i*size + 2, edge[i / NE]);
			for(j = 0; j < QK; j++)
				want[i*QK + j] = want_value(t, buf + i*size, j);
		}
		for(tier = 0; tier < quant_ntiers(); tier++){
			mode(t, tier)->to_float(buf, got, NB * QK);
			snprintf(what, sizeof what, "%s to_float (%s)", quant_type(t)->name, quant_tier_name(tier));
			expect_same_values(got, want, NB * QK, what);
		}
	}
	qr_best_tier();
}

/* A few values worked out by hand. */
static void
test_decode_hand(void **state)
{
	block_q4_0 b40;
	block_q4_1 b41;
	block_q5_0 b50;
	block_q5_1 b51;
	block_q8_0 b80;
	float y[QK];

	(void)state;
	memset(&b40, 0, sizeof b40);
	b40.d = 0x3800;	/* 0.5 */
	b40.qs[3] = 0xA2;	/* element 3: 2-8, element 19: 10-8 */
	quant_type(LB_Q4_0)->to_float(&b40, y, QK);
	assert_true(y[3] == -3.0f && y[19] == 1.0f && y[0] == -4.0f && y[31] == -4.0f);

	memset(&b41, 0, sizeof b41);
	b41.d = 0x4000;	/* 2 */
	b41.m = 0xBC00;	/* -1 */
	b41.qs[15] = 0xF1;
	quant_type(LB_Q4_1)->to_float(&b41, y, QK);
	assert_true(y[15] == 1.0f && y[31] == 29.0f && y[0] == -1.0f);

	memset(&b50, 0, sizeof b50);
	b50.d = 0x3400;	/* 0.25 */
	b50.qs[3] = 0x10;	/* element 19: nibble 1, and its fifth bit (qh byte 2, bit 3): 17-16 */
	b50.qh[2] = 1 << 3;
	b50.qh[0] = 1;	/* element 0: 16-16 */
	quant_type(LB_Q5_0)->to_float(&b50, y, QK);
	assert_true(y[19] == 0.25f && y[0] == 0.0f && y[1] == -4.0f);

	memset(&b51, 0, sizeof b51);
	b51.d = 0x3C00;	/* 1 */
	b51.m = 0x4200;	/* 3 */
	b51.qs[8] = 0x0F;	/* element 8: 15, and the fifth bit (qh byte 1, bit 0): 31 */
	b51.qh[1] = 1;
	b51.qh[3] = 0x80;	/* element 31: 16 */
	quant_type(LB_Q5_1)->to_float(&b51, y, QK);
	assert_true(y[8] == 34.0f && y[31] == 19.0f && y[30] == 3.0f);

	memset(&b80, 0, sizeof b80);
	b80.d = 0xC000;	/* -2 */
	b80.qs[5] = -7;
	b80.qs[6] = -128;
	quant_type(LB_Q8_0)->to_float(&b80, y, QK);
	assert_true(y[5] == 14.0f && y[6] == 256.0f && y[0] == -0.0f && signbit(y[0]));
}

/* ---- quantizers ---- */

/*
 * Largest error of x -> block -> float for one block: the rounding step (c*d,
 * c = 1 for q4_0/q5_0, whose top value is capped one step short), the fp16
 * rounding of d times the largest |q| and of the min, and float slack.
 */
static double
bound(uint32_t t, const float *x)
{
	double lo = x[0], hi = x[0], amax = 0, d, c, qmax;
	int j;

	for(j = 0; j < QK; j++){
		lo = fmin(lo, x[j]);
		hi = fmax(hi, x[j]);
		amax = fmax(amax, fabs(x[j]));
	}
	switch(t){
	case LB_Q4_0: d = amax/8, c = 1, qmax = 8; break;
	case LB_Q5_0: d = amax/16, c = 1, qmax = 16; break;
	case LB_Q4_1: d = (hi - lo)/15, c = 0.5, qmax = 15; break;
	case LB_Q5_1: d = (hi - lo)/31, c = 0.5, qmax = 31; break;
	default: d = amax/127, c = 0.5, qmax = 127; break;
	}
	return c*d + qmax*(d*0x1p-11 + 0x1p-25) + (hasmin(t) ? fabs(lo)*0x1p-11 + 0x1p-25 : 0) + 1e-6*amax;
}

static void
fill_case(float *x, int n, int k)
{
	int i;

	switch(k){
	case 0: qr_fill_gauss(x, n, 1); break;
	case 1: qr_fill_gauss(x, n, 1e-3f); break;
	case 2: qr_fill_gauss(x, n, 3e3f); break;
	case 3: for(i = 0; i < n; i++) x[i] = i % QK < 8 ? 0 : i % QK < 16 ? 0.75f : i % 7 == 0 ? -5 : 0.01f; break;
	case 4: for(i = 0; i < n; i++) x[i] = qr_gauss() * 1e-20f; break;	/* scales underflow fp16 */
	case 5: for(i = 0; i < n; i++) x[i] = qr_gauss() + 40; break;	/* all far from zero */
	}
}

static void
test_roundtrip(void **state)
{
	enum { N = 64 * QK };
	static float x[N], y[N];
	static uint8_t q[N / QK * sizeof(block_q8_1)];
	double worst, b;
	int ti, k, i;

	(void)state;
	for(ti = 0; ti < NBTYPES; ti++){
		const QuantType *qt = quant_type(btypes[ti]);

		for(k = 0; k < 6; k++){
			fill_case(x, N, k);
			qt->from_float(x, q, N);
			qt->to_float(q, y, N);
			worst = 0;
			for(i = 0; i < N; i++){
				b = bound(btypes[ti], x + i/QK*QK);
				worst = fmax(worst, fabs(x[i] - y[i]) / b);
				if(!(fabs(x[i] - y[i]) <= b)){
					print_error("%s case %d element %d: %.9g became %.9g (bound %.3g)\n",
						qt->name, k, i, x[i], y[i], b);
					fail();
				}
			}
			if(k == 0)
				print_message("%s: worst error %.2f of the bound\n", qt->name, worst);
		}
	}
}

/* q8_1's s is fp16(d * sum(q)) */
static void
test_q8_1_sum(void **state)
{
	enum { N = 8 * QK };
	static float x[N];
	block_q8_1 b[N / QK];
	float amax;
	int i, j, sum, tier;

	(void)state;
	qr_fill_gauss(x, N, 2);
	for(tier = 0; tier < quant_ntiers(); tier++){
		mode(LB_Q8_1, tier)->from_float(x, b, N);
		for(i = 0; i < N / QK; i++){
			for(amax = 0, sum = 0, j = 0; j < QK; j++){
				sum += b[i].qs[j];
				amax = fmaxf(amax, fabsf(x[i*QK + j]));
			}
			assert_int_equal(b[i].s, to_half(amax / 127 * (float)sum));	/* the unrounded d */
		}
	}
	qr_best_tier();
}

/* q8_0 and q8_1 blocks of x in every tier; they must agree, and the qs are returned from the plain one */
static void
q8_both(const float *x, int nb, block_q8_0 *b0, block_q8_1 *b1)
{
	block_q8_0 s0[8];
	block_q8_1 s1[8];
	int tier;

	assert_true(nb <= 8);
	mode(LB_Q8_0, 0)->from_float(x, b0, nb * QK);
	mode(LB_Q8_1, 0)->from_float(x, b1, nb * QK);
	for(tier = 1; tier < quant_ntiers(); tier++){
		mode(LB_Q8_0, tier)->from_float(x, s0, nb * QK);
		mode(LB_Q8_1, tier)->from_float(x, s1, nb * QK);
		expect_same_bytes(s0, b0, nb * sizeof *b0, quant_tier_name(tier));
		expect_same_bytes(s1, b1, nb * sizeof *b1, quant_tier_name(tier));
	}
	qr_best_tier();
	for(int i = 0; i < nb; i++){
		assert_int_equal(b0[i].d, b1[i].d);
		expect_same_bytes(b1[i].qs, b0[i].qs, QK, "q8_1 qs vs q8_0 qs");
	}
}

static void
expect_q8(const block_q8_0 *b, uint16_t d, const int *q, const char *what)
{
	int j;

	if(b->d != d){
		print_error("%s: d 0x%04x, want 0x%04x\n", what, b->d, d);
		fail();
	}
	for(j = 0; j < QK; j++)
		if(b->qs[j] != q[j]){
			print_error("%s: q[%d] = %d, want %d\n", what, j, b->qs[j], q[j]);
			fail();
		}
}

/* Rounding ties go to even, as _mm256_round_ps does (roundf would go away from zero). */
static void
test_q8_ties(void **state)
{
	static const float xa[QK] = { 127, 0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f, -3.5f, 126.5f, -126.5f,
		0.49999997f, 0.50000006f, 64.5f, -64.5f, 100, -127 };
	static const int qa[QK] = { 127, 0, 2, 2, 4, 0, -2, -2, -4, 126, -126, 0, 1, 64, -64, 100, -127 };
	/* amax 63.5: 127/amax is exactly 2 and d exactly 0.5 */
	static const float xb[QK] = { 0.25f, 0.75f, -0.25f, 1.25f, -1.75f, 63.5f, -63.25f, 10.25f };
	static const int qb[QK] = { 0, 2, 0, 2, -4, 127, -126, 20 };
	static const int zero[QK];
	float x[3 * QK] = { 0 };
	block_q8_0 b0[3];
	block_q8_1 b1[3];
	int sum = 0, j;

	(void)state;
	memcpy(x, xa, sizeof xa);
	memcpy(x + QK, xb, sizeof xb);
	q8_both(x, 3, b0, b1);
	expect_q8(&b0[0], 0x3C00, qa, "ties at d 1");
	expect_q8(&b0[1], 0x3800, qb, "ties at d 0.5");
	expect_q8(&b0[2], 0, zero, "zero block");
	for(j = 0; j < QK; j++)
		sum += qa[j];
	assert_int_equal(b1[0].s, to_half((float)sum));
	assert_int_equal(b1[2].s, 0);
}

/* Infinities and NaNs go where ggml's AVX2 instructions send them. */
static void
test_q8_nonfinite(void **state)
{
	float x[4 * QK] = { 0 };
	int q[QK] = { 0 };
	block_q8_0 b0[4];
	block_q8_1 b1[4];

	(void)state;
	/* +inf: amax inf, d inf, 127/inf = 0; inf*0 is NaN, which converts to INT_MIN and saturates to -128 */
	x[3] = INFINITY;
	x[4] = 5;
	/* NaN in lane 0 of the first 8: max(NaN, |x[8]|) gives |x[8]|, so the NaN drops out of amax */
	x[QK] = NAN;
	x[QK + 8] = 127;
	x[QK + 9] = -3;
	/* NaN in the last 8 behind a 127: the max keeps NaN, later the reduction drops both: amax 0 */
	x[2*QK] = 127;
	x[2*QK + 24] = NAN;
	/* -inf and a huge finite value */
	x[3*QK + 1] = -INFINITY;
	x[3*QK + 2] = 3e38f;
	q8_both(x, 4, b0, b1);

	q[3] = -128;
	expect_q8(&b0[0], 0x7C00, q, "inf");
	assert_int_equal(b1[0].s, 0xFC00);	/* inf * (float)INT_MIN */
	q[3] = 0;
	q[0] = -128, q[8] = 127, q[9] = -3;
	expect_q8(&b0[1], 0x3C00, q, "NaN first");
	q[0] = 0, q[8] = 0, q[9] = 0;
	q[24] = -128;
	expect_q8(&b0[2], 0, q, "NaN last");
	q[24] = 0;
	q[1] = -128;
	expect_q8(&b0[3], 0x7C00, q, "-inf");
}

/* Random blocks against the formula written out here with nearbyintf; every tier's bytes agree. */
static void
test_q8_random(void **state)
{
	enum { NB = 8 };
	float x[NB * QK], d, id, amax;
	block_q8_0 b0[NB];
	block_q8_1 b1[NB];
	int it, i, j;

	(void)state;
	for(it = 0; it < 400; it++){
		qr_fill_gauss(x, NB * QK, ldexpf(1, (int)(qr_rand32() % 40) - 30));
		if(it % 2)	/* many exact halves: ties under id = 1 */
			for(i = 0; i < NB * QK; i++)
				x[i] = i % QK == 0 ? 127 : (float)((int)(qr_rand32() % 255) - 127) / 2;
		q8_both(x, NB, b0, b1);
		for(i = 0; i < NB; i++){
			for(amax = 0, j = 0; j < QK; j++)
				amax = fmaxf(amax, fabsf(x[i*QK + j]));
			d = amax / 127;
			id = amax != 0 ? 127 / amax : 0;
			/* the stored d is the nearest half to amax/127 (a positive finite one here) */
			assert_true(b0[i].d < 0x7C00);
			assert_true(fabsf(qr_half(b0[i].d) - d) <= fabsf(qr_half((uint16_t)(b0[i].d + 1)) - d));
			assert_true(b0[i].d == 0 || fabsf(qr_half(b0[i].d) - d) <= fabsf(qr_half((uint16_t)(b0[i].d - 1)) - d));
			for(j = 0; j < QK; j++)
				if(b0[i].qs[j] != (int)nearbyintf(x[i*QK + j] * id)){
					print_error("x %.9g: q %d, want %d\n", x[i*QK + j], b0[i].qs[j],
						(int)nearbyintf(x[i*QK + j] * id));
					fail();
				}
		}
	}
}

/* ---- dot products ---- */

/* n weights of type t: quantized N(0,1) data, or (kind 1) random bytes with sane scales */
static void
make_weights(uint32_t t, int n, void *w, int kind)
{
	static float x[NMAX];
	const QuantType *qt = quant_type(t);
	uint8_t *b = w;
	int i;

	qr_fill_gauss(x, n, 1);
	qt->from_float(x, w, n);
	if(kind == 0 || qt->blck == 1)
		return;
	qr_fill_bytes(w, quant_row_size(t, n));
	for(i = 0; i < n / QK; i++){
		put16(b + i*qt->size, to_half(qr_gauss() * 0.05f));
		if(hasmin(t))
			put16(b + i*qt->size + 2, to_half(qr_gauss() * 0.2f));
	}
}

/* Gaussian activations of a random scale. */
static void
act_floats(float *x, int n)
{
	qr_fill_gauss(x, n, ldexpf(1, (int)(qr_rand32() % 8) - 4));
}

/* x as activations of type t (a vec_dot_type), as plain C makes them (every tier makes the same bytes). */
static void
make_acts(uint32_t t, const float *x, int n, void *y)
{
	mode(t, 0)->from_float(x, y, n);
	qr_best_tier();
}

/* The q8_1 sum s of activation block i of type t (q8_1 or q8x). */
static double
act_s(uint32_t t, const void *y, int i)
{
	block_q8x bx;

	if(t == LB_Q8_1)
		return qr_half(((const block_q8_1 *)y)[i].s);
	memcpy(&bx, (const block_q8x *)y + i, sizeof bx);
	return bx.s;
}

/*
 * The dot product in double from the decoded operands (w of type t, y of
 * type yt), and the sum of |products|.  With a q8_1 (or q8x) operand ggml
 * uses the block's s for dy*sum(qy); the reference does too.
 */
static double
ref_dot(uint32_t t, uint32_t yt, int n, const void *w, const void *y, double *sumabs)
{
	static float a[NMAX], b[NMAX];
	const QuantType *qt = mode(t, 0);
	double s = 0, sy;
	int i, j;

	qt->to_float(w, a, n);
	quant_type(yt)->to_float(y, b, n);
	qr_best_tier();
	*sumabs = 0;
	for(i = 0; i < n; i++){
		s += (double)a[i] * b[i];
		*sumabs += fabs((double)a[i] * b[i]);
	}
	if(hasmin(t))
		for(i = 0; i < n / QK; i++){
			const uint8_t *xb = (const uint8_t *)w + i*qt->size;
			for(sy = 0, j = 0; j < QK; j++)
				sy += b[i*QK + j];
			s += qr_half((uint16_t)(xb[2] | xb[3] << 8)) * (act_s(yt, y, i) - sy);
		}
	return s;
}

/* float summation error of a dot of n terms, with room for lanes and block scales */
static double
tolerance(int n, double sumabs)
{
	return (n / 16.0 + 16) * FLT_EPSILON * sumabs + 1e-30;
}

/* Each tier's vec_dot against the double reference, with activations of the tier's vec_dot_type. */
static void
test_vec_dot_reference(void **state)
{
	static uint8_t w[NMAX * 4], y[NMAX * 4];
	static float x[NMAX];
	double ref, sumabs;
	float got;
	int ti, li, kind, tier, n;

	(void)state;
	for(ti = 0; ti < NWTYPES; ti++)
		for(li = 0; li < NLENGTHS; li++)
			for(kind = 0; kind < 2; kind++){
				const uint32_t t = wtypes[ti];

				n = lengths[li];
				if(n % quant_type(t)->blck != 0)
					continue;
				make_weights(t, n, w, kind);
				act_floats(x, n);
				for(tier = 0; tier < quant_ntiers(); tier++){
					const uint32_t yt = mode(t, tier)->vec_dot_type;

					make_acts(yt, x, n, y);
					ref = ref_dot(t, yt, n, w, y, &sumabs);
					mode(t, tier)->vec_dot(n, &got, w, y);
					if(!(fabs(got - ref) <= tolerance(n, sumabs))){
						print_error("%s n %d kind %d %s: %.9g, want %.9g (sum|p| %.3g)\n",
							quant_type(t)->name, n, kind, quant_tier_name(tier), got, ref, sumabs);
						fail();
					}
				}
			}
	qr_best_tier();
}

/* Every tier's decoders and encoders give the plain C bytes, for every type. */
static void
test_tier_conversions(void **state)
{
	enum { N = 4096 };
	static float x[N], a[N], b[N];
	static uint8_t qa[N * 4], qb[N * 4];
	int ti, tier;

	(void)state;
	if(quant_ntiers() == 1)
		skip();
	for(tier = 1; tier < quant_ntiers(); tier++)
		for(ti = 0; ti < NWTYPES + 1; ti++){
			const uint32_t t = ti < NWTYPES ? wtypes[ti] : LB_Q8_1;
			const size_t size = quant_row_size(t, N);

			qr_fill_gauss(x, N, 3);
			x[17] = NAN;
			x[100] = -INFINITY;
			x[200] = 1e-40f;
			mode(t, 0)->from_float(x, qa, N);
			mode(t, tier)->from_float(x, qb, N);
			expect_same_bytes(qb, qa, size, quant_type(t)->name);
			qr_fill_bytes(qa, size);
			mode(t, 0)->to_float(qa, a, N);
			mode(t, tier)->to_float(qa, b, N);
			expect_same_floats(b, a, N, quant_type(t)->name);
		}
	qr_best_tier();
}

/* Rows at any byte offset give the bits they give aligned. */
static void
test_unaligned(void **state)
{
	static const int offs[] = { 1, 2, 3, 18, 30 };
	enum { N = 1024 };
	static uint8_t w[N * 4 + 64], y[N * 4 + 64], wu[N * 4 + 64], yu[N * 4 + 64], wq[N * 4];
	static float f[N], fu[N], x[N];
	float s, su;
	int ti, k, tier;

	(void)state;
	for(ti = 0; ti < NWTYPES; ti++)
		for(tier = 0; tier < quant_ntiers(); tier++){
			const uint32_t t = wtypes[ti];
			const QuantType *qt = mode(t, tier);
			const size_t wsize = quant_row_size(t, N);
			const size_t ysize = quant_row_size(qt->vec_dot_type, N);

			make_weights(t, N, w, 1);
			act_floats(x, N);
			make_acts(qt->vec_dot_type, x, N, y);
			qt = mode(t, tier);
			qt->vec_dot(N, &s, w, y);
			qt->to_float(w, f, N);
			qr_fill_gauss(x, N, 1);
			for(k = 0; k < (int)(sizeof offs / sizeof offs[0]); k++){
				memcpy(wu + offs[k], w, wsize);
				memcpy(yu + offs[(k + 1) % 5], y, ysize);
				qt->vec_dot(N, &su, wu + offs[k], yu + offs[(k + 1) % 5]);
				expect_same_floats(&su, &s, 1, "vec_dot of unaligned rows");
				qt->to_float(wu + offs[k], fu, N);
				expect_same_floats(fu, f, N, "to_float of an unaligned row");
				qt->from_float(x, wq, N);
				qt->from_float(x, wu + offs[k], N);
				expect_same_bytes(wu + offs[k], wq, wsize, "from_float into an unaligned row");
			}
		}
	qr_best_tier();
}

/* ---- the shared model files ---- */

/* Every tensor of its own type in a file: every tier decodes it as plain C does, to finite values;
 * ggml's q4_0, q5_0 and q8_0 blocks come back byte for byte when requantized. */
static void
check_file(const char *name, uint32_t type)
{
	char path[512];
	GGUFFile f;
	const QuantType *qt;
	float *a, *b, got, *act;
	uint8_t *q, *qy;
	double sumabs, ref;
	size_t t, rowsize, ntens = 0;
	int64_t row, k, n;
	int tier;

	SHARED_OR_SKIP(path, name);
	assert_int_equal(gguf_open(&f, path, 1), 0);
	for(t = 0; t < f.n_tensors; t++){
		const GGUFTensor *g = &f.tensors[t];

		if(g->type != type || g->n_dims != 2)
			continue;
		ntens++;
		n = g->ne[0];
		qt = quant_type(type);
		rowsize = quant_row_size(type, n);
		a = malloc(n * sizeof *a);
		b = malloc(n * sizeof *b);
		act = malloc(n * sizeof *act);
		q = malloc(rowsize);
		qy = malloc(n * 4);
		assert_true(a && b && act && q && qy);
		qr_fill_gauss(act, (int)n, 1);
		for(row = 0; row < g->ne[1]; row++){
			const uint8_t *w = (const uint8_t *)g->data + row*rowsize;

			mode(type, 0)->to_float(w, a, n);
			for(tier = 1; tier < quant_ntiers(); tier++){
				mode(type, tier)->to_float(w, b, n);
				expect_same_floats(b, a, (int)n, g->name);
			}
			for(k = 0; k < n; k++)
				assert_true(isfinite(a[k]));
			if(type == LB_Q4_0 || type == LB_Q5_0 || type == LB_Q8_0){
				qt->from_float(a, q, n);
				expect_same_bytes(q, w, rowsize, g->name);
			}
			if(row % 16 != 0)
				continue;
			for(tier = 0; tier < quant_ntiers(); tier++){
				const uint32_t yt = mode(type, tier)->vec_dot_type;

				make_acts(yt, act, (int)n, qy);
				ref = ref_dot(type, yt, (int)n, w, qy, &sumabs);
				mode(type, tier)->vec_dot((int)n, &got, w, qy);
				if(!(fabs(got - ref) <= tolerance((int)n, sumabs))){
					print_error("%s row %lld %s: %.9g, want %.9g\n", g->name, (long long)row, quant_tier_name(tier), got, ref);
					fail();
				}
			}
		}
		free(a);
		free(b);
		free(act);
		free(q);
		free(qy);
	}
	qr_best_tier();
	print_message("%s: %zu tensors of %s checked\n", name, ntens, quant_type(type)->name);
	assert_true(ntens > 0);
	gguf_close(&f);
}

static void test_file_f16(void **state) { (void)state; check_file("models/mini-llama-F16.gguf", LB_F16); }
static void test_file_bf16(void **state) { (void)state; check_file("models/mini-llama-BF16.gguf", LB_BF16); }
static void test_file_q8_0(void **state) { (void)state; check_file("models/mini-llama-Q8_0.gguf", LB_Q8_0); }
static void test_file_q4_0(void **state) { (void)state; check_file("models/mini-llama-Q4_0.gguf", LB_Q4_0); }
static void test_file_q4_1(void **state) { (void)state; check_file("models/mini-llama-Q4_1.gguf", LB_Q4_1); }
static void test_file_q5_0(void **state) { (void)state; check_file("models/mini-llama-Q5_0.gguf", LB_Q5_0); }
static void test_file_q5_1(void **state) { (void)state; check_file("models/mini-llama-Q5_1.gguf", LB_Q5_1); }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f16_decode_all),
		cmocka_unit_test(test_f16_roundtrip_all),
		cmocka_unit_test(test_f16_rounding),
		cmocka_unit_test(test_f16x),
		cmocka_unit_test(test_bf16),
		cmocka_unit_test(test_decode_edges),
		cmocka_unit_test(test_decode_hand),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_q8_1_sum),
		cmocka_unit_test(test_q8_ties),
		cmocka_unit_test(test_q8_nonfinite),
		cmocka_unit_test(test_q8_random),
		cmocka_unit_test(test_vec_dot_reference),
		cmocka_unit_test(test_tier_conversions),
		cmocka_unit_test(test_unaligned),
		cmocka_unit_test(test_file_f16),
		cmocka_unit_test(test_file_bf16),
		cmocka_unit_test(test_file_q8_0),
		cmocka_unit_test(test_file_q4_0),
		cmocka_unit_test(test_file_q4_1),
		cmocka_unit_test(test_file_q5_0),
		cmocka_unit_test(test_file_q5_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
