/*
 * kquants_neon.c - Q4_K and Q6_K dot products with Q8_K activations for
 * aarch64 NEON (and, built again, with the dot-product extension: neon.h).
 *
 * A super-block's quants are unpacked into sixteen vectors of signed bytes
 * once for every activation row (1 for vec_dot, 4 for x4); each row's sums
 * are exact integers (the products of a sub-block, times its scale, and the
 * mins times the activation's block sums), and the float operations on them
 * are plain C's (kquants.c): y.d*d*isum - y.d*dmin*msum, summed over the
 * super-blocks in order.  So each row gets the same bits whatever the shape.
 */
#include <stddef.h>

#include "blocks.h"
#include "kernels.h"
#include "neon.h"

#define UNROLL _Pragma("GCC unroll 4")
#define FIELD(x, t, f) ((x) + offsetof(t, f))

enum { NR_MAX = 4 };

/* A super-block unpacked: q[k] holds quants 16k .. 16k+15, with scale sc[k] and min m[k]. */
typedef struct {
	int8x16_t q[QK_K/16];
	int32_t sc[QK_K/16], m[QK_K/16];
	float d, dmin;
} Unpacked;

/* Q4_K: each 32 bytes of qs hold 64 quants, 32 in the low nibbles, the next 32 in the high ones */
INLINE void
unpack_q4_K(const uint8_t *x, Unpacked *u)
{
	const uint8_t *p = FIELD(x, block_q4_K, scales), *qs = FIELD(x, block_q4_K, qs);
	const uint8x16_t low = vdupq_n_u8(0x0F);
	uint8x16_t a, b;
	int j, sc, m;

	u->d = neon_half(FIELD(x, block_q4_K, d));
	u->dmin = neon_half(FIELD(x, block_q4_K, dmin));
	for(j = 0; j < QK_K/32; j++){	/* the 6-bit scale and min of each 32 */
		if(j < 4){
			sc = p[j] & 63;
			m = p[j+4] & 63;
		}else{
			sc = (p[j+4] & 0xF) | (p[j-4] >> 6) << 4;
			m = (p[j+4] >> 4) | (p[j] >> 6) << 4;
		}
		u->sc[2*j] = u->sc[2*j+1] = sc;
		u->m[2*j] = u->m[2*j+1] = m;
	}
	UNROLL
	for(j = 0; j < QK_K/64; j++){
		a = vld1q_u8(qs + 32*j);
		b = vld1q_u8(qs + 32*j + 16);
		u->q[4*j] = vreinterpretq_s8_u8(vandq_u8(a, low));
		u->q[4*j+1] = vreinterpretq_s8_u8(vandq_u8(b, low));
		u->q[4*j+2] = vreinterpretq_s8_u8(vshrq_n_u8(a, 4));
		u->q[4*j+3] = vreinterpretq_s8_u8(vshrq_n_u8(b, 4));
	}
}

/*
 * Q6_K: per 128 quants, ql[0..31]'s low and high nibbles are quants 0 and 64
 * on, ql[32..63]'s are 32 and 96 on, and qh[l]'s bit pairs 0, 2, 4, 6 are the
 * top two bits of quants l, l+32, l+64, l+96; the value is the 6 bits - 32.
 */
INLINE void
unpack_q6_K(const uint8_t *x, Unpacked *u)
{
	const uint8_t *ql, *qh;
	const int8_t *scales = (const int8_t *)FIELD(x, block_q6_K, scales);
	const uint8x16_t low = vdupq_n_u8(0x0F), top = vdupq_n_u8(0x30);
	const int8x16_t off = vdupq_n_s8(32);
	uint8x16_t l0, l32, h;
	int j, k;

	u->d = neon_half(FIELD(x, block_q6_K, d));
	u->dmin = 0;
	for(k = 0; k < QK_K/16; k++){
		u->sc[k] = scales[k];
		u->m[k] = 0;
	}
	UNROLL
	for(j = 0; j < QK_K/128; j++)
		UNROLL
		for(k = 0; k < 2; k++){	/* quants 16k .. 16k+15 of each 32 */
			ql = FIELD(x, block_q6_K, ql) + 64*j + 16*k;
			qh = FIELD(x, block_q6_K, qh) + 32*j + 16*k;
			l0 = vld1q_u8(ql);
			l32 = vld1q_u8(ql + 32);
			h = vld1q_u8(qh);
			u->q[8*j+k] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l0, low),
				vandq_u8(vshlq_n_u8(h, 4), top))), off);
			u->q[8*j+2+k] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l32, low),
				vandq_u8(vshlq_n_u8(h, 2), top))), off);
			u->q[8*j+4+k] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l0, 4),
				vandq_u8(h, top))), off);
			u->q[8*j+6+k] = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(l32, 4),
				vandq_u8(vshrq_n_u8(h, 2), top))), off);
		}
}

/* The super-block's dot product with the Q8_K block at yb, as kquants.c's kblock_dot. */
INLINE float
block_dot(const Unpacked *u, const uint8_t *yb, int hasmin)
{
	const int8_t *yq = (const int8_t *)FIELD(yb, block_q8_K, qs);
	int32x4_t acc = vdupq_n_s32(0);
	int32_t isum, msum = 0;
	int16_t bsums[QK_K/16];
	float yd;
	int k;

	UNROLL
	for(k = 0; k < QK_K/16; k++)
		acc = vmlaq_n_s32(acc, dot16(vdupq_n_s32(0), u->q[k], vld1q_s8(yq + 16*k)), u->sc[k]);
	isum = vaddvq_s32(acc);
	memcpy(&yd, FIELD(yb, block_q8_K, d), sizeof yd);
	if(!hasmin)
		return yd * u->d * (float)isum;
	memcpy(bsums, FIELD(yb, block_q8_K, bsums), sizeof bsums);
	for(k = 0; k < QK_K/16; k++)
		msum += u->m[k] * bsums[k];
	return yd * u->d * (float)isum - yd * u->dmin * (float)msum;
}

/* s[r] = x . (y + r*ystride) for r < nr */
INLINE void
dot_rows(int n, float *s, const uint8_t *x, size_t xsize, const uint8_t *y, size_t ystride, int nr,
	void (*unpack)(const uint8_t *, Unpacked *), int hasmin)
{
	float sum[NR_MAX] = { 0 };
	Unpacked u;
	int i, r;

	for(i = 0; i < n/QK_K; i++){
		unpack(x + i*xsize, &u);
		UNROLL
		for(r = 0; r < nr; r++)
			sum[r] += block_dot(&u, y + r*ystride + i*sizeof(block_q8_K), hasmin);
	}
	for(r = 0; r < nr; r++)
		s[r] = sum[r];
}

#define DOT(t, hasmin) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	dot_rows(n, s, x, sizeof(block_##t), y, 0, 1, unpack_##t, hasmin); \
} \
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	dot_rows(n, s, x, sizeof(block_##t), y, ystride, 4, unpack_##t, hasmin); \
}

DOT(q4_K, 1)
DOT(q6_K, 0)

#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].gemv = NULL, tab[id].tile = NULL

void
TIER(kquants)(QuantType *tab)
{
	SET(LB_Q4_K, q4_K);
	SET(LB_Q6_K, q6_K);
}
