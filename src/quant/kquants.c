/*
 * kquants.c - the K-quant decoders and plain C dot products with Q8_K
 * activations, and the Q8_K activation quantizer.
 *
 * Every super-block of 256 is first unpacked into one common form: signed
 * quants, a scale for each 16 (and a min for the types that have them) and the
 * two fp16 factors.  The decoder then computes (d*scale)*q - dmin*min in the
 * same float operations ggml's dequantize_row_*_K do, so the floats are
 * bit-identical; the dot products sum quants exactly in integers, as ggml's
 * generic kernels do, and differ from them only in float summation order.
 * The weight quantizers are in kquants_make.c.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"
#include "fp16.h"
#include "kernels.h"

/* Weight blocks sit at any byte offset of a GGUF file: their fields are read through byte pointers. */
#define FIELD(x, t, f) ((x) + offsetof(t, f))

static float
half_at(const uint8_t *p)
{
	lb_half h;

	memcpy(&h, p, sizeof h);
	return lb_fp16_to_fp32(h);
}

typedef struct {
	int8_t q[QK_K];	/* quants, offsets already applied */
	int8_t sc[QK_K/16];	/* scale of each 16 quants */
	uint8_t m[QK_K/16];	/* min of each 16 (Q2_K, Q4_K, Q5_K; else 0) */
	float d, dmin;
} KBlock;

/* The j-th (0..7) 6-bit scale and min of Q4_K and Q5_K's 12-byte packing. */
static void
scale_min_k4(const uint8_t *p, int j, int *sc, int *m)
{
	if(j < 4){
		*sc = p[j] & 63;
		*m = p[j+4] & 63;
	}else{
		*sc = (p[j+4] & 0xF) | (p[j-4] >> 6) << 4;
		*m = (p[j+4] >> 4) | (p[j] >> 6) << 4;
	}
}

static void
unpack_q2_K(const uint8_t *x, KBlock *b)
{
	const uint8_t *scales = FIELD(x, block_q2_K, scales), *qs = FIELD(x, block_q2_K, qs);
	int j, l, shift;

	b->d = half_at(FIELD(x, block_q2_K, d));
	b->dmin = half_at(FIELD(x, block_q2_K, dmin));
	for(j = 0; j < QK_K/16; j++){
		b->sc[j] = scales[j] & 0xF;
		b->m[j] = scales[j] >> 4;
	}
	/* each 32 bytes hold 128 quants: bits 2s..2s+1 of byte l are quant 32s+l */
	for(j = 0; j < QK_K; j += 128)
		for(shift = 0; shift < 8; shift += 2)
			for(l = 0; l < 32; l++)
				b->q[j + 16*shift + l] = (qs[j/4 + l] >> shift) & 3;
}

static void
unpack_q3_K(const uint8_t *x, KBlock *b)
{
	const uint8_t *p = FIELD(x, block_q3_K, scales), *qs = FIELD(x, block_q3_K, qs), *hmask = FIELD(x, block_q3_K, hmask);
	int j, l, s, low, high;

	b->d = half_at(FIELD(x, block_q3_K, d));
	b->dmin = 0;
	/* 16 6-bit scales: low nibbles in bytes 0..7, high 2-bit pairs in bytes 8..11 */
	for(j = 0; j < QK_K/16; j++){
		low = j < 8 ? p[j] & 0xF : p[j-8] >> 4;
		high = (p[8 + j%4] >> (2*(j/4))) & 3;
		b->sc[j] = (int8_t)((low | high << 4) - 32);
		b->m[j] = 0;
	}
	/* 2 low bits as Q2_K; hmask bit s of byte l is the high bit of quant 32s+l; unset means -4 */
	for(j = 0; j < QK_K; j += 128)
		for(s = 0; s < 4; s++)
			for(l = 0; l < 32; l++)
				b->q[j + 32*s + l] = (int8_t)(((qs[j/4 + l] >> 2*s) & 3) -
					(hmask[l] >> (j/32 + s) & 1 ? 0 : 4));
}

