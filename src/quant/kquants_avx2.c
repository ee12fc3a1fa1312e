/*
 * kquants_avx2.c - AVX2 dot products of the K-quants with Q8_K activations,
 * and the Q8_K activation quantizer, after ggml's x86 kernels.
 *
 * The quants are unsigned bytes (Q3_K and Q6_K keep their offset and take it
 * back out afterwards), so _mm256_maddubs_epi16 multiplies them with the
 * signed Q8_K bytes into int16 pairs without overflow; _mm256_madd_epi16 with
 * the sub-block scales widens to int32; each super-block's int32 sums become
 * floats once, scaled by d.  Integer sums are exact, so the results differ
 * from the plain C ones only in float summation order; the float operations
 * are ggml's, in its order (for Q2_K, Q3_K, Q4_K and Q6_K its AVX2 results
 * were reproduced bit for bit).
 * Only 32-bit lanes are extracted, so the file builds with -m32 too.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"
#include "kernels.h"
#include "kquants_x86.h"

#define INLINE static inline __attribute__((always_inline))
/*
 * The loops over rows and sub-blocks are unrolled so that the per-row
 * accumulators stay in registers and the scale shuffles get constant masks
 * (GCC does not do it by itself at -O2: 25% slower).
 */
#define UNROLL _Pragma("GCC unroll 4")

enum { NR_MAX = 4 };	/* activation rows at once */

/* The sums of the lanes, in ggml's order. */
INLINE float
hsum4(__m128 s)
{
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

INLINE float
hsum8(__m256 v)
{
	return hsum4(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}

INLINE int
hsum_i32(__m256i v)
{
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));

	s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
	return _mm_cvtsi128_si32(s);
}

INLINE float
hmax8(__m256 v)
{
	__m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	m = _mm_max_ps(m, _mm_movehl_ps(m, m));
	m = _mm_max_ss(m, _mm_movehdup_ps(m));
	return _mm_cvtss_f32(m);
}

INLINE __m256i
load32(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

/*
 * v holds the same eight int16 scales in both lanes; the result has scale 2k
 * in every int16 of the low lane and scale 2k+1 in the high lane: the scales
 * of the two sub-blocks of 16 that one 32-byte vector of quants covers.
 */
INLINE __m256i
lane_scales(__m256i v, int k)
{
	const __m256i pick = _mm256_setr_epi8(
		0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
		2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);

	return _mm256_shuffle_epi8(v, _mm256_add_epi8(pick, _mm256_set1_epi8((char)(4*k))));
}

/* Eight int16 scales: scale k in every int16 of both lanes (a sub-block of 32). */
INLINE __m256i
all_scale(__m256i v, int k)
{
	return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)((2*k + 1) << 8 | 2*k)));
}

/* Sixteen int8 scales as int16, sc[8h..8h+7] in both lanes. */
INLINE __m256i
half_scales(__m128i sc, int h)
{
	__m128i w = _mm_cvtepi8_epi16(h ? _mm_srli_si128(sc, 8) : sc);

	return _mm256_inserti128_si256(_mm256_castsi128_si256(w), w, 1);
}

/* The 2-bit field s (0..3) of each byte. */
INLINE __m256i
bits2(__m256i q, int s)
{
	return _mm256_and_si256(_mm256_srli_epi16(q, 2*s), _mm256_set1_epi8(3));
}

/* Row r of the activations, block i. */
INLINE const block_q8_K *
yblock(const void *y, size_t stride, int r, int i)
{
	return (const block_q8_K *)((const char *)y + r*stride) + i;
}

/*
 * Each kernel below works a weight row against nr activation rows (1 for
 * vec_dot, 4 for x4): a weight block is unpacked once and
 * used for every row, and each row's arithmetic is the same whatever nr is,
 * so the x4 results are bit-identical to the single-row ones.
 */

