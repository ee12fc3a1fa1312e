/*
 * test_kquants.c - the K-quant kernels: decoders against a decoding written
 * here from the bit layouts, hand-built blocks with values worked out by hand,
 * quantizer round-trip errors, dot products against a double reference in
 * every kernel tier, and the bytes of the Q8_K activation quantizer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/quant/blocks.h"
#include "../src/quant/fp16.h"
#include "../src/quant/kernels.h"
#include "../src/quant/quant.h"

static const uint32_t ktypes[] = { LB_Q2_K, LB_Q3_K, LB_Q4_K, LB_Q5_K, LB_Q6_K };
enum { NKTYPES = sizeof ktypes / sizeof ktypes[0] };
static const int lengths[] = { 256, 512, 2048, 5632 };

static uint64_t rng = 88172645463325252ull;

static uint32_t
rand32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static double
uniform(void)
{
	return (rand32() + 0.5) / 4294967296.0;
}

static float
gauss(void)
{
	return (float)(sqrt(-2*log(uniform())) * cos(2*M_PI*uniform()));
}

static void
fill_gauss(float *x, int n)
{
	for(int i = 0; i < n; i++)
		x[i] = gauss();
}

static void
fill_bytes(void *p, size_t n)
{
	for(size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)rand32();
}

/* A random finite fp16 of moderate size (the scales in real blocks). */
static lb_half
rand_half(void)
{
	return lb_fp32_to_fp16((float)(uniform() * 0.02 + 1e-4) * (rand32() & 1 ? -1 : 1));
}

static const QuantType *
qtype(uint32_t t, int tier)
{
	quant_use_tier(tier);
	return quant_type(t);
}

/* Bit-exact comparison of two float rows. */
static void
assert_same_floats(const float *a, const float *b, int n)
{
	for(int i = 0; i < n; i++)
		if(memcmp(&a[i], &b[i], 4) != 0){
			print_error("element %d: %.9g != %.9g\n", i, a[i], b[i]);
			fail();
		}
}

/*
 * The decoding written from the layouts, one element at a time: element k of
 * a super-block, its sub-block scale and min.  The float operations are those
 * of ggml's dequantize_row_*_K: (d*scale)*q - dmin*min.
 */
static float
ref_q2_K(const block_q2_K *b, int k)
{
	int q = b->qs[32*(k/128) + k%32] >> 2*(k%128/32) & 3;
	float dl = lb_fp16_to_fp32(b->d) * (b->scales[k/16] & 15);

	return dl*q - lb_fp16_to_fp32(b->dmin) * (b->scales[k/16] >> 4);
}

static int
ref_q3_scale(const uint8_t *p, int j)
{
	/* six bits: nibble j of bytes 0..7 (low nibbles first), 2-bit field j/4 of byte 8+j%4 */
	int low = j < 8 ? p[j] & 15 : p[j-8] >> 4;

	return (low | (p[8 + j%4] >> 2*(j/4) & 3) << 4) - 32;
}

static float
ref_q3_K(const block_q3_K *b, int k)
{
	int low = b->qs[32*(k/128) + k%32] >> 2*(k%128/32) & 3;
	int high = b->hmask[k%32] >> (k/32) & 1;

	return lb_fp16_to_fp32(b->d) * ref_q3_scale(b->scales, k/16) * (low - (high ? 0 : 4));
}

static void
ref_k4_scale(const uint8_t *p, int j, int *sc, int *m)
{
	if(j < 4){
		*sc = p[j] & 63;
		*m = p[j+4] & 63;
	}else{
		*sc = (p[j+4] & 15) | (p[j-4] >> 6) << 4;
		*m = (p[j+4] >> 4) | (p[j] >> 6) << 4;
	}
}

static float
ref_q4_K(const block_q4_K *b, int k)
{
	int sc, m, q = b->qs[32*(k/64) + k%32] >> 4*(k%64/32) & 15;

	ref_k4_scale(b->scales, k/32, &sc, &m);
	return lb_fp16_to_fp32(b->d)*sc*q - lb_fp16_to_fp32(b->dmin)*m;
}

static float
ref_q5_K(const block_q5_K *b, int k)
{
	int sc, m, q = (b->qs[32*(k/64) + k%32] >> 4*(k%64/32) & 15) | (b->qh[k%32] >> (k/32) & 1) << 4;

	ref_k4_scale(b->scales, k/32, &sc, &m);
	return lb_fp16_to_fp32(b->d)*sc*q - lb_fp16_to_fp32(b->dmin)*m;
}

