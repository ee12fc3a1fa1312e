/*
 * legacy_avx2.h - the arithmetic of the AVX2 dot products of the 32-element
 * block types (q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl), shared by vec_dot and the x4
 * kernels (legacy_avx2.c) and the gemv kernels (gemv_avx2.c) so that all of
 * them give the same bits.  Include only from *_avx2.c files.
 *
 * For a weight row x and an activation row y:
 *	S_i = the integer dot product of the quants of block i (exact);
 *	d_i = dx_i*dy_i (exact in float: a product of two halves);
 *	block i goes to float chain i mod 8:  c = fma(d_i, S_i, c);
 *	for q4_1 and q5_1 eight more chains:  m = fma(mx_i, sy_i, m);
 *	the result is ((c0+c1)+(c4+c5)) + ((c2+c3)+(c6+c7)), plus the same of the m.
 * Whole-block integer sums cost one conversion and one FMA per eight blocks,
 * and eight chains keep the FMAs independent.  Blocks go eight at a time (a
 * group), the chains in one vector laid out [c0 c2 c4 c6 | c1 c3 c5 c7]; a
 * short last group has zeros for its missing blocks, which leave the chains
 * as they are.  How a kernel finds S_i is its own choice, as long as it is exact.
 */
#ifndef LB_LEGACY_AVX2_H
#define LB_LEGACY_AVX2_H

#include "avx2.h"
#include "blocks.h"

#define INLINE static inline __attribute__((always_inline))
/* GCC does not unroll the loops over rows and pairs by itself: they must be, to keep values in registers */
#define UNROLL _Pragma("GCC unroll 8")

enum {
	QK = 32, GROUP = 8,
	TILE_R = 4, TILE_C = 4,	/* the tile kernels' shape: 4 weight rows x 4 activation rows */
};

INLINE __m256i
load32(const uint8_t *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

/* 32 4-bit values as bytes 0..15 in element order: the low nibbles are elements 0..15, the high ones 16..31 */
INLINE __m256i
nibbles32(const uint8_t *qs)
{
	const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));

	return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
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

/*
 * A weight block's 32 quants as bytes in element order.  The signed ones
 * (q4_0, q5_0, q8_0) are the values; the unsigned ones are 0..31, and for
 * q4_0 and q5_0 (the _u versions) the value plus 8 or 16.
 */
typedef __m256i Weights(const uint8_t *b);

INLINE __m256i
w_q4_0u(const uint8_t *b)
{
	return nibbles32(b + offsetof(block_q4_0, qs));
}

INLINE __m256i
w_q4_0(const uint8_t *b)
{
	return _mm256_sub_epi8(w_q4_0u(b), _mm256_set1_epi8(8));
}

INLINE __m256i
w_q4_1(const uint8_t *b)
{
	return nibbles32(b + offsetof(block_q4_1, qs));
}

/* 0..31: the nibble and the fifth bit (bit j of the 32-bit qh for element j) */
INLINE __m256i
fifth_bit(const uint8_t *qh, const uint8_t *qs)
{
	return _mm256_or_si256(nibbles32(qs), _mm256_and_si256(bits32(qh), _mm256_set1_epi8(0x10)));
}

INLINE __m256i
w_q5_0u(const uint8_t *b)
{
	return fifth_bit(b + offsetof(block_q5_0, qh), b + offsetof(block_q5_0, qs));
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
	return fifth_bit(b + offsetof(block_q5_1, qh), b + offsetof(block_q5_1, qs));
}

INLINE __m256i
w_q8_0(const uint8_t *b)
{
	return load32(b + offsetof(block_q8_0, qs));
}

/* iq4_nl: each nibble picks one of sixteen signed values (a q4_0 block with a table for the - 8) */
INLINE __m256i
w_iq4_nl(const uint8_t *b)
{
	const __m256i values = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)q_iq4nl_values));

	return _mm256_shuffle_epi8(values, nibbles32(b + offsetof(block_iq4_nl, qs)));
}

/*
 * Sixteen int16 sums of two products each of a block's quants.  maddubs wants
 * an unsigned first operand: signed weights give it |qx| (ax) and move their
 * sign onto qy.  qy is never -128 (the quantizer saturates at 127 in magnitude),
 * so neither the sign flip nor maddubs overflows; |qx| of a -128 byte is 0x80,
 * which maddubs reads as 128, right.
 */
