/*
 * legacy_neon.c - q4_0 and q8_0 dot products with q8_0 activations for
 * aarch64 NEON (and, built again, with the dot-product extension: neon.h).
 *
 * For a weight row x and an activation row y:
 *	S_i = the integer dot product of the quants of block i (exact);
 *	d_i = dx_i*dy_i (exact in float: a product of two halves);
 *	block i goes to float chain i mod 4:  c = fma(d_i, S_i, c);
 *	the result is the sum of the four chains (vaddvq_f32).
 * Blocks go four at a time (a group), a short last group with zeros for its
 * missing blocks, which leave the chains as they are.  dot_tile does this
 * for nw weight rows against nr activation rows at once (1 x 1 for vec_dot,
 * 1 x 4 for x4, TILE_R x TILE_C for tile): each weight block is decoded once
 * for every activation row, and each (weight row, activation row) gets the
 * same arithmetic whatever the shape, so all of them give the same bits.
 */
#include <stddef.h>

#include "blocks.h"
#include "kernels.h"
#include "neon.h"

#define UNROLL _Pragma("GCC unroll 4")

enum {
	GROUP = 4,
	TILE_R = 2, TILE_C = 4,	/* the tile's shape: its chains and partial sums fit in the 32 registers */
	NW_MAX = TILE_R, NR_MAX = 4,
};

/* A weight block's 32 quants as signed bytes in element order. */
typedef int8x16x2_t Weights(const uint8_t *b);

/* the low nibbles are elements 0..15, the high ones 16..31; the value is the nibble - 8 */
INLINE int8x16x2_t
w_q4_0(const uint8_t *b)
{
	const uint8x16_t q = vld1q_u8(b + offsetof(block_q4_0, qs));
	const int8x16_t eight = vdupq_n_s8(8);
	int8x16x2_t v;

	v.val[0] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), eight);
	v.val[1] = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
	return v;
}

INLINE int8x16x2_t
w_q8_0(const uint8_t *b)
{
	int8x16x2_t v;

	v.val[0] = load16(b + offsetof(block_q8_0, qs));
	v.val[1] = load16(b + offsetof(block_q8_0, qs) + 16);
	return v;
}

/* The halves at p + k*stride for the cnt blocks of a group, 0 beyond, as floats. */
INLINE float32x4_t
halves(const uint8_t *p, size_t stride, int cnt)
{
	uint16_t h[GROUP] = { 0 };
	int k;

	for(k = 0; k < cnt; k++)
		memcpy(&h[k], p + k*stride, sizeof h[k]);
	return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

/*
 * The cnt (1..4) blocks of a group of nw weight rows (xstride apart) against
 * the same blocks of nr activation rows: acc[w][r] takes the group's terms.
 * Each block's four lanes of partial sums fold into one lane of S by
 * pairwise additions: ((p0, p1), (p2, p3)) gives [S0 S1 S2 S3].
 */
INLINE void
group_tile(float32x4_t acc[][NR_MAX], const uint8_t *x, size_t xstride, int nw,
	const uint8_t *y, size_t ystride, int nr, int cnt, Weights *weights, size_t xsize)
{
	const size_t ysize = sizeof(block_q8_0), yqs = offsetof(block_q8_0, qs);
	const int32x4_t zero = vdupq_n_s32(0);
	int8x16x2_t qx[NW_MAX], qy;
	int32x4_t p, t[NW_MAX][NR_MAX], u[NW_MAX][NR_MAX];
	float32x4_t dy;
	int b, w, r;

	UNROLL
	for(b = 0; b < GROUP; b++){
		UNROLL
		for(w = 0; w < nw; w++)
			if(b < cnt)
				qx[w] = weights(x + w*xstride + b*xsize);
		UNROLL
		for(r = 0; r < nr; r++){
			if(b < cnt){
				qy.val[0] = load16(y + r*ystride + b*ysize + yqs);
				qy.val[1] = load16(y + r*ystride + b*ysize + yqs + 16);
			}
			UNROLL
			for(w = 0; w < nw; w++){
				p = b < cnt ? dot16(dot16(zero, qx[w].val[0], qy.val[0]), qx[w].val[1], qy.val[1]) : zero;
				if(b == 0 || b == 2)
					u[w][r] = p;
				else if(b == 1)
					t[w][r] = vpaddq_s32(u[w][r], p);
				else
					t[w][r] = vpaddq_s32(t[w][r], vpaddq_s32(u[w][r], p));
			}
		}
	}
	UNROLL
	for(r = 0; r < nr; r++){
		dy = halves(y + r*ystride, ysize, cnt);
		UNROLL
		for(w = 0; w < nw; w++)
			acc[w][r] = vfmaq_f32(acc[w][r], vmulq_f32(halves(x + w*xstride, xsize, cnt), dy),
				vcvtq_f32_s32(t[w][r]));
	}
}

/* s[r*sstride + w] = (x + w*xstride) . (y + r*ystride) for w < nw, r < nr (quant.h's tile layout) */
INLINE void
dot_tile(int n, float *s, size_t sstride, const uint8_t *x, size_t xstride, int nw,
	const uint8_t *y, size_t ystride, int nr, Weights *weights, size_t xsize)
{
	const int nb = n / QK8_0;
	float32x4_t acc[NW_MAX][NR_MAX];
	int i, w, r;

	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			acc[w][r] = vdupq_n_f32(0);
	for(i = 0; i + GROUP <= nb; i += GROUP)
		group_tile(acc, x + i*xsize, xstride, nw, y + i*sizeof(block_q8_0), ystride, nr, GROUP, weights, xsize);
	if(i < nb)
		group_tile(acc, x + i*xsize, xstride, nw, y + i*sizeof(block_q8_0), ystride, nr, nb - i, weights, xsize);
	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			s[r*sstride + w] = vaddvq_f32(acc[w][r]);
}

#define DOT(t) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	dot_tile(n, s, 0, x, 0, 1, y, 0, 1, w_##t, sizeof(block_##t)); \
} \
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	dot_tile(n, s, 1, x, 0, 1, y, ystride, 4, w_##t, sizeof(block_##t)); \
} \
/* a tile of fewer than TILE_C activation rows: vec_dot on each pair (the same arithmetic) */ \
static void \
tile_##t(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	int r, c; \
\
	if(nc == TILE_C){ \
		dot_tile(n, s, sstride, x, xstride, TILE_R, y, ystride, TILE_C, w_##t, sizeof(block_##t)); \
		return; \
	} \
	for(r = 0; r < TILE_R; r++) \
		for(c = 0; c < nc; c++) \
			vec_dot_##t(n, s + c*sstride + r, (const uint8_t *)x + r*xstride, (const uint8_t *)y + c*ystride); \
}

DOT(q4_0)
DOT(q8_0)

/* no gemv kernel: the caller loops over vec_dot, the same bits */
#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].tile = tile_##t, \
	tab[id].tr = TILE_R, tab[id].tc = TILE_C, tab[id].gemv = NULL

void
TIER(legacy)(QuantType *tab)
{
	SET(LB_Q4_0, q4_0);
	SET(LB_Q8_0, q8_0);
}
