/*
 * kquants_make.c - reference quantizers for the K-quant weight types, so the
 * project can write synthetic models of every type.
 *
 * They follow the shape of ggml's quantize_row_*_K_ref without being bit-exact
 * with it: each sub-block gets a least-squares scale (and min) chosen among a
 * few candidate grids, the sub-block scales are then quantized against the
 * super-block's fp16 factor, and every weight is requantized with the scale it
 * will actually be decoded with.
 */
#include <math.h>
#include <string.h>

#include "blocks.h"
#include "fp16.h"
#include "kernels.h"

enum { SUB_MAX = 32 };	/* the largest sub-block */
#define EPS 1e-15f	/* a sub-block below this magnitude is all zero */

/* Round half to even through the float mantissa (ggml's nearest_int), |f| < 2^22. */
static int
nearest(float f)
{
	float v = f + 12582912.f;
	int32_t i;

	if(!(fabsf(f) < 4194303.f))	/* out of range or NaN: the clamps that follow decide */
		return f > 0 ? 4194303 : -4194303;
	memcpy(&i, &v, 4);
	return (i & 0x007fffff) - 0x00400000;
}

static int
clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * x ≈ scale*L - min with L in 0..nmax and min >= 0, weighted by w.  Tries
 * nstep+1 grids iscale = (nmax + rmin + i*rdelta)/(max - min); for each the
 * weighted least-squares scale and min; keeps the smallest error (absolute
 * if mad, else squared).  Returns scale; *pmin gets min.
 */
static float
fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
	float *pmin, float rmin, float rdelta, int nstep, int mad)
{
	float min = x[0], max = x[0], sw = 0, sx = 0;
	float scale, best, err, iscale, sl, sl2, sxl, det, s, m, diff;
	uint8_t aux[SUB_MAX];
	int i, k;

	for(i = 0; i < n; i++){
		min = fminf(min, x[i]);
		max = fmaxf(max, x[i]);
		sw += w[i];
		sx += w[i]*x[i];
	}
	if(min > 0)
		min = 0;
	if(max == min){
		memset(L, 0, n);
		*pmin = -min;
		return 0;
	}
	iscale = nmax/(max - min);
	scale = 1/iscale;
	best = 0;
	for(i = 0; i < n; i++){
		L[i] = clamp(nearest(iscale*(x[i] - min)), 0, nmax);
		diff = scale*L[i] + min - x[i];
		best += w[i] * (mad ? fabsf(diff) : diff*diff);
	}
	for(k = 0; k <= nstep; k++){
		iscale = (rmin + rdelta*k + nmax)/(max - min);
		sl = sl2 = sxl = 0;
		for(i = 0; i < n; i++){
			aux[i] = clamp(nearest(iscale*(x[i] - min)), 0, nmax);
			sl += w[i]*aux[i];
			sl2 += w[i]*aux[i]*aux[i];
			sxl += w[i]*aux[i]*x[i];
		}
		det = sw*sl2 - sl*sl;
		if(!(det > 0))
			continue;
		s = (sw*sxl - sx*sl)/det;
		m = (sl2*sx - sl*sxl)/det;
		if(m > 0){	/* the min may only be subtracted: refit the scale alone */
			m = 0;
			s = sxl/sl2;
		}
		err = 0;
		for(i = 0; i < n; i++){
			diff = s*aux[i] + m - x[i];
			err += w[i] * (mad ? fabsf(diff) : diff*diff);
		}
		if(err < best){
			memcpy(L, aux, n);
			best = err;
			scale = s;
			min = m;
		}
	}
	*pmin = -min;
	return scale;
}

/*
 * x ≈ scale*L with L in -nmax..nmax-1, weighted by x².  Tries the grids
 * iscale = -(nmax + i/10)/max, i in -steps..steps (max the element of largest
 * magnitude, so it lands on -nmax), keeping the best least-squares fit.
 * Returns scale (negative when max is positive).
 */
static float
fit_scale(int n, int nmax, const float *x, int steps)
{
	float amax = 0, max = 0, best = 0, scale = 0, iscale, sxl, sl2, w;
	int i, k, l;

	for(i = 0; i < n; i++)
		if(fabsf(x[i]) > amax){
			amax = fabsf(x[i]);
			max = x[i];
		}
	if(amax < EPS)
		return 0;
	for(k = -steps; k <= steps; k++){
		iscale = -(nmax + 0.1f*k)/max;
		sxl = sl2 = 0;
		for(i = 0; i < n; i++){
			l = clamp(nearest(iscale*x[i]), -nmax, nmax-1);
			w = x[i]*x[i];
			sxl += w*x[i]*l;
			sl2 += w*l*l;
		}
		if(sl2 > 0 && sxl*sxl > best*sl2){
			best = sxl*sxl/sl2;
			scale = sxl/sl2;
		}
	}
	return scale;
}

