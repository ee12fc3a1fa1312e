/*
 * kquants_x86.h - what the x86 K-quant kernels share (kquants_avx2.c,
 * kquants_avx512.c): reading block fields, and the packed sub-block scales
 * of Q3_K, Q4_K and Q5_K as bytes.
 */
#ifndef LB_KQUANTS_X86_H
#define LB_KQUANTS_X86_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blocks.h"

/*
 * Weight blocks sit at any byte offset of a GGUF file: their fields are read
 * through byte pointers.  F16C's conversion is the exact value, as lb_fp16_to_fp32.
 */
#define FIELD(x, t, f) ((x) + offsetof(t, f))

static inline float
half_at(const uint8_t *p)
{
	lb_half h;

	memcpy(&h, p, sizeof h);
	return _cvtsh_ss(h);
}

/* Q3_K's sixteen 6-bit scales, less 32, as int8. */
static inline __m128i
q3_scales(const uint8_t *p)
{
	const uint32_t lo = 0x0f0f0f0f, hi = 0x03030303;
	uint32_t a[3];

	memcpy(a, p, 12);
	return _mm_sub_epi8(_mm_setr_epi32(
		(int)((a[0] & lo) | (a[2] & hi) << 4),
		(int)((a[1] & lo) | (a[2] >> 2 & hi) << 4),
		(int)((a[0] >> 4 & lo) | (a[2] >> 4 & hi) << 4),
		(int)((a[1] >> 4 & lo) | (a[2] >> 6 & hi) << 4)), _mm_set1_epi8(32));
}

/* Q4_K/Q5_K's eight 6-bit scales and eight mins as 16 bytes: scales, then mins. */
static inline __m128i
k4_scales_mins(const uint8_t *p)
{
	const uint32_t six = 0x3f3f3f3f, lo = 0x0f0f0f0f, hi = 0x03030303;
	uint32_t a[3];

	memcpy(a, p, 12);
	return _mm_setr_epi32(
		(int)(a[0] & six),
		(int)((a[2] & lo) | (a[0] >> 6 & hi) << 4),
		(int)(a[1] & six),
		(int)((a[2] >> 4 & lo) | (a[1] >> 6 & hi) << 4));
}

#endif
