/*
 * kquants_avx512.c - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS with AVX-512
 * (BW, VNNI) against Q8_K activations, in every shape.
 *
 * The tier's arithmetic for these types, for a weight row x and an activation
 * row y (one chain, super-blocks in order, as plain C adds them):
 *	S_i = sum over sub-blocks j of sc_j * (q . y over sub-block j), q the
 *	      signed quants: exact in int32;
 *	M_i = sum over sub-blocks j of m_j * (the q8 sum of sub-block j), for the
 *	      types with mins (Q2_K, Q4_K, Q5_K): exact;
 *	c = fma(S_i, dx_i*dy_i, c), then for the types with mins
 *	c = fma(M_i, -(dmin_i*dy_i), c);
 *	the result is c.
 * One kernel does every shape: a weight super-block is unpacked once into its
 * 256 quants, unsigned (Q3_K + 4, Q6_K + 32: that offset times the scales
 * times the q8 sums comes out after), in four vectors, with its scales as
 * int16 in the places of the quants they scale; then for each of up to eight
 * activation rows vpmaddubsw and vpdpwssd give S_i's terms in sixteen lanes,
 * which are summed.  vec_dot (1 x 1), x4 (1 x 4), gemv (rows one after another,
 * each one stream) and tile (1 x 8) all give each row's chain the same terms.
 * The products fit vpmaddubsw's int16 pairs: quants below 64, |q8| <= 128.
 * IQ4_XS's quants are its table's values + 128, too wide for those pairs:
 * vpdpbusd sums four products in int32, multiplied by the sub-block's scale.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "avx512.h"
#include "blocks.h"
#include "fp16.h"
#include "kernels.h"
#include "qconv.h"
#include "kquants_x86.h"

#define UNROLL _Pragma("GCC unroll 8")

enum { COLS = 8 };

/* A weight super-block unpacked. */
typedef struct {
	__m512i q[4];	/* quants 64h .. 64h+63, unsigned */
	__m512i sc[4];	/* int16: at each pair of quants, the scale of their sub-block (IQ4_XS: int32, at each four) */
	__m256i corr;	/* int16, per sixteen quants: the mins (types with mins), or the scales (with an offset) */
	float d, dmin;
} KBlock;

/* The type: its block size, the offset its quants were taken unsigned with, and whether it has mins */
typedef struct {
	uint32_t type;
	size_t size;
	int offset, hasmin;
} Kind;

static const Kind k_q2_K = { LB_Q2_K, sizeof(block_q2_K), 0, 1 };
static const Kind k_q3_K = { LB_Q3_K, sizeof(block_q3_K), 4, 0 };
static const Kind k_q4_K = { LB_Q4_K, sizeof(block_q4_K), 0, 1 };
static const Kind k_q5_K = { LB_Q5_K, sizeof(block_q5_K), 0, 1 };
static const Kind k_q6_K = { LB_Q6_K, sizeof(block_q6_K), 32, 0 };
static const Kind k_iq4_xs = { LB_IQ4_XS, sizeof(block_iq4_xs), 128, 0 };

/*
 * Two fields of the 32 bytes at p: the low half of the result holds each
 * byte shifted right by lo, the high half by hi, both masked.
 */
INLINE __m512i
fields(const uint8_t *p, int lo, int hi, int mask)
{
	const __m512i b = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)p));
	const __m512i by = _mm512_inserti64x4(_mm512_set1_epi16((short)lo), _mm256_set1_epi16((short)hi), 1);

	return _mm512_and_si512(_mm512_srlv_epi16(b, by), _mm512_set1_epi8((char)mask));
}

INLINE __m512i
shl4(__m512i v)
{
	return _mm512_slli_epi16(v, 4);
}

/* sc[h] from scales of sixteen quants each (int16 in lanes 0..15 of v) */
INLINE void
scales16(KBlock *b, __m512i v)
{
	int h;

	UNROLL
	for(h = 0; h < 4; h++)
		b->sc[h] = _mm512_permutexvar_epi16(_mm512_inserti64x4(
			_mm512_castsi256_si512(_mm256_setr_epi16(4*h, 4*h, 4*h, 4*h, 4*h, 4*h, 4*h, 4*h,
				4*h + 1, 4*h + 1, 4*h + 1, 4*h + 1, 4*h + 1, 4*h + 1, 4*h + 1, 4*h + 1)),
			_mm256_setr_epi16(4*h + 2, 4*h + 2, 4*h + 2, 4*h + 2, 4*h + 2, 4*h + 2, 4*h + 2, 4*h + 2,
				4*h + 3, 4*h + 3, 4*h + 3, 4*h + 3, 4*h + 3, 4*h + 3, 4*h + 3, 4*h + 3), 1), v);
}