static float
ref_q6_K(const block_q6_K *b, int k)
{
	/* quarter s of a half: ql low nibbles of 0..31 (s 0), of 32..63 (s 1), high nibbles (s 2, 3) */
	int h = k/128, s = k%128/32, l = k%32;
	int low = b->ql[64*h + 32*(s & 1) + l] >> 4*(s/2) & 15;
	int top = b->qh[32*h + l] >> 2*s & 3;

	return lb_fp16_to_fp32(b->d) * b->scales[k/16] * ((low | top << 4) - 32);
}

static float
ref_decode(uint32_t t, const void *blk, int k)
{
	switch(t){
	case LB_Q2_K: return ref_q2_K(blk, k);
	case LB_Q3_K: return ref_q3_K(blk, k);
	case LB_Q4_K: return ref_q4_K(blk, k);
	case LB_Q5_K: return ref_q5_K(blk, k);
	case LB_Q6_K: return ref_q6_K(blk, k);
	}
	return NAN;
}

/* Random bytes with finite fp16 factors, in place for block i of type t. */
static void
random_block(uint32_t t, uint8_t *p)
{
	fill_bytes(p, quant_type(t)->size);
	switch(t){
	case LB_Q2_K: ((block_q2_K *)p)->d = rand_half(); ((block_q2_K *)p)->dmin = rand_half(); break;
	case LB_Q3_K: ((block_q3_K *)p)->d = rand_half(); break;
	case LB_Q4_K: ((block_q4_K *)p)->d = rand_half(); ((block_q4_K *)p)->dmin = rand_half(); break;
	case LB_Q5_K: ((block_q5_K *)p)->d = rand_half(); ((block_q5_K *)p)->dmin = rand_half(); break;
	case LB_Q6_K: ((block_q6_K *)p)->d = rand_half(); break;
	}
}

static void
test_decode_random(void **state)
{
	enum { NB = 8 };
	static float got[NB*QK_K], want[NB*QK_K];
	static uint8_t buf[NB*sizeof(block_q8_K)];

	(void)state;
	for(int t = 0; t < NKTYPES; t++)
		for(int tier = 0; tier < quant_ntiers(); tier++){
			const QuantType *qt = qtype(ktypes[t], tier);

			for(int i = 0; i < NB; i++)
				random_block(ktypes[t], buf + i*qt->size);
			qt->to_float(buf, got, NB*QK_K);
			for(int i = 0; i < NB; i++)
				for(int k = 0; k < QK_K; k++)
					want[i*QK_K + k] = ref_decode(ktypes[t], buf + i*qt->size, k);
			assert_same_floats(got, want, NB*QK_K);
		}
	qr_best_tier();
}

static void
test_decode_q8_K(void **state)
{
	block_q8_K b[2];
	float y[2*QK_K];

	(void)state;
	fill_bytes(b, sizeof b);
	b[0].d = 0.125f;
	b[1].d = -3.5f;
	quant_type(LB_Q8_K)->to_float(b, y, 2*QK_K);
	for(int i = 0; i < 2; i++)
		for(int k = 0; k < QK_K; k++)
			assert_true(y[i*QK_K + k] == b[i].d * b[i].qs[k]);
}

static void
decode_block(uint32_t t, const void *blk, float *y)
{
	quant_type(t)->to_float(blk, y, QK_K);
}