/* The end of block i: acc[r] += dx*dy * sumi[r] for each row. */
INLINE void
add_block(__m256 *acc, const __m256i *sumi, const void *y, size_t stride, int i, float dx, int nr)
{
	int r;

	UNROLL
	for(r = 0; r < nr; r++)
		acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(yblock(y, stride, r, i)->d * dx),
			_mm256_cvtepi32_ps(sumi[r]), acc[r]);
}

/*
 * Q2_K and Q3_K (three): 2-bit fields in the same places, sixteen scales.
 * Q2_K subtracts dmin*min*(q8 sums); a Q3_K quant is low - sub, sub 4 where
 * its high bit is clear, so two maddubs, both with unsigned weights.
 */
INLINE void
q23_rows(int n, float *s, const uint8_t *x, size_t bsize, int three, const void *y, size_t stride, int nr)
{
	__m256 acc[NR_MAX];
	__m256i sumi[NR_MAX];
	int i, h, k, r;

	UNROLL
	for(r = 0; r < nr; r++)
		acc[r] = _mm256_setzero_ps();
	for(i = 0; i < n/QK_K; i++, x += bsize){
		const uint8_t *qs = three ? FIELD(x, block_q3_K, qs) : FIELD(x, block_q2_K, qs);
		const float dx = half_at(three ? FIELD(x, block_q3_K, d) : FIELD(x, block_q2_K, d));
		const __m128i packed = _mm_loadu_si128((const __m128i *)FIELD(x, block_q2_K, scales));	/* Q2_K: min << 4 | scale */
		const __m128i sc = three ? q3_scales(FIELD(x, block_q3_K, scales)) : _mm_and_si128(packed, _mm_set1_epi8(0xF));
		const __m256i mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0xF)));
		const __m256i nohigh = three ? _mm256_xor_si256(load32(FIELD(x, block_q3_K, hmask)), _mm256_set1_epi8(-1)) :
			_mm256_setzero_si256();

		UNROLL
		for(r = 0; r < nr; r++){
			const block_q8_K *yb = yblock(y, stride, r, i);

			sumi[r] = _mm256_setzero_si256();
			if(!three)
				acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(-yb->d * half_at(FIELD(x, block_q2_K, dmin))),
					_mm256_cvtepi32_ps(_mm256_madd_epi16(mn, load32(yb->bsums))), acc[r]);
		}
		UNROLL
		for(h = 0; h < 2; h++){
			const __m256i q = load32(qs + 32*h);
			const __m256i scales = half_scales(sc, h);

			UNROLL
			for(k = 0; k < 4; k++){
				const __m256i low = bits2(q, k), ls = lane_scales(scales, k);
				const __m256i sub = _mm256_slli_epi16(_mm256_and_si256(
					_mm256_srli_epi16(nohigh, 4*h + k), _mm256_set1_epi8(1)), 2);

				UNROLL
				for(r = 0; r < nr; r++){
					const __m256i q8 = load32(yblock(y, stride, r, i)->qs + 128*h + 32*k);
					__m256i p = _mm256_maddubs_epi16(low, q8);

					if(three)
						p = _mm256_sub_epi16(p, _mm256_maddubs_epi16(sub, q8));
					sumi[r] = _mm256_add_epi32(sumi[r], _mm256_madd_epi16(ls, p));
				}
			}
		}
		add_block(acc, sumi, y, stride, i, dx, nr);
	}
	UNROLL
	for(r = 0; r < nr; r++)
		s[r] = hsum8(acc[r]);
}