/* Q4_K and Q5_K: eight sub-blocks of 32, each with a scale and a min */
INLINE void
unpack_k4(KBlock *b, const uint8_t *x, int five)
{
	const __m256i sm = _mm256_cvtepu8_epi16(k4_scales_mins(FIELD(x, block_q4_K, scales)));	/* Q5_K's are at the same place */
	const __m512i sm512 = _mm512_castsi256_si512(sm);
	const uint8_t *qs = five ? FIELD(x, block_q5_K, qs) : FIELD(x, block_q4_K, qs);
	int h;

	b->d = half_at(FIELD(x, block_q4_K, d));
	b->dmin = half_at(FIELD(x, block_q4_K, dmin));
	UNROLL
	for(h = 0; h < 4; h++){
		b->q[h] = fields(qs + 32*h, 0, 4, 0x0F);
		if(five)
			b->q[h] = _mm512_or_si512(b->q[h], shl4(fields(FIELD(x, block_q5_K, qh), 2*h, 2*h + 1, 0x01)));
		b->sc[h] = _mm512_permutexvar_epi16(_mm512_inserti64x4(_mm512_set1_epi16((short)(2*h)),
			_mm256_set1_epi16((short)(2*h + 1)), 1), sm512);
	}
	/* mins, each for two groups of sixteen */
	b->corr = _mm256_permutexvar_epi16(_mm256_setr_epi16(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15), sm);
}

/* Q6_K: quants + 32 from four low bits (ql) and two high (qh); sixteen int8 scales */
INLINE void
unpack_q6(KBlock *b, const uint8_t *x)
{
	const __m512i low = _mm512_set1_epi8(0x0F);
	int hh;

	b->d = half_at(FIELD(x, block_q6_K, d));
	b->dmin = 0;
	UNROLL
	for(hh = 0; hh < 2; hh++){
		const __m512i ql = _mm512_loadu_si512(FIELD(x, block_q6_K, ql) + 64*hh);
		const uint8_t *qh = FIELD(x, block_q6_K, qh) + 32*hh;

		b->q[2*hh] = _mm512_or_si512(_mm512_and_si512(ql, low), shl4(fields(qh, 0, 2, 0x03)));
		b->q[2*hh + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low), shl4(fields(qh, 4, 6, 0x03)));
	}
	b->corr = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)FIELD(x, block_q6_K, scales)));
	scales16(b, _mm512_castsi256_si512(b->corr));
}

/*
 * Q2_K and Q3_K (three): 2-bit fields, bits 2s of byte l of each 32 bytes
 * being quant 32s + l of that 128; Q3_K adds 4 where hmask has the quant's
 * bit (its quant is low - 4 where the bit is clear).  Sixteen scales, and
 * for Q2_K sixteen mins, in a byte each.
 */
INLINE void
unpack_q23(KBlock *b, const uint8_t *x, int three)
{
	int hh, t;

	if(three){
		b->d = half_at(FIELD(x, block_q3_K, d));
		b->dmin = 0;
		b->corr = _mm256_cvtepi8_epi16(q3_scales(FIELD(x, block_q3_K, scales)));
	}else{
		const __m128i packed = _mm_loadu_si128((const __m128i *)FIELD(x, block_q2_K, scales));

		b->d = half_at(FIELD(x, block_q2_K, d));
		b->dmin = half_at(FIELD(x, block_q2_K, dmin));
		b->corr = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
		scales16(b, _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0F)))));
	}
	UNROLL
	for(hh = 0; hh < 2; hh++)
		UNROLL
		for(t = 0; t < 2; t++){
			const uint8_t *qs = three ? FIELD(x, block_q3_K, qs) : FIELD(x, block_q2_K, qs);

			b->q[2*hh + t] = fields(qs + 32*hh, 4*t, 4*t + 2, 0x03);
			if(three)
				b->q[2*hh + t] = _mm512_or_si512(b->q[2*hh + t], _mm512_slli_epi16(
					fields(FIELD(x, block_q3_K, hmask), 4*hh + 2*t, 4*hh + 2*t + 1, 0x01), 2));
		}
	if(three)
		scales16(b, _mm512_castsi256_si512(b->corr));
}

