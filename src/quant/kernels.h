/*
 * kernels.h - the per-type functions behind quant_type(), named q_<op>_<type>.
 * Plain C versions are the reference; *_avx2 versions (files *_avx2.c, compiled
 * with -mavx2 -mfma -mf16c) are chosen at run time when the CPU has them, and
 * must give the same results up to float summation order.
 */
#ifndef LB_KERNELS_H
#define LB_KERNELS_H

#include <stdint.h>

#define Q_DECL(t) \
	void q_to_float_##t(const void *x, float *y, int64_t n); \
	void q_from_float_##t(const float *x, void *y, int64_t n);

/* float.c: F32, F16, BF16 (vec_dot_type is the same type) */
Q_DECL(f32) Q_DECL(f16) Q_DECL(bf16)
void q_vec_dot_f32(int n, float *s, const void *x, const void *y);
void q_vec_dot_f16(int n, float *s, const void *x, const void *y);
void q_vec_dot_bf16(int n, float *s, const void *x, const void *y);

/* legacy.c: 32-element blocks; q4_0, q5_0, q8_0 dot with q8_0; q4_1, q5_1 with q8_1 */
Q_DECL(q4_0) Q_DECL(q4_1) Q_DECL(q5_0) Q_DECL(q5_1) Q_DECL(q8_0) Q_DECL(q8_1)
void q_vec_dot_q4_0(int n, float *s, const void *x, const void *y);
void q_vec_dot_q4_1(int n, float *s, const void *x, const void *y);
void q_vec_dot_q5_0(int n, float *s, const void *x, const void *y);
void q_vec_dot_q5_1(int n, float *s, const void *x, const void *y);
void q_vec_dot_q8_0(int n, float *s, const void *x, const void *y);

/* kquants.c: 256-element super-blocks, all dot with q8_K */
Q_DECL(q2_K) Q_DECL(q3_K) Q_DECL(q4_K) Q_DECL(q5_K) Q_DECL(q6_K) Q_DECL(q8_K)
void q_vec_dot_q2_K(int n, float *s, const void *x, const void *y);
void q_vec_dot_q3_K(int n, float *s, const void *x, const void *y);
void q_vec_dot_q4_K(int n, float *s, const void *x, const void *y);
void q_vec_dot_q5_K(int n, float *s, const void *x, const void *y);
void q_vec_dot_q6_K(int n, float *s, const void *x, const void *y);

/*
 * The AVX2 files override entries of the table they are given (indexed by type id):
 * any of to_float, from_float, vec_dot they speed up.  Called once, only when the CPU
 * has AVX2, FMA and F16C.
 */
struct QuantType;
void quant_avx2_float(struct QuantType *tab);	/* float_avx2.c */
void quant_avx2_legacy(struct QuantType *tab);	/* legacy_avx2.c */
void quant_avx2_kquants(struct QuantType *tab);	/* kquants_avx2.c */

#endif
