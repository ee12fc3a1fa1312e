/*
 * legacy_avx2.c - q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl dot products and the q8_0/q8_1
 * activation quantizers for AVX2 + FMA + F16C.
 *
 * The arithmetic is legacy_avx2.h's.  dot_tile does it for nw weight rows
 * against nr activation rows at once (1 x 1 for vec_dot, 1 x 4 for x4,
 * TILE_R x TILE_C for tile): a pair of weight blocks is
 * decoded once for every activation row, an activation block's scales and
 * bias terms found once for every weight row, and each (weight row,
 * activation row) gets the same arithmetic whatever the shape.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"
#include "legacy_avx2.h"
#include "qconv.h"

enum { NW_MAX = TILE_R, NR_MAX = TILE_C > 4 ? TILE_C : 4 };

/*
 * The cnt (1..8) blocks of a group of nw weight rows x (xstride apart)
 * against the same blocks of nr activation rows y: acc[w][r] and, with a
 * min, macc[w][r] take the group's terms.  sy is the q8_1 block's s, m the
 * q4_1/q5_1 block's min, both right after d.  With a bias (q4_0, q5_0 in
 * tiles) the weights are the unsigned _u ones and the products
 * biased_products: no sign per (w, r), one bias term per activation block.
 */
INLINE void
group_tile(__m256 acc[][NR_MAX], __m256 macc[][NR_MAX], const uint8_t *x, size_t xstride, int nw,
	const uint8_t *y, size_t ystride, int nr, int cnt, Weights *weights, size_t xsize, int hasmin, int wide, int bias)
{
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	const size_t yqs = hasmin ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs);
	const __m256i zero = _mm256_setzero_si256();
	__m256i qx[2], ax[2], qy, p[2], corr[NR_MAX][2], t[NW_MAX][NR_MAX], f[NW_MAX][NR_MAX], sums[NW_MAX][NR_MAX];
	__m256 dy[NR_MAX];
	int pair, b, j, w, r;

	UNROLL
	for(pair = 0; pair < GROUP/2; pair++){
		if(bias)
			UNROLL
			for(r = 0; r < nr; r++)
				UNROLL
				for(b = 0; b < 2; b++){
					j = 2*pair + b;
					qy = j < cnt ? load32(y + r*ystride + j*ysize + yqs) : zero;
					corr[r][b] = bias_products(qy, bias);
				}
		UNROLL
		for(w = 0; w < nw; w++){
			UNROLL
			for(b = 0; b < 2; b++){
				j = 2*pair + b;
				qx[b] = j < cnt ? weights(x + w*xstride + j*xsize) : zero;
				ax[b] = hasmin || bias ? qx[b] : _mm256_sign_epi8(qx[b], qx[b]);
			}
			UNROLL
			for(r = 0; r < nr; r++){
				UNROLL
				for(b = 0; b < 2; b++){
					j = 2*pair + b;
					qy = j < cnt ? load32(y + r*ystride + j*ysize + yqs) : zero;
					if(bias)
						p[b] = biased_products(qx[b], qy, corr[r][b]);
					else
						p[b] = products(ax[b], qx[b], qy, !hasmin);
				}
				p[0] = pair_sums(p[0], p[1], wide);
				if(pair % 2 == 0)
					t[w][r] = p[0];
				else if(pair == 1)
					f[w][r] = fold2(t[w][r], p[0]);
				else
					sums[w][r] = fold4(f[w][r], fold2(t[w][r], p[0]));
			}
		}
	}
	UNROLL
	for(r = 0; r < nr; r++)
		dy[r] = halves(y + r*ystride, ysize, cnt);
	UNROLL
	for(w = 0; w < nw; w++){
		const __m256 dx = halves(x + w*xstride, xsize, cnt);

		UNROLL
		for(r = 0; r < nr; r++)
			acc[w][r] = _mm256_fmadd_ps(_mm256_mul_ps(dx, dy[r]), _mm256_cvtepi32_ps(sums[w][r]), acc[w][r]);
	}
	if(hasmin){	/* m follows d in q4_1 and q5_1, s follows d in q8_1 */
		UNROLL
		for(r = 0; r < nr; r++){
			const __m256 sy = halves(y + r*ystride + offsetof(block_q8_1, s), ysize, cnt);

			UNROLL
			for(w = 0; w < nw; w++)
				macc[w][r] = _mm256_fmadd_ps(halves(x + w*xstride + offsetof(block_q4_1, m), xsize, cnt),
					sy, macc[w][r]);
		}
	}
}

