/* ops.c - elementwise operations; see ops.h. */
#include <math.h>

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
op_rope(float *x, int nh, int hd, int n_rot, int pos, float base, float freq_scale, const float *freq_factors)
{
	float theta_scale = powf(base, -2.0f / n_rot);
	float cs[2 * 512];	/* cos, sin per pair; n_rot <= 1024 is checked at load */
	float theta = (float)pos;
	int i, h;

	for(i = 0; i < n_rot; i += 2){
		float ff = freq_factors ? freq_factors[i / 2] : 1.0f;
		float t = freq_scale * (theta / ff);
		cs[i] = cosf(t);
		cs[i + 1] = sinf(t);
		theta *= theta_scale;
	}
	for(h = 0; h < nh; h++){
		float *v = x + (long)h * hd;
		for(i = 0; i < n_rot; i += 2){
			float x0 = v[i], x1 = v[i + 1];
			v[i] = x0 * cs[i] - x1 * cs[i + 1];
			v[i + 1] = x0 * cs[i + 1] + x1 * cs[i];
		}
	}
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
