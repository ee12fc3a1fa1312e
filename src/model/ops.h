/* ops.h - the elementwise operations of the forward pass, in llama.cpp's float arithmetic. */
#ifndef LB_OPS_H
#define LB_OPS_H

/* y = x / sqrt(mean(x^2) + eps) * w  (the sum of squares in double, as ggml) */
void op_rmsnorm(float *y, const float *x, const float *w, int n, float eps);
/* op_rmsnorm of each of n rows of d floats at x, in place, with the same weights w */
void op_rmsnorm_rows(float *x, const float *w, int n, int d, float eps);
/* x = softmax(x) in place. */
void op_softmax(float *x, int n);
/* g = silu(g) * u */
void op_swiglu(float *g, const float *u, int n);
/* g = gelu(g) * u, GELU's tanh form looked up by g rounded to binary16 (ggml's GGML_GELU_FP16) */
void op_geglu(float *g, const float *u, int n);
/* g = act(g) * u: op_geglu (gelu) or op_swiglu */
void op_glu(float *g, const float *u, int n, int gelu);
/* x = cap * tanh(x / cap): soft-capping (gemma2) */
void op_softcap(float *x, int n, float cap);
/* x *= s */
void op_scale(float *x, int n, float s);
/* each of n rows of d floats at y += b */
void op_add_rows(float *y, const float *b, int n, int d);
/* y += x */
void op_add(float *y, const float *x, int n);

#endif
