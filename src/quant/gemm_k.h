/*
 * gemm_k.h - the K-quants' x4 kernels: one weight row dotted with four Q8_K
 * activation rows at once (see gemm.h for the contract: lb_vec_dot_x4_fn,
 * each result bit-identical to the type's vec_dot).  Only AVX2 versions
 * exist: in plain C an x4 kernel would be four vec_dot calls.
 */
#ifndef LB_GEMM_K_H
#define LB_GEMM_K_H

#include "gemm.h"

/* The x4 kernel of a K-quant weight type when AVX2 kernels are in use, else NULL. */
lb_vec_dot_x4_fn quant_vec_dot_x4_k(uint32_t type);

/* kquants_avx2.c */
void q_vec_dot_q2_K_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q3_K_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q4_K_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q5_K_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);
void q_vec_dot_q6_K_x4_avx2(int n, float *s, const void *x, const void *y, size_t y_stride);

#endif
