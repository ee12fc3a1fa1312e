/*
 * legacy.c - ggml's 32-element block types in plain C: q4_0, q4_1, q5_0, q5_1,
 * q8_0 (weights) and q8_0, q8_1 (the activations they are dotted with).
 *
 * Each weight type has one decoder, unpack_*, that turns a block into its 32
 * integers and scales; dequantization and dot products are written once on top.
 * The decoders and quantizers follow ggml-quants.c; the q8 activation quantizers
 * follow ggml's x86 AVX2 code (see q8_block), which is what produced the goldens.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"
#include "kernels.h"
#include "qconv.h"

enum { QK = 32 };

/* to_float and vec_dot take the decoder as an argument; inlined, each type gets its own loop */
#define INLINE static inline __attribute__((always_inline))

/* A block's values: x[j] = d*q[j] + m (m is 0 and unused for the types without a min). */
typedef struct {
	float d, m;
	int8_t q[QK];
} Unpacked;

typedef void Unpack(const uint8_t *b, Unpacked *u);

/* element j of a 4-bit block: the low nibbles hold 0..15, the high ones 16..31 */
INLINE void
nibbles(const uint8_t *qs, int8_t *q)
{
	int j;

	for(j = 0; j < QK/2; j++){
		q[j] = (int8_t)(qs[j] & 0x0F);
		q[j + QK/2] = (int8_t)(qs[j] >> 4);
	}
}

/*
 * The fifth bit of element j is bit j of the little-endian 32-bit qh.  Eight
 * at a time: byte k of qh copied into eight bytes, byte i keeping only bit i;
 * adding 0x7F to a byte carries into its top bit exactly when that bit was set.
 */
INLINE void
highbits(const uint8_t *qh, int8_t *q)
{
	uint64_t spread;
	int k, i;

	for(k = 0; k < QK/8; k++){
		spread = (qh[k] * 0x0101010101010101ull) & 0x8040201008040201ull;
		spread = (spread + 0x7F7F7F7F7F7F7F7Full) & 0x8080808080808080ull;
		for(i = 0; i < 8; i++)
			q[8*k + i] = (int8_t)(q[8*k + i] | (uint8_t)(spread >> (8*i + 3)));
	}
}

INLINE void
offset(int8_t *q, int by)
{
	int j;

	for(j = 0; j < QK; j++)
		q[j] = (int8_t)(q[j] - by);
}

INLINE void
unpack_q4_0(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q4_0, d));
	nibbles(b + offsetof(block_q4_0, qs), u->q);
	offset(u->q, 8);
}

INLINE void
unpack_q4_1(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q4_1, d));
	u->m = q_half_load(b + offsetof(block_q4_1, m));
	nibbles(b + offsetof(block_q4_1, qs), u->q);
}

INLINE void
unpack_q5_0(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q5_0, d));
	nibbles(b + offsetof(block_q5_0, qs), u->q);
	highbits(b + offsetof(block_q5_0, qh), u->q);
	offset(u->q, 16);
}

INLINE void
unpack_q5_1(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q5_1, d));
	u->m = q_half_load(b + offsetof(block_q5_1, m));
	nibbles(b + offsetof(block_q5_1, qs), u->q);
	highbits(b + offsetof(block_q5_1, qh), u->q);
}

INLINE void
unpack_q8_0(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q8_0, d));
	memcpy(u->q, b + offsetof(block_q8_0, qs), QK);
}

INLINE void
unpack_q8_1(const uint8_t *b, Unpacked *u)
{
	u->d = q_half_load(b + offsetof(block_q8_1, d));
	memcpy(u->q, b + offsetof(block_q8_1, qs), QK);
}

/* dequantize_row_*: q*d, or q*d + m (adding a zero m would turn -0 into +0) */
INLINE void
to_float(const void *vx, float *y, int64_t n, Unpack *unpack, size_t size, int hasmin)
{
	const uint8_t *b = vx;
	Unpacked u;
	int64_t i;
	int j;

	for(i = 0; i < n / QK; i++, b += size, y += QK){
		unpack(b, &u);
		for(j = 0; j < QK; j++)
			y[j] = hasmin ? u.q[j]*u.d + u.m : u.q[j]*u.d;
	}
}

void q_to_float_q4_0(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q4_0, sizeof(block_q4_0), 0); }
void q_to_float_q4_1(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q4_1, sizeof(block_q4_1), 1); }
void q_to_float_q5_0(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q5_0, sizeof(block_q5_0), 0); }
void q_to_float_q5_1(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q5_1, sizeof(block_q5_1), 1); }
void q_to_float_q8_0(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q8_0, sizeof(block_q8_0), 0); }
void q_to_float_q8_1(const void *x, float *y, int64_t n) { to_float(x, y, n, unpack_q8_1, sizeof(block_q8_1), 0); }

/*
 * ggml_vec_dot_*_generic: per block an exact integer dot product, scaled by
 * dx*dy; with a min, plus m*s, where the q8_1 block's s is dy*sum(qy).
 * y must be a row of q8_1 blocks exactly when the weight type has a min.
 */
