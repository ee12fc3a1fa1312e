/*
 * float_neon.c - F32, F16 and BF16 dot products for aarch64 NEON.
 *
 * As float_avx2.c: ACC 4-lane float accumulators per row over 4*ACC
 * elements a step, each weight vector loaded once for all rows (1, or 4 for
 * the x4 kernels); the rest element by element, summed in double (F16, BF16)
 * or float (F32) as ggml does.  Products of halves and of bfloat16 are exact
 * in float, so FMA gives the same sums as multiply-then-add, and each row's
 * arithmetic is the same whatever the number of rows.  The conversions stay
 * plain C's (their bytes are F16C's, NaNs included).
 */
#include "blocks.h"
#include "fp16.h"
#include "kernels.h"
#include "neon.h"
#include "qconv.h"

enum { ACC = 4, NR_MAX = 4 };	/* four rows' accumulators and a weight vector fit in the 32 registers */

INLINE float32x4_t
load_f32(const uint8_t *p)
{
	return vreinterpretq_f32_u8(vld1q_u8(p));	/* bytes: a row may sit at any offset */
}

INLINE float32x4_t
load_f16(const uint8_t *p)
{
	return vcvt_f32_f16(vreinterpret_f16_u16(vreinterpret_u16_u8(vld1_u8(p))));
}

INLINE float32x4_t
load_bf16(const uint8_t *p)
{
	return vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_u8(vld1_u8(p)), 16));
}

INLINE float
at_f32(const uint8_t *p, int i)
{
	float f;

	memcpy(&f, p + 4*i, sizeof f);
	return f;
}

INLINE float
at_f16(const uint8_t *p, int i)
{
	return neon_half(p + 2*i);
}

INLINE float
at_bf16(const uint8_t *p, int i)
{
	uint16_t h;

	memcpy(&h, p + 2*i, sizeof h);
	return lb_bf16_to_fp32(h);
}

/* s[r] = x . (y + r*ystride) for r < nr */
INLINE void
dot_rows(int n, float *s, const uint8_t *x, const uint8_t *y, size_t ystride, int nr, int esize,
	float32x4_t (*load)(const uint8_t *), float (*at)(const uint8_t *, int), int wide)
{
	float32x4_t acc[NR_MAX][ACC], xv, v;
	int i, k, r;

	for(r = 0; r < nr; r++)
		for(k = 0; k < ACC; k++)
			acc[r][k] = vdupq_n_f32(0);
	for(i = 0; i + 4*ACC <= n; i += 4*ACC)
#pragma GCC unroll 4
		for(k = 0; k < ACC; k++){
			xv = load(x + (i + 4*k)*esize);
#pragma GCC unroll 4
			for(r = 0; r < nr; r++)
				acc[r][k] = vfmaq_f32(acc[r][k], xv, load(y + r*ystride + (i + 4*k)*esize));
		}
	for(r = 0; r < nr; r++){
		v = vaddq_f32(vaddq_f32(acc[r][0], acc[r][1]), vaddq_f32(acc[r][2], acc[r][3]));
		s[r] = q_dot_tail(vaddvq_f32(v), x, y + r*ystride, i, n, at, wide);
	}
}

/* bytes of an element; whether its products are summed in doubles past the vectors (q_dot_tail) */
enum { esize_f32 = 4, esize_f16 = 2, esize_bf16 = 2, wide_f32 = 0, wide_f16 = 1, wide_bf16 = 1 };
#define DOT(t, n, s, sstride, x, y, ystride, ny) dot_rows(n, s, x, y, ystride, ny, esize_##t, load_##t, at_##t, wide_##t)

Q_VEC_DOT_X4(f32, DOT)
Q_VEC_DOT_X4(f16, DOT)
Q_VEC_DOT_X4(bf16, DOT)

#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].gemv = NULL, tab[id].tile = NULL

void
TIER(float)(QuantType *tab)
{
	SET(LB_F32, f32);
	SET(LB_F16, f16);
	SET(LB_BF16, bf16);
}
