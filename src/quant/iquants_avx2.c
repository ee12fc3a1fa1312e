/*
 * iquants_avx2.c - IQ4_XS dot products with Q8_K activations for AVX2 + FMA
 * + F16C, after ggml's x86 kernel.  (IQ4_NL is a 32-element block type with
 * Q8_0 activations: its kernels are legacy_avx2.h's.)
 *
 * A block's 32 nibbles pick their values from the table with pshufb;
 * maddubs multiplies the values' magnitudes with the activation bytes carrying
 * the values' signs (pairs at most 2*127*127: no overflow); madd with the
 * block's 6-bit scale widens to int32; a super-block's integer sums are exact
 * and become floats once, scaled by d*dy into eight float lanes summed at the
 * end.  xs_tile does this for nw weight rows and nr activation rows at once (1 x
 * 1 for vec_dot, 1 x 4 for x4, NW x NR for the tile), each pair with the same
 * arithmetic, so every shape gives vec_dot's bits; gemv is left to the rows
 * loop over vec_dot.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"
#include "legacy_avx2.h"
#include "quant.h"

enum { NW = 2, NR = 4 };	/* the tile: 2 weight rows x 4 activation rows */

/* The eight blocks' scales, less 32, each in every int16 of a vector */
INLINE void
xs_scales(const uint8_t *b, __m256i *ls)
{
	uint16_t h;
	int ib;

	memcpy(&h, b + offsetof(block_iq4_xs, scales_h), sizeof h);
	UNROLL
	for(ib = 0; ib < QK_K/32; ib++)
		ls[ib] = _mm256_set1_epi16((short)((((b[offsetof(block_iq4_xs, scales_l) + ib/2] >> 4*(ib%2)) & 0xf) |
			((h >> 2*ib) & 3) << 4) - 32));
}

/* s[r*sstride + w] = (x + w*xstride) . (y + r*ystride) for w < nw, r < nr */
INLINE void
xs_tile(int n, float *s, size_t sstride, const uint8_t *x, size_t xstride, int nw,
	const uint8_t *y, size_t ystride, int nr)
{
	const __m256i values = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)q_iq4nl_values));
	__m256 acc[NW][NR];
	__m256i sumi[NW][NR], ls[NW][QK_K/32], qx[NW], ax[NW];
	int i, ib, w, r;

	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			acc[w][r] = _mm256_setzero_ps();
	for(i = 0; i < n/QK_K; i++){
		const uint8_t *xb = x + (size_t)i*sizeof(block_iq4_xs);

		UNROLL
		for(w = 0; w < nw; w++){
			xs_scales(xb + w*xstride, ls[w]);
			UNROLL
			for(r = 0; r < nr; r++)
				sumi[w][r] = _mm256_setzero_si256();
		}
		for(ib = 0; ib < QK_K/32; ib++){
			UNROLL
			for(w = 0; w < nw; w++){
				qx[w] = _mm256_shuffle_epi8(values, nibbles32(xb + w*xstride + offsetof(block_iq4_xs, qs) + 16*ib));
				ax[w] = _mm256_sign_epi8(qx[w], qx[w]);
			}
			UNROLL
			for(r = 0; r < nr; r++){
				const __m256i q8 = load32((const uint8_t *)((const block_q8_K *)(y + r*ystride) + i)->qs + 32*ib);

				UNROLL
				for(w = 0; w < nw; w++)
					sumi[w][r] = _mm256_add_epi32(sumi[w][r], _mm256_madd_epi16(
						_mm256_maddubs_epi16(ax[w], _mm256_sign_epi8(q8, qx[w])), ls[w][ib]));
			}
		}
		UNROLL
		for(w = 0; w < nw; w++){
			const float dx = avx2_half(xb + w*xstride + offsetof(block_iq4_xs, d));

			UNROLL
			for(r = 0; r < nr; r++)
				acc[w][r] = _mm256_fmadd_ps(_mm256_set1_ps(dx * ((const block_q8_K *)(y + r*ystride) + i)->d),
					_mm256_cvtepi32_ps(sumi[w][r]), acc[w][r]);
		}
	}
	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			s[r*sstride + w] = avx2_hsum(acc[w][r]);
}

static void
dot_iq4_xs(int n, float *s, const void *x, const void *y)
{
	xs_tile(n, s, 0, x, 0, 1, y, 0, 1);
}

static void
x4_iq4_xs(int n, float *s, const void *x, const void *y, size_t ystride)
{
	xs_tile(n, s, 1, x, 0, 1, y, ystride, 4);
}

/* a tile of fewer than NR activation rows: vec_dot on each pair (the same arithmetic) */
static void
tile_iq4_xs(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc)
{
	int w, r;

	if(nc == NR){
		xs_tile(n, s, sstride, x, xstride, NW, y, ystride, NR);
		return;
	}
	for(w = 0; w < NW; w++)
		for(r = 0; r < nc; r++)
			dot_iq4_xs(n, s + r*sstride + w, (const uint8_t *)x + w*xstride, (const uint8_t *)y + r*ystride);
}

void
quant_avx2_iquants(QuantType *tab)
{
	tab[LB_IQ4_XS].vec_dot = dot_iq4_xs;
	tab[LB_IQ4_XS].x4 = x4_iq4_xs;
	tab[LB_IQ4_XS].tile = tile_iq4_xs;
	tab[LB_IQ4_XS].tr = NW;
	tab[LB_IQ4_XS].tc = NR;
}
