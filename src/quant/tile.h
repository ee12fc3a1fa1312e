/*
 * tile.h - a tile of TILE_R weight rows times TILE_C activation rows at once.
 *
 * The x4 kernels of gemm.h decode a weight block once for four activation
 * rows; a tile also uses each activation block and its scales for TILE_R
 * weight rows, and each weight row's scales for TILE_C activation rows.
 * Every result is bit-identical to the type's vec_dot (the one quant_type()
 * currently returns), as the x4 and gemv kernels are.  The shape that works
 * best depends on the type: how many registers its unpacking needs.
 *
 *	s[r*s_stride + c] = (x + r*x_stride) . (y + c*y_stride)	r < tr, c < tc
 *
 * x rows are of the weight type, y rows of its vec_dot_type, n elements
 * each; the strides of x and y are in bytes, that of s in floats.
 */
#ifndef LB_TILE_H
#define LB_TILE_H

#include <stddef.h>
#include <stdint.h>

enum {
	TILE_R = 4, TILE_C = 4,	/* the 32-element block types */
	TILE_MAX = 16,	/* results of a tile, at most */
};

typedef void (*lb_tile_fn)(int n, float *s, size_t s_stride, const void *x, size_t x_stride,
	const void *y, size_t y_stride);

/* The tile kernel of a weight type and its shape tr x tc when AVX2 kernels are in use, else NULL. */
lb_tile_fn quant_tile(uint32_t type, int *tr, int *tc);

/* legacy_avx2.c */
void q_tile_q4_0_avx2(int n, float *s, size_t s_stride, const void *x, size_t x_stride, const void *y, size_t y_stride);
void q_tile_q4_1_avx2(int n, float *s, size_t s_stride, const void *x, size_t x_stride, const void *y, size_t y_stride);
void q_tile_q5_0_avx2(int n, float *s, size_t s_stride, const void *x, size_t x_stride, const void *y, size_t y_stride);
void q_tile_q5_1_avx2(int n, float *s, size_t s_stride, const void *x, size_t x_stride, const void *y, size_t y_stride);
void q_tile_q8_0_avx2(int n, float *s, size_t s_stride, const void *x, size_t x_stride, const void *y, size_t y_stride);

#endif