/* Hand-built blocks: one quant in one sub-block set, its value worked out by hand. */
static void
test_decode_hand(void **state)
{
	block_q2_K b2;
	block_q3_K b3;
	block_q4_K b4;
	block_q5_K b5;
	block_q6_K b6;
	float y[QK_K];

	(void)state;
	/* Q2_K: d 0.5, dmin 0.25; sub-block 7 scale 11, min 3; quant 120 (byte 24, bits 6-7) = 2 */
	memset(&b2, 0, sizeof b2);
	b2.d = 0x3800;
	b2.dmin = 0x3400;
	b2.scales[7] = 0x3B;
	b2.qs[24] = 2 << 6;
	decode_block(LB_Q2_K, &b2, y);
	assert_true(y[120] == 0.5f*11*2 - 0.25f*3);
	assert_true(y[119] == -0.75f && y[112] == -0.75f && y[128] == 0);

	/* Q3_K: d 2; all 6-bit scales 0 (-32) but sub-block 9: nibble 8 (byte 1 high), top bits 2 (byte 9, bits 4-5) = 40-32 = 8 */
	memset(&b3, 0, sizeof b3);
	b3.d = 0x4000;
	b3.scales[1] = 8 << 4;
	b3.scales[9] = 2 << 4;
	b3.qs[32 + 22] = 3;	/* quant 150: second half, first quarter, l 22 */
	b3.hmask[22] = 1 << 4;	/* its high bit: set, so no -4 */
	b3.qs[32 + 23] = 1;	/* quant 151: high bit clear, 1-4 */
	decode_block(LB_Q3_K, &b3, y);
	assert_true(y[150] == 48);
	assert_true(y[151] == -48);
	assert_true(y[144] == 2*8*-4);
	assert_true(y[0] == 256);	/* scale -32, quant 0-4 */

	/* Q4_K: d 1, dmin 0.5; sub-block 5: scale 45, min 17 (4 bits in byte 9, top 2 in bytes 1 and 5) */
	memset(&b4, 0, sizeof b4);
	b4.d = 0x3C00;
	b4.dmin = 0x3800;
	b4.scales[9] = (45 & 15) | (17 & 15) << 4;
	b4.scales[1] = (45 >> 4) << 6;
	b4.scales[5] = (17 >> 4) << 6;
	b4.qs[64 + 3] = 7 << 4;	/* quant 163: third 64, high nibble */
	decode_block(LB_Q4_K, &b4, y);
	assert_true(y[163] == 45*7 - 8.5f);
	assert_true(y[160] == -8.5f && y[191] == -8.5f);
	assert_true(y[32] == 0 && y[159] == 0 && y[192] == 0);	/* sub-block 1: scale 0, min 0 */

	/* Q5_K: d 1, dmin 1; sub-block 2 scale 20, min 4; quant 70: nibble 9, fifth bit (qh[6] bit 2) */
	memset(&b5, 0, sizeof b5);
	b5.d = b5.dmin = 0x3C00;
	b5.scales[2] = 20;
	b5.scales[6] = 4;
	b5.qs[32 + 6] = 9;
	b5.qh[6] = 1 << 2;
	decode_block(LB_Q5_K, &b5, y);
	assert_true(y[70] == 20*25 - 4);
	assert_true(y[64] == -4 && y[6] == 0);

	/* Q6_K: d 0.25; sub-block 13 scale -3; quant 210: second half, third quarter, l 18 */
	memset(&b6, 0, sizeof b6);
	b6.d = 0x3400;
	b6.scales[13] = -3;
	b6.ql[64 + 18] = 0xA << 4;
	b6.qh[32 + 18] = 2 << 4;
	decode_block(LB_Q6_K, &b6, y);
	assert_true(y[210] == 0.25f * -3 * 10);
	assert_true(y[208] == 0.25f * -3 * -32 && y[0] == 0);
}

/* sqrt(Σ(x-y)²/Σx²) of quantizing and decoding x. */
static double
roundtrip_error(uint32_t t, const float *x, int n)
{
	const QuantType *qt = quant_type(t);
	void *q = malloc(quant_row_size(t, n));
	float *y = malloc(n * sizeof *y);
	double e = 0, s = 0;

	assert_non_null(q);
	assert_non_null(y);
	qt->from_float(x, q, n);
	qt->to_float(q, y, n);
	for(int i = 0; i < n; i++){
		e += (double)(x[i] - y[i]) * (x[i] - y[i]);
		s += (double)x[i] * x[i];
	}
	free(q);
	free(y);
	return sqrt(e / s);
}

static void
test_roundtrip(void **state)
{
	/* ggml's reference quantizers on N(0,1) data: about 0.295, 0.151, 0.071, 0.036, 0.018, 0.007 */
	static const struct { uint32_t t; double bound; } cases[] = {
		{ LB_Q2_K, 0.31 }, { LB_Q3_K, 0.165 }, { LB_Q4_K, 0.077 }, { LB_Q5_K, 0.039 },
		{ LB_Q6_K, 0.019 }, { LB_Q8_K, 0.0075 },
	};
	enum { N = 64*QK_K };
	static float x[N];
	double e, e1;

	(void)state;
	fill_gauss(x, N);
	for(size_t c = 0; c < sizeof cases / sizeof cases[0]; c++){
		e = roundtrip_error(cases[c].t, x, N);
		print_message("%s: relative RMS error %.4f\n", quant_type(cases[c].t)->name, e);
		assert_true(e < cases[c].bound);
		/* the error is relative: about the same for data ten times smaller or 1000 times larger */
		for(int k = 0; k < 2; k++){
			float f = k ? 1000 : 0.1f;

			for(int i = 0; i < N; i++)
				x[i] *= f;
			e1 = roundtrip_error(cases[c].t, x, N);
			for(int i = 0; i < N; i++)
				x[i] /= f;
			assert_true(fabs(e1 - e) < 0.1*e);
		}
	}
}

