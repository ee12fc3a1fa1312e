/*
 * float_avx2.c - F32, F16 and BF16 kernels for AVX2 + FMA + F16C.
 *
 * The dot products keep 8-lane float accumulators as ggml's ggml_vec_dot_f16/f32
 * do on AVX2 (two of them here, four there: only the summation order differs);
 * products of halves and of bfloat16 are exact in float, so FMA gives the same
 * sums as multiply-then-add.
 * Conversions are the F16C instructions, the same bits as float.c.
 */
#include <immintrin.h>
#include <string.h>

#include "avx2.h"
#include "blocks.h"
#include "kernels.h"
#include "qconv.h"

/* the loads are passed to dot_rows and widen as functions: inlined, they cost nothing */
#define INLINE static inline __attribute__((always_inline))

INLINE __m256
load_f16(const uint8_t *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

INLINE __m256
load_bf16(const uint8_t *p)
{
	__m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));

	return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

INLINE __m256
load_f32(const uint8_t *p)
{
	return _mm256_loadu_ps((const float *)p);
}

INLINE float
at_f32(const uint8_t *p, int i)
{
	float f;

	memcpy(&f, p + 4*i, sizeof f);
	return f;
}

INLINE float
at_f16(const uint8_t *p, int i)
{
	return avx2_half(p + 2*i);
}

INLINE float
at_bf16(const uint8_t *p, int i)
{
	uint32_t u = (uint32_t)p[2*i] << 16 | (uint32_t)p[2*i + 1] << 24;
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

enum { ACC = 2 };	/* accumulators per row: two hide the FMA latency, and four rows' fit in registers */

/*
 * s[r] = x . (y + r*ystride) for r < nr (1, or 4 for the x4 kernels):
 * ACC 8-lane accumulators per row over 8*ACC elements a step, each weight
 * vector loaded once for all rows; the rest element by element, summed in
 * double (wide: F16, BF16) or float (F32) as ggml does.  Each row's arithmetic
 * is the same whatever nr is.
 */
INLINE void
dot_rows(int n, float *s, const uint8_t *x, const uint8_t *y, size_t ystride, int nr, int esize,
	__m256 (*load)(const uint8_t *), float (*at)(const uint8_t *, int), int wide)
{
	__m256 acc[4][ACC], xv, v;
	int i, k, r;

	for(r = 0; r < nr; r++)
		for(k = 0; k < ACC; k++)
			acc[r][k] = _mm256_setzero_ps();
	for(i = 0; i + 8*ACC <= n; i += 8*ACC)
#pragma GCC unroll 4
		for(k = 0; k < ACC; k++){
			xv = load(x + (i + 8*k)*esize);
#pragma GCC unroll 4
			for(r = 0; r < nr; r++)
				acc[r][k] = _mm256_fmadd_ps(xv, load(y + r*ystride + (i + 8*k)*esize), acc[r][k]);
		}
	for(r = 0; r < nr; r++){
		v = acc[r][0];
		for(k = 1; k < ACC; k++)
			v = _mm256_add_ps(v, acc[r][k]);
		s[r] = q_dot_tail(avx2_hsum(v), x, y + r*ystride, i, n, at, wide);
	}
}

/* bytes of an element; whether its products are summed in doubles past the vectors (q_dot_tail) */
enum { esize_f32 = 4, esize_f16 = 2, esize_bf16 = 2, wide_f32 = 0, wide_f16 = 1, wide_bf16 = 1 };
#define DOT(t, n, s, sstride, x, y, ystride, ny) dot_rows(n, s, x, y, ystride, ny, esize_##t, load_##t, at_##t, wide_##t)

Q_VEC_DOT_X4(f32, DOT)
Q_VEC_DOT_X4(f16, DOT)
Q_VEC_DOT_X4(bf16, DOT)

/* 8 at a time with load, the rest with the plain C decoder */
INLINE void
widen(const uint8_t *a, float *y, int64_t n, __m256 (*load)(const uint8_t *), lb_to_float_fn tail)
{
	int64_t i;

	for(i = 0; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, load(a + 2*i));
	tail(a + 2*i, y + i, n - i);
}

static void to_float_f16(const void *x, float *y, int64_t n) { widen(x, y, n, load_f16, q_to_float_f16); }
static void to_float_bf16(const void *x, float *y, int64_t n) { widen(x, y, n, load_bf16, q_to_float_bf16); }

static void
from_float_f16(const float *x, void *y, int64_t n)
{
	uint8_t *b = y;
	int64_t i;

	for(i = 0; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(b + 2*i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	q_from_float_f16(x + i, b + 2*i, n - i);
}

void
quant_avx2_float(QuantType *tab)
{
	tab[LB_F32].vec_dot = vec_dot_f32;
	tab[LB_F32].x4 = x4_f32;
	tab[LB_F16].vec_dot = vec_dot_f16;
	tab[LB_F16].x4 = x4_f16;
	tab[LB_F16].to_float = to_float_f16;
	tab[LB_F16].from_float = from_float_f16;
	tab[LB_BF16].vec_dot = vec_dot_bf16;
	tab[LB_BF16].x4 = x4_bf16;
	tab[LB_BF16].to_float = to_float_bf16;
}
