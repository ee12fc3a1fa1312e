/*
 * legacy_avx512.c - q4_0, q4_1, q5_0, q5_1, q8_0 and iq4_nl with AVX-512 VNNI against
 * q8x activations (blocks.h), in every shape, sixteen weight rows at a time.
 *
 * The tier's arithmetic for these types, for a weight row x and an activation
 * row y (one chain, blocks in order, as plain C adds them):
 *	S_i = the integer dot product of the quants of block i (exact);
 *	c = fma(S_i, dx_i*dy_i, c)	(dx_i*dy_i is exact: two halves);
 *	for q4_1 and q5_1 then c = fma(mx_i, sy_i, c);
 *	the result is c.
 * Sixteen weight rows share a vector, one to a lane: a block of each is loaded
 * and transposed so that lane r of vector s holds quants 4s..4s+3 of row r,
 * taken unsigned (q4_0 + 8, q5_0 + 16, q8_0 and iq4_nl's values + 128); vpdpbusd with the
 * activation's quants 4s..4s+3 broadcast adds their four products to each
 * row's lane, and the offset's part, offset times the activation block's sum,
 * starts the chain.  Every lane is one row's chain whatever the number of
 * activation rows: vec_dot (1 x 1), x4 (1 x 4) and tile (16 x up to 8; packed
 * rows, 16 x up to 16) are one kernel.  gemv reads its rows one after another instead (one stream):
 * sixteen blocks of a row in the lanes, their terms then taken into the
 * row's chain in order, the same terms and the same chain.
 */
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "avx512.h"
#include "blocks.h"
#include "kernels.h"

#define UNROLL _Pragma("GCC unroll 16")

/*
 * COLS: the tiles of rows in place; PCOLS: those of packed rows, whose blocks
 * are unpacked once for up to sixteen activation rows (a scheduler step of
 * sixteen generations reads every weight block once).
 */
enum { QK = 32, ROWS = 16, COLS = 8, PCOLS = 16 };

/* A weight type: where its block keeps what (d first, then m if it has one) */
typedef struct {
	size_t size, qs, qh;	/* bytes of a block; offsets of the quants and of the fifth bits (0: none) */
	int nibbles;	/* 4-bit quants, else bytes */
	int shift;	/* the offset taken out is 1 << shift (0: none) */
	int hasmin;
	int table;	/* iq4_nl: a nibble picks one of q_iq4nl_values */
} Kind;

static const Kind k_q4_0 = { sizeof(block_q4_0), offsetof(block_q4_0, qs), 0, 1, 3, 0, 0 };
static const Kind k_q4_1 = { sizeof(block_q4_1), offsetof(block_q4_1, qs), 0, 1, 0, 1, 0 };
static const Kind k_q5_0 = { sizeof(block_q5_0), offsetof(block_q5_0, qs), offsetof(block_q5_0, qh), 1, 4, 0, 0 };
static const Kind k_q5_1 = { sizeof(block_q5_1), offsetof(block_q5_1, qs), offsetof(block_q5_1, qh), 1, 0, 1, 0 };
static const Kind k_q8_0 = { sizeof(block_q8_0), offsetof(block_q8_0, qs), 0, 0, 7, 0, 0 };
static const Kind k_iq4_nl = { sizeof(block_iq4_nl), offsetof(block_iq4_nl, qs), 0, 1, 7, 0, 1 };

/* q5_0, q5_1: quant e = 4s+b of q[s] gets bit e of its lane's little-endian qh, bit 4(s%2)+b of byte s/2, as 16. */
INLINE void
fifth_bits(__m512i *q, __m512i qh)
{
	const __m512i dword = _mm512_set4_epi32(0x0C0C0C0C, 0x08080808, 0x04040404, 0);	/* byte 4d of dword d */
	__mmask64 set;
	int s;

	UNROLL
	for(s = 0; s < 8; s++){
		set = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qh, _mm512_add_epi8(dword, _mm512_set1_epi8((char)(s / 2)))),
			_mm512_set1_epi32(s % 2 ? (int)0x80402010 : 0x08040201));
		q[s] = _mm512_mask_add_epi8(q[s], set, q[s], _mm512_set1_epi8(0x10));
	}
}

/*
 * The quants of the block at offset blk of each lane, transposed (lane l of
 * q[s]: bytes 4s..4s+3 of lane l's quants; q8_0's taken unsigned, + 128): four
 * vectors of packed nibbles, or eight of bytes.
 */