/* 2-bit quants of 256 in 64 bytes: bits 2s..2s+1 of byte 32h+l hold quant 128h+32s+l. */
static void
pack_2bit(const uint8_t *L, uint8_t *qs)
{
	int j, l;

	for(j = 0; j < QK_K; j += 128)
		for(l = 0; l < 32; l++)
			qs[j/4 + l] = L[j+l] | L[j+l+32] << 2 | L[j+l+64] << 4 | L[j+l+96] << 6;
}

/* Q4_K/Q5_K's 12 bytes of eight 6-bit scales and mins. */
static void
pack_scales_k4(uint8_t *p, const uint8_t *sc, const uint8_t *m)
{
	int j;

	for(j = 0; j < 4; j++){
		p[j] = sc[j] | (sc[j+4] >> 4) << 6;
		p[j+4] = m[j] | (m[j+4] >> 4) << 6;
		p[j+8] = (sc[j+4] & 0xF) | (m[j+4] & 0xF) << 4;
	}
}

/* Quantizes positive values v[0..n) to 0..qmax against max(v); returns the factor, max/qmax. */
static float
quant_factors(int n, const float *v, int qmax, uint8_t *q)
{
	float max = 0;
	int j;

	for(j = 0; j < n; j++)
		max = fmaxf(max, v[j]);
	for(j = 0; j < n; j++)
		q[j] = max > 0 ? (uint8_t)clamp(nearest(qmax/max*v[j]), 0, qmax) : 0;
	return max/qmax;
}

/*
 * The final quants of an asymmetric sub-block of n, with the fp16 factors and
 * integer scale and min it will be decoded with: L = round((x + dmin*m)/(d*sc)).
 */
static void
requant_min(int n, int nmax, const float *x, float d, float dmin, int sc, int m, uint8_t *L)
{
	float ds = d*sc, dm = dmin*m;
	int i;

	if(ds == 0)
		return;	/* keep the fit's quants: the decoder ignores them */
	for(i = 0; i < n; i++)
		L[i] = clamp(nearest((x[i] + dm)/ds), 0, nmax);
}

/* The same for a symmetric sub-block: L = round(x/(d*sc)) + nmax. */
static void
requant(int n, int nmax, const float *x, float d, int sc, uint8_t *L)
{
	float ds = d*sc;
	int i;

	for(i = 0; i < n; i++)
		L[i] = ds == 0 ? nmax : clamp(nearest(x[i]/ds), -nmax, nmax-1) + nmax;
}

void
q_from_float_q2_K(const float *x, void *vy, int64_t n)
{
	block_q2_K *y = vy;
	uint8_t L[QK_K], sc[QK_K/16], m[QK_K/16];
	float scales[QK_K/16], mins[QK_K/16], w[16], d, dmin;
	int64_t i;
	int j, l;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		for(j = 0; j < QK_K/16; j++){
			for(l = 0; l < 16; l++)
				w[l] = fabsf(x[16*j + l]);
			scales[j] = fit_scale_min(16, 3, x + 16*j, w, L + 16*j, &mins[j], -0.5f, 0.1f, 15, 1);
		}
		y[i].d = lb_fp32_to_fp16(quant_factors(QK_K/16, scales, 15, sc));
		y[i].dmin = lb_fp32_to_fp16(quant_factors(QK_K/16, mins, 15, m));
		d = lb_fp16_to_fp32(y[i].d);
		dmin = lb_fp16_to_fp32(y[i].dmin);
		for(j = 0; j < QK_K/16; j++){
			y[i].scales[j] = sc[j] | m[j] << 4;
			requant_min(16, 3, x + 16*j, d, dmin, sc[j], m[j], L + 16*j);
		}
		pack_2bit(L, y[i].qs);
	}
}

void
q_from_float_q3_K(const float *x, void *vy, int64_t n)
{
	block_q3_K *y = vy;
	uint8_t L[QK_K];
	float scales[QK_K/16], max, iscale, d;
	int64_t i;
	int j, q;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		max = 0;
		for(j = 0; j < QK_K/16; j++){
			scales[j] = fit_scale(16, 4, x + 16*j, 9);
			if(fabsf(scales[j]) > fabsf(max))
				max = scales[j];
		}
		/* 6-bit signed scales, the largest at -32 */
		memset(y[i].scales, 0, sizeof y[i].scales);
		iscale = max != 0 ? -32.f/max : 0;
		y[i].d = lb_fp32_to_fp16(max != 0 ? 1/iscale : 0);
		d = lb_fp16_to_fp32(y[i].d);
		for(j = 0; j < QK_K/16; j++){
			q = clamp(nearest(iscale*scales[j]), -32, 31) + 32;
			y[i].scales[j%8] |= (q & 0xF) << 4*(j/8);
			y[i].scales[8 + j%4] |= (q >> 4) << 2*(j/4);
			requant(16, 4, x + 16*j, d, q - 32, L + 16*j);
		}
		/* the third bit of quant 32s+l (s of 0..7) is bit s of hmask[l] */
		memset(y[i].hmask, 0, sizeof y[i].hmask);
		for(j = 0; j < QK_K; j++)
			if(L[j] > 3){
				y[i].hmask[j%32] |= 1 << j/32;
				L[j] -= 4;
			}
		pack_2bit(L, y[i].qs);
	}
}

