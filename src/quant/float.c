/*
 * float.c - F32, F16 and BF16 rows in plain C.
 *
 * Conversions are exact one way and round to nearest even the other (F16 as
 * the F16C instruction does it, BF16 as ggml does).  Dot products sum the float
 * products in double, as ggml's scalar ggml_vec_dot_* do; the product of two
 * halves or two bfloat16 is exact in float, so only the summation can differ
 * from the AVX2 versions.  Elements are read with memcpy: a row need not be
 * aligned to its element size.
 */
#include <string.h>

#include "blocks.h"
#include "kernels.h"
#include "qconv.h"

static float
f32_at(const void *p, int64_t i)
{
	float f;

	memcpy(&f, (const uint8_t *)p + 4*i, sizeof f);
	return f;
}

static uint16_t
u16_at(const void *p, int64_t i)
{
	uint16_t h;

	memcpy(&h, (const uint8_t *)p + 2*i, sizeof h);
	return h;
}

static void
u16_put(void *p, int64_t i, uint16_t h)
{
	memcpy((uint8_t *)p + 2*i, &h, sizeof h);
}

void
q_to_float_f32(const void *x, float *y, int64_t n)
{
	memcpy(y, x, (size_t)n * sizeof(float));
}

void
q_from_float_f32(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t)n * sizeof(float));
}

void
q_to_float_f16(const void *x, float *y, int64_t n)
{
	int64_t i;

	for(i = 0; i < n; i++)
		y[i] = lb_fp16_to_fp32(u16_at(x, i));
}

void
q_from_float_f16(const float *x, void *y, int64_t n)
{
	int64_t i;

	for(i = 0; i < n; i++)
		u16_put(y, i, q_fp16_f16c(x[i]));
}

/* Bits, not float arithmetic: a signalling NaN must come out unchanged, as from ggml's shift. */
void
q_to_float_bf16(const void *x, float *y, int64_t n)
{
	uint32_t u;
	int64_t i;

	for(i = 0; i < n; i++){
		u = (uint32_t)u16_at(x, i) << 16;
		memcpy(y + i, &u, sizeof u);
	}
}

void
q_from_float_bf16(const float *x, void *y, int64_t n)
{
	int64_t i;

	for(i = 0; i < n; i++)
		u16_put(y, i, lb_fp32_to_bf16(x[i]));
}

void
q_vec_dot_f32(int n, float *s, const void *x, const void *y)
{
	double sum = 0;
	int i;

	for(i = 0; i < n; i++)
		sum += f32_at(x, i) * f32_at(y, i);
	*s = (float)sum;
}

void
q_vec_dot_f16(int n, float *s, const void *x, const void *y)
{
	double sum = 0;
	int i;

	for(i = 0; i < n; i++)
		sum += lb_fp16_to_fp32(u16_at(x, i)) * lb_fp16_to_fp32(u16_at(y, i));
	*s = (float)sum;
}

void
q_vec_dot_bf16(int n, float *s, const void *x, const void *y)
{
	double sum = 0;
	int i;

	for(i = 0; i < n; i++)
		sum += lb_bf16_to_fp32(u16_at(x, i)) * lb_bf16_to_fp32(u16_at(y, i));
	*s = (float)sum;
}

/* F16X: the values F16 holds, as floats (the activations of F16 weights in tiers that want floats; to_float is F32's) */
void
q_from_float_f16x(const float *x, void *y, int64_t n)
{
	float f;
	int64_t i;

	for(i = 0; i < n; i++){
		f = lb_fp16_to_fp32(q_fp16_f16c(x[i]));
		memcpy((uint8_t *)y + 4*i, &f, sizeof f);
	}
}