static void
unpack_scales_k4(const uint8_t *p, KBlock *b)
{
	int j, sc, m;

	for(j = 0; j < QK_K/32; j++){
		scale_min_k4(p, j, &sc, &m);
		b->sc[2*j] = b->sc[2*j+1] = (int8_t)sc;
		b->m[2*j] = b->m[2*j+1] = (uint8_t)m;
	}
}

static void
unpack_q4_K(const uint8_t *x, KBlock *b)
{
	const uint8_t *qs = FIELD(x, block_q4_K, qs);
	int j, l;

	b->d = half_at(FIELD(x, block_q4_K, d));
	b->dmin = half_at(FIELD(x, block_q4_K, dmin));
	unpack_scales_k4(FIELD(x, block_q4_K, scales), b);
	/* each 32 bytes: low nibbles are 32 quants, high nibbles the next 32 */
	for(j = 0; j < QK_K; j += 64)
		for(l = 0; l < 32; l++){
			b->q[j + l] = qs[j/2 + l] & 0xF;
			b->q[j + 32 + l] = qs[j/2 + l] >> 4;
		}
}

static void
unpack_q5_K(const uint8_t *x, KBlock *b)
{
	const uint8_t *qs = FIELD(x, block_q5_K, qs), *qh = FIELD(x, block_q5_K, qh);
	int j, l, bit;

	b->d = half_at(FIELD(x, block_q5_K, d));
	b->dmin = half_at(FIELD(x, block_q5_K, dmin));
	unpack_scales_k4(FIELD(x, block_q5_K, scales), b);
	/* as Q4_K, plus bit j/32 of qh[l] as the fifth bit of quant j+l */
	for(j = 0; j < QK_K; j += 64){
		bit = j/32;
		for(l = 0; l < 32; l++){
			b->q[j + l] = (int8_t)((qs[j/2 + l] & 0xF) | (qh[l] >> bit & 1) << 4);
			b->q[j + 32 + l] = (int8_t)((qs[j/2 + l] >> 4) | (qh[l] >> (bit+1) & 1) << 4);
		}
	}
}

static void
unpack_q6_K(const uint8_t *x, KBlock *b)
{
	const uint8_t *scales = FIELD(x, block_q6_K, scales), *ql, *qh;
	int j, l;

	b->d = half_at(FIELD(x, block_q6_K, d));
	b->dmin = 0;
	for(j = 0; j < QK_K/16; j++){
		b->sc[j] = (int8_t)scales[j];
		b->m[j] = 0;
	}
	/* per 128: ql[0..31] low/high nibbles are quants 0 and 64, ql[32..63] are 32 and 96;
	 * qh[l] bit pairs 0,2,4,6 are the top two bits of quants l, l+32, l+64, l+96 */
	for(j = 0; j < QK_K; j += 128){
		ql = FIELD(x, block_q6_K, ql) + j/2;
		qh = FIELD(x, block_q6_K, qh) + j/4;
		for(l = 0; l < 32; l++){
			b->q[j + l] = (int8_t)(((ql[l] & 0xF) | (qh[l] & 3) << 4) - 32);
			b->q[j + 32 + l] = (int8_t)(((ql[l+32] & 0xF) | (qh[l] >> 2 & 3) << 4) - 32);
			b->q[j + 64 + l] = (int8_t)(((ql[l] >> 4) | (qh[l] >> 4 & 3) << 4) - 32);
			b->q[j + 96 + l] = (int8_t)(((ql[l+32] >> 4) | (qh[l] >> 6 & 3) << 4) - 32);
		}
	}
}

