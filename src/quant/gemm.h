/*
 * gemm.h - one weight row dotted with four activation rows at once.
 *
 * Prompt processing multiplies each weight row with many activation rows; the
 * x4 kernels unpack (or convert) a weight block once and use it for four rows,
 * which saves most of the unpacking and three quarters of the weight reads.
 * Legacy block types and F32/F16/BF16 here; the K-quants in gemm_k.h.  The result
 * for each row is bit-identical to the type's vec_dot (the one quant_type()
 * currently returns), so a batch gives exactly the logits of token-by-token
 * evaluation.
 *
 *	s[r] = x . (y + r*y_stride)	r = 0..3, y_stride in bytes
 *
 * x is a row of the weight type, y rows of its vec_dot_type, n elements each.
 */
#ifndef LB_GEMM_H
#define LB_GEMM_H

#include <stddef.h>
#include <stdint.h>

typedef void (*lb_vec_dot_x4_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);

/* The x4 kernel of a weight type that matches quant_type(type)->vec_dot, or NULL when the type has none. */
lb_vec_dot_x4_fn quant_vec_dot_x4(uint32_t type);

/* gemm.c: plain C, four calls of the type's vec_dot */
void q_vec_dot_f32_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_f16_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_bf16_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q4_0_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q4_1_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q5_0_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q5_1_x4(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q8_0_x4(int n, float *s, const void *x, const void *y, size_t y_stride);

/* float_avx2.c */
void q_vec_dot_f32_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_f16_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_bf16_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);

/* legacy_avx2.c */
void q_vec_dot_q4_0_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q4_1_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q5_0_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q5_1_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q8_0_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);

#endif
