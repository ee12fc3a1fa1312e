/*
 * float_avx512.c - F32, F16 and BF16 dot products with AVX-512, in every shape.
 *
 * The tier's arithmetic for these types, for a weight row x and an activation
 * row y of n elements: sixteen float chains, element j going to chain j mod 16,
 *	c = fma(x_j, y_j, c), sixteen elements at a time, the last ones (n mod 16)
 *	as a sixteen with zeros in the missing places;
 * the result is the sum of the chains in _mm512_reduce_add_ps's order.  The
 * product of two halves or two bfloat16 is exact in float, so only the order
 * of the sums differs from the other tiers.  One kernel does every shape,
 * nr weight rows against nc activation rows, each pair its own chains.
 * F16's activations are F16X, their F16 values as floats: a tile converts
 * each weight vector once for its activation rows, and those not at all.
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "avx512.h"
#include "blocks.h"
#include "kernels.h"
#include "qconv.h"

#define UNROLL _Pragma("GCC unroll 8")

enum { ROWS = 4, COLS = 6 };

typedef __m512 Load(const uint8_t *p, __mmask16 m);

/* sixteen elements at p (those of mask m; zeros elsewhere) as floats */
INLINE __m512
load_f32(const uint8_t *p, __mmask16 m)
{
	return _mm512_maskz_loadu_ps(m, p);
}

INLINE __m512
load_f16(const uint8_t *p, __mmask16 m)
{
	return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

INLINE __m512
load_bf16(const uint8_t *p, __mmask16 m)
{
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

/*
 * s[c*sstride + r] = (x + r*xstride) . (y + c*ystride) for r < nr, c < nc
 * (<= maxc, a constant: the loops unroll); elements xsize and ysize bytes
 */
INLINE void
step(__m512 acc[ROWS][COLS], int i, __mmask16 m, const uint8_t *x, size_t xstride, int nr,
	const uint8_t *y, size_t ystride, int maxc, int nc, size_t xsize, Load *xload, size_t ysize, Load *yload)
{
	__m512 xv[ROWS], yv;
	int r, c;

	UNROLL
	for(r = 0; r < nr; r++)
		xv[r] = xload(x + r*xstride + (size_t)i * xsize, m);
	UNROLL
	for(c = 0; c < maxc; c++){
		if(c >= nc)
			break;
		yv = yload(y + c*ystride + (size_t)i * ysize, m);
		UNROLL
		for(r = 0; r < nr; r++)
			acc[r][c] = _mm512_fmadd_ps(xv[r], yv, acc[r][c]);
	}
}

INLINE void
kernel(int n, float *s, size_t sstride, const uint8_t *x, size_t xstride, int nr,
	const uint8_t *y, size_t ystride, int maxc, int nc, size_t xsize, Load *xload, size_t ysize, Load *yload)
{
	__m512 acc[ROWS][COLS];
	int i, r, c;

	UNROLL
	for(r = 0; r < nr; r++)
		UNROLL
		for(c = 0; c < maxc; c++)
			acc[r][c] = _mm512_setzero_ps();
	for(i = 0; i + 16 <= n; i += 16)	/* whole sixteens, then the last with a mask */
		step(acc, i, 0xFFFF, x, xstride, nr, y, ystride, maxc, nc, xsize, xload, ysize, yload);
	if(i < n)
		step(acc, i, (__mmask16)((1u << (n - i)) - 1), x, xstride, nr, y, ystride, maxc, nc, xsize, xload, ysize, yload);
	UNROLL
	for(r = 0; r < nr; r++)
		UNROLL
		for(c = 0; c < maxc && c < nc; c++)
			s[c*sstride + r] = _mm512_reduce_add_ps(acc[r][c]);
}

/* t's weights of xsize_t bytes an element, its activations of type ty_t (load_), ysize_t bytes */
enum { xsize_f32 = 4, xsize_f16 = 2, xsize_bf16 = 2, ysize_f32 = 4, ysize_f16 = 4, ysize_bf16 = 2 };
#define load_y_f32 load_f32
#define load_y_f16 load_f32
#define load_y_bf16 load_bf16
#define ROWS_OF(t, n, s, sstride, x, xstride, xrows, y, ystride, ny, nc) \
	kernel(n, s, sstride, x, xstride, xrows, y, ystride, ny, nc, xsize_##t, load_##t, ysize_##t, load_y_##t)
#define DOT(t, n, s, sstride, x, y, ystride, ny) ROWS_OF(t, n, s, sstride, x, 0, 1, y, ystride, ny, ny)
#define SHAPES(t) \
Q_VEC_DOT_X4(t, DOT) \
Q_GEMV_ROWS(t, DOT) \
static void \
tile_##t(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	if(nc == COLS) \
		ROWS_OF(t, n, s, sstride, x, xstride, ROWS, y, ystride, COLS, COLS); \
	else \
		ROWS_OF(t, n, s, sstride, x, xstride, ROWS, y, ystride, COLS, nc); \
}

SHAPES(f32)
SHAPES(f16)
SHAPES(bf16)

/* F16X: x rounded to F16 as F16C does it (plain C's q_fp16_f16c), back as floats */
static void
from_float_f16x(const float *x, void *y, int64_t n)
{
	__mmask16 m = 0xFFFF;
	int64_t i;

	for(i = 0; i < n; i += 16){
		if(n - i < 16)
			m = (__mmask16)((1u << (n - i)) - 1);
		_mm512_mask_storeu_ps((float *)y + i, m, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i),
			_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
	}
}

#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].gemv = gemv_##t, \
	tab[id].tile = tile_##t, tab[id].tr = ROWS, tab[id].tc = COLS

void
quant_avx512_float(QuantType *tab)
{
	SET(LB_F32, f32);
	SET(LB_F16, f16);
	tab[LB_F16].vec_dot_type = LB_F16X;
	tab[LB_F16X].from_float = from_float_f16x;
	SET(LB_BF16, bf16);
}