INLINE void
vec_dot(int n, float *s, const void *vx, const void *vy, Unpack *unpack, size_t size, int hasmin)
{
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	const size_t yqs = hasmin ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs);
	const uint8_t *xb = vx, *yb = vy;
	const int8_t *yq;
	float sum = 0, dy;
	Unpacked u;
	int i, j, sumi;

	for(i = 0; i < n / QK; i++, xb += size, yb += ysize){
		unpack(xb, &u);
		yq = (const int8_t *)(yb + yqs);
		sumi = 0;
		for(j = 0; j < QK; j++)
			sumi += u.q[j] * yq[j];
		dy = q_half_load(yb);	/* d is first in both q8 blocks */
		if(hasmin)
			sum += u.d*dy*sumi + u.m*q_half_load(yb + offsetof(block_q8_1, s));
		else
			sum += sumi*u.d*dy;
	}
	*s = sum;
}

void q_vec_dot_q4_0(int n, float *s, const void *x, const void *y) { vec_dot(n, s, x, y, unpack_q4_0, sizeof(block_q4_0), 0); }
void q_vec_dot_q4_1(int n, float *s, const void *x, const void *y) { vec_dot(n, s, x, y, unpack_q4_1, sizeof(block_q4_1), 1); }
void q_vec_dot_q5_0(int n, float *s, const void *x, const void *y) { vec_dot(n, s, x, y, unpack_q5_0, sizeof(block_q5_0), 0); }
void q_vec_dot_q5_1(int n, float *s, const void *x, const void *y) { vec_dot(n, s, x, y, unpack_q5_1, sizeof(block_q5_1), 1); }
void q_vec_dot_q8_0(int n, float *s, const void *x, const void *y) { vec_dot(n, s, x, y, unpack_q8_0, sizeof(block_q8_0), 0); }

/*
 * The reference quantizers of the 4- and 5-bit types (quantize_row_*_ref), as
 * used to write model files.  ggml truncates x*id + 0.5 (or + 8.5, + 16.5)
 * toward zero and caps it; trunc_cap does that without undefined behaviour
 * for NaN or huge inputs.
 */
static uint8_t
trunc_cap(float v, int cap)
{
	if(!(v >= 1.0f))
		return 0;
	return (uint8_t)(v >= (float)cap ? cap : (int)v);
}

/* q4_0, q5_0: d = -max/2^(bits-1), where max is the value of largest magnitude */
static float
quant_absmax(const float *x, int bits, uint8_t *q)
{
	const int half = 1 << (bits - 1);
	float amax = 0, max = 0, d, id;
	int j;

	for(j = 0; j < QK; j++)
		if(amax < fabsf(x[j])){
			amax = fabsf(x[j]);
			max = x[j];
		}
	d = max / (float)-half;
	id = d != 0 ? 1.0f/d : 0.0f;
	for(j = 0; j < QK; j++)
		q[j] = trunc_cap(x[j]*id + ((float)half + 0.5f), 2*half - 1);
	return d;
}

/* q4_1, q5_1: x = d*q + min */
static float
quant_minmax(const float *x, int bits, uint8_t *q, float *min)
{
	const int top = (1 << bits) - 1;
	float lo = FLT_MAX, hi = -FLT_MAX, d, id;	/* as ggml starts them */
	int j;

	for(j = 0; j < QK; j++){
		if(x[j] < lo)
			lo = x[j];
		if(x[j] > hi)
			hi = x[j];
	}
	d = (hi - lo) / (float)top;
	id = d != 0 ? 1.0f/d : 0.0f;
	for(j = 0; j < QK; j++)
		q[j] = trunc_cap((x[j] - lo)*id + 0.5f, top);
	*min = lo;
	return d;
}

static void
pack_nibbles(const uint8_t *q, uint8_t *qs)
{
	int j;

	for(j = 0; j < QK/2; j++)
		qs[j] = (uint8_t)((q[j] & 0x0F) | (q[j + QK/2] & 0x0F) << 4);
}

static void
pack_highbits(const uint8_t *q, uint8_t *qh)
{
	int j;

	memset(qh, 0, QK/8);
	for(j = 0; j < QK; j++)
		qh[j >> 3] |= (uint8_t)(((q[j] >> 4) & 1) << (j & 7));
}

/* ggml's reference quantizers store scales with the plain C fp16 rounding */
static void
put_half(uint8_t *p, float f)
{
	lb_half h = lb_fp32_to_fp16(f);

	memcpy(p, &h, sizeof h);
}

/* Where a 4- or 5-bit block keeps its values; d is first, and m (if any) follows it. */
typedef struct {
	size_t size, qs, qh;
	int bits, hasmin;
} Layout;

static const Layout layout_q4_0 = { sizeof(block_q4_0), offsetof(block_q4_0, qs), 0, 4, 0 };
static const Layout layout_q4_1 = { sizeof(block_q4_1), offsetof(block_q4_1, qs), 0, 4, 1 };
static const Layout layout_q5_0 = { sizeof(block_q5_0), offsetof(block_q5_0, qs), offsetof(block_q5_0, qh), 5, 0 };
static const Layout layout_q5_1 = { sizeof(block_q5_1), offsetof(block_q5_1, qs), offsetof(block_q5_1, qh), 5, 1 };

