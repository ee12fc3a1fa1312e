/* fp16.h - binary16 and bfloat16 conversions, exact and round-to-nearest-even like ggml. */
#ifndef LB_FP16_H
#define LB_FP16_H

#include <stdint.h>
#include <string.h>

#include "blocks.h"

static inline float
lb_f32_from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static inline uint32_t
lb_bits_from_f32(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

/* binary16 to float: exact (the same bits ggml's table gives). */
static inline float
lb_fp16_to_fp32(lb_half h)
{
	const uint32_t w = (uint32_t)h << 16;
	const uint32_t sign = w & 0x80000000u;
	const uint32_t two_w = w + w;
	const uint32_t exp_offset = 0xE0u << 23;
	const float exp_scale = lb_f32_from_bits(0x7800000u);
	const float normalized = lb_f32_from_bits((two_w >> 4) + exp_offset) * exp_scale;
	const uint32_t magic_mask = 126u << 23;
	const float magic_bias = 0.5f;
	const float denormalized = lb_f32_from_bits((two_w >> 17) | magic_mask) - magic_bias;
	const uint32_t denormalized_cutoff = 1u << 27;
	const uint32_t result = sign |
		(two_w < denormalized_cutoff ? lb_bits_from_f32(denormalized) : lb_bits_from_f32(normalized));
	return lb_f32_from_bits(result);
}

/* float to binary16, round to nearest even (as ggml's GGML_FP32_TO_FP16 without F16C). */
static inline lb_half
lb_fp32_to_fp16(float f)
{
	const float scale_to_inf = lb_f32_from_bits(0x77800000u);
	const float scale_to_zero = lb_f32_from_bits(0x08800000u);
	float base = (f < 0 ? -f : f) * scale_to_inf * scale_to_zero;
	const uint32_t w = lb_bits_from_f32(f);
	const uint32_t shl1_w = w + w;
	const uint32_t sign = w & 0x80000000u;
	uint32_t bias = shl1_w & 0xFF000000u;
	uint32_t bits, exp_bits, mantissa_bits, nonsign;

	if(bias < 0x71000000u)
		bias = 0x71000000u;
	base = lb_f32_from_bits((bias >> 1) + 0x07800000u) + base;
	bits = lb_bits_from_f32(base);
	exp_bits = (bits >> 13) & 0x00007C00u;
	mantissa_bits = bits & 0x00000FFFu;
	nonsign = exp_bits + mantissa_bits;
	return (lb_half)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

static inline float
lb_bf16_to_fp32(lb_bf16 h)
{
	return lb_f32_from_bits((uint32_t)h << 16);
}

/* float to bfloat16, round to nearest even; NaN stays NaN (as ggml). */
static inline lb_bf16
lb_fp32_to_bf16(float f)
{
	uint32_t u = lb_bits_from_f32(f);

	if((u & 0x7fffffffu) > 0x7f800000u)
		return (lb_bf16)((u >> 16) | 64);
	return (lb_bf16)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

#endif