/* Zero, constant and spiky blocks decode to what they should, and odd values break nothing. */
static void
test_quantize_edges(void **state)
{
	enum { N = 4*QK_K };
	static float x[N], y[N];
	static uint8_t q[N*sizeof(block_q8_K)/QK_K];

	(void)state;
	for(int t = 0; t < NKTYPES + 1; t++){
		const uint32_t type = t < NKTYPES ? ktypes[t] : LB_Q8_K;
		const QuantType *qt = quant_type(type);

		memset(x, 0, sizeof x);
		for(int i = QK_K; i < 2*QK_K; i++)
			x[i] = 0.75f;	/* a constant block */
		x[2*QK_K + 77] = -5;	/* a lone spike */
		for(int i = 3*QK_K; i < N; i++)
			x[i] = (i & 1 ? 1e-20f : -3e-21f);	/* tiny values */
		qt->from_float(x, q, N);
		qt->to_float(q, y, N);
		for(int i = 0; i < QK_K; i++)
			assert_true(y[i] == 0);
		for(int i = QK_K; i < 2*QK_K; i++)
			assert_true(fabsf(y[i] - 0.75f) < 0.05f);
		assert_true(fabsf(y[2*QK_K + 77] + 5) < 0.1f);
		for(int i = 2*QK_K; i < 3*QK_K; i++)
			assert_true(i == 2*QK_K + 77 || fabsf(y[i]) < 0.1f);
		for(int i = 3*QK_K; i < N; i++)
			assert_true(isfinite(y[i]) && fabsf(y[i]) < 1e-19f);
		/* NaN, infinities and huge values: no crash and no undefined behaviour */
		x[5] = NAN;
		x[QK_K + 5] = INFINITY;
		x[2*QK_K] = -1e30f;
		qt->from_float(x, q, N);
	}
}

/* A row of n random N(0,1) weights quantized to t, and activations quantized to Q8_K. */
static void
make_operands(uint32_t t, int n, void *w, block_q8_K *a)
{
	float *x = malloc(n * sizeof *x);

	assert_non_null(x);
	fill_gauss(x, n);
	quant_type(t)->from_float(x, w, n);
	fill_gauss(x, n);
	q_from_float_q8_K(x, a, n);
	free(x);
}

/* Σ to_float(w)·(d*qs) in double, and Σ|terms| for the tolerance. */
static double
dot_reference(uint32_t t, int n, const void *w, const block_q8_K *a, double *mag)
{
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	double s = 0;

	assert_non_null(x);
	assert_non_null(y);
	quant_type(t)->to_float(w, x, n);
	quant_type(LB_Q8_K)->to_float(a, y, n);
	*mag = 0;
	for(int i = 0; i < n; i++){
		s += (double)x[i] * y[i];
		*mag += fabs((double)x[i] * y[i]);
	}
	free(x);
	free(y);
	return s;
}

static void
report_dot(uint32_t t, int n, const char *what, float got, double want)
{
	print_error("%s n=%d %s: %.9g, want %.9g\n", quant_type(t)->name, n, what, got, want);
	fail();
}

/*
 * vec_dot of a row of t against the double reference, in plain C at offsets
 * 0 and 1, in every other tier with the weight row at every byte offset
 * from 0 to 31 (GGUF rows may sit at odd offsets).
 */