INLINE __m256i
products(__m256i ax, __m256i qx, __m256i qy, int sign)
{
	return _mm256_maddubs_epi16(ax, sign ? _mm256_sign_epi8(qy, qx) : qy);
}

/*
 * The same int16 pair sums from unsigned weights qu = qx + bias (w_q4_0u,
 * w_q5_0u, bias 8 or 16): maddubs(qu, qy) - maddubs(bias, qy), where
 * bias_products gives the second term, the same for every weight row.  Both
 * terms are exact (at most 2*31*127 in magnitude), and so is their
 * difference, the pair sum of qx*qy that products gives.
 */
INLINE __m256i
bias_products(__m256i qy, int bias)
{
	return _mm256_maddubs_epi16(_mm256_set1_epi8((char)bias), qy);
}

INLINE __m256i
biased_products(__m256i qu, __m256i qy, __m256i bias_term)
{
	return _mm256_sub_epi16(_mm256_maddubs_epi16(qu, qy), bias_term);
}

/*
 * Two blocks' int16 pair sums (elements 0..15 in the low lane, 16..31 in the
 * high one) as [4 int32 sums of block a | 4 of block b]: [a lo | b hi] +
 * [a hi | b lo] needs one lane crossing, not two.  Wide quants (q8_0, iq4_nl)
 * widen first: four of their products can exceed int16; the others cannot
 * (at most 4*31*127).
 */
INLINE __m256i
pair_sums(__m256i a, __m256i b, int wide)
{
	const __m256i ones = _mm256_set1_epi16(1);

	if(wide){
		a = _mm256_madd_epi16(a, ones);
		b = _mm256_madd_epi16(b, ones);
		return _mm256_add_epi32(_mm256_blend_epi32(a, b, 0xF0), _mm256_permute2x128_si256(a, b, 0x21));
	}
	return _mm256_madd_epi16(_mm256_add_epi16(_mm256_blend_epi32(a, b, 0xF0),
		_mm256_permute2x128_si256(a, b, 0x21)), ones);
}

/* lanes a0+a2, b0+b2, a1+a3, b1+b3 of each 128-bit half */
INLINE __m256i
fold2(__m256i a, __m256i b)
{
	return _mm256_add_epi32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}

/* lanes a0+a2, a1+a3, b0+b2, b1+b3 of each 128-bit half */
INLINE __m256i
fold4(__m256i a, __m256i b)
{
	return _mm256_add_epi32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}

/* The pair sums of blocks (0,1), (2,3), (4,5), (6,7) as the group's S_i in layout [0 2 4 6 | 1 3 5 7]. */
INLINE __m256i
group_sums(__m256i p01, __m256i p23, __m256i p45, __m256i p67)
{
	return fold4(fold2(p01, p23), fold2(p45, p67));
}

/* The binary16 at p + k*stride if block k of a group is there, else 0. */
INLINE int
half_at(const uint8_t *p, size_t stride, int k, int cnt)
{
	uint16_t h = 0;

	if(k < cnt)
		memcpy(&h, p + k*stride, sizeof h);
	return h;
}

/* The group's halves at p + k*stride (k < cnt, 0 beyond) as floats in layout order. */
INLINE __m256
halves(const uint8_t *p, size_t stride, int cnt)
{
	__m128i h = _mm_cvtsi32_si128(half_at(p, stride, 0, cnt));

	h = _mm_insert_epi16(h, half_at(p, stride, 2, cnt), 1);
	h = _mm_insert_epi16(h, half_at(p, stride, 4, cnt), 2);
	h = _mm_insert_epi16(h, half_at(p, stride, 6, cnt), 3);
	h = _mm_insert_epi16(h, half_at(p, stride, 1, cnt), 4);
	h = _mm_insert_epi16(h, half_at(p, stride, 3, cnt), 5);
	h = _mm_insert_epi16(h, half_at(p, stride, 5, cnt), 6);
	h = _mm_insert_epi16(h, half_at(p, stride, 7, cnt), 7);
	return _mm256_cvtph_ps(h);
}

/* A group's chains summed in the order of the contract. */
INLINE float
chains_sum(__m256 c)
{
	return avx2_hsum(c);
}

#endif