static void
quantize(const float *x, void *vy, int64_t n, const Layout *l)
{
	uint8_t *b = vy, q[QK];
	float d, min;
	int64_t i;

	for(i = 0; i < n / QK; i++, x += QK, b += l->size){
		if(l->hasmin){
			d = quant_minmax(x, l->bits, q, &min);
			put_half(b + offsetof(block_q4_1, m), min);
		}else
			d = quant_absmax(x, l->bits, q);
		put_half(b, d);
		pack_nibbles(q, b + l->qs);
		if(l->bits == 5)
			pack_highbits(q, b + l->qh);
	}
}

void q_from_float_q4_0(const float *x, void *y, int64_t n) { quantize(x, y, n, &layout_q4_0); }
void q_from_float_q4_1(const float *x, void *y, int64_t n) { quantize(x, y, n, &layout_q4_1); }
void q_from_float_q5_0(const float *x, void *y, int64_t n) { quantize(x, y, n, &layout_q5_0); }
void q_from_float_q5_1(const float *x, void *y, int64_t n) { quantize(x, y, n, &layout_q5_1); }

/*
 * The largest |x| of a block, taken in the order of ggml's AVX2 code (eight
 * lanes, then halves, then pairs), whose max returns its second operand when
 * either is NaN: so a NaN input gives the same scale here as there.
 */
static float
amax_x86(const float *x)
{
	float m[8], a;
	int k, l;

	for(l = 0; l < 8; l++)
		m[l] = fabsf(x[l]);
	for(k = 1; k < 4; k++)
		for(l = 0; l < 8; l++){
			a = fabsf(x[8*k + l]);
			m[l] = m[l] > a ? m[l] : a;
		}
	for(l = 0; l < 4; l++)
		m[l] = m[l + 4] > m[l] ? m[l + 4] : m[l];
	for(l = 0; l < 2; l++)
		m[l] = m[l] > m[l + 2] ? m[l] : m[l + 2];
	return m[0] > m[1] ? m[0] : m[1];
}

/*
 * One block of activations as ggml's x86 quantize_row_q8_0/q8_1 make it:
 * d = amax/127, q = round-half-even(x * (127/amax)) saturated to int8 (unlike
 * quantize_row_q8_0_ref, which uses 1/d and rounds half away from zero).
 * Returns sum(q) as the AVX2 code adds the 32-bit values, wrapping.
 */
static int32_t
q8_block(const float *x, float *d, int8_t *q)
{
	const float amax = amax_x86(x);
	const float id = amax != 0.0f ? 127.f/amax : 0.0f;
	uint32_t sum = 0;
	int32_t v;
	int j;

	*d = amax / 127.f;
	for(j = 0; j < QK; j++){
		v = q_round_i32(x[j]*id);
		sum += (uint32_t)v;
		q[j] = q_sat_i8(v);
	}
	return (int32_t)sum;
}

void
q_q8_row(const float *x, void *vy, int64_t n, int withsum, lb_q8_block_fn *block)
{
	const size_t size = withsum ? sizeof(block_q8_1) : sizeof(block_q8_0);
	const size_t qs = withsum ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs);
	uint8_t *b = vy;
	int64_t i;
	int32_t sum;
	float d;

	for(i = 0; i < n / QK; i++, x += QK, b += size){
		sum = block(x, &d, (int8_t *)(b + qs));
		q_half_store(b, d);	/* d is first in both */
		if(withsum)
			q_half_store(b + offsetof(block_q8_1, s), d*(float)sum);
	}
}

void q_from_float_q8_0(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 0, q8_block); }
void q_from_float_q8_1(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 1, q8_block); }

void
q_q8x_row(const float *x, void *vy, int64_t n, lb_q8_block_fn *block)
{
	block_q8x *b = vy;
	int64_t i;
	int32_t wrapped;
	float d;
	int j;

	for(i = 0; i < n / QK; i++, x += QK, b++){
		wrapped = block(x, &d, b->qs);
		b->d = lb_fp16_to_fp32(q_fp16_f16c(d));
		b->s = lb_fp16_to_fp32(q_fp16_f16c(d*(float)wrapped));
		for(b->sum = 0, j = 0; j < QK; j++)
			b->sum += b->qs[j];
	}
}

void q_from_float_q8x(const float *x, void *y, int64_t n) { q_q8x_row(x, y, n, q8_block); }

void
q_to_float_q8x(const void *x, float *y, int64_t n)
{
	block_q8x b;
	int64_t i;
	int j;

	for(i = 0; i < n / QK; i++, y += QK){
		memcpy(&b, (const block_q8x *)x + i, sizeof b);	/* any alignment */
		for(j = 0; j < QK; j++)
			y[j] = b.qs[j]*b.d;
	}
}