/* The q8 sums of the eight sub-blocks of 32 of an activation super-block. */
INLINE __m128i
k4_bsums32(const int16_t *bsums)
{
	const __m256i b = load32(bsums);

	return _mm_hadd_epi16(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
}

/* Σ min_j * (q8 sum of sub-block j of 32), as four int32 partial sums. */
INLINE __m128i
k4_min_sums(__m256i scmin16, __m128i bsums32)
{
	return _mm_madd_epi16(_mm256_extracti128_si256(scmin16, 1), bsums32);
}

/*
 * Q4_K and Q5_K (five): the same but for Q5_K's fifth bits.  x points at
 * the first block's d, blocks are bsize apart, and qs is at offset qs_off.
 * bsums32, when not NULL, holds k4_bsums32 of each block of y (nr 1).
 */
INLINE void
k4_rows(int n, float *s, const uint8_t *x, size_t bsize, size_t qs_off, int five,
	const void *y, size_t stride, int nr, const __m128i *bsums32)
{
	const __m256i m4 = _mm256_set1_epi8(0xF), one = _mm256_set1_epi8(1);
	__m256 acc[NR_MAX];
	__m128 accm[NR_MAX];
	__m256i sumi[NR_MAX];
	int i, j, r;

	UNROLL
	for(r = 0; r < nr; r++){
		acc[r] = _mm256_setzero_ps();
		accm[r] = _mm_setzero_ps();
	}
	for(i = 0; i < n/QK_K; i++, x += bsize){
		/* d, dmin, scales: the same in Q5_K */
		const float dx = half_at(FIELD(x, block_q4_K, d)), mx = half_at(FIELD(x, block_q4_K, dmin));
		const __m256i scmin = _mm256_cvtepu8_epi16(k4_scales_mins(FIELD(x, block_q4_K, scales)));
		const __m256i scales = _mm256_permute2x128_si256(scmin, scmin, 0x00);
		const __m256i qh = five ? load32(FIELD(x, block_q5_K, qh)) : _mm256_setzero_si256();

		UNROLL
		for(r = 0; r < nr; r++){
			const block_q8_K *yb = yblock(y, stride, r, i);

			accm[r] = _mm_fmadd_ps(_mm_set1_ps(-yb->d * mx),
				_mm_cvtepi32_ps(k4_min_sums(scmin, bsums32 != NULL ? bsums32[i] : k4_bsums32(yb->bsums))), accm[r]);
			sumi[r] = _mm256_setzero_si256();
		}
		UNROLL
		for(j = 0; j < QK_K/64; j++){
			const __m256i q = load32(x + qs_off + 32*j);
			const __m256i sl = all_scale(scales, 2*j), sh = all_scale(scales, 2*j + 1);
			__m256i wl = _mm256_and_si256(q, m4);
			__m256i wh = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);

			if(five){
				wl = _mm256_or_si256(wl, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2*j), one), 4));
				wh = _mm256_or_si256(wh, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2*j + 1), one), 4));
			}
			UNROLL
			for(r = 0; r < nr; r++){
				const int8_t *q8 = yblock(y, stride, r, i)->qs + 64*j;
				const __m256i pl = _mm256_madd_epi16(sl, _mm256_maddubs_epi16(wl, load32(q8)));
				const __m256i ph = _mm256_madd_epi16(sh, _mm256_maddubs_epi16(wh, load32(q8 + 32)));

				sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(pl, ph));
			}
		}
		add_block(acc, sumi, y, stride, i, dx, nr);
	}
	UNROLL
	for(r = 0; r < nr; r++)
		s[r] = hsum8(acc[r]) + hsum4(accm[r]);
}

