/*
 * gemv_avx2.c - the gemv kernels (quant.h) of the 32-element block types:
 * legacy_avx2.h's arithmetic, with the activation's share done once per call.
 *
 * q4_0 and q5_0 quants are taken unsigned here (value + 8 or 16: maddubs wants
 * its first operand unsigned, and that saves the sign trick's two operations
 * per block), and the offset's part, offset * Σqy of each block, comes out of
 * the integer sums afterwards: it depends on the activation alone, so it is
 * computed once for all rows, as are the activation scales (dy, and sy for
 * q4_1 and q5_1).  q8_0 quants are bytes already and keep the sign trick.
 * The sums are exact either way, so each row gets vec_dot's bits.
 *
 * The activation's share of up to CHUNK blocks lives on the stack (2 KB); a
 * longer row is done a chunk at a time, each chunk's share made again for
 * every row, so that the rows are still read one after another.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"
#include "legacy_avx2.h"

enum { CHUNKGROUPS = 32, CHUNK = CHUNKGROUPS * GROUP };	/* blocks: 8192 elements */

typedef struct {
	__m256 dy[CHUNKGROUPS];
	union {
		__m256i off;	/* offset * Σqy (q4_0, q5_0) */
		__m256 sy;	/* the q8_1 blocks' s (q4_1, q5_1) */
	} a[CHUNKGROUPS];
} Share;

/* The kind of a type: its decoder, block size, offset (8, 16 or 0), min, and wide quants (q8_0) */
typedef struct {
	Weights *weights;
	size_t xsize;
	int offset, hasmin, wide;
} Kind;

INLINE size_t
ysize(const Kind *k)
{
	return k->hasmin ? sizeof(block_q8_1) : sizeof(block_q8_0);
}

INLINE const uint8_t *
yquants(const Kind *k, const uint8_t *yb)
{
	return yb + (k->hasmin ? offsetof(block_q8_1, qs) : offsetof(block_q8_0, qs));
}

/*
 * S_i of the cnt blocks of a group, in the group layout: the weight row's
 * quants times y's, or (offset_only) the offset in every place times y's,
 * the offset's part.
 */
INLINE __m256i
sums(const Kind *k, const uint8_t *x, const uint8_t *y, int cnt, int offset_only)
{
	const __m256i zero = _mm256_setzero_si256();
	const int sign = !offset_only && !k->hasmin && k->offset == 0;
	__m256i qx, qy, p[2], pairs[GROUP/2];
	int pair, b, j;

	UNROLL
	for(pair = 0; pair < GROUP/2; pair++){
		UNROLL
		for(b = 0; b < 2; b++){
			j = 2*pair + b;
			qx = j >= cnt ? zero : offset_only ? _mm256_set1_epi8((char)k->offset) : k->weights(x + j*k->xsize);
			qy = j < cnt ? load32(yquants(k, y + j*ysize(k))) : zero;
			p[b] = products(sign ? _mm256_sign_epi8(qx, qx) : qx, qx, qy, sign);
		}
		pairs[pair] = pair_sums(p[0], p[1], k->wide);
	}
	return group_sums(pairs[0], pairs[1], pairs[2], pairs[3]);
}

/* The activation's share of blocks i0 .. i0+nb-1 (nb <= CHUNK). */
INLINE void
share(Share *sh, const Kind *k, const uint8_t *y, int i0, int nb)
{
	const uint8_t *yg;
	int g, cnt;

	for(g = 0; g*GROUP < nb; g++){
		cnt = nb - g*GROUP < GROUP ? nb - g*GROUP : GROUP;
		yg = y + (size_t)(i0 + g*GROUP)*ysize(k);
		sh->dy[g] = halves(yg, ysize(k), cnt);
		if(k->hasmin)
			sh->a[g].sy = halves(yg + offsetof(block_q8_1, s), ysize(k), cnt);
		else if(k->offset != 0)
			sh->a[g].off = sums(k, NULL, yg, cnt, 1);
	}
}

/* The cnt blocks of group g of a weight row: acc and macc take its terms. */
INLINE void
group(__m256 *acc, __m256 *macc, const Kind *k, const Share *sh, int g, const uint8_t *x, const uint8_t *y, int cnt)
{
	__m256i s = sums(k, x, y, cnt, 0);

	if(k->offset != 0)
		s = _mm256_sub_epi32(s, sh->a[g].off);
	*acc = _mm256_fmadd_ps(_mm256_mul_ps(halves(x, k->xsize, cnt), sh->dy[g]), _mm256_cvtepi32_ps(s), *acc);
	if(k->hasmin)
		*macc = _mm256_fmadd_ps(halves(x + offsetof(block_q4_1, m), k->xsize, cnt), sh->a[g].sy, *macc);
}

/* Blocks i0 .. i0+nb-1 of one weight row, the activation's share of them in sh. */
INLINE void
row_part(__m256 *acc, __m256 *macc, const Kind *k, const Share *sh, const uint8_t *x, const uint8_t *y, int i0, int nb)
{
	int g;

	x += (size_t)i0*k->xsize;
	y += (size_t)i0*ysize(k);
	for(g = 0; (g + 1)*GROUP <= nb; g++)
		group(acc, macc, k, sh, g, x + (size_t)g*GROUP*k->xsize, y + (size_t)g*GROUP*ysize(k), GROUP);
	if(g*GROUP < nb)
		group(acc, macc, k, sh, g, x + (size_t)g*GROUP*k->xsize, y + (size_t)g*GROUP*ysize(k), nb - g*GROUP);
}

INLINE void
gemv(int n, float *s, const uint8_t *x, size_t xstride, const uint8_t *y, int nr, const Kind *k)
{
	const int nb = n / QK;
	Share sh;
	__m256 acc, macc;
	int r, i;

	if(nb <= CHUNK)
		share(&sh, k, y, 0, nb);
	for(r = 0; r < nr; r++, x += xstride){
		acc = macc = _mm256_setzero_ps();
		for(i = 0; i < nb; i += CHUNK){
			if(nb > CHUNK)
				share(&sh, k, y, i, nb - i < CHUNK ? nb - i : CHUNK);
			row_part(&acc, &macc, k, &sh, x, y, i, nb - i < CHUNK ? nb - i : CHUNK);
		}
		s[r] = k->hasmin ? chains_sum(acc) + chains_sum(macc) : chains_sum(acc);
	}
}

#define GEMV(t, w, offset, hasmin, wide) \
static void \
gemv_##t(int n, float *s, const void *x, size_t xstride, const void *y, int nr) \
{ \
	const Kind k = { w, sizeof(block_##t), offset, hasmin, wide }; \
\
	gemv(n, s, x, xstride, y, nr, &k); \
}

GEMV(q4_0, w_q4_0u, 8, 0, 0)
GEMV(q4_1, w_q4_1, 0, 1, 0)
GEMV(q5_0, w_q5_0u, 16, 0, 0)
GEMV(q5_1, w_q5_1, 0, 1, 0)
GEMV(q8_0, w_q8_0, 0, 0, 1)
GEMV(iq4_nl, w_iq4_nl, 0, 0, 1)

void
quant_avx2_gemv(QuantType *tab)
{
	tab[LB_Q4_0].gemv = gemv_q4_0;
	tab[LB_Q4_1].gemv = gemv_q4_1;
	tab[LB_Q5_0].gemv = gemv_q5_0;
	tab[LB_Q5_1].gemv = gemv_q5_1;
	tab[LB_Q8_0].gemv = gemv_q8_0;
	tab[LB_IQ4_NL].gemv = gemv_iq4_nl;
}