/* Q4_K and Q5_K: eight sub-blocks of 32 with 6-bit scales and mins; quants 0..nmax into L. */
static void
make_k4(const float *x, int nmax, float rmin, int nstep, lb_half *pd, lb_half *pdmin,
	uint8_t *packed, uint8_t *L)
{
	uint8_t sc[QK_K/32], m[QK_K/32];
	float scales[QK_K/32], mins[QK_K/32], w[32], sum2, av, d, dmin;
	int j, l;

	for(j = 0; j < QK_K/32; j++){
		sum2 = 0;
		for(l = 0; l < 32; l++)
			sum2 += x[32*j + l]*x[32*j + l];
		av = sqrtf(sum2/32);
		for(l = 0; l < 32; l++)
			w[l] = av + fabsf(x[32*j + l]);
		scales[j] = fit_scale_min(32, nmax, x + 32*j, w, L + 32*j, &mins[j], rmin, 0.1f, nstep, 0);
	}
	*pd = lb_fp32_to_fp16(quant_factors(QK_K/32, scales, 63, sc));
	*pdmin = lb_fp32_to_fp16(quant_factors(QK_K/32, mins, 63, m));
	pack_scales_k4(packed, sc, m);
	d = lb_fp16_to_fp32(*pd);
	dmin = lb_fp16_to_fp32(*pdmin);
	for(j = 0; j < QK_K/32; j++)
		requant_min(32, nmax, x + 32*j, d, dmin, sc[j], m[j], L + 32*j);
}

void
q_from_float_q4_K(const float *x, void *vy, int64_t n)
{
	block_q4_K *y = vy;
	uint8_t L[QK_K];
	int64_t i;
	int j, l;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		make_k4(x, 15, -1.f, 20, &y[i].d, &y[i].dmin, y[i].scales, L);
		for(j = 0; j < QK_K; j += 64)
			for(l = 0; l < 32; l++)
				y[i].qs[j/2 + l] = L[j+l] | L[j+l+32] << 4;
	}
}

void
q_from_float_q5_K(const float *x, void *vy, int64_t n)
{
	block_q5_K *y = vy;
	uint8_t L[QK_K];
	int64_t i;
	int j, l;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		make_k4(x, 31, -0.5f, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
		/* low nibbles as Q4_K; the fifth bit of quant 32s+l is bit s of qh[l] */
		memset(y[i].qh, 0, sizeof y[i].qh);
		for(j = 0; j < QK_K; j += 64)
			for(l = 0; l < 32; l++){
				y[i].qs[j/2 + l] = (L[j+l] & 0xF) | (L[j+l+32] & 0xF) << 4;
				y[i].qh[l] |= (L[j+l] >> 4) << j/32 | (L[j+l+32] >> 4) << (j/32 + 1);
			}
	}
}

void
q_from_float_q6_K(const float *x, void *vy, int64_t n)
{
	block_q6_K *y = vy;
	uint8_t L[QK_K], *ql, *qh;
	float scales[QK_K/16], max, iscale, d;
	int64_t i;
	int j, l;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		max = 0;
		for(j = 0; j < QK_K/16; j++){
			scales[j] = fit_scale(16, 32, x + 16*j, 9);
			if(fabsf(scales[j]) > fabsf(max))
				max = scales[j];
		}
		memset(&y[i], 0, sizeof y[i]);
		if(fabsf(max) < EPS)
			continue;
		/* 8-bit signed scales, the largest at -128 */
		iscale = -128.f/max;
		y[i].d = lb_fp32_to_fp16(1/iscale);
		d = lb_fp16_to_fp32(y[i].d);
		for(j = 0; j < QK_K/16; j++){
			y[i].scales[j] = (int8_t)clamp(nearest(iscale*scales[j]), -128, 127);
			requant(16, 32, x + 16*j, d, y[i].scales[j], L + 16*j);
		}
		/* per 128: quants l and l+64 share ql[l], l+32 and l+96 share ql[l+32]; top bits in qh[l] */
		for(j = 0; j < QK_K; j += 128){
			ql = y[i].ql + j/2;
			qh = y[i].qh + j/4;
			for(l = 0; l < 32; l++){
				ql[l] = (L[j+l] & 0xF) | (L[j+l+64] & 0xF) << 4;
				ql[l+32] = (L[j+l+32] & 0xF) | (L[j+l+96] & 0xF) << 4;
				qh[l] = L[j+l] >> 4 | (L[j+l+32] >> 4) << 2 | (L[j+l+64] >> 4) << 4 | (L[j+l+96] >> 4) << 6;
			}
		}
	}
}