/* The quants are stored as q+32: maddubs takes them unsigned, and 32 Σ scale*bsum comes back out. */
INLINE void
q6_rows(int n, float *s, const void *vx, const void *y, size_t stride, int nr)
{
	const uint8_t *x = vx;
	const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3), top2 = _mm256_set1_epi8(0x30);
	__m256 acc[NR_MAX];
	__m256i sumi[NR_MAX];
	int i, h, k, r;

	UNROLL
	for(r = 0; r < nr; r++)
		acc[r] = _mm256_setzero_ps();
	for(i = 0; i < n/QK_K; i++, x += sizeof(block_q6_K)){
		const float dx = half_at(FIELD(x, block_q6_K, d));
		const __m128i sc = _mm_loadu_si128((const __m128i *)FIELD(x, block_q6_K, scales));
		const __m256i sc16 = _mm256_cvtepi8_epi16(sc);

		UNROLL
		for(r = 0; r < nr; r++)
			sumi[r] = _mm256_setzero_si256();
		UNROLL
		for(h = 0; h < 2; h++){
			const uint8_t *ql = FIELD(x, block_q6_K, ql) + 64*h;
			const __m256i lo = load32(ql), hi = load32(ql + 32), top = load32(FIELD(x, block_q6_K, qh) + 32*h);
			const __m256i scales = half_scales(sc, h);
			__m256i w[4];

			w[0] = _mm256_or_si256(_mm256_and_si256(lo, m4), _mm256_slli_epi16(_mm256_and_si256(top, m2), 4));
			w[1] = _mm256_or_si256(_mm256_and_si256(hi, m4),
				_mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(top, 2), m2), 4));
			w[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 4), m4), _mm256_and_si256(top, top2));
			w[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(hi, 4), m4),
				_mm256_and_si256(_mm256_srli_epi16(top, 2), top2));
			UNROLL
			for(k = 0; k < 4; k++){
				const __m256i ls = lane_scales(scales, k);

				UNROLL
				for(r = 0; r < nr; r++){
					const __m256i p = _mm256_maddubs_epi16(w[k],
						load32(yblock(y, stride, r, i)->qs + 128*h + 32*k));

					sumi[r] = _mm256_add_epi32(sumi[r], _mm256_madd_epi16(ls, p));
				}
			}
		}
		UNROLL
		for(r = 0; r < nr; r++){
			const __m256i offset = _mm256_madd_epi16(load32(yblock(y, stride, r, i)->bsums), sc16);

			sumi[r] = _mm256_sub_epi32(sumi[r], _mm256_slli_epi32(offset, 5));
		}
		add_block(acc, sumi, y, stride, i, dx, nr);
	}
	UNROLL
	for(r = 0; r < nr; r++)
		s[r] = hsum8(acc[r]);
}

/* vec_dot and the x4 kernel of each type, from its rows kernel */
#define KERNELS(t, call) \
static void \
dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	call(y, 0, 1); \
} \
\
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t stride) \
{ \
	call(y, stride, 4); \
}

#define Q2(y, st, nr) q23_rows(n, s, x, sizeof(block_q2_K), 0, y, st, nr)
#define Q3(y, st, nr) q23_rows(n, s, x, sizeof(block_q3_K), 1, y, st, nr)
#define Q4(y, st, nr) k4_rows(n, s, x, sizeof(block_q4_K), offsetof(block_q4_K, qs), 0, y, st, nr, NULL)
#define Q5(y, st, nr) k4_rows(n, s, x, sizeof(block_q5_K), offsetof(block_q5_K, qs), 1, y, st, nr, NULL)
#define Q6(y, st, nr) q6_rows(n, s, x, y, st, nr)

KERNELS(q2_K, Q2)
KERNELS(q3_K, Q3)
KERNELS(q4_K, Q4)
KERNELS(q5_K, Q5)
KERNELS(q6_K, Q6)

enum { K4_SHARED = 64 };	/* super-blocks whose activation sums the gemv keeps on the stack (1 KB) */

/* Q4_K/Q5_K rows against one activation: its sub-block sums are made once for all rows. */
INLINE void
k4_gemv(int n, float *s, const uint8_t *x, size_t xstride, const void *y, int nr, size_t bsize, size_t qs_off, int five)
{
	__m128i bsums32[K4_SHARED];
	const int nb = n/QK_K;
	int i, r;

	for(i = 0; i < nb && nb <= K4_SHARED; i++)
		bsums32[i] = k4_bsums32(yblock(y, 0, 0, i)->bsums);
	for(r = 0; r < nr; r++)
		k4_rows(n, s + r, x + (size_t)r*xstride, bsize, qs_off, five, y, 0, 1, nb <= K4_SHARED ? bsums32 : NULL);
}

