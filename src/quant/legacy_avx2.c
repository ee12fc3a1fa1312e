/*
 * legacy_avx2.c - q4_0, q4_1, q5_0, q5_1, q8_0 dot products and the q8_0/q8_1
 * activation quantizers for AVX2 + FMA + F16C.
 *
 * A dot product works a block at a time as ggml's x86 code does: the weights
 * become 32 bytes, maddubs multiplies them with the activation bytes into
 * 16-bit pair sums, madd widens those to eight 32-bit sums, which are scaled by
 * dx*dy in float.  Two accumulators alternate between even and odd blocks so
 * that consecutive FMAs do not wait for each other.
 *
 * dot_rows does that for one weight row against nr activation rows at once
 * (nr = 1 for vec_dot, 4 for the gemm.h kernels), each row's arithmetic being
 * the same, so the x4 kernels give exactly the single-row results.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "avx2.h"
#include "blocks.h"
#include "gemm.h"
#include "kernels.h"
#include "qconv.h"
#include "quant.h"

#define INLINE static inline __attribute__((always_inline))

enum { QK = 32 };

/* 32 4-bit values as bytes 0..15: the low nibbles are elements 0..15, the high ones 16..31 */
INLINE __m256i
nibbles32(const uint8_t *qs)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)qs);
	const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(v), _mm_srli_epi16(v, 4), 1);

	return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* byte j is 0xFF where bit j of the little-endian 32-bit qh is set, else 0 */
INLINE __m256i
bits32(const uint8_t *qh)
{
	const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
	const __m256i bit = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128,
		1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
	int32_t w;
	__m256i spread;

	memcpy(&w, qh, sizeof w);
	spread = _mm256_shuffle_epi8(_mm256_set1_epi32(w), pick);
	return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* a weight block's 32 values as bytes: signed for q4_0, q5_0, q8_0; 0..31 for q4_1, q5_1 */
typedef __m256i Weights(const uint8_t *b);

INLINE __m256i
w_q4_0(const uint8_t *b)
{
	return _mm256_sub_epi8(nibbles32(b + offsetof(block_q4_0, qs)), _mm256_set1_epi8(8));
}

INLINE __m256i
w_q4_1(const uint8_t *b)
{
	return nibbles32(b + offsetof(block_q4_1, qs));
}

/* value - 16: the nibble where the fifth bit is set, else the nibble with 0xF0 (i.e. - 16) */
INLINE __m256i
w_q5_0(const uint8_t *b)
{
	const __m256i high = _mm256_andnot_si256(bits32(b + offsetof(block_q5_0, qh)), _mm256_set1_epi8((char)0xF0));

	return _mm256_or_si256(nibbles32(b + offsetof(block_q5_0, qs)), high);
}

INLINE __m256i
w_q5_1(const uint8_t *b)
{
	const __m256i high = _mm256_and_si256(bits32(b + offsetof(block_q5_1, qh)), _mm256_set1_epi8(0x10));

	return _mm256_or_si256(nibbles32(b + offsetof(block_q5_1, qs)), high);
}

INLINE __m256i
w_q8_0(const uint8_t *b)
{
	return _mm256_loadu_si256((const __m256i *)(b + offsetof(block_q8_0, qs)));
}

/*
 * The binary16 at p + r*stride for r < nr (1 or 4) as floats: the scales of
 * block i of every activation row, converted with one instruction.
 */
INLINE int
u16(const uint8_t *p)
{
	uint16_t h;

	memcpy(&h, p, sizeof h);
	return h;
}

INLINE __m128
halves(const uint8_t *p, size_t stride, int nr)
{
	__m128i v = _mm_cvtsi32_si128(u16(p));

	if(nr > 1){
		v = _mm_insert_epi16(v, u16(p + stride), 1);
		v = _mm_insert_epi16(v, u16(p + 2*stride), 2);
		v = _mm_insert_epi16(v, u16(p + 3*stride), 3);
	}
	return _mm_cvtph_ps(v);
}

/* lane r of both 128-bit halves of v, in all eight lanes */
INLINE __m256
lane(__m256 v, int r)
{
	switch(r){
	case 0: return _mm256_permute_ps(v, 0x00);
	case 1: return _mm256_permute_ps(v, 0x55);
	case 2: return _mm256_permute_ps(v, 0xAA);
	}
	return _mm256_permute_ps(v, 0xFF);
}

/*
 * Block i of the weight row against block i of nr activation rows:
 * acc[r] += dx*dy[r] * (eight partial sums of qx*qy[r]), and with a min,
 * mins[r] += m*s[r].  ax is qx made non-negative (maddubs wants unsigned first
 * operands); for signed weights the sign moves onto qy.  qy is never -128 (the
 * quantizer saturates at 127 in magnitude), so neither the sign flip nor
 * maddubs overflows.
 */
INLINE void
block_rows(__m256 *acc, __m128 *mins, const uint8_t *x, const uint8_t *y, size_t ystride, int nr, int i,
	Weights *weights, size_t xsize, int hasmin)
{
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	const size_t yqs = hasmin ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs);
	const uint8_t *xb = x + (size_t)i*xsize, *yb = y + (size_t)i*ysize;
	const __m256i qx = weights(xb);
	const __m256i ax = hasmin ? qx : _mm256_sign_epi8(qx, qx);
	const float dx = avx2_half(xb);
	__m256i qy, pairs;
	__m256 sums, d8;
	__m128 d4;
	int r;

	/* dx*dy[r], exact in float: one row converts its two halves on their own, four rows together */
	if(nr == 1)
		d8 = _mm256_set1_ps(dx * avx2_half(yb));
	else{
		d4 = _mm_mul_ps(halves(yb, ystride, nr), _mm_set1_ps(dx));
		d8 = _mm256_insertf128_ps(_mm256_castps128_ps256(d4), d4, 1);
	}

	if(hasmin)	/* m follows d in q4_1 and q5_1 */
		*mins = _mm_add_ps(*mins, _mm_mul_ps(halves(yb + offsetof(block_q8_1, s), ystride, nr),
			_mm_set1_ps(avx2_half(xb + offsetof(block_q4_1, m)))));
#pragma GCC unroll 4
	for(r = 0; r < nr; r++){
		qy = _mm256_loadu_si256((const __m256i *)(yb + r*ystride + yqs));
		pairs = _mm256_maddubs_epi16(ax, hasmin ? qy : _mm256_sign_epi8(qy, qx));
		sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
		acc[r] = _mm256_fmadd_ps(lane(d8, r), sums, acc[r]);
	}
}

