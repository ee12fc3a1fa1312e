/*
 * qconv.h - scalar conversions shared by the plain C and AVX2 kernels of
 * float.c and legacy.c, and the scalar end of the SIMD float dot products.
 *
 * llama.cpp's goldens were made by its x86 AVX2/F16C code, so the plain C
 * versions here reproduce what those instructions do, bit for bit, including
 * NaN and out-of-range inputs: then scalar and SIMD kernels write the same bytes.
 * Blocks are read through byte pointers and memcpy because tensor rows inside
 * a GGUF file sit at any even (or, in a hostile file, odd) offset.
 */
#ifndef LB_QCONV_H
#define LB_QCONV_H

#include <stdint.h>
#include <string.h>

#include "fp16.h"

/*
 * A tier's shapes of type t, each one call of its kernel: DOT(t, n, s, sstride, x, y, ystride, ny) dots the
 * weight row x (n elements) with ny activation rows ystride bytes apart into s[0], s[sstride], ...  The
 * shapes share the kernel's arithmetic, so they give the same bits.  Q_GEMV_ROWS: gemv as a row at a time.
 */
#define Q_VEC_DOT_X4(t, DOT) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	DOT(t, n, s, 0, x, y, 0, 1); \
} \
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	DOT(t, n, s, 1, x, y, ystride, 4); \
}

#define Q_GEMV_ROWS(t, DOT) \
static void \
gemv_##t(int n, float *s, const void *x, size_t xstride, const void *y, int nr) \
{ \
	int r; \
\
	for(r = 0; r < nr; r++) \
		DOT(t, n, s + r, 0, (const uint8_t *)x + (size_t)r*xstride, y, 0, 1); \
}

/* float to binary16 as the F16C instruction vcvtps2ph with round-to-nearest-even
 * does it: equal to lb_fp32_to_fp16 except that a NaN keeps its sign and payload. */
static inline lb_half
q_fp16_f16c(float f)
{
	uint32_t u = lb_bits_from_f32(f);

	if((u & 0x7fffffffu) > 0x7f800000u)
		return (lb_half)(((u >> 16) & 0x8000u) | 0x7e00u | ((u >> 13) & 0x3ffu));
	return lb_fp32_to_fp16(f);
}

/* The binary16 at p (any alignment) as a float. */
static inline float
q_half_load(const uint8_t *p)
{
	lb_half h;

	memcpy(&h, p, sizeof h);
	return lb_fp16_to_fp32(h);
}

static inline void
q_half_store(uint8_t *p, float f)
{
	lb_half h = q_fp16_f16c(f);

	memcpy(p, &h, sizeof h);
}

/*
 * _mm256_round_ps(v, nearest) followed by _mm256_cvtps_epi32: round half to
 * even, and INT32_MIN (the "integer indefinite") for NaN and values out of range.
 * Written out rather than with rintf so that no rounding mode can change it.
 */
static inline int32_t
q_round_i32(float v)
{
	int32_t i;
	float frac;

	if(!(v >= -2147483648.0f && v < 2147483648.0f))
		return INT32_MIN;
	i = (int32_t)v;	/* toward zero; exact above 2^23, where frac is 0 */
	frac = v - (float)i;
	if(frac > 0.5f || (frac == 0.5f && (i & 1)))
		i++;
	else if(frac < -0.5f || (frac == -0.5f && (i & 1)))
		i--;
	return i;
}

/* packs_epi32 then packs_epi16: saturate to int8. */
static inline int8_t
q_sat_i8(int32_t v)
{
	return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

/*
 * legacy.c: a row of q8_0 (withsum 0) or q8_1 activation blocks, each made by
 * block, which quantizes 32 floats to q, sets d and returns the wrapped sum of q
 * (see q8_block in legacy.c and legacy_avx2.c: the two give the same bytes).
 */
typedef int32_t lb_q8_block_fn(const float *x, float *d, int8_t *q);
void q_q8_row(const float *x, void *y, int64_t n, int withsum, lb_q8_block_fn *block);
/* The same as q8x blocks (blocks.h): qs and d as q8_0's, s as q8_1's, and the sum of the qs. */
void q_q8x_row(const float *x, void *y, int64_t n, lb_q8_block_fn *block);

/*
 * The end of a SIMD float dot product: v, the sum of its vector lanes, then
 * elements i..n-1 one by one, summed in double (wide: F16, BF16) or float
 * (F32) as ggml does; at(p, j) is element j of row p as a float (always
 * inlined: the kernels' at functions are, and are called here).
 */
static inline __attribute__((always_inline)) float
q_dot_tail(float v, const uint8_t *x, const uint8_t *y, int i, int n, float (*at)(const uint8_t *, int), int wide)
{
	double dsum = v;
	float fsum = v;

	for(; i < n; i++)
		if(wide)
			dsum += at(x, i) * at(y, i);
		else
			fsum += at(x, i) * at(y, i);
	return wide ? (float)dsum : fsum;
}

#endif
