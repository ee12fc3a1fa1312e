/*
 * neon.h - small helpers of the *_neon.c kernels (include only from those).
 *
 * The *_neon.c files are built twice (the Makefile's TIER_SRC_dotprod): as
 * the neon tier, for every aarch64 CPU, and again with the dot-product
 * extension as the dotprod tier.  Only dot16 differs between the two, and it
 * is exact in both, so the two tiers give the same bits; TIER names each
 * build's fill functions.
 */
#ifndef LB_NEON_H
#define LB_NEON_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "neon.h is for the aarch64 files *_neon.c"
#endif

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

#if defined(__ARM_FEATURE_DOTPROD)
#define TIER(f) quant_dotprod_##f
#else
#define TIER(f) quant_neon_##f
#endif

/*
 * acc plus the products of 16 int8 pairs, in four int32 lanes (which lane
 * takes which products differs between the builds; the sum of the lanes is
 * the same exact integer).  With SDOT one instruction; without, the int16
 * products (exact: at most 128*128) added pairwise into the lanes.
 */
INLINE int32x4_t
dot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if defined(__ARM_FEATURE_DOTPROD)
	return vdotq_s32(acc, a, b);
#else
	acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
	return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* The binary16 at p (any alignment) as a float: exact. */
INLINE float
neon_half(const uint8_t *p)
{
	uint16_t h;

	memcpy(&h, p, sizeof h);
	return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

/* 16 bytes at p, any alignment */
INLINE int8x16_t
load16(const uint8_t *p)
{
	return vld1q_s8((const int8_t *)p);
}

#endif