INLINE void
lane_quants(__m512i *q, const Kind *k, const Lanes *w, size_t blk)
{
	int s;

	transpose16(q, w, blk + k->qs);
	if(k->nibbles)
		return;
	transpose16(q + 4, w, blk + k->qs + 16);
	UNROLL
	for(s = 0; s < 8; s++)
		q[s] = _mm512_xor_si512(q[s], _mm512_set1_epi8((char)0x80));
}

/* iq4_nl's sixteen values + 128 (unsigned, for vpdpbusd), in each 128-bit lane */
INLINE __m512i
iq4nl_table(void)
{
	__m128i v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)q_iq4nl_values), _mm_set1_epi8((char)0x80));

	return _mm512_broadcast_i32x4(v);
}

/* q[s], s < 8, from lane_quants' form: quants 4s..4s+3 of each lane, unsigned, with their fifth bits (qh) */
INLINE void
unpack_quants(__m512i *q, const Kind *k, __m512i qh)
{
	const __m512i low = _mm512_set1_epi8(0x0F);
	int s;

	if(!k->nibbles)
		return;
	UNROLL	/* low nibbles: quants 0..15, high: 16..31 */
	for(s = 0; s < 4; s++){
		q[s + 4] = _mm512_and_si512(_mm512_srli_epi16(q[s], 4), low);
		q[s] = _mm512_and_si512(q[s], low);
	}
	if(k->qh != 0)
		fifth_bits(q, qh);
	if(k->table)
		UNROLL
		for(s = 0; s < 8; s++)
			q[s] = _mm512_shuffle_epi8(iq4nl_table(), q[s]);
}

/*
 * The packed layout of sixteen rows (the tier's packed types): block by
 * block, the sixteen rows' block as lane_quants makes it (4 or 8 vectors),
 * then their d, their m (types with a min) as halves, their qh (q5_0, q5_1):
 * sixteen times a block's bytes.
 */
INLINE size_t pk_d(const Kind *k) { return k->nibbles ? 4*64 : 8*64; }
INLINE size_t pk_m(const Kind *k) { return pk_d(k) + 32; }
INLINE size_t pk_qh(const Kind *k) { return pk_d(k) + (k->hasmin ? 64 : 32); }

/* The weights of block i of the sixteen rows: quants, d and m, in place (lanes) or packed (at pb). */
INLINE void
weights(const Kind *k, const Lanes *w, const uint8_t *pb, size_t i, __m512i *q, __m512 *dx, __m512 *mx)
{
	__m512i head, qh = _mm512_setzero_si512();
	int s;

	if(pb != NULL){
		pb += i * ROWS * k->size;
		prefetch_ahead(pb, ROWS * k->size);
		UNROLL
		for(s = 0; s < 8; s++)
			if(s < 4 || !k->nibbles)
				q[s] = _mm512_loadu_si512(pb + 64*s);
		*dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(pb + pk_d(k))));
		if(k->hasmin)
			*mx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(pb + pk_m(k))));
		if(k->qh != 0)
			qh = _mm512_loadu_si512(pb + pk_qh(k));
	}else{
		head = lane_dwords(w, i * k->size);	/* d, and m after it */
		*dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head));
		*mx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)));
		lane_quants(q, k, w, i * k->size);
		if(k->qh != 0)
			qh = lane_dwords(w, i * k->size + k->qh);
	}
	unpack_quants(q, k, qh);
}

/*
 * The integer dot products of each lane's block with activation quants qy
 * (lane-wise or broadcast), exact: two chains of vpdpbusd, so that each waits
 * on the one before it less.
 */
INLINE __m512i
block_sums(const Kind *k, const __m512i *q, const __m512i *qy, __m512i ysum)
{
	__m512i a = _mm512_setzero_si512(), b = _mm512_setzero_si512();
	int j;

	UNROLL
	for(j = 0; j < 8; j += 2){
		a = _mm512_dpbusd_epi32(a, q[j], qy[j]);
		b = _mm512_dpbusd_epi32(b, q[j + 1], qy[j + 1]);
	}
	a = _mm512_add_epi32(a, b);
	if(k->shift)
		a = _mm512_sub_epi32(a, _mm512_slli_epi32(ysum, k->shift));
	return a;
}

/*
 * vpdpbusd with the signed operand a dword in memory, broadcast by the
 * instruction itself: compilers load a broadcast into a register of its own,
 * an instruction more for each of the tile's products.
 */
typedef struct { uint8_t b[4]; } Dword;