/*
 * IQ4_XS: eight sub-blocks of 32, each sixteen bytes whose low nibbles are
 * its first sixteen quants and high nibbles the others, picking values from
 * the table (+ 128: unsigned); a 6-bit scale (- 32) each.
 */
INLINE void
unpack_iq4xs(KBlock *b, const uint8_t *x)
{
	const __m512i values = _mm512_broadcast_i32x4(_mm_xor_si128(_mm_loadu_si128((const __m128i *)q_iq4nl_values),
		_mm_set1_epi8((char)0x80)));
	const __m256i low = _mm256_set1_epi8(0x0F);
	int16_t ls[QK_K/16];
	uint16_t h;
	int j;

	b->d = half_at(FIELD(x, block_iq4_xs, d));
	b->dmin = 0;
	memcpy(&h, FIELD(x, block_iq4_xs, scales_h), sizeof h);
	for(j = 0; j < QK_K/32; j++)
		ls[2*j] = ls[2*j + 1] = (int16_t)((((FIELD(x, block_iq4_xs, scales_l)[j/2] >> 4*(j%2)) & 0xf) |
			((h >> 2*j) & 3) << 4) - 32);
	b->corr = _mm256_loadu_si256((const __m256i *)ls);
	UNROLL
	for(j = 0; j < 4; j++){	/* sub-blocks 2j and 2j+1: [low 0..15 | high 0..15 | low 16..31 | high 16..31] */
		const __m256i qs = _mm256_loadu_si256((const __m256i *)(FIELD(x, block_iq4_xs, qs) + 32*j));
		const __m512i lh = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(qs, low)),
			_mm256_and_si256(_mm256_srli_epi16(qs, 4), low), 1);

		b->q[j] = _mm512_shuffle_epi8(values, _mm512_shuffle_i64x2(lh, lh, _MM_SHUFFLE(3, 1, 2, 0)));
		b->sc[j] = _mm512_inserti64x4(_mm512_set1_epi32(ls[4*j]), _mm256_set1_epi32(ls[4*j + 2]), 1);
	}
}

INLINE void
unpack(const Kind *k, KBlock *b, const uint8_t *x)
{
	switch(k->type){
	case LB_Q2_K: unpack_q23(b, x, 0); break;
	case LB_Q3_K: unpack_q23(b, x, 1); break;
	case LB_Q4_K: unpack_k4(b, x, 0); break;
	case LB_Q5_K: unpack_k4(b, x, 1); break;
	case LB_IQ4_XS: unpack_iq4xs(b, x); break;
	default: unpack_q6(b, x); break;
	}
}

/* S_i's terms (sixteen lanes) and the corrections' (eight) of a super-block against one activation block. */
INLINE void
block_terms(const Kind *k, const KBlock *b, const uint8_t *yb, __m512i *sum, __m256i *corr)
{
	int h;

	*sum = _mm512_setzero_si512();
	UNROLL
	for(h = 0; h < 4; h++){
		const __m512i y = _mm512_loadu_si512(yb + offsetof(block_q8_K, qs) + 64*h);

		if(k->type == LB_IQ4_XS)
			*sum = _mm512_add_epi32(*sum, _mm512_mullo_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), b->q[h], y),
				b->sc[h]));
		else
			*sum = _mm512_dpwssd_epi32(*sum, _mm512_maddubs_epi16(b->q[h], y), b->sc[h]);
	}
	*corr = _mm256_madd_epi16(b->corr, _mm256_loadu_si256((const __m256i *)(yb + offsetof(block_q8_K, bsums))));
}

/* Adds pairs of lanes of a and b: [a0+a2, b0+b2, a1+a3, b1+b3] in each 128 bits. */
INLINE __m512i
fold_pairs(__m512i a, __m512i b)
{
	return _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
}

/* Adds quads: [a, b, c, d] each summed over the 128 bits, for v = fold_pairs(a, b), w = fold_pairs(c, d). */
INLINE __m512i
fold_quads(__m512i v, __m512i w)
{
	return _mm512_add_epi32(_mm512_unpacklo_epi64(v, w), _mm512_unpackhi_epi64(v, w));
}