static void
gemv_q4_K(int n, float *s, const void *x, size_t xstride, const void *y, int nr)
{
	k4_gemv(n, s, x, xstride, y, nr, sizeof(block_q4_K), offsetof(block_q4_K, qs), 0);
}

static void
gemv_q5_K(int n, float *s, const void *x, size_t xstride, const void *y, int nr)
{
	k4_gemv(n, s, x, xstride, y, nr, sizeof(block_q5_K), offsetof(block_q5_K, qs), 1);
}

/*
 * The Q8_K quantizer with the bytes of the plain one (ggml's reference):
 * the product x*iscale is one rounded multiply, and _mm256_cvtps_epi32
 * rounds half to even as nearest_int does.  A block holding a NaN or an
 * infinity, or whose scale overflows, goes to the plain code: there the
 * integer tricks give other bytes than the conversion instruction.
 */
static void
from_float_q8_K(const float *x, void *vy, int64_t n)
{
	block_q8_K *y = vy;
	const __m256 sign = _mm256_set1_ps(-0.0f);
	const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	int64_t i;
	int j;

	for(i = 0; i < n/QK_K; i++, x += QK_K){
		__m256 vmax = _mm256_setzero_ps(), nan = _mm256_setzero_ps(), v, iv;
		float amax, max, iscale;

		for(j = 0; j < QK_K; j += 8){
			v = _mm256_loadu_ps(x + j);
			vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, v));
			nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
		}
		amax = hmax8(vmax);
		if(_mm256_movemask_ps(nan) != 0 || !isfinite(amax) || amax == 0){
			q_from_float_q8_K(x, &y[i], QK_K);
			continue;
		}
		for(j = 0; fabsf(x[j]) != amax; j++)
			;
		max = x[j];	/* the first of largest magnitude, as the plain code picks */
		iscale = -127.f/max;
		if(!isfinite(iscale)){	/* max so small that iscale overflows */
			q_from_float_q8_K(x, &y[i], QK_K);
			continue;
		}
		iv = _mm256_set1_ps(iscale);
		for(j = 0; j < QK_K; j += 32){
			__m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(iv, _mm256_loadu_ps(x + j)));
			__m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(iv, _mm256_loadu_ps(x + j + 8)));
			__m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(iv, _mm256_loadu_ps(x + j + 16)));
			__m256i e = _mm256_cvtps_epi32(_mm256_mul_ps(iv, _mm256_loadu_ps(x + j + 24)));
			__m256i q = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, e));

			/* the saturating packs are the plain code's MIN(127, v): no value exceeds 127 */
			_mm256_storeu_si256((__m256i *)(y[i].qs + j), _mm256_permutevar8x32_epi32(q, order));
			y[i].bsums[j/16] = (int16_t)hsum_i32(_mm256_add_epi32(a, b));
			y[i].bsums[j/16 + 1] = (int16_t)hsum_i32(_mm256_add_epi32(c, e));
		}
		y[i].d = 1/iscale;
	}
}

/* Q2_K, Q3_K and Q6_K have no gemv of their own: a row at a time is as fast */
#define SET(id, t) tab[id].vec_dot = dot_##t, tab[id].x4 = x4_##t

void
quant_avx2_kquants(QuantType *tab)
{
	SET(LB_Q2_K, q2_K);
	SET(LB_Q3_K, q3_K);
	SET(LB_Q4_K, q4_K);
	SET(LB_Q5_K, q5_K);
	SET(LB_Q6_K, q6_K);
	tab[LB_Q4_K].gemv = gemv_q4_K;
	tab[LB_Q5_K].gemv = gemv_q5_K;
	tab[LB_Q8_K].from_float = from_float_q8_K;
}
