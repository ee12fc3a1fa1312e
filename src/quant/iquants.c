/*
 * iquants.c - the 4-bit non-linear types of ggml's importance-matrix family,
 * in plain C: IQ4_NL (blocks of 32, one binary16 scale, dotted with Q8_0
 * activations) and IQ4_XS (super-blocks of 256: eight blocks of 32 with 6-bit
 * scales, dotted with Q8_K).  A quant is an index into sixteen signed values
 * spaced more closely near zero, where weights are dense.
 *
 * The quantizer is ggml-quants.c's quantize_row_iq4_nl_impl as llama-quantize
 * runs it without an importance matrix (weights x^2, seven trial scales each
 * side), float operation for float operation, so that a file quantized here
 * has llama-quantize's bytes.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"
#include "kernels.h"
#include "qconv.h"

const int8_t q_iq4nl_values[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

enum { NTRY = 7 };	/* trial scales each side of the first (llama-quantize's) */

/* The value nearest x (ggml's best_index_int8: binary search, the lower one on a tie) */
static int
best_index(float x)
{
	const int8_t *val = q_iq4nl_values;
	int ml = 0, mu = 15, mav;

	if(x <= val[0])
		return 0;
	if(x >= val[15])
		return 15;
	while(mu - ml > 1){
		mav = (ml + mu) / 2;
		if(x < val[mav])
			mu = mav;
		else
			ml = mav;
	}
	return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

/* Σ w q x and Σ w q^2 of a block's values at the scale 1/id, each x's index into L when L is not NULL */
static void
fit(const float *xb, const float *weight, float id, uint8_t *L, float *sumqx, float *sumq2)
{
	int j, l;

	*sumqx = *sumq2 = 0;
	for(j = 0; j < 32; j++){
		float q, w;
		l = best_index(id * xb[j]);
		if(L != NULL)
			L[j] = (uint8_t)l;
		q = q_iq4nl_values[l];
		w = weight[j];
		*sumqx += w * q * xb[j];
		*sumq2 += w * q * q;
	}
}

/* The best scale of a block of 32: the least-squares one of the largest value's index and of 2*NTRY trials */
static float
block_scale(const float *xb, uint8_t *L)
{
	float weight[32], amax = 0, max = 0, d, id, sumqx, sumq2, best;
	int j, itry;

	for(j = 0; j < 32; j++)
		weight[j] = xb[j] * xb[j];
	for(j = 0; j < 32; j++)
		if(fabsf(xb[j]) > amax){
			amax = fabsf(xb[j]);
			max = xb[j];
		}
	if(amax < 1e-15f)
		return 0;
	d = -max / q_iq4nl_values[0];
	id = 1 / d;
	fit(xb, weight, id, L, &sumqx, &sumq2);
	d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
	best = d * sumqx;
	for(itry = -NTRY; itry <= NTRY; itry++){
		id = (itry + q_iq4nl_values[0]) / max;
		fit(xb, weight, id, NULL, &sumqx, &sumq2);
		if(sumq2 > 0 && sumqx * sumqx > best * sumq2){
			d = sumqx / sumq2;
			best = d * sumqx;
		}
	}
	return d;
}

/* L's indices into the nibbles: element j of each 32 in the low nibble of byte j, j+16 in its high one */
static void
pack(const uint8_t *L, uint8_t *q4, int n)
{
	int i, j;

	for(i = 0; i < n / 32; i++)
		for(j = 0; j < 16; j++)
			q4[16*i + j] = (uint8_t)(L[32*i + j] | L[32*i + 16 + j] << 4);
}

void
q_to_float_iq4_nl(const void *vx, float *y, int64_t n)
{
	const uint8_t *x = vx;
	int64_t i;
	int j;

	for(i = 0; i < n / QK4_NL; i++, x += sizeof(block_iq4_nl), y += QK4_NL){
		const float d = q_half_load(x + offsetof(block_iq4_nl, d));
		const uint8_t *qs = x + offsetof(block_iq4_nl, qs);
		for(j = 0; j < QK4_NL/2; j++){
			y[j] = d * q_iq4nl_values[qs[j] & 0xf];
			y[j + QK4_NL/2] = d * q_iq4nl_values[qs[j] >> 4];
		}
	}
}

void
q_from_float_iq4_nl(const float *x, void *vy, int64_t n)
{
	uint8_t *y = vy, L[QK4_NL];
	int64_t i;
	int j;

	for(i = 0; i < n / QK4_NL; i++, x += QK4_NL, y += sizeof(block_iq4_nl)){
		float d = block_scale(x, L), id = d ? 1 / d : 0;
		q_half_store(y + offsetof(block_iq4_nl, d), d);
		for(j = 0; j < QK4_NL; j++)
			L[j] = (uint8_t)best_index(id * x[j]);
		pack(L, y + offsetof(block_iq4_nl, qs), QK4_NL);
	}
}

void
q_vec_dot_iq4_nl(int n, float *s, const void *vx, const void *vy)
{
	const uint8_t *x = vx, *y = vy;
	float sumf = 0;
	int i, j;

	for(i = 0; i < n / QK4_NL; i++, x += sizeof(block_iq4_nl), y += sizeof(block_q8_0)){
		const float d = q_half_load(y + offsetof(block_q8_0, d)) * q_half_load(x + offsetof(block_iq4_nl, d));
		const uint8_t *qs = x + offsetof(block_iq4_nl, qs);
		const int8_t *q8 = (const int8_t *)(y + offsetof(block_q8_0, qs));
		int sumi1 = 0, sumi2 = 0;
		for(j = 0; j < QK4_NL/2; j++){
			sumi1 += q8[j] * q_iq4nl_values[qs[j] & 0xf];
			sumi2 += q8[j + QK4_NL/2] * q_iq4nl_values[qs[j] >> 4];
		}
		sumf += d * (sumi1 + sumi2);
	}
	*s = sumf;
}

/* IQ4_XS's 6-bit scale of block ib, less 32 */
static int
xs_scale(const uint8_t *b, int ib)
{
	uint16_t h;

	memcpy(&h, b + offsetof(block_iq4_xs, scales_h), sizeof h);
	return (((b[offsetof(block_iq4_xs, scales_l) + ib/2] >> 4*(ib%2)) & 0xf) | ((h >> 2*ib) & 3) << 4) - 32;
}

void
q_to_float_iq4_xs(const void *vx, float *y, int64_t n)
{
	const uint8_t *x = vx;
	int64_t i;
	int ib, j;

	for(i = 0; i < n / QK_K; i++, x += sizeof(block_iq4_xs)){
		const float d = q_half_load(x + offsetof(block_iq4_xs, d));
		const uint8_t *qs = x + offsetof(block_iq4_xs, qs);
		for(ib = 0; ib < QK_K/32; ib++, qs += 16, y += 32){
			const float dl = d * xs_scale(x, ib);
			for(j = 0; j < 16; j++){
				y[j] = dl * q_iq4nl_values[qs[j] & 0xf];
				y[j + 16] = dl * q_iq4nl_values[qs[j] >> 4];
			}
		}
	}
}

/* A super-block: each block's best scale, one d = -(largest in magnitude)/32 and 6-bit multiples of it, the indices again */
static void
xs_block(const float *x, uint8_t *y)
{
	float scales[QK_K/32], max_scale = 0, amax_scale = 0, d, id;
	uint8_t L[QK_K], *sl = y + offsetof(block_iq4_xs, scales_l);
	uint16_t h = 0;
	int ib, j, l;

	for(ib = 0; ib < QK_K/32; ib++){
		scales[ib] = block_scale(x + 32*ib, L + 32*ib);
		if(fabsf(scales[ib]) > amax_scale){
			amax_scale = fabsf(scales[ib]);
			max_scale = scales[ib];
		}
	}
	d = -max_scale / 32;
	id = d ? 1 / d : 0.f;
	memset(sl, 0, QK_K/64);
	for(ib = 0; ib < QK_K/32; ib++){
		float dl, idl;
		l = q_round_i32(id * scales[ib]);
		l = l < -32 ? -32 : l > 31 ? 31 : l;
		dl = d * l;
		idl = dl ? 1 / dl : 0.f;
		for(j = 0; j < 32; j++)
			L[32*ib + j] = (uint8_t)best_index(idl * x[32*ib + j]);
		l += 32;
		sl[ib/2] |= (uint8_t)((l & 0xf) << 4*(ib%2));
		h |= (uint16_t)((l >> 4) << 2*ib);
	}
	q_half_store(y + offsetof(block_iq4_xs, d), d);
	memcpy(y + offsetof(block_iq4_xs, scales_h), &h, sizeof h);
	pack(L, y + offsetof(block_iq4_xs, qs), QK_K);
}

void
q_from_float_iq4_xs(const float *x, void *vy, int64_t n)
{
	uint8_t *y = vy;
	int64_t i;

	for(i = 0; i < n / QK_K; i++)
		xs_block(x + QK_K*i, y + sizeof(block_iq4_xs)*i);
}

void
q_vec_dot_iq4_xs(int n, float *s, const void *vx, const void *vy)
{
	const uint8_t *x = vx;
	const block_q8_K *y = vy;
	float sumf = 0;
	int i, ib, j;

	for(i = 0; i < n / QK_K; i++, x += sizeof(block_iq4_xs)){
		const float d4d8 = q_half_load(x + offsetof(block_iq4_xs, d)) * y[i].d;
		const uint8_t *qs = x + offsetof(block_iq4_xs, qs);
		const int8_t *q8 = y[i].qs;
		for(ib = 0; ib < QK_K/32; ib++, qs += 16, q8 += 32){
			int sumi1 = 0, sumi2 = 0;
			for(j = 0; j < 16; j++){
				sumi1 += q8[j] * q_iq4nl_values[qs[j] & 0xf];
				sumi2 += q8[j + 16] * q_iq4nl_values[qs[j] >> 4];
			}
			sumf += d4d8 * xs_scale(x, ib) * (sumi1 + sumi2);
		}
	}
	*s = sumf;
}