/*
 * The sums of eight activation rows' terms at once: lanes 0..3 and 8..11 the
 * S of rows 0..3 and 4..7, lanes 4..7 and 12..15 their corrections.
 */
INLINE __m512i
sums8(const __m512i *sum, const __m256i *corr)
{
	__m512i v[COLS], q[2];
	int c;

	UNROLL
	for(c = 0; c < COLS; c++)	/* S's sixteen lanes folded to eight, then its correction's eight beside them */
		v[c] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_add_epi32(_mm512_castsi512_si256(sum[c]),
			_mm512_extracti64x4_epi64(sum[c], 1))), corr[c], 1);
	q[0] = fold_quads(fold_pairs(v[0], v[1]), fold_pairs(v[2], v[3]));
	q[1] = fold_quads(fold_pairs(v[4], v[5]), fold_pairs(v[6], v[7]));
	return _mm512_add_epi32(_mm512_shuffle_i32x4(q[0], q[1], 0x88), _mm512_shuffle_i32x4(q[0], q[1], 0xDD));
}

/*
 * s[c*sstride] = x . (y + c*ystride) for c < nc (<= maxc, a constant <= 8,
 * so that the loops over the rows unroll): the weight row's super-blocks
 * unpacked once for all the activation rows.  With more than two rows their
 * sums are reduced together and their chains go in the lanes of a vector,
 * each lane's arithmetic that of one row's chain alone.
 */
INLINE void
row_kernel(const Kind *k, int n, float *s, size_t sstride, const uint8_t *x, const uint8_t *y, size_t ystride,
	int maxc, int nc)
{
	float acc[COLS], yd[COLS];
	__m512i sum[COLS];
	__m256i corr[COLS];
	__m256 vacc = _mm256_setzero_ps();
	KBlock b;
	int i, c;

	UNROLL
	for(c = 0; c < COLS; c++){
		acc[c] = 0;
		sum[c] = _mm512_setzero_si512();
		corr[c] = _mm256_setzero_si256();
		yd[c] = 0;
	}
	for(i = 0; i < n / QK_K; i++){
		unpack(k, &b, x + (size_t)i * k->size);
		UNROLL
		for(c = 0; c < maxc; c++){
			const uint8_t *yb = y + c*ystride + (size_t)i * sizeof(block_q8_K);

			if(c >= nc)
				break;
			block_terms(k, &b, yb, &sum[c], &corr[c]);
			memcpy(&yd[c], yb + offsetof(block_q8_K, d), sizeof yd[c]);
		}
		if(nc <= 2){
			UNROLL
			for(c = 0; c < maxc && c < nc; c++){
				int32_t sc = _mm512_reduce_add_epi32(sum[c]), t = _mm512_reduce_add_epi32(_mm512_castsi256_si512(corr[c]));

				if(k->offset)
					sc -= k->offset * t;
				acc[c] = fmaf((float)sc, b.d * yd[c], acc[c]);
				if(k->hasmin)
					acc[c] = fmaf((float)t, -(b.dmin * yd[c]), acc[c]);
			}
			continue;
		}
		/* [S of rows 0..7 | their corrections] */
		const __m512i st = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15),
			sums8(sum, corr));
		const __m256i tv = _mm512_extracti64x4_epi64(st, 1);
		const __m256 dy = _mm256_loadu_ps(yd);
		__m256i sv = _mm512_castsi512_si256(st);

		if(k->offset)
			sv = _mm256_sub_epi32(sv, _mm256_mullo_epi32(tv, _mm256_set1_epi32(k->offset)));
		vacc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sv), _mm256_mul_ps(_mm256_set1_ps(b.d), dy), vacc);
		if(k->hasmin)
			vacc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(tv), _mm256_xor_ps(_mm256_mul_ps(_mm256_set1_ps(b.dmin), dy),
				_mm256_set1_ps(-0.0f)), vacc);
	}
	if(nc > 2)
		_mm256_storeu_ps(acc, vacc);
	UNROLL
	for(c = 0; c < maxc && c < nc; c++)
		s[c*sstride] = acc[c];
}

/*
 * Packed Q4_K and Q6_K (quant.h's packed types): sixteen rows, one to a lane,
 * as the 32-element types' tiles have them.  Per super-block, the rows' quant
 * bytes transposed sixteen at a time (lane r of a vector: four bytes of row
 * r), then their scale bytes likewise, then their d (and dmin) as halves:
 * sixteen times a super-block's bytes.  vpdpbusd with four activation bytes
 * broadcast gives a row's sum over four quants in its lane; a sub-block's sums
 * times its scale (vpmulld) make S_i, the mins times the q8 sums M_i, each
 * exact, and each lane's chain then takes the rowwise kernel's float steps.
 */