INLINE __m512i
dpbusd_bcast(__m512i acc, __m512i q, const uint8_t *p)
{
	__asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(q), "m"(*(const Dword *)p));
	return acc;
}

/* block_sums against one activation block's quants at yq, each dword broadcast; the offset starts the first chain. */
INLINE __m512i
block_sums_bcast(const Kind *k, const __m512i *q, const uint8_t *yq, int32_t ysum)
{
	__m512i a = k->shift ? _mm512_set1_epi32(-(int32_t)((uint32_t)ysum << k->shift)) : _mm512_setzero_si512();
	__m512i b = _mm512_setzero_si512();
	int j;

	UNROLL
	for(j = 0; j < 8; j += 2){
		a = dpbusd_bcast(a, q[j], yq + 4*j);
		b = dpbusd_bcast(b, q[j + 1], yq + 4*j + 4);
	}
	return _mm512_add_epi32(a, b);
}

/*
 * Sixteen weight rows, lane r for row r (at x + r*xstride; xstride 0: one
 * row; or, packed, sixteen rows at x in the packed layout), against ncols
 * activation rows, at most maxc (a constant: the loops over them unroll and
 * the accumulators stay in registers; one kernel serves every ncols):
 * s[c*sstride + r] = (x + r*xstride) . (y + c*ystride) for r < nrows, c < ncols.
 */
INLINE void
rows_kernel(const Kind *k, int packed, int n, float *s, size_t sstride, const uint8_t *x, size_t xstride, int nrows,
	const uint8_t *y, size_t ystride, int maxc, int ncols)
{
	const int nb = n / QK;
	__m512 acc[PCOLS], dx, mx;
	__m512i q[8];
	Lanes w;
	int i, c;

	lanes_init(&w, x, packed ? 0 : xstride);
	UNROLL
	for(c = 0; c < maxc; c++)
		acc[c] = _mm512_setzero_ps();
	for(i = 0; i < nb; i++){
		weights(k, &w, packed ? x : NULL, (size_t)i, q, &dx, &mx);
		UNROLL
		for(c = 0; c < maxc; c++){
			/* the block's fields read where they are (a copy of it goes through the stack) */
			const uint8_t *yb = y + c*ystride + (size_t)i*sizeof(block_q8x);
			int32_t sum;
			float d, sy;

			if(c >= ncols)
				break;
			memcpy(&sum, yb + offsetof(block_q8x, sum), sizeof sum);
			memcpy(&d, yb + offsetof(block_q8x, d), sizeof d);
			acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(block_sums_bcast(k, q, yb + offsetof(block_q8x, qs), sum)),
				_mm512_mul_ps(dx, _mm512_set1_ps(d)), acc[c]);
			if(k->hasmin){
				memcpy(&sy, yb + offsetof(block_q8x, s), sizeof sy);
				acc[c] = _mm512_fmadd_ps(mx, _mm512_set1_ps(sy), acc[c]);
			}
		}
	}
	UNROLL
	for(c = 0; c < maxc && c < ncols; c++)
		_mm512_mask_storeu_ps(s + c*sstride, (__mmask16)((1u << nrows) - 1), acc[c]);
}

/* Sixteen packed rows at x against ncols (<= maxc) activation rows (rows_kernel's arithmetic). */
INLINE void
packed_kernel(const Kind *k, int n, float *s, size_t sstride, const uint8_t *x, const uint8_t *y, size_t ystride,
	int maxc, int ncols)
{
	rows_kernel(k, 1, n, s, sstride, x, 0, ROWS, y, ystride, maxc, ncols);
}

/* Sixteen rows at x (xstride apart) into the packed layout at dst. */
INLINE void
repack16(const Kind *k, int n, const uint8_t *x, size_t xstride, uint8_t *dst)
{
	__m512i q[8], head;
	Lanes w;
	int i, s;

	lanes_init(&w, x, xstride);
	for(i = 0; i < n / QK; i++, dst += ROWS * k->size){
		lane_quants(q, k, &w, (size_t)i * k->size);
		for(s = 0; s < (k->nibbles ? 4 : 8); s++)
			_mm512_storeu_si512(dst + 64*s, q[s]);
		head = lane_dwords(&w, (size_t)i * k->size);
		_mm256_storeu_si256((__m256i *)(dst + pk_d(k)), _mm512_cvtepi32_epi16(head));
		if(k->hasmin)
			_mm256_storeu_si256((__m256i *)(dst + pk_m(k)), _mm512_cvtepi32_epi16(_mm512_srli_epi32(head, 16)));
		if(k->qh != 0)
			_mm512_storeu_si512(dst + pk_qh(k), lane_dwords(&w, (size_t)i * k->size + k->qh));
	}
}

