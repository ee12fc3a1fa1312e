/*
 * kquants_make.c - reference quantizers for the K-quant weight types, so the
 * project can write synthetic models of every type.
 *
 * They follow ggml's quantize_row_*_K_ref step by step, in the same float
 * operations, and give the same bytes (checked against ggml on varied data):
 * each sub-block gets a weighted least-squares scale (and min) chosen among a
 * few candidate grids, the sub-block scales are quantized against the
 * super-block's fp16 factor, and every weight is requantized with the scale
 * it will be decoded with.
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

/* The element of largest magnitude (the first, on ties). */
static float
largest(int n, const float *x)
{
	float amax = 0, max = 0;
	int i;

	for(i = 0; i < n; i++)
		if(fabsf(x[i]) > amax){
			amax = fabsf(x[i]);
			max = x[i];
		}
	return max;
}

/* Σ w x l and Σ w l² with w = x², for the quants of x at iscale; the quants + nmax into L if L. */
static void
sym_sums(int n, int nmax, const float *x, float iscale, uint8_t *L, float *sxl, float *sl2)
{
	float w;
	int i, l;

	*sxl = *sl2 = 0;
	for(i = 0; i < n; i++){
		l = clamp(nearest(iscale*x[i]), -nmax, nmax-1);
		if(L != NULL)
			L[i] = l + nmax;
		w = x[i]*x[i];
		*sxl += w*x[i]*l;
		*sl2 += w*l*l;
	}
}

/*
 * x ≈ scale*L with L in -nmax..nmax-1 (stored + nmax), weighted by x²: the
 * best least-squares fit over the grids iscale = -(nmax + k/10)/max, k in
 * -9..9 (max the element of largest magnitude, so it lands on -nmax), as
 * ggml's make_qx_quants.  Returns scale.
 */
static float
fit_scale(int n, int nmax, const float *x, uint8_t *L)
{
	float max = largest(n, x), scale, best, sxl, sl2;
	int k;

	if(fabsf(max) < EPS){
		memset(L, 0, n);
		return 0;
	}
	sym_sums(n, nmax, x, -nmax/max, L, &sxl, &sl2);
	scale = sl2 != 0 ? sxl/sl2 : 0;
	best = scale*sxl;
	for(k = -9; k <= 9; k++){
		if(k == 0)
			continue;
		sym_sums(n, nmax, x, -(nmax + 0.1f*k)/max, NULL, &sxl, &sl2);
		if(sl2 > 0 && sxl*sxl > best*sl2){
			sym_sums(n, nmax, x, -(nmax + 0.1f*k)/max, L, &sxl, &sl2);
			scale = sxl/sl2;
			best = scale*sxl;
		}
	}
	return scale;
}

/*
 * The same for Q3_K, as ggml's make_q3_quants: from the grid -nmax/max,
 * up to five passes move single quants to their least-squares value while
 * that improves the fit.  Returns scale.
 */
static float
fit_scale_q3(int n, int nmax, const float *x, uint8_t *L)
{
	float max = largest(n, x), sxl, sl2, slx, s2, w;
	int8_t q[SUB_MAX];
	int i, pass, changed, l;

	if(fabsf(max) < EPS){
		memset(L, 0, n);
		return 0;
	}
	sxl = sl2 = 0;
	for(i = 0; i < n; i++){
		q[i] = (int8_t)clamp(nearest(-nmax/max*x[i]), -nmax, nmax-1);
		w = x[i]*x[i];
		sxl += w*x[i]*q[i];
		sl2 += w*q[i]*q[i];
	}
	for(pass = 0; pass < 5; pass++){
		changed = 0;
		for(i = 0; i < n; i++){
			w = x[i]*x[i];
			slx = sxl - w*x[i]*q[i];
			if(!(slx > 0))
				continue;
			s2 = sl2 - w*q[i]*q[i];
			l = clamp(nearest(x[i]*s2/slx), -nmax, nmax-1);
			if(l == q[i])
				continue;
			slx += w*x[i]*l;
			s2 += w*l*l;
			if(s2 > 0 && slx*slx*sl2 > sxl*sxl*s2){
				q[i] = (int8_t)l;
				sxl = slx;
				sl2 = s2;
				changed++;
			}
		}
		if(!changed)
			break;
	}
	for(i = 0; i < n; i++)
		L[i] = q[i] + nmax;
	return sl2 > 0 ? sxl/sl2 : 0;
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

	if(ds == 0)
		return;
	for(i = 0; i < n; i++)
		L[i] = clamp(nearest(x[i]/ds), -nmax, nmax-1) + nmax;
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
		for(j = 0; j < QK_K/16; j++)
			scales[j] = fit_scale_q3(16, 4, x + 16*j, L + 16*j);
		max = largest(QK_K/16, scales);
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
		for(j = 0; j < QK_K/16; j++)
			scales[j] = fit_scale(16, 32, x + 16*j, L + 16*j);
		max = largest(QK_K/16, scales);
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