enum {
	PK4_SC = 32 * 64, PK4_D = PK4_SC + 3 * 64, PK4_DMIN = PK4_D + 32,	/* Q4_K: quants at 0 */
	PK6_QH = 32 * 64, PK6_SC = PK6_QH + 16 * 64, PK6_D = PK6_SC + 4 * 64,	/* Q6_K: ql at 0 */
};

_Static_assert(PK4_DMIN + 32 == LANES * sizeof(block_q4_K), "packed Q4_K");
_Static_assert(PK6_D + 32 == LANES * sizeof(block_q6_K), "packed Q6_K");

/* nchunks sixteen-byte chunks at offset off of each lane, transposed, to dst */
INLINE void
pack_chunks(uint8_t *dst, const Lanes *w, size_t off, int nchunks)
{
	__m512i q[4];
	int c, s;

	for(c = 0; c < nchunks; c++){
		transpose16(q, w, off + 16*c);
		for(s = 0; s < 4; s++)
			_mm512_storeu_si512(dst + 256*c + 64*s, q[s]);
	}
}

/* Sixteen rows at x (xstride apart) into the packed layout at dst. */
INLINE void
repack16(const Kind *k, int n, const uint8_t *x, size_t xstride, uint8_t *dst)
{
	Lanes w;
	size_t b;
	int i;

	lanes_init(&w, x, xstride);
	for(i = 0; i < n / QK_K; i++, dst += LANES * k->size){
		b = (size_t)i * k->size;
		if(k->type == LB_Q4_K){
			pack_chunks(dst, &w, b + offsetof(block_q4_K, qs), 8);
			for(int d = 0; d < 3; d++)
				_mm512_storeu_si512(dst + PK4_SC + 64*d, lane_dwords(&w, b + offsetof(block_q4_K, scales) + 4*d));
			const __m512i head = lane_dwords(&w, b);	/* d, dmin */
			_mm256_storeu_si256((__m256i *)(dst + PK4_D), _mm512_cvtepi32_epi16(head));
			_mm256_storeu_si256((__m256i *)(dst + PK4_DMIN), _mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)));
		}else{
			pack_chunks(dst, &w, b + offsetof(block_q6_K, ql), 8);
			pack_chunks(dst + PK6_QH, &w, b + offsetof(block_q6_K, qh), 4);
			pack_chunks(dst + PK6_SC, &w, b + offsetof(block_q6_K, scales), 1);
			/* d is the block's last two bytes: the dword that ends with it */
			_mm256_storeu_si256((__m256i *)(dst + PK6_D), _mm512_cvtepi32_epi16(_mm512_srli_epi32(
				lane_dwords(&w, b + offsetof(block_q6_K, d) - 2), 16)));
		}
	}
}

/* Lane r: byte j (0..3) of lane r's dword in v, sign-extended (Q6_K's scales). */
INLINE __m512i
sbyte(__m512i v, int j)
{
	return _mm512_srai_epi32(_mm512_slli_epi32(v, 24 - 8*j), 24);
}

/* Q4_K's 6-bit scale (mins 0) or min (1) of sub-block j of each lane, from the scale dwords a[3]. */
INLINE __m512i
k4_field(const __m512i *a, int j, int mins)
{
	const __m512i six = _mm512_set1_epi32(63), four = _mm512_set1_epi32(15), two = _mm512_set1_epi32(3);

	if(j < 4)
		return _mm512_and_si512(_mm512_srli_epi32(a[mins], 8*j), six);
	j -= 4;
	return _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(a[2], 8*j + 4*mins), four),
		_mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a[mins], 8*j + 6), two), 4));
}

/*
 * A sub-block's nq (even) operands q against four activation bytes each (at
 * yq[c] + off) of nc rows: S[c] += sc * (init[c*istride] + q . y), the vpdpbusd in two
 * chains (exact: integers), so that each waits on the one before it less.
 */
