/*
 * gemv.h - many weight rows dotted with one activation row: the matrix-vector
 * products of token generation.
 *
 *	s[r] = (x + r*x_stride) . y	r = 0..nr-1, x_stride in bytes
 *
 * x rows of the weight type, in place (any byte offset and stride: GGUF data
 * from the mmapped file), y one row of its vec_dot_type, n elements each.
 * Each s[r] is bit-identical to the type's vec_dot (the one quant_type()
 * currently returns), so generation gives exactly the logits of a batch.
 *
 * The kernels work the activation row once per call (its block sums and
 * scales) and then take the weight rows one after another: rows read in
 * lockstep would be several interleaved streams, which the memory system
 * serves at half the bandwidth of one sequential stream.  So the more rows a
 * call has the better; LB_GEMV_ROWS or more amortize the activation's share.
 */
#ifndef LB_GEMV_H
#define LB_GEMV_H

#include <stddef.h>
#include <stdint.h>

typedef void (*lb_gemv_fn)(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);

enum { LB_GEMV_ROWS = 16 };

/* The gemv kernel of a weight type matching quant_type(type)->vec_dot, or NULL if the type has no vec_dot. */
lb_gemv_fn quant_gemv(uint32_t type);

/* A row at a time with a vec_dot: the gemv of the plain C kernels, and of AVX2 ones without a kernel of their own. */
#define GEMV_ROWS(name, dot) \
void \
name(int n, float *s, const void *x, size_t x_stride, const void *y, int nr) \
{ \
	int r; \
\
	for(r = 0; r < nr; r++) \
		dot(n, s + r, (const char *)x + (size_t)r*x_stride, y); \
}

/* gemv_avx2.c: the 32-element block types */
void q_gemv_q4_0_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q4_1_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q5_0_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q5_1_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q8_0_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
/* float_avx2.c */
void q_gemv_f32_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_f16_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_bf16_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
/* kquants_avx2.c */
void q_gemv_q2_K_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q3_K_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q4_K_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q5_K_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
void q_gemv_q6_K_avx2(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);

#endif