/* s[r*sstride + w] = (x + w*xstride) . (y + r*ystride) for w < nw, r < nr; bias as group_tile's */
INLINE void
dot_tile(int n, float *s, size_t sstride, const uint8_t *x, size_t xstride, int nw,
	const uint8_t *y, size_t ystride, int nr, Weights *weights, size_t xsize, int hasmin, int wide, int bias)
{
	const int nb = n / QK;
	const size_t ysize = hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
	__m256 acc[NW_MAX][NR_MAX], macc[NW_MAX][NR_MAX];
	int i, w, r;

	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			acc[w][r] = macc[w][r] = _mm256_setzero_ps();
	for(i = 0; i + GROUP <= nb; i += GROUP)
		group_tile(acc, macc, x + i*xsize, xstride, nw, y + i*ysize, ystride, nr, GROUP,
			weights, xsize, hasmin, wide, bias);
	if(i < nb)
		group_tile(acc, macc, x + i*xsize, xstride, nw, y + i*ysize, ystride, nr, nb - i,
			weights, xsize, hasmin, wide, bias);
	UNROLL
	for(w = 0; w < nw; w++)
		UNROLL
		for(r = 0; r < nr; r++)
			s[r*sstride + w] = hasmin ? chains_sum(acc[w][r]) + chains_sum(macc[w][r]) : chains_sum(acc[w][r]);
}

/* tw and bias: the weights and bias of the tile kernel */
#define DOT(t, hasmin, wide, tw, bias) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	dot_tile(n, s, 0, x, 0, 1, y, 0, 1, w_##t, sizeof(block_##t), hasmin, wide, 0); \
} \
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	dot_tile(n, s, 1, x, 0, 1, y, ystride, 4, w_##t, sizeof(block_##t), hasmin, wide, 0); \
} \
/* a tile of fewer than TILE_C activation rows: vec_dot on each pair (the same arithmetic) */ \
static void \
tile_##t(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	int r, c; \
\
	if(nc == TILE_C){ \
		dot_tile(n, s, sstride, x, xstride, TILE_R, y, ystride, TILE_C, tw, sizeof(block_##t), hasmin, wide, bias); \
		return; \
	} \
	for(r = 0; r < TILE_R; r++) \
		for(c = 0; c < nc; c++) \
			vec_dot_##t(n, s + c*sstride + r, (const uint8_t *)x + r*xstride, (const uint8_t *)y + c*ystride); \
}

DOT(q4_0, 0, 0, w_q4_0u, 8)
DOT(q4_1, 1, 0, w_q4_1, 0)
DOT(q5_0, 0, 0, w_q5_0u, 16)
DOT(q5_1, 1, 0, w_q5_1, 0)
DOT(q8_0, 0, 1, w_q8_0, 0)
DOT(iq4_nl, 0, 1, w_iq4_nl, 0)

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

/* The sum of 32 int8 at q: pairs into int16 (at most 254 apart from zero: no saturation), then into int32. */
static int32_t
bytes_sum(const int8_t *q)
{
	__m256i v = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), _mm256_loadu_si256((const __m256i *)q)),
		_mm256_set1_epi16(1));
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));

	s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
	return _mm_cvtsi128_si32(s);
}

/*
 * q_q8x_row's blocks (d and s as halves, made by F16C as q_fp16_f16c does,
 * the sum of the saturated quants) with the instructions for them: its plain C
 * halves and byte loop took twice q8_block's time, 2.4% of a 16-row step.
 */
static void
from_float_q8x(const float *x, void *vy, int64_t n)
{
	block_q8x *b = vy;
	int64_t i;
	int32_t wrapped;
	float d;
	__m128 h;

	for(i = 0; i < n / QK; i++, x += QK, b++){
		wrapped = q8_block(x, &d, b->qs);
		h = _mm_cvtph_ps(_mm_cvtps_ph(_mm_setr_ps(d, d*(float)wrapped, 0, 0), _MM_FROUND_TO_NEAREST_INT));
		b->d = _mm_cvtss_f32(h);
		b->s = _mm_cvtss_f32(_mm_movehdup_ps(h));
		b->sum = bytes_sum(b->qs);
	}
}

#define SET(id, t) \
	tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, tab[id].tile = tile_##t, \
	tab[id].tr = TILE_R, tab[id].tc = TILE_C

void
quant_avx2_legacy(QuantType *tab)
{
	SET(LB_Q4_0, q4_0);
	SET(LB_Q4_1, q4_1);
	SET(LB_Q5_0, q5_0);
	SET(LB_Q5_1, q5_1);
	SET(LB_Q8_0, q8_0);
	SET(LB_IQ4_NL, iq4_nl);
	tab[LB_Q8_0].from_float = from_float_q8_0;
	tab[LB_Q8_1].from_float = from_float_q8_1;
	tab[LB_Q8X].from_float = from_float_q8x;
}