INLINE void
dot_rows(int n, float *s, const uint8_t *x, const uint8_t *y, size_t ystride, int nr,
	Weights *weights, size_t xsize, int hasmin)
{
	const int nb = n / QK;
	__m256 even[4], odd[4];
	__m128 mins = _mm_setzero_ps();
	float m[4];
	int i, r;

	for(r = 0; r < nr; r++)
		even[r] = odd[r] = _mm256_setzero_ps();
	for(i = 0; i + 1 < nb; i += 2){
		block_rows(even, &mins, x, y, ystride, nr, i, weights, xsize, hasmin);
		block_rows(odd, &mins, x, y, ystride, nr, i + 1, weights, xsize, hasmin);
	}
	if(i < nb)
		block_rows(even, &mins, x, y, ystride, nr, i, weights, xsize, hasmin);
	_mm_storeu_ps(m, mins);
	for(r = 0; r < nr; r++)
		s[r] = avx2_hsum(_mm256_add_ps(even[r], odd[r])) + m[r];
}

#define DOT(t, hasmin) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	dot_rows(n, s, x, y, 0, 1, w_##t, sizeof(block_##t), hasmin); \
} \
void \
q_vec_dot_##t##_x4_avx2(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	dot_rows(n, s, x, y, ystride, 4, w_##t, sizeof(block_##t), hasmin); \
}

DOT(q4_0, 0)
DOT(q4_1, 1)
DOT(q5_0, 0)
DOT(q5_1, 1)
DOT(q8_0, 0)

/*
 * A block of activations exactly as ggml's x86 quantize_row_q8_0/q8_1 (and
 * legacy.c's q8_block): the max |x| reduced in the same order, d = amax/127,
 * q = round-half-even(x*(127/amax)), saturated to int8.  Returns the wrapped
 * 32-bit sum of the rounded values.
 */
static int32_t
q8_block(const float *x, float *d, int8_t *q)
{
	const __m256 sign = _mm256_set1_ps(-0.0f);
	const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	__m256 v[4], m, id;
	__m256i iv[4], packed;
	__m128i sum;
	__m128 m4;
	float amax;
	int k;

	for(k = 0; k < 4; k++)
		v[k] = _mm256_loadu_ps(x + 8*k);
	m = _mm256_andnot_ps(sign, v[0]);
	for(k = 1; k < 4; k++)
		m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
	m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
	m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
	m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
	amax = _mm_cvtss_f32(m4);

	*d = amax / 127.f;
	id = _mm256_set1_ps(amax != 0.0f ? 127.f/amax : 0.0f);
	for(k = 0; k < 4; k++)
		iv[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id),
			_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	/* the packs work within 128-bit halves; the permutation puts the bytes back in order */
	packed = _mm256_packs_epi16(_mm256_packs_epi32(iv[0], iv[1]), _mm256_packs_epi32(iv[2], iv[3]));
	_mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(packed, order));

	iv[0] = _mm256_add_epi32(_mm256_add_epi32(iv[0], iv[1]), _mm256_add_epi32(iv[2], iv[3]));
	sum = _mm_add_epi32(_mm256_castsi256_si128(iv[0]), _mm256_extracti128_si256(iv[0], 1));
	sum = _mm_add_epi32(sum, _mm_unpackhi_epi64(sum, sum));
	sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(sum);
}

static void from_float_q8_0(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 0, q8_block); }
static void from_float_q8_1(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 1, q8_block); }

void
quant_avx2_legacy(struct QuantType *tab)
{
	tab[LB_Q4_0].vec_dot = vec_dot_q4_0;
	tab[LB_Q4_1].vec_dot = vec_dot_q4_1;
	tab[LB_Q5_0].vec_dot = vec_dot_q5_0;
	tab[LB_Q5_1].vec_dot = vec_dot_q5_1;
	tab[LB_Q8_0].vec_dot = vec_dot_q8_0;
	tab[LB_Q8_0].from_float = from_float_q8_0;
	tab[LB_Q8_1].from_float = from_float_q8_1;
}
