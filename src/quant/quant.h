/*
 * quant.h - tensor types: what a row of each holds, and the three operations
 * the engine needs on it.
 *
 * A matrix-vector product on weights of type T is done as llama.cpp does it:
 * the activations are first converted to T's vec_dot_type (Q8_0, Q8_1, Q8_K,
 * F16, BF16 or F32), then each weight row is dotted with them.  to_float is
 * the exact decoder (the reference path, and token embedding lookups).
 */
#ifndef LB_QUANT_H
#define LB_QUANT_H

#include <stddef.h>
#include <stdint.h>

enum {	/* ggml's type ids, as stored in GGUF */
	LB_F32 = 0, LB_F16 = 1, LB_Q4_0 = 2, LB_Q4_1 = 3, LB_Q5_0 = 6, LB_Q5_1 = 7,
	LB_Q8_0 = 8, LB_Q8_1 = 9, LB_Q2_K = 10, LB_Q3_K = 11, LB_Q4_K = 12, LB_Q5_K = 13,
	LB_Q6_K = 14, LB_Q8_K = 15, LB_BF16 = 30, LB_NTYPES = 43
};

typedef void (*lb_to_float_fn)(const void *x, float *y, int64_t n);	/* n % blck == 0 */
typedef void (*lb_from_float_fn)(const float *x, void *y, int64_t n);	/* n % blck == 0 */
typedef void (*lb_vec_dot_fn)(int n, float *s, const void *x, const void *y);	/* *s = x . y; x of this type, y of vec_dot_type */

typedef struct QuantType {
	const char *name;
	int blck;	/* elements per block */
	size_t size;	/* bytes per block */
	uint32_t vec_dot_type;
	lb_to_float_fn to_float;
	lb_from_float_fn from_float;	/* a reference quantizer: synthetic models, activations */
	lb_vec_dot_fn vec_dot;
} QuantType;

/* The type's traits with the best kernels this CPU has, or NULL if the type is not supported. */
const QuantType *quant_type(uint32_t type);
/* Bytes of a row of n elements; 0 if n is not a multiple of the block size or the type is unknown. */
size_t quant_row_size(uint32_t type, int64_t n);
/* 1 if AVX2+FMA+F16C kernels are in use. */
int quant_simd(void);
/* 0 forces the plain C kernels (tests compare both); 1 restores the CPU's best. */
void quant_use_simd(int on);

#endif
