/* ops.c - elementwise operations; see ops.h. */
#include <math.h>
#include <pthread.h>
#include <stddef.h>

#include "../quant/fp16.h"
#include "ops.h"

void
op_rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
	double sum = 0;
	float mean, scale;
	int i;

	for(i = 0; i < n; i++)
		sum += (double)(x[i] * x[i]);
	mean = (float)(sum / n);
	scale = 1.0f / sqrtf(mean + eps);
	for(i = 0; i < n; i++)
		y[i] = x[i] * scale * w[i];
}

void
op_rmsnorm_rows(float *x, const float *w, int n, int d, float eps)
{
	int t;

	for(t = 0; t < n; t++)
		op_rmsnorm(x + (size_t)t * d, x + (size_t)t * d, w, d, eps);
}

void
op_softmax(float *x, int n)
{
	float max = -INFINITY, sum = 0;
	int i;

	for(i = 0; i < n; i++)
		if(x[i] > max)
			max = x[i];
	for(i = 0; i < n; i++){
		x[i] = expf(x[i] - max);
		sum += x[i];
	}
	for(i = 0; i < n; i++)
		x[i] /= sum;
}

void
op_swiglu(float *g, const float *u, int n)
{
	int i;

	for(i = 0; i < n; i++)
		g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

void
op_add(float *y, const float *x, int n)
{
	int i;

	for(i = 0; i < n; i++)
		y[i] += x[i];
}

static lb_half gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

/* ggml_gelu_f32 of every binary16 value, rounded to binary16 (ggml-cpu.c's ggml_table_gelu_f16) */
static void
gelu_init(void)
{
	const float sqrt_2_over_pi = 0.79788456080286535587989211986876f, coef_a = 0.044715f;
	int i;

	for(i = 0; i < 1 << 16; i++){
		float x = lb_fp16_to_fp32((lb_half)i);
		gelu_table[i] = lb_fp32_to_fp16(0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * (1.0f + coef_a * x * x))));
	}
}

void
op_geglu(float *g, const float *u, int n)
{
	int i;

	pthread_once(&gelu_once, gelu_init);
	for(i = 0; i < n; i++){
		if(g[i] <= -10.0f)
			g[i] = 0.0f;
		else if(g[i] >= 10.0f)
			g[i] = g[i] * u[i];
		else
			g[i] = lb_fp16_to_fp32(gelu_table[lb_fp32_to_fp16(g[i])]) * u[i];
	}
}

void
op_glu(float *g, const float *u, int n, int gelu)
{
	if(gelu)
		op_geglu(g, u, n);
	else
		op_swiglu(g, u, n);
}

void
op_softcap(float *x, int n, float cap)
{
	float inv = 1.0f / cap;
	int i;

	for(i = 0; i < n; i++)
		x[i] = tanhf(x[i] * inv) * cap;
}

void
op_scale(float *x, int n, float s)
{
	int i;

	for(i = 0; i < n; i++)
		x[i] *= s;
}

void
op_add_rows(float *y, const float *b, int n, int d)
{
	int t;

	for(t = 0; t < n; t++)
		op_add(y + (size_t)t * d, b, d);
}