/* ggml's float operations: (d*scale)*q - dmin*min, the min term only for types that have one. */
static void
kblock_to_float(const KBlock *b, int hasmin, float *y)
{
	int j, l;
	float dl, ml;

	for(j = 0; j < QK_K/16; j++){
		dl = b->d * b->sc[j];
		ml = b->dmin * b->m[j];
		if(hasmin)
			for(l = 0; l < 16; l++)
				y[16*j + l] = dl * b->q[16*j + l] - ml;
		else
			for(l = 0; l < 16; l++)
				y[16*j + l] = dl * b->q[16*j + l];
	}
}

/* The block's dot product with a Q8_K block, integer sums exact. */
static float
kblock_dot(const KBlock *b, const block_q8_K *y)
{
	int32_t isum = 0, msum = 0, s;
	int j, l;

	for(j = 0; j < QK_K/16; j++){
		s = 0;
		for(l = 0; l < 16; l++)
			s += b->q[16*j + l] * y->qs[16*j + l];
		isum += b->sc[j] * s;
		msum += b->m[j] * y->bsums[j];
	}
	return y->d * b->d * (float)isum - y->d * b->dmin * (float)msum;
}

#define KQUANT(t, hasmin) \
void \
q_to_float_##t(const void *vx, float *y, int64_t n) \
{ \
	const uint8_t *x = vx; \
	KBlock b; \
	int64_t i; \
\
	for(i = 0; i < n/QK_K; i++){ \
		unpack_##t(x + i*sizeof(block_##t), &b); \
		kblock_to_float(&b, hasmin, y + i*QK_K); \
	} \
} \
\
void \
q_vec_dot_##t(int n, float *s, const void *vx, const void *vy) \
{ \
	const uint8_t *x = vx; \
	const block_q8_K *y = vy; \
	KBlock b; \
	float sum = 0; \
	int i; \
\
	for(i = 0; i < n/QK_K; i++){ \
		unpack_##t(x + i*sizeof(block_##t), &b); \
		sum += kblock_dot(&b, &y[i]); \
	} \
	*s = sum; \
}

KQUANT(q2_K, 1)
KQUANT(q3_K, 0)
KQUANT(q4_K, 1)
KQUANT(q5_K, 1)
KQUANT(q6_K, 0)

void
q_to_float_q8_K(const void *vx, float *y, int64_t n)
{
	const block_q8_K *x = vx;
	int64_t i;
	int j;

	for(i = 0; i < n/QK_K; i++)
		for(j = 0; j < QK_K; j++)
			y[i*QK_K + j] = x[i].d * x[i].qs[j];
}

/* ggml's nearest_int: round half to even through the float mantissa (|f| < 2^22). */
static int
nearest_int(float f)
{
	float v = f + 12582912.f;
	int32_t i;

	memcpy(&i, &v, 4);
	return (i & 0x007fffff) - 0x00400000;
}

/*
 * ggml's quantize_row_q8_K_ref, which its x86 CPU backend uses as is:
 * d = max/-127 where max is the first element of largest magnitude (so its
 * quant is -127), q = nearest_int(x*(-127/max)), and the sums of each 16.
 * An all-zero block gets zero sums too (ggml leaves them unwritten).
 */
void
q_from_float_q8_K(const float *x, void *vy, int64_t n)
{
	block_q8_K *y = vy;
	float amax, max, iscale;
	int64_t i;
	int j, l, v, sum;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		amax = max = 0;
		for(j = 0; j < QK_K; j++)
			if(fabsf(x[j]) > amax){
				amax = fabsf(x[j]);
				max = x[j];
			}
		memset(&y[i], 0, sizeof y[i]);
		if(amax == 0)
			continue;
		iscale = -127.f/max;
		for(j = 0; j < QK_K; j++){
			v = nearest_int(iscale * x[j]);
			y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
		}
		for(j = 0; j < QK_K/16; j++){
			sum = 0;
			for(l = 0; l < 16; l++)
				sum += y[i].qs[16*j + l];
			y[i].bsums[j] = (int16_t)sum;
		}
		y[i].d = 1/iscale;
	}
}