INLINE void
sub_sums(__m512i *S, const __m512i *q, int nq, __m512i sc, const uint8_t *const *yq, size_t off, const int32_t *init,
	size_t istride, int maxc, int nc)
{
	__m512i p, p2;
	int32_t v, v2;
	int c, t;

	UNROLL
	for(c = 0; c < maxc; c++){
		if(c >= nc)
			break;
		p = _mm512_set1_epi32(init[c*istride]);
		p2 = _mm512_setzero_si512();
		UNROLL
		for(t = 0; t < nq; t += 2){
			memcpy(&v, yq[c] + off + 4*t, sizeof v);
			memcpy(&v2, yq[c] + off + 4*t + 4, sizeof v2);
			p = _mm512_dpbusd_epi32(p, q[t], _mm512_set1_epi32(v));
			p2 = _mm512_dpbusd_epi32(p2, q[t + 1], _mm512_set1_epi32(v2));
		}
		S[c] = _mm512_add_epi32(S[c], _mm512_mullo_epi32(_mm512_add_epi32(p, p2), sc));
	}
}

/*
 * s[c*sstride + r] = row r of the sixteen packed at x, dotted with y + c*ystride,
 * for c < nc (<= maxc, a constant).
 */
INLINE void
packed_kernel(const Kind *k, int n, float *s, size_t sstride, const uint8_t *x, const uint8_t *y, size_t ystride,
	int maxc, int nc)
{
	static const int32_t zero[1];
	const __m512i low = _mm512_set1_epi8(0x0F), two = _mm512_set1_epi8(0x03);
	__m512 acc[COLS], dx, dm;
	__m512i S[COLS], M[COLS], q[8], a[4], mp[4];
	const uint8_t *yq[COLS] = { NULL };
	int32_t init[COLS][QK_K/16];	/* Q6_K: -32 times the q8 sums of 16 */
	int16_t sum32[COLS][QK_K/32];	/* Q4_K: the q8 sums of 32, in pairs for vpdpwssd with the mins' pairs (for M) */
	float yd[COLS] = { 0 };
	int i, c, j, t, hh, q4;

	UNROLL
	for(c = 0; c < maxc && c < nc; c++)
		acc[c] = _mm512_setzero_ps();
	for(i = 0; i < n / QK_K; i++){
		const uint8_t *pb = x + (size_t)i * LANES * k->size;

		prefetch_ahead(pb, LANES * k->size);

		UNROLL
		for(c = 0; c < maxc; c++)
			S[c] = M[c] = _mm512_setzero_si512();
		UNROLL
		for(c = 0; c < maxc && c < nc; c++){
			const uint8_t *yb = y + c*ystride + (size_t)i * sizeof(block_q8_K);
			const __m256i bs = _mm256_loadu_si256((const __m256i *)(yb + offsetof(block_q8_K, bsums)));

			yq[c] = yb + offsetof(block_q8_K, qs);
			memcpy(&yd[c], yb + offsetof(block_q8_K, d), sizeof yd[c]);
			if(k->type == LB_Q4_K)
				_mm_storeu_si128((__m128i *)sum32[c], _mm256_cvtepi32_epi16(_mm256_madd_epi16(bs, _mm256_set1_epi16(1))));
			else
				_mm512_storeu_si512(init[c], _mm512_sub_epi32(_mm512_setzero_si512(),
					_mm512_slli_epi32(_mm512_cvtepi16_epi32(bs), 5)));
		}
		if(k->type == LB_Q4_K){
			for(j = 0; j < 3; j++)
				a[j] = _mm512_loadu_si512(pb + PK4_SC + 64*j);
			for(j = 0; j < 8; j++){	/* sub-block j: the low (even j) or high nibbles of quant bytes 32(j/2).. */
				UNROLL
				for(t = 0; t < 8; t++){
					q[t] = _mm512_loadu_si512(pb + 64*(8*(j/2) + t));
					q[t] = _mm512_and_si512(j % 2 ? _mm512_srli_epi16(q[t], 4) : q[t], low);
				}
				sub_sums(S, q, 8, k4_field(a, j, 0), yq, 32*j, zero, 0, maxc, nc);
			}
			for(j = 0; j < 4; j++)	/* the mins of sub-blocks 2j, 2j + 1 as int16 pairs */
				mp[j] = _mm512_or_si512(k4_field(a, 2*j, 1), _mm512_slli_epi32(k4_field(a, 2*j + 1, 1), 16));
			UNROLL
			for(c = 0; c < maxc && c < nc; c++)
				UNROLL
				for(j = 0; j < 4; j++){
					int32_t v;

					memcpy(&v, sum32[c] + 2*j, sizeof v);
					M[c] = _mm512_dpwssd_epi32(M[c], mp[j], _mm512_set1_epi32(v));
				}
			dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(pb + PK4_D)));
			dm = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(pb + PK4_DMIN)));
		}else{
			for(j = 0; j < 4; j++)
				a[j] = _mm512_loadu_si512(pb + PK6_SC + 64*j);
			for(hh = 0; hh < 2; hh++)
				for(q4 = 0; q4 < 4; q4++){	/* quants 128hh + 32q4 ..: sub-blocks j and j + 1 */
					j = 8*hh + 2*q4;
					UNROLL
					for(t = 0; t < 8; t++){
						const __m512i ql = _mm512_loadu_si512(pb + 64*(16*hh + 8*(q4 & 1) + t));
						const __m512i qh = _mm512_loadu_si512(pb + PK6_QH + 64*(8*hh + t));

						q[t] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4*(q4 >> 1)), low),
							_mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(qh, 2*q4), two), 4));
					}
					sub_sums(S, q, 4, sbyte(a[j/4], j % 4), yq, 16*j, &init[0][j], QK_K/16, maxc, nc);
					sub_sums(S, q + 4, 4, sbyte(a[(j + 1)/4], (j + 1) % 4), yq, 16*(j + 1), &init[0][j + 1], QK_K/16,
						maxc, nc);
				}
			dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(pb + PK6_D)));
			dm = _mm512_setzero_ps();
		}
		UNROLL
		for(c = 0; c < maxc && c < nc; c++){
			acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[c]), _mm512_mul_ps(dx, _mm512_set1_ps(yd[c])), acc[c]);
			if(k->hasmin)
				acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(M[c]), _mm512_xor_ps(_mm512_mul_ps(dm,
					_mm512_set1_ps(yd[c])), _mm512_set1_ps(-0.0f)), acc[c]);
		}
	}
	UNROLL
	for(c = 0; c < maxc && c < nc; c++)
		_mm512_storeu_ps(s + c*sstride, acc[c]);
}

