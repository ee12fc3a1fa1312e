/*
 * quant.h - tensor types: what a row of each holds, and the operations the
 * engine needs on it, in the kernels of the best tier this CPU runs.
 *
 * A matrix-vector product on weights of type T is done as llama.cpp does it:
 * the activations are first converted to T's vec_dot_type (Q8_0, Q8_1, Q8_K,
 * F16, BF16 or F32), then each weight row is dotted with them.  to_float is
 * the exact decoder (the reference path, and token embedding lookups).
 *
 * Besides vec_dot, a type may have the same products in the other shapes the
 * engine uses; each of their results is bit-identical to vec_dot's (of the
 * same tier), so a batch gives exactly the logits of token-by-token
 * evaluation, whatever the shape each product was made in:
 *
 *   x4    one weight row x against four activation rows (prompt processing):
 *         s[r] = x . (y + r*y_stride), r < 4, y_stride in bytes;
 *   gemv  many weight rows against one activation row (generation):
 *         s[r] = (x + r*x_stride) . y, r < nr, x_stride in bytes; the kernel
 *         works the activation once (its block sums and scales) and then
 *         reads the weight rows one after another, as one stream: rows read
 *         in lockstep would be several streams, served at half the bandwidth;
 *   tile  tr weight rows against nc <= tc activation rows (prompt processing):
 *         s[c*s_stride + r] = (x + r*x_stride) . (y + c*y_stride), r < tr,
 *         c < nc (s as the engine's output rows are: an activation row's
 *         results together); it also shares each activation block's scales
 *         among the weight rows.  The best shape depends on the type (how
 *         many registers its unpacking needs).
 *
 * x rows are of the type, in place (any byte offset and stride: GGUF data
 * in the mapped file), y rows of its vec_dot_type, n elements each.  A
 * shape a tier has no kernel for is NULL: the caller loops over vec_dot.
 */
#ifndef LB_QUANT_H
#define LB_QUANT_H

#include <stddef.h>
#include <stdint.h>

enum {	/* ggml's type ids, as stored in GGUF (those below LB_NTYPES), then the engine's own */
	LB_F32 = 0, LB_F16 = 1, LB_Q4_0 = 2, LB_Q4_1 = 3, LB_Q5_0 = 6, LB_Q5_1 = 7,
	LB_Q8_0 = 8, LB_Q8_1 = 9, LB_Q2_K = 10, LB_Q3_K = 11, LB_Q4_K = 12, LB_Q5_K = 13,
	LB_Q6_K = 14, LB_Q8_K = 15, LB_IQ4_NL = 20, LB_IQ4_XS = 23, LB_BF16 = 30, LB_NTYPES = 43,
	LB_Q8X = LB_NTYPES,	/* activations: q8_0 and q8_1 in one block, scales as floats (blocks.h) */
	LB_F16X,	/* activations: F16's values, kept as floats (no conversion in the kernels) */
	/* rows repacked by a tier, sixteen at a time: the same bytes per row, in the tier's own order */
	LB_Q4_0P, LB_Q4_1P, LB_Q5_0P, LB_Q5_1P, LB_Q8_0P, LB_Q4_KP, LB_Q6_KP, LB_IQ4_NLP,
	LB_NALLTYPES
};

typedef void (*lb_to_float_fn)(const void *x, float *y, int64_t n);	/* n % blck == 0 */
typedef void (*lb_from_float_fn)(const float *x, void *y, int64_t n);	/* n % blck == 0 */
typedef void (*lb_vec_dot_fn)(int n, float *s, const void *x, const void *y);	/* *s = x . y; x of this type, y of vec_dot_type */
typedef void (*lb_vec_dot_x4_fn)(int n, float *s, const void *x, const void *y, size_t y_stride);
typedef void (*lb_gemv_fn)(int n, float *s, const void *x, size_t x_stride, const void *y, int nr);
typedef void (*lb_tile_fn)(int n, float *s, size_t s_stride, const void *x, size_t x_stride,
	const void *y, size_t y_stride, int nc);
/* nrows (a multiple of the packed type's tr) rows of n elements, x_stride apart, into dst (their bytes, packed) */
typedef void (*lb_repack_fn)(int n, const void *x, size_t x_stride, int nrows, void *dst);

typedef struct QuantType {
	const char *name;
	int blck;	/* elements per block */
	size_t size;	/* bytes per block */
	uint32_t vec_dot_type;
	lb_to_float_fn to_float;
	lb_from_float_fn from_float;	/* a reference quantizer: synthetic models, activations */
	lb_vec_dot_fn vec_dot;
	lb_vec_dot_x4_fn x4;	/* the other shapes (above), or NULL */
	lb_gemv_fn gemv;
	lb_tile_fn tile;
	int tr, tc;	/* the tile's shape */
	/*
	 * A tier may keep a type's rows repacked, tr of them at a time, in a layout
	 * its kernels read faster (a packed type: the same bytes per row, rows a
	 * multiple of tr, only gemv and tile, each result the bits the source
	 * type's vec_dot gives): packed is its id (0: none), repack makes it.
	 */
	uint32_t packed;
	lb_repack_fn repack;
} QuantType;

/* The type's traits in the tier in use, or NULL if the type is not supported; a file's type must be below LB_NTYPES. */
const QuantType *quant_type(uint32_t type);
/* Bytes of a row of n elements; 0 if n is not a multiple of the block size or the type is unknown. */
size_t quant_row_size(uint32_t type, int64_t n);

/*
 * Kernel tiers: 0 is plain C, which every build has and every CPU runs; the
 * others (AVX2, AVX-512, ...) are those this build has and this CPU runs, each
 * building on the one below it.  The best is used unless LLAMBO_KERNELS names
 * another ("plain", "avx2", ...); tests force each in turn.  Results differ
 * between tiers only in float summation order.
 */
int quant_ntiers(void);
const char *quant_tier_name(int tier);
int quant_tier(void);	/* the tier in use */
void quant_use_tier(int tier);	/* beyond the last: the last */

#endif
