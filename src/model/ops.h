/* ops.h - the elementwise operations of the llama forward pass, in llama.cpp's float arithmetic. */
#ifndef LB_OPS_H
#define LB_OPS_H

/* y = x / sqrt(mean(x^2) + eps) * w  (the sum of squares in double, as ggml) */
void op_rmsnorm(float *y, const float *x, const float *w, int n, float eps);
/* Rotates pairs (2i, 2i+1) of each of nh heads of size hd by pos * freq_i (llama's "normal" RoPE). */
void op_rope(float *x, int nh, int hd, int n_rot, int pos, float base, float freq_scale, const float *freq_factors);
/* x = softmax(x) in place. */
void op_softmax(float *x, int n);
/* g = silu(g) * u */
void op_swiglu(float *g, const float *u, int n);
/* y += x */
void op_add(float *y, const float *x, int n);

#endif