static void
check_dot(uint32_t t, int n)
{
	enum { NMAX = 5632, NB = NMAX/QK_K };
	static uint8_t w[NB * sizeof(block_q8_K)], shifted[sizeof w + 32];
	static block_q8_K a[NB];
	double want, mag;
	float got, s1;

	make_operands(t, n, w, a);
	want = dot_reference(t, n, w, a, &mag);
	qtype(t, 0)->vec_dot(n, &got, w, a);
	if(fabs(got - want) > 2e-6*mag)
		report_dot(t, n, "plain", got, want);
	memcpy(shifted + 1, w, quant_row_size(t, n));
	qtype(t, 0)->vec_dot(n, &s1, shifted + 1, a);
	if(memcmp(&s1, &got, sizeof s1) != 0)
		report_dot(t, n, "plain at an odd offset", s1, got);
	for(int tier = 1; tier < quant_ntiers(); tier++)
		for(int off = 0; off < 32; off++){
			memcpy(shifted + off, w, quant_row_size(t, n));
			qtype(t, tier)->vec_dot(n, &got, shifted + off, a);
			if(fabs(got - want) > 2e-6*mag)
				report_dot(t, n, quant_tier_name(tier), got, want);
		}
	qr_best_tier();
}

static void
test_dot(void **state)
{
	(void)state;
	for(int t = 0; t < NKTYPES; t++)
		for(size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
			check_dot(ktypes[t], lengths[l]);
}

/* Every tier's Q8_K quantization of x gives the plain bytes. */
static void
assert_same_q8_K(const float *x, int n)
{
	static block_q8_K p[32], s[32];

	assert_true(n <= 32*QK_K);
	memset(p, 0xAA, sizeof p);
	qtype(LB_Q8_K, 0)->from_float(x, p, n);
	for(int tier = 1; tier < quant_ntiers(); tier++){
		memset(s, 0x55, sizeof s);
		qtype(LB_Q8_K, tier)->from_float(x, s, n);
		for(int i = 0; i < n/QK_K; i++)
			if(memcmp(&p[i], &s[i], sizeof p[i]) != 0){
				print_error("%s: block %d differs\n", quant_tier_name(tier), i);
				fail();
			}
	}
	qr_best_tier();
}

static void
test_q8_K_bytes(void **state)
{
	static float x[32*QK_K];
	block_q8_K b;
	int sum;

	(void)state;
	/* the plain quantizer: -127 at the largest, half-way cases to even, the sums */
	for(int i = 0; i < QK_K; i++)
		x[i] = i == 9 ? 127 : (float)(i % 253) - 126.5f;
	q_from_float_q8_K(x, &b, QK_K);
	assert_true(b.d == -1 && b.qs[9] == -127);
	assert_true(b.qs[0] == 126 && b.qs[1] == 126 && b.qs[2] == 124);	/* -(-126.5), -(-125.5), -(-124.5) */
	for(int j = 0; j < QK_K/16; j++){
		sum = 0;
		for(int k = 0; k < 16; k++)
			sum += b.qs[16*j + k];
		assert_int_equal(b.bsums[j], sum);
	}
	if(quant_ntiers() == 1)
		skip();
	assert_same_q8_K(x, QK_K);
	for(size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++){
		fill_gauss(x, lengths[l]);
		assert_same_q8_K(x, lengths[l]);
	}
	/* ties everywhere: the largest is 127 or -127, every other value on a .5 */
	for(int i = 0; i < 4*QK_K; i++)
		x[i] = (float)((int)(rand32() % 254) - 127) + 0.5f;
	x[3] = 127;
	x[QK_K + 200] = -127;
	x[2*QK_K + 5] = -127;
	x[2*QK_K + 6] = 127;	/* equal magnitudes: the first one's sign decides */
	x[3*QK_K] = 127;
	x[3*QK_K + 1] = -127;
	assert_same_q8_K(x, 4*QK_K);
	/* scaled ties: max 254 gives iscale -0.5 exactly */
	for(int i = 0; i < QK_K; i++)
		x[i] = (float)(2*(int)(rand32() % 254) - 253);
	x[100] = 254;
	assert_same_q8_K(x, QK_K);
	/* zero, denormal, NaN, infinite and huge blocks */
	memset(x, 0, 6*QK_K * sizeof *x);
	for(int i = QK_K; i < 2*QK_K; i++)
		x[i] = (float)(i - 1.5*QK_K) * 1e-44f;
	x[2*QK_K + 17] = NAN;
	x[3*QK_K + 3] = INFINITY;
	x[3*QK_K + 4] = 1;
	for(int i = 4*QK_K; i < 5*QK_K; i++)
		x[i] = (float)(i % 7) * 1e37f;
	x[5*QK_K + 255] = -0.0f;
	assert_same_q8_K(x, 6*QK_K);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_random),
		cmocka_unit_test(test_decode_q8_K),
		cmocka_unit_test(test_decode_hand),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_quantize_edges),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_q8_K_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
