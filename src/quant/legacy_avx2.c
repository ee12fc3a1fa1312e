/*
 * legacy_avx2.c - q4_0, q4_1, q5_0, q5_1, q8_0 dot products and the q8_0/q8_1
 * activation quantizers for AVX2 + FMA + F16C.
 *
 * The arithmetic is legacy_avx2.h's.  dot_rows does it for one weight row
 * against nr activation rows at once (nr = 1 for vec_dot, 4 for the gemm.h
 * kernels): a pair of weight blocks is decoded once and used for every row,
 * and each row's arithmetic is the same whatever nr is.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"
#include "legacy_avx2.h"
#include "qconv.h"
#include "quant.h"

enum { NR_MAX = 4 };

/*
 * The cnt (1..8) blocks of a group of the weight row x against the same
 * blocks of nr activation rows: acc[r] and, with a min, macc[r] take the
 * group's terms.  sy is the q8_1 block's s, m the q4_1/q5_1 block's min,
 * both right after d.
 */
INLINE void
group_rows(__m256 *acc, __m256 *macc, const uint8_t *x, const uint8_t *y, size_t ystride, int nr, int cnt,
	Weights *weights, size_t xsize, int hasmin, int wide)
{
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	const size_t yqs = hasmin ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs);
	const __m256i zero = _mm256_setzero_si256();
	const __m256 dx = halves(x, xsize, cnt);
	__m256i qx[2], ax[2], qy, p[2], t[NR_MAX], f[NR_MAX], sums[NR_MAX];
	int pair, b, j, r;

	UNROLL
	for(pair = 0; pair < GROUP/2; pair++){
		UNROLL
		for(b = 0; b < 2; b++){
			j = 2*pair + b;
			qx[b] = j < cnt ? weights(x + j*xsize) : zero;
			ax[b] = hasmin ? qx[b] : _mm256_sign_epi8(qx[b], qx[b]);
		}
		UNROLL
		for(r = 0; r < nr; r++){
			UNROLL
			for(b = 0; b < 2; b++){
				j = 2*pair + b;
				qy = j < cnt ? load32(y + r*ystride + j*ysize + yqs) : zero;
				p[b] = products(ax[b], qx[b], qy, !hasmin);
			}
			p[0] = pair_sums(p[0], p[1], wide);
			if(pair % 2 == 0)
				t[r] = p[0];
			else if(pair == 1)
				f[r] = fold2(t[r], p[0]);
			else
				sums[r] = fold4(f[r], fold2(t[r], p[0]));
		}
	}
	UNROLL
	for(r = 0; r < nr; r++){
		const __m256 d = _mm256_mul_ps(dx, halves(y + r*ystride, ysize, cnt));

		acc[r] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sums[r]), acc[r]);
	}
	if(hasmin){	/* m follows d in q4_1 and q5_1, s follows d in q8_1 */
		const __m256 m = halves(x + offsetof(block_q4_1, m), xsize, cnt);

		UNROLL
		for(r = 0; r < nr; r++)
			macc[r] = _mm256_fmadd_ps(m, halves(y + r*ystride + offsetof(block_q8_1, s), ysize, cnt), macc[r]);
	}
}

INLINE void
dot_rows(int n, float *s, const uint8_t *x, const uint8_t *y, size_t ystride, int nr,
	Weights *weights, size_t xsize, int hasmin, int wide)
{
	const int nb = n / QK;
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	__m256 acc[NR_MAX], macc[NR_MAX];
	int i, r;

	UNROLL
	for(r = 0; r < nr; r++)
		acc[r] = macc[r] = _mm256_setzero_ps();
	for(i = 0; i + GROUP <= nb; i += GROUP)
		group_rows(acc, macc, x + i*xsize, y + i*ysize, ystride, nr, GROUP, weights, xsize, hasmin, wide);
	if(i < nb)
		group_rows(acc, macc, x + i*xsize, y + i*ysize, ystride, nr, nb - i, weights, xsize, hasmin, wide);
	UNROLL
	for(r = 0; r < nr; r++)
		s[r] = hasmin ? chains_sum(acc[r]) + chains_sum(macc[r]) : chains_sum(acc[r]);
}

#define DOT(t, hasmin, wide) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	dot_rows(n, s, x, y, 0, 1, w_##t, sizeof(block_##t), hasmin, wide); \
} \
void \
q_vec_dot_##t##_x4_avx2(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	dot_rows(n, s, x, y, ystride, 4, w_##t, sizeof(block_##t), hasmin, wide); \
}

DOT(q4_0, 0, 0)
DOT(q4_1, 1, 0)
DOT(q5_0, 0, 0)
DOT(q5_1, 1, 0)
DOT(q8_0, 0, 1)

/*
 * A block of activations exactly as ggml's x86 quantize_row_q8_0/q8_1 (and
 * legacy.c's q8_block): the max |x| reduced in the same order, d = amax/127,
 * q = round-half-even(x*(127/amax)), saturated to int8.  Returns the wrapped
 * 32-bit sum of the rounded values.
 */
static int32_t
q8_block(const float *x, float *d, int8_t *q)
{
	const __m256 sign = _mm256_set1_ps(-0.0f);
	const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
	__m256 v[4], m, id;
	__m256i iv[4], packed;
	__m128i sum;
	__m128 m4;
	float amax;
	int k;

	for(k = 0; k < 4; k++)
		v[k] = _mm256_loadu_ps(x + 8*k);
	m = _mm256_andnot_ps(sign, v[0]);
	for(k = 1; k < 4; k++)
		m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
	m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
	m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
	m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
	amax = _mm_cvtss_f32(m4);

	*d = amax / 127.f;
	id = _mm256_set1_ps(amax != 0.0f ? 127.f/amax : 0.0f);
	for(k = 0; k < 4; k++)
		iv[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], id),
			_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	/* the packs work within 128-bit halves; the permutation puts the bytes back in order */
	packed = _mm256_packs_epi16(_mm256_packs_epi32(iv[0], iv[1]), _mm256_packs_epi32(iv[2], iv[3]));
	_mm256_storeu_si256((__m256i *)q, _mm256_permutevar8x32_epi32(packed, order));

	iv[0] = _mm256_add_epi32(_mm256_add_epi32(iv[0], iv[1]), _mm256_add_epi32(iv[2], iv[3]));
	sum = _mm_add_epi32(_mm256_castsi256_si128(iv[0]), _mm256_extracti128_si256(iv[0], 1));
	sum = _mm_add_epi32(sum, _mm_unpackhi_epi64(sum, sum));
	sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(sum);
}

static void from_float_q8_0(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 0, q8_block); }
static void from_float_q8_1(const float *x, void *y, int64_t n) { q_q8_row(x, y, n, 1, q8_block); }

void
quant_avx2_legacy(struct QuantType *tab)
{
	tab[LB_Q4_0].vec_dot = vec_dot_q4_0;
	tab[LB_Q4_1].vec_dot = vec_dot_q4_1;
	tab[LB_Q5_0].vec_dot = vec_dot_q5_0;
	tab[LB_Q5_1].vec_dot = vec_dot_q5_1;
	tab[LB_Q8_0].vec_dot = vec_dot_q8_0;
	tab[LB_Q8_0].from_float = from_float_q8_0;
	tab[LB_Q8_1].from_float = from_float_q8_1;
}
