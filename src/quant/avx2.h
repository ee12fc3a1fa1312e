/* avx2.h - small AVX2/F16C helpers of the *_avx2.c kernels (include only from those). */
#ifndef LB_AVX2_H
#define LB_AVX2_H

#if !defined(__AVX2__) || !defined(__F16C__)
#error "avx2.h is for the files compiled with -mavx2 -mfma -mf16c"
#endif

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* The binary16 at p (any alignment) as a float. */
static inline float
avx2_half(const uint8_t *p)
{
	uint16_t h;

	memcpy(&h, p, sizeof h);
	return _cvtsh_ss(h);
}

static inline float
avx2_hsum(__m256 v)
{
	__m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	r = _mm_add_ps(r, _mm_movehl_ps(r, r));
	r = _mm_add_ss(r, _mm_movehdup_ps(r));
	return _mm_cvtss_f32(r);
}

#endif