/*
 * gemv: the weight rows one after another (one stream), sixteen blocks of a
 * row at a time, lane b for block b; the activation's blocks in the same
 * lanes are made once per call, a chunk at a time.  Each row's chain then
 * takes its blocks' terms in order, as rows_kernel's lanes do.
 */
enum { CHUNKGROUPS = 16, CHUNK = CHUNKGROUPS * ROWS };	/* blocks: 8192 elements, 11 KB of share */

typedef struct {
	__m512i qy[CHUNKGROUPS][8];
	__m512i sum[CHUNKGROUPS];
	__m512 d[CHUNKGROUPS], s[CHUNKGROUPS];
} Share;

/* Blocks i0 .. i0+nb-1 of activation row y, sixteen to a group (a short last group repeats its last block). */
INLINE void
share(Share *sh, const uint8_t *y, int i0, int nb)
{
	const block_q8x *yb = (const block_q8x *)y + i0;
	block_q8x tail[ROWS];
	Lanes l;
	int g, cnt, b;

	for(g = 0; g*ROWS < nb; g++){
		cnt = nb - g*ROWS < ROWS ? nb - g*ROWS : ROWS;
		if(cnt < ROWS){
			for(b = 0; b < ROWS; b++)
				tail[b] = yb[g*ROWS + (b < cnt ? b : cnt - 1)];
			lanes_init(&l, (const uint8_t *)tail, sizeof(block_q8x));
		}else
			lanes_init(&l, (const uint8_t *)(yb + g*ROWS), sizeof(block_q8x));
		transpose16(sh->qy[g], &l, offsetof(block_q8x, qs));
		transpose16(sh->qy[g] + 4, &l, offsetof(block_q8x, qs) + 16);
		sh->sum[g] = lane_dwords(&l, offsetof(block_q8x, sum));
		sh->d[g] = _mm512_castsi512_ps(lane_dwords(&l, offsetof(block_q8x, d)));
		sh->s[g] = _mm512_castsi512_ps(lane_dwords(&l, offsetof(block_q8x, s)));
	}
}

/* The terms of blocks 16g .. 16g+cnt-1 of weight row x: sums times scales, and mins times q8_1 sums. */
INLINE void
group_terms(const Kind *k, const Share *sh, const uint8_t *x, int g, int cnt, float *sf, float *sc, float *mx, float *sy)
{
	uint8_t tail[ROWS * sizeof(block_q8_0)];
	__m512i q[8];
	__m512 dx, m;
	Lanes l;
	int b;

	x += (size_t)g*ROWS * k->size;
	if(cnt < ROWS){	/* the blocks there are, then copies of the last */
		for(b = 0; b < ROWS; b++)
			memcpy(tail + b*k->size, x + (size_t)(b < cnt ? b : cnt - 1) * k->size, k->size);
		x = tail;
	}
	lanes_init(&l, x, k->size);
	weights(k, &l, NULL, 0, q, &dx, &m);
	_mm512_storeu_ps(sf, _mm512_cvtepi32_ps(block_sums(k, q, sh->qy[g], sh->sum[g])));
	_mm512_storeu_ps(sc, _mm512_mul_ps(dx, sh->d[g]));
	if(k->hasmin){
		_mm512_storeu_ps(mx, m);
		_mm512_storeu_ps(sy, sh->s[g]);
	}
}

/*
 * Blocks i0 .. i0+nb-1 (nb <= CHUNK) of nr (<= RG) weight rows x apart into
 * their chains c: the rows' terms one row after another (each row read as one
 * stream: rows read in lockstep are several streams, served at a fraction of
 * the bandwidth), then the rows' chains interleaved, so that each FMA waits
 * less on the one before.
 */
enum { RG = 4 };

typedef struct {
	float sf[RG][CHUNK], sc[RG][CHUNK], mx[RG][CHUNK], sy[RG][CHUNK];
} Terms;

