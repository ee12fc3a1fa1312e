/*
 * kernels.h - the per-type functions behind quant_type(), named q_<op>_<type>,
 * and the kernel tiers built on them.
 *
 * The plain C functions are tier 0, the reference.  Each further tier is a set
 * of files named *_<tier>.c, compiled with that tier's instruction set flags
 * (the Makefile's TIER_FLAGS_<tier>) and only on machines of its architecture;
 * their fill functions override entries of a table that starts as a copy of
 * the tier below, and tiers.c lists them with the CPU test that guards them.
 * A tier that replaces a type's vec_dot replaces or clears its other shapes
 * too (quant.h: each bit-identical to vec_dot), and may give the type another
 * vec_dot_type, the form its kernels want the activations in (as the AVX-512
 * tier gives the 32-element types q8x); its conversions give the plain bytes.
 * So adding a tier is new files plus entries in tiers.c.
 */
#ifndef LB_KERNELS_H
#define LB_KERNELS_H

#include <stdint.h>

#include "quant.h"

#define Q_DECL(t) \
	void q_to_float_##t(const void *x, float *y, int64_t n); \
	void q_from_float_##t(const float *x, void *y, int64_t n);

/* float.c: F32, F16, BF16 (vec_dot_type is the same type, or F16X in tiers that say so) */
Q_DECL(f32) Q_DECL(f16) Q_DECL(bf16)
void q_from_float_f16x(const float *x, void *y, int64_t n);
void q_vec_dot_f32(int n, float *s, const void *x, const void *y);
void q_vec_dot_f16(int n, float *s, const void *x, const void *y);
void q_vec_dot_bf16(int n, float *s, const void *x, const void *y);

/* legacy.c: 32-element blocks; q4_0, q5_0, q8_0 dot with q8_0; q4_1, q5_1 with q8_1 (or q8x, in tiers that say so) */
Q_DECL(q4_0) Q_DECL(q4_1) Q_DECL(q5_0) Q_DECL(q5_1) Q_DECL(q8_0) Q_DECL(q8_1) Q_DECL(q8x)
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

/* iquants.c: the 4-bit non-linear types; iq4_nl dots with q8_0, iq4_xs with q8_K */
Q_DECL(iq4_nl) Q_DECL(iq4_xs)
void q_vec_dot_iq4_nl(int n, float *s, const void *x, const void *y);
void q_vec_dot_iq4_xs(int n, float *s, const void *x, const void *y);

/* A tier's fill function: overrides entries of the table (indexed by type id). */
typedef void lb_fill_fn(QuantType *tab);

enum { TIER_FILLS = 8 };

typedef struct Tier {
	const char *name;
	int (*cpu_runs)(void);	/* NULL: every CPU */
	lb_fill_fn *fill[TIER_FILLS];	/* called in order, NULL-terminated */
} Tier;

/* tiers.c: plain C first, then the tiers of this build's architecture, each on top of the one before */
extern const Tier quant_tiers[];
extern const int quant_ntiers_built;

/* AVX2 + FMA + F16C (x86) */
lb_fill_fn quant_avx2_float;	/* float_avx2.c */
lb_fill_fn quant_avx2_legacy;	/* legacy_avx2.c */
lb_fill_fn quant_avx2_gemv;	/* gemv_avx2.c */
lb_fill_fn quant_avx2_kquants;	/* kquants_avx2.c */
lb_fill_fn quant_avx2_iquants;	/* iquants_avx2.c */
/* AVX-512 F, BW, VL, DQ, VNNI (x86), on top of AVX2 */
lb_fill_fn quant_avx512_float;	/* float_avx512.c */
lb_fill_fn quant_avx512_legacy;	/* legacy_avx512.c */
lb_fill_fn quant_avx512_kquants;	/* kquants_avx512.c */

/* aarch64: NEON (every CPU), and the same files built with the dot-product extension (neon.h) */
lb_fill_fn quant_neon_float, quant_dotprod_float;	/* float_neon.c */
lb_fill_fn quant_neon_legacy, quant_dotprod_legacy;	/* legacy_neon.c */
lb_fill_fn quant_neon_kquants, quant_dotprod_kquants;	/* kquants_neon.c */

#endif