#define DOT(t, n, s, sstride, x, y, ystride, ny) row_kernel(&k_##t, n, s, sstride, x, y, ystride, ny, ny)
#define SHAPES(t) \
Q_VEC_DOT_X4(t, DOT) \
Q_GEMV_ROWS(t, DOT) \
static void \
tile_##t(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	if(nc == COLS) \
		row_kernel(&k_##t, n, s, sstride, x, y, ystride, COLS, COLS); \
	else \
		row_kernel(&k_##t, n, s, sstride, x, y, ystride, COLS, nc); \
}

SHAPES(q2_K)
SHAPES(q3_K)
SHAPES(q4_K)
SHAPES(q5_K)
SHAPES(q6_K)
SHAPES(iq4_xs)

/* the packed types: sixteen rows at a time, each sixteen one stream */
#define PACKED(t) PACKED_SHAPES(t, packed_kernel, repack16, QK_K, COLS)

PACKED(q4_K)
PACKED(q6_K)

#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].gemv = gemv_##t, \
	tab[id].tile = tile_##t, tab[id].tr = 1, tab[id].tc = COLS
/* a type's packed twin */
#define SETP(id, pid, t, nm) \
	tab[id].packed = pid, tab[id].repack = repack_##t, \
	tab[pid] = tab[id], tab[pid].name = nm, tab[pid].to_float = NULL, tab[pid].from_float = NULL, \
	tab[pid].vec_dot = NULL, tab[pid].x4 = NULL, tab[pid].gemv = gemv_##t##p, tab[pid].tile = tile_##t##p, \
	tab[pid].tr = LANES, tab[pid].packed = 0, tab[pid].repack = NULL

void
quant_avx512_kquants(QuantType *tab)
{
	SET(LB_Q2_K, q2_K);
	SET(LB_Q3_K, q3_K);
	SET(LB_Q4_K, q4_K);
	SET(LB_Q5_K, q5_K);
	SET(LB_Q6_K, q6_K);
	SET(LB_IQ4_XS, iq4_xs);
	SETP(LB_Q4_K, LB_Q4_KP, q4_K, "Q4_K x16");
	SETP(LB_Q6_K, LB_Q6_KP, q6_K, "Q6_K x16");
}
