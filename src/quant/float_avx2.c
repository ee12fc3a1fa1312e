/*
 * float_avx2.c - F32, F16 and BF16 kernels for AVX2 + FMA + F16C.
 *
 * The dot products keep four 8-lane float accumulators over 32 elements a step,
 * as ggml's ggml_vec_dot_f16/f32 do on AVX2; products of halves and of bfloat16
 * are exact in float, so FMA gives the same sums as multiply-then-add.
 * Conversions are the F16C instructions, the same bits as float.c.
 */
#include <immintrin.h>
#include <string.h>

#include "avx2.h"
#include "blocks.h"
#include "kernels.h"
#include "qconv.h"
#include "quant.h"

/* the loads are passed to dot32 and widen as functions: inlined, they cost nothing */
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

/* sum of a[i]*b[i] over the first n - n%32 elements; *done is set to that count */
INLINE float
dot32(int n, const uint8_t *a, const uint8_t *b, int esize, __m256 (*load)(const uint8_t *), int *done)
{
	__m256 acc[4];
	int i, k;

	for(k = 0; k < 4; k++)
		acc[k] = _mm256_setzero_ps();
	for(i = 0; i + 32 <= n; i += 32)
		for(k = 0; k < 4; k++)
			acc[k] = _mm256_fmadd_ps(load(a + (i + 8*k)*esize), load(b + (i + 8*k)*esize), acc[k]);
	*done = i;
	return avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

static void
vec_dot_f32(int n, float *s, const void *x, const void *y)
{
	float sum, a, b;
	int i;

	sum = dot32(n, x, y, 4, load_f32, &i);
	for(; i < n; i++){
		memcpy(&a, (const uint8_t *)x + 4*i, sizeof a);
		memcpy(&b, (const uint8_t *)y + 4*i, sizeof b);
		sum += a*b;
	}
	*s = sum;
}

static void
vec_dot_f16(int n, float *s, const void *x, const void *y)
{
	const uint8_t *a = x, *b = y;
	double sum;
	int i;

	sum = dot32(n, a, b, 2, load_f16, &i);
	for(; i < n; i++)
		sum += avx2_half(a + 2*i) * avx2_half(b + 2*i);
	*s = (float)sum;
}

static void
vec_dot_bf16(int n, float *s, const void *x, const void *y)
{
	const uint8_t *a = x, *b = y;
	double sum;
	lb_bf16 ha, hb;
	int i;

	sum = dot32(n, a, b, 2, load_bf16, &i);
	for(; i < n; i++){
		memcpy(&ha, a + 2*i, 2);
		memcpy(&hb, b + 2*i, 2);
		sum += lb_bf16_to_fp32(ha) * lb_bf16_to_fp32(hb);
	}
	*s = (float)sum;
}

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
quant_avx2_float(struct QuantType *tab)
{
	tab[LB_F32].vec_dot = vec_dot_f32;
	tab[LB_F16].vec_dot = vec_dot_f16;
	tab[LB_F16].to_float = to_float_f16;
	tab[LB_F16].from_float = from_float_f16;
	tab[LB_BF16].vec_dot = vec_dot_bf16;
	tab[LB_BF16].to_float = to_float_bf16;
}