INLINE void
rows_part(const Kind *k, const Share *sh, Terms *t, const uint8_t *x, size_t xstride, int nr, int i0, int nb, float *c)
{
	int g, b, r;

	x += (size_t)i0 * k->size;
	for(r = 0; r < nr; r++)
		for(g = 0; g*ROWS < nb; g++)
			group_terms(k, sh, x + r*xstride, g, nb - g*ROWS < ROWS ? nb - g*ROWS : ROWS,
				t->sf[r] + g*ROWS, t->sc[r] + g*ROWS, t->mx[r] + g*ROWS, t->sy[r] + g*ROWS);
	for(b = 0; b < nb; b++)
		UNROLL
		for(r = 0; r < nr; r++){
			c[r] = fmaf(t->sf[r][b], t->sc[r][b], c[r]);
			if(k->hasmin)
				c[r] = fmaf(t->mx[r][b], t->sy[r][b], c[r]);
		}
}

INLINE void
gemv_kernel(const Kind *k, int n, float *s, const uint8_t *x, size_t xstride, const uint8_t *y, int nr)
{
	const int nb = n / QK;
	Share sh;
	Terms t;
	float c[RG];
	int r, i, j, m;

	if(nb <= CHUNK)
		share(&sh, y, 0, nb);
	for(r = 0; r < nr; r += RG){
		m = nr - r < RG ? nr - r : RG;
		for(j = 0; j < RG; j++)
			c[j] = 0;
		for(i = 0; i < nb; i += CHUNK){
			if(nb > CHUNK)
				share(&sh, y, i, nb - i < CHUNK ? nb - i : CHUNK);
			if(m == RG)
				rows_part(k, &sh, &t, x + r*xstride, xstride, RG, i, nb - i < CHUNK ? nb - i : CHUNK, c);
			else
				for(j = 0; j < m; j++)
					rows_part(k, &sh, &t, x + (r + j)*xstride, xstride, 1, i, nb - i < CHUNK ? nb - i : CHUNK, c + j);
		}
		for(j = 0; j < m; j++)
			s[r + j] = c[j];
	}
}

#define SHAPES(t) \
static void \
vec_dot_##t(int n, float *s, const void *x, const void *y) \
{ \
	rows_kernel(&k_##t, 0, n, s, 0, x, 0, 1, y, 0, 1, 1); \
} \
static void \
x4_##t(int n, float *s, const void *x, const void *y, size_t ystride) \
{ \
	rows_kernel(&k_##t, 0, n, s, 1, x, 0, 1, y, ystride, 4, 4); \
} \
static void \
gemv_##t(int n, float *s, const void *x, size_t xstride, const void *y, int nr) \
{ \
	gemv_kernel(&k_##t, n, s, x, xstride, y, nr); \
} \
static void \
tile_##t(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	if(nc == COLS)	/* the full tile its own instance: the compiler does best with every count known */ \
		rows_kernel(&k_##t, 0, n, s, sstride, x, xstride, ROWS, y, ystride, COLS, COLS); \
	else \
		rows_kernel(&k_##t, 0, n, s, sstride, x, xstride, ROWS, y, ystride, COLS, nc); \
} \
PACKED_SHAPES(t, packed_kernel, repack16, QK, PCOLS)

SHAPES(q4_0)
SHAPES(q4_1)
SHAPES(q5_0)
SHAPES(q5_1)
SHAPES(q8_0)
SHAPES(iq4_nl)

/* The type and its packed twin */
#define SET(id, pid, t, nm) \
	tab[id].vec_dot_type = LB_Q8X, tab[id].vec_dot = vec_dot_##t, tab[id].x4 = x4_##t, \
	tab[id].gemv = gemv_##t, tab[id].tile = tile_##t, tab[id].tr = ROWS, tab[id].tc = COLS, \
	tab[id].packed = pid, tab[id].repack = repack_##t, \
	tab[pid] = tab[id], tab[pid].name = nm, tab[pid].to_float = NULL, tab[pid].from_float = NULL, \
	tab[pid].vec_dot = NULL, tab[pid].x4 = NULL, tab[pid].gemv = gemv_##t##p, tab[pid].tile = tile_##t##p, \
	tab[pid].tc = PCOLS, \
	tab[pid].packed = 0, tab[pid].repack = NULL

void
quant_avx512_legacy(QuantType *tab)
{
	SET(LB_Q4_0, LB_Q4_0P, q4_0, "Q4_0 x16");
	SET(LB_Q4_1, LB_Q4_1P, q4_1, "Q4_1 x16");
	SET(LB_Q5_0, LB_Q5_0P, q5_0, "Q5_0 x16");
	SET(LB_Q5_1, LB_Q5_1P, q5_1, "Q5_1 x16");
	SET(LB_Q8_0, LB_Q8_0P, q8_0, "Q8_0 x16");
	SET(LB_IQ4_NL, LB_IQ4_NLP, iq4_nl, "IQ4_NL x16");
}
