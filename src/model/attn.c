/*
 * attn.c - the KV cache and causal attention of one layer over a batch.
 *
 * Grouped-query: query head i uses KV head i / (n_head / n_head_kv).  Scores
 * are q . k times the model's scale, soft-capped where the model says so
 * (gemma2); a layer with a sliding window sees only its last window keys.  q
 * is first converted to the K type's vec_dot_type (F16 for an F16 cache, Q8_0
 * for Q8_0), so a score is the type's own dot product, as in llama.cpp; values
 * are decoded to floats a page at a time.  A row's result depends only on its
 * sequence's cache.
 *
 * The attention used is tiled: a work item is a block of up to ROWS_MAX rows
 * of one sequence (a prompt's) and the query heads of one KV head (or some of
 * them); they go over the sequence one page (kv.h) at a time, each query
 * keeping its running maximum score, sum of exponentials and weighted sum of
 * values, rescaled when the maximum grows (an online softmax, as flash
 * attention): one pass over the cache, each page's keys and values read and
 * decoded once for all the item's queries, a page's scores and its sum of
 * values each a small matrix product with the queries across vector lanes
 * (below), and scratch that does not grow with the context.  Keys of a float
 * type (F32, F16, BF16), or of one dotted with Q8_0 (Q8_0, Q4_0, Q5_0,
 * IQ4_NL), are decoded to floats and multiplied with the query rounded to
 * that type (or Q8_0) and decoded, the type's products summed in float in
 * order of the head's elements (not in integers a block at a time); other
 * key types (Q4_1, Q5_1: their dot products add the blocks' minimums) keep
 * their own dot product.
 * The plain version (every score, a softmax, then the values) is kept as the
 * reference the tests compare it with.
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "../quant/quant.h"
#include "../runtime/pool.h"
#include "../util/mem.h"
#include "ctx.h"
#include "ops.h"

enum { ROWS_MAX = 16 };	/* rows of one sequence a work item takes */

typedef struct AttnJob {
	Ctx *c;
	const Batch *b;
	int il;
	int hpi;	/* query heads a work item takes (they share one KV head) */
	int nblk;	/* blocks of rows: block i is rows blk[i] .. blk[i + 1] - 1, of one sequence */
	const int *blk;
	atomic_int next;	/* next work item */
} AttnJob;

/* What one thread works with: the layer's types and its scratch (ctx.c sizes it: attn_scratch_floats). */
typedef struct Span {
	const KVPool *kv;
	const KVSeq *sq;
	const QuantType *kt, *qt, *vt;	/* K's type, its vec_dot_type, V's type */
	int il, hd, kvoff;	/* layer, head size, the KV head's first element in a row */
	size_t koff, voff;	/* its first byte in a K row and in a V row */
	float scale, cap;
	uint8_t *qc;	/* the query heads converted to qt, qrow bytes each */
	size_t qrow;
	float *vf;	/* a page's values for the KV head, decoded: KV_PAGE rows of hd */
} Span;

/* The positions [p0, npos) of a page pg: first and end offsets within it. */
static int
page_span(int pg, int p0, int npos, int *first)
{
	*first = p0 > pg * KV_PAGE ? p0 - pg * KV_PAGE : 0;
	return npos - pg * KV_PAGE < KV_PAGE ? npos - pg * KV_PAGE : KV_PAGE;
}

/* s[i] = scaled (and soft-capped) q . k of the positions first <= i < n of page pg. */
static void
page_scores(const Span *sp, int pg, const uint8_t *q, int first, int n, float *s)
{
	const uint8_t *k = kv_keys(sp->kv, sp->sq, sp->il, pg) + sp->koff;
	int i;

	if(sp->kt->gemv != NULL)
		sp->kt->gemv(sp->hd, s + first, k + (size_t)first * sp->kv->krow, sp->kv->krow, q, n - first);
	else
		for(i = first; i < n; i++)
			sp->kt->vec_dot(sp->hd, &s[i], k + (size_t)i * sp->kv->krow, q);
	for(i = first; i < n; i++)
		s[i] *= sp->scale;
	if(sp->cap != 0)
		op_softcap(s + first, n - first, sp->cap);
}

/* The values of positions first <= i < n of page pg, as rows of floats (*stride apart): in place when they are F32. */
static const float *
page_values(const Span *sp, int pg, int first, int n, size_t *stride)
{
	const uint8_t *v = kv_values(sp->kv, sp->sq, sp->il, pg) + sp->voff;
	int i;

	if(sp->kv->type_v == LB_F32){
		*stride = (size_t)sp->kv->kv_dim;
		return (const float *)v;
	}
	for(i = first; i < n; i++)
		sp->vt->to_float(v + (size_t)i * sp->kv->vrow, sp->vf + (size_t)i * sp->hd, sp->hd);
	*stride = (size_t)sp->hd;
	return sp->vf;
}

/* acc[j] += sum over first <= i < n of e[i] * v[i * vs + j] for j < hd, in order of i (the reference's values). */
static void
weighted_rows(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int hd)
{
	int i, j;

	for(i = first; i < n; i++)
		for(j = 0; j < hd; j++)
			acc[j] += e[i] * v[(size_t)i * vs + j];
}

/*
 * The tiled kernel works on queries across vector lanes: a work item's nq
 * queries (its rows' heads) are the lanes of LANES-float vectors (nv of them,
 * the last padded), its scores a page's positions by lanes (st[p][q]); its
 * sums of values are by query (acc[q][j], a head's elements the lanes, the
 * weights broadcast).  Every element of a product is the same whatever the
 * vector or block: a score is its products summed in order of the head's
 * elements, a sum of values in order of positions, and
 * exp is a polynomial in additions and multiplications (no contraction), so
 * the AVX-512, AVX2 and plain builds of it below give the same floats, and a
 * row's result does not depend on the rows or heads beside it.
 */
enum { LANES = 16, BLK_MAX = 16 };
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(LANES * sizeof(float))));
typedef uint32_t vu __attribute__((vector_size(LANES * sizeof(float))));

#define VLOAD(v, p) memcpy(&(v), (p), sizeof(vf))
#define VSTORE(p, v) memcpy((p), &(v), sizeof(vf))

/*
 * c[i * ldc + n] += sum over k0 <= k < k1 of a[i * ai + k * ak] * b[k * ldb + n], for i < ib and n < nb * LANES:
 * ib x nb vectors of sums held in registers (ib and nb constants) over the k.
 */
static inline __attribute__((always_inline)) void
mm_block(float *c, size_t ldc, const float *a, size_t ai, size_t ak, const float *b, size_t ldb, int k0, int k1,
	int ib, int nb)
{
	vf acc[BLK_MAX][4], bv[4], t;
	int i, n, k;

#pragma GCC unroll 16
	for(i = 0; i < ib; i++)
#pragma GCC unroll 4
		for(n = 0; n < nb; n++)
			VLOAD(acc[i][n], c + (size_t)i * ldc + (size_t)n * LANES);
	for(k = k0; k < k1; k++){
#pragma GCC unroll 4
		for(n = 0; n < nb; n++)
			VLOAD(bv[n], b + (size_t)k * ldb + (size_t)n * LANES);
#pragma GCC unroll 16
		for(i = 0; i < ib; i++){
			float s = a[(size_t)i * ai + (size_t)k * ak];
#pragma GCC unroll 4
			for(n = 0; n < nb; n++){
				t = bv[n] * s;
				acc[i][n] += t;
			}
		}
	}
#pragma GCC unroll 16
	for(i = 0; i < ib; i++)
#pragma GCC unroll 4
		for(n = 0; n < nb; n++)
			VSTORE(c + (size_t)i * ldc + (size_t)n * LANES, acc[i][n]);
}

/*
 * mm_block over rows i0 <= i < i1 and the columns n < ncol: blocks of ib x nb vectors, then of ib * nb x 1,
 * then single rows; the columns past whole vectors one at a time, the sums in the same order.
 */
static inline __attribute__((always_inline)) void
mm_rows(float *c, size_t ldc, const float *a, size_t ai, size_t ak, const float *b, size_t ldb, int i0, int i1,
	int k0, int k1, int ncol, int ib, int nb)
{
	int i, j, k, n = 0, nv = ncol / LANES;

	for(; n + nb <= nv && nb > 1; n += nb){
		for(i = i0; i + ib <= i1; i += ib)
			mm_block(c + (size_t)i * ldc + (size_t)n * LANES, ldc, a + (size_t)i * ai, ai, ak, b + (size_t)n * LANES,
				ldb, k0, k1, ib, nb);
		for(; i < i1; i++)
			mm_block(c + (size_t)i * ldc + (size_t)n * LANES, ldc, a + (size_t)i * ai, ai, ak, b + (size_t)n * LANES,
				ldb, k0, k1, 1, nb);
	}
	for(; n < nv; n++){
		for(i = i0; i + ib * nb <= i1; i += ib * nb)
			mm_block(c + (size_t)i * ldc + (size_t)n * LANES, ldc, a + (size_t)i * ai, ai, ak, b + (size_t)n * LANES,
				ldb, k0, k1, ib * nb, 1);
		for(; i < i1; i++)
			mm_block(c + (size_t)i * ldc + (size_t)n * LANES, ldc, a + (size_t)i * ai, ai, ak, b + (size_t)n * LANES,
				ldb, k0, k1, 1, 1);
	}
	for(i = i0; i < i1; i++)
		for(j = nv * LANES; j < ncol; j++){
			float s = c[(size_t)i * ldc + j];
			for(k = k0; k < k1; k++)
				s += b[(size_t)k * ldb + j] * a[(size_t)i * ai + (size_t)k * ak];
			c[(size_t)i * ldc + j] = s;
		}
}

/*
 * x[i] = e^(x[i] - m[i % (nv * LANES)]) for the rows [p0, p1) of nv vectors, where x <= m: Cephes' expf (a
 * degree-7 polynomial on [-ln 2 / 2, ln 2 / 2], about one unit in the last place), 0 below -87 and for -inf.
 */
static inline __attribute__((always_inline)) void
exp_rows(float *x, const float *m, int p0, int p1, int nv)
{
	const vf zero = { 0 }, magic = zero + 12582912.0f, lo = zero - 87.0f;	/* 1.5 * 2^23: rounds to integers */
	vf d, t, n, r, y, mv;
	vi e, keep;
	int p, v;

	for(p = p0; p < p1; p++)
		for(v = 0; v < nv; v++){
			float *xp = x + ((size_t)p * nv + v) * LANES;
			VLOAD(d, xp);
			VLOAD(mv, m + (size_t)v * LANES);
			d -= mv;
			t = d * 1.44269504088896341f;
			t += magic;
			n = t - magic;	/* d / ln 2 rounded */
			r = d - n * 0.693359375f;
			r -= n * -2.12194440e-4f;
			y = zero + 1.9875691500e-4f;
			y = y * r + 1.3981999507e-3f;
			y = y * r + 8.3334519073e-3f;
			y = y * r + 4.1665795894e-2f;
			y = y * r + 1.6666665459e-1f;
			y = y * r + 5.0000001201e-1f;
			y = y * (r * r) + r + 1.0f;
			e = (vi)(((vu)t - (vu)magic + 127) << 23);	/* 2^n: n >= -126 where kept */
			keep = d >= lo;
			y = (vf)(((vi)(y * (vf)e)) & keep);
			VSTORE(xp, y);
		}
}

/* What a tiled work item works with besides Span: nq queries in nv vectors of lanes, their state and the page's tiles. */
typedef struct Tile {
	int nq, nv, nh;	/* queries, vectors of them, heads a row */
	float *qt;	/* [hd][nv * LANES]: the queries, rounded to K's vec_dot_type (float K types) */
	float *st;	/* [KV_PAGE][nv * LANES]: a page's scores, then their exponentials */
	float *acc;	/* [nq][hd]: the sums of values */
	float *m, *l, *corr, *mref;	/* [nv * LANES]: maximum, sum of exponentials, the page's rescaling, exps' base */
	float *kf;	/* [KV_PAGE][hd]: a page's keys as floats (float K types) */
	int fkeys;	/* K is F32, F16, BF16 or dotted with Q8_0: scores as float products; else the type's own dot products */
} Tile;

/* st's rows [vf, vn): the scores of the rows' queries, scaled and capped, -inf outside each row's positions. */
static inline __attribute__((always_inline)) void
tile_scores(const Span *sp, const Tile *tl, int pg, const int *first, const int *n, int nr, int vf0, int vn, int ib,
	int nb)
{
	size_t ld = (size_t)tl->nv * LANES, i;
	int r, h, p, q, hd = sp->hd;
	float *st = tl->st;

	if(tl->fkeys){
		const uint8_t *k = kv_keys(sp->kv, sp->sq, sp->il, pg) + sp->koff;
		for(p = vf0; p < vn; p++)
			sp->kt->to_float(k + (size_t)p * sp->kv->krow, tl->kf + (size_t)p * hd, hd);
		memset(st + vf0 * ld, 0, sizeof(float) * ld * (size_t)(vn - vf0));
		mm_rows(st, ld, tl->kf, (size_t)hd, 1, tl->qt, ld, vf0, vn, 0, hd, (int)ld, ib, nb);
		for(i = vf0 * ld; i < vn * ld; i += LANES){
			vf x;
			VLOAD(x, st + i);
			x *= sp->scale;
			VSTORE(st + i, x);
		}
		if(sp->cap != 0)
			op_softcap(st + vf0 * ld, (int)((vn - vf0) * ld), sp->cap);
		for(r = 0; r < nr; r++)
			for(h = 0; h < tl->nh; h++){
				q = r * tl->nh + h;
				for(p = vf0; p < vn; p++){
					if(p == first[r] && n[r] > first[r])
						p = n[r];	/* the row's positions: kept */
					if(p < vn)
						st[p * ld + q] = -INFINITY;
				}
			}
		return;
	}
	for(i = vf0 * ld; i < vn * ld; i++)
		st[i] = -INFINITY;
	for(r = 0; r < nr; r++)
		for(h = 0; h < tl->nh; h++){
			float s[KV_PAGE];
			q = r * tl->nh + h;
			if(first[r] >= n[r])
				continue;
			page_scores(sp, pg, sp->qc + (size_t)q * sp->qrow, first[r], n[r], s);
			for(p = first[r]; p < n[r]; p++)
				st[p * ld + q] = s[p];
		}
}

/* mx[k] = the larger of m[k] and the rows [p0, p1) of st (ld apart), for k < w * LANES (w a constant) */
static inline __attribute__((always_inline)) void
lanes_max(const float *st, size_t ld, const float *m, float *mx, int p0, int p1, int w)
{
	vf x[4], y;
	vi gt;
	int p, k;

	for(k = 0; k < w; k++)
		VLOAD(x[k], m + (size_t)k * LANES);
	for(p = p0; p < p1; p++)
#pragma GCC unroll 4
		for(k = 0; k < w; k++){
			VLOAD(y, st + p * ld + (size_t)k * LANES);
			gt = y > x[k];
			x[k] = (vf)(((vi)y & gt) | ((vi)x[k] & ~gt));
		}
	for(k = 0; k < w; k++)
		VSTORE(mx + (size_t)k * LANES, x[k]);
}

/* l[k] = l[k] * corr[k] + the rows [p0, p1) of st (ld apart) in order, for k < w * LANES (w a constant) */
static inline __attribute__((always_inline)) void
lanes_sum(const float *st, size_t ld, float *l, const float *corr, int p0, int p1, int w)
{
	vf x[4], y;
	int p, k;

	for(k = 0; k < w; k++){
		VLOAD(x[k], l + (size_t)k * LANES);
		VLOAD(y, corr + (size_t)k * LANES);
		x[k] *= y;
	}
	for(p = p0; p < p1; p++)
#pragma GCC unroll 4
		for(k = 0; k < w; k++){
			VLOAD(y, st + p * ld + (size_t)k * LANES);
			x[k] += y;
		}
	for(k = 0; k < w; k++)
		VSTORE(l + (size_t)k * LANES, x[k]);
}

/* y[j] = x[j] times c (div 0) or over c (div 1), for j < n */
static inline __attribute__((always_inline)) void
row_scale(float *y, const float *x, int n, float c, int div)
{
	vf v;
	int j = 0;

	for(; j + LANES <= n; j += LANES){
		VLOAD(v, x + j);
		v = div ? v / c : v * c;
		VSTORE(y + j, v);
	}
	for(; j < n; j++)
		y[j] = div ? x[j] / c : x[j] * c;
}

/* The online softmax's step for a page's scores (st's rows [vf0, vn)), then its values into acc. */
static inline __attribute__((always_inline)) void
tile_page(const Span *sp, const Tile *tl, int pg, int vf0, int vn, int ib, int nb)
{
	size_t ld = (size_t)tl->nv * LANES, i;
	int q, v, w;
	const float *val;
	size_t vs;

	for(v = 0; v < tl->nv; v += w){	/* each lane's maximum, w vectors at a time (independent chains) */
		w = tl->nv - v >= 4 ? 4 : 1;
		if(w == 4)
			lanes_max(tl->st + (size_t)v * LANES, ld, tl->m + (size_t)v * LANES, tl->mref + (size_t)v * LANES, vf0, vn, 4);
		else
			lanes_max(tl->st + (size_t)v * LANES, ld, tl->m + (size_t)v * LANES, tl->mref + (size_t)v * LANES, vf0, vn, 1);
	}
	for(i = 0; i < ld; i++){
		tl->corr[i] = tl->m[i];
		tl->m[i] = tl->mref[i];
	}
	/* the earlier terms were relative to the old maximum: e^(old - new), 1 where it stayed, 0 where there was none */
	exp_rows(tl->corr, tl->m, 0, 1, tl->nv);
	for(i = 0; i < ld; i++)
		tl->mref[i] = tl->m[i] == -INFINITY ? 0 : tl->m[i];	/* no position yet: exps of -inf, 0 */
	exp_rows(tl->st, tl->mref, vf0, vn, tl->nv);
	for(v = 0; v < tl->nv; v += w){	/* sums of exponentials, in order of positions */
		w = tl->nv - v >= 4 ? 4 : 1;
		if(w == 4)
			lanes_sum(tl->st + (size_t)v * LANES, ld, tl->l + (size_t)v * LANES, tl->corr + (size_t)v * LANES, vf0, vn, 4);
		else
			lanes_sum(tl->st + (size_t)v * LANES, ld, tl->l + (size_t)v * LANES, tl->corr + (size_t)v * LANES, vf0, vn, 1);
	}
	for(q = 0; q < tl->nq; q++)
		if(tl->corr[q] != 1)
			row_scale(tl->acc + (size_t)q * sp->hd, tl->acc + (size_t)q * sp->hd, sp->hd, tl->corr[q], 0);
	val = page_values(sp, pg, vf0, vn, &vs);
	mm_rows(tl->acc, (size_t)sp->hd, tl->st, 1, ld, val, vs, 0, tl->nq, vf0, vn, sp->hd, ib, nb);
}

/*
 * The KV head's keys and values in page pg asked of the caches while the page
 * before is worked on: its rows are a few lines at a stride of a whole row of
 * heads, and the items after take other heads, so the prefetchers miss them.
 */
static void
prefetch_page(const Span *sp, int pg)
{
	const uint8_t *k = kv_keys(sp->kv, sp->sq, sp->il, pg) + sp->koff;
	const uint8_t *v = kv_values(sp->kv, sp->sq, sp->il, pg) + sp->voff;
	size_t kb = quant_row_size(sp->kv->type_k, sp->hd), vb = quant_row_size(sp->kv->type_v, sp->hd), b;
	int p;

	for(p = 0; p < KV_PAGE; p++){
		for(b = 0; b < kb; b += 64)
			__builtin_prefetch(k + (size_t)p * sp->kv->krow + b);
		for(b = 0; b < vb; b += 64)
			__builtin_prefetch(v + (size_t)p * sp->kv->vrow + b);
	}
}

/*
 * nh query heads of nr rows of one sequence, row r over [p0[r], npos[r]), page
 * by page with an online softmax; each page's keys and values are decoded once
 * for all of them.  Row r's head h into out + r * row_stride + h * hd.
 */
static inline __attribute__((always_inline)) void
heads_tiled(const Span *sp, Tile *tl, int nr, const int *p0, const int *npos, float *out, size_t row_stride,
	int ib, int nb)
{
	size_t ld = (size_t)tl->nv * LANES;
	int pg, r, h, j, vf0, vn, lo = p0[0], hi = npos[0], first[ROWS_MAX], n[ROWS_MAX];

	for(r = 1; r < nr; r++){
		lo = p0[r] < lo ? p0[r] : lo;
		hi = npos[r] > hi ? npos[r] : hi;
	}
	for(j = 0; j < (int)ld; j++){
		tl->m[j] = -INFINITY;
		tl->l[j] = 0;
	}
	memset(tl->acc, 0, sizeof(float) * (size_t)tl->nq * sp->hd);
	for(pg = lo / KV_PAGE; pg * KV_PAGE < hi; pg++){
		for(vf0 = KV_PAGE, vn = 0, r = 0; r < nr; r++){
			if(pg * KV_PAGE >= npos[r] || (pg + 1) * KV_PAGE <= p0[r]){
				first[r] = n[r] = 0;
				continue;
			}
			n[r] = page_span(pg, p0[r], npos[r], &first[r]);
			vf0 = first[r] < vf0 ? first[r] : vf0;
			vn = n[r] > vn ? n[r] : vn;
		}
		if(vn == 0)
			continue;
		if((pg + 1) * KV_PAGE < hi)
			prefetch_page(sp, pg + 1);
		tile_scores(sp, tl, pg, first, n, nr, vf0, vn, ib, nb);
		tile_page(sp, tl, pg, vf0, vn, ib, nb);
	}
	for(r = 0; r < nr; r++)
		for(h = 0; h < tl->nh; h++)
			row_scale(out + (size_t)r * row_stride + (size_t)h * sp->hd, tl->acc + (size_t)(r * tl->nh + h) * sp->hd,
				sp->hd, tl->l[r * tl->nh + h], 1);
}

/*
 * Built for the widest vectors the CPU has, chosen per call, not by an ifunc
 * (ThreadSanitizer's builds crash in a resolver run before the sanitizer
 * starts): 4 x 4 vectors of sums in AVX-512's 32 registers, 2 x 2 (of two
 * registers each) in AVX2's 16, 2 x 1 (of four) in SSE2's.
 */
#if defined(__x86_64__) && defined(LB_TIER_avx512)
__attribute__((target("avx512f"))) static void
tiled_avx512(const Span *sp, Tile *tl, int nr, const int *p0, const int *npos, float *out, size_t row_stride)
{
	heads_tiled(sp, tl, nr, p0, npos, out, row_stride, 4, 4);
}

__attribute__((target("avx2"))) static void
tiled_avx2(const Span *sp, Tile *tl, int nr, const int *p0, const int *npos, float *out, size_t row_stride)
{
	heads_tiled(sp, tl, nr, p0, npos, out, row_stride, 2, 2);
}
#endif

static void
tiled(const Span *sp, Tile *tl, int nr, const int *p0, const int *npos, float *out, size_t row_stride)
{
#if defined(__x86_64__) && defined(LB_TIER_avx512)
	if(__builtin_cpu_supports("avx512f")){
		tiled_avx512(sp, tl, nr, p0, npos, out, row_stride);
		return;
	}
	if(__builtin_cpu_supports("avx2")){
		tiled_avx2(sp, tl, nr, p0, npos, out, row_stride);
		return;
	}
#endif
	heads_tiled(sp, tl, nr, p0, npos, out, row_stride, 2, 1);
}

/* The reference: one query head's (q, converted) scores over [p0, npos) into s (n_ctx long), a softmax, then the values. */
static void
head_plain(const Span *sp, const uint8_t *q, int p0, int npos, float *s, float *out)
{
	int pg, n, first;
	const float *v;
	size_t vs;

	for(pg = p0 / KV_PAGE; pg * KV_PAGE < npos; pg++){
		n = page_span(pg, p0, npos, &first);
		page_scores(sp, pg, q, first, n, s + (size_t)pg * KV_PAGE);
	}
	op_softmax(s + p0, npos - p0);
	memset(out, 0, sizeof(float) * (size_t)sp->hd);
	for(pg = p0 / KV_PAGE; pg * KV_PAGE < npos; pg++){
		n = page_span(pg, p0, npos, &first);
		v = page_values(sp, pg, first, n, &vs);
		weighted_rows(out, v, vs, s + (size_t)pg * KV_PAGE, first, n, sp->hd);
	}
}

/* Attention for every work item of the batch (a block of rows and hpi query heads), split over threads. */
static void
attn_task(void *arg, int ith, int nth)
{
	AttnJob *j = arg;
	Ctx *c = j->c;
	const HParams *hp = &c->m->hp;
	const KVPool *kv = c->kv;
	int hd = hp->head_dim, qd = hp->n_head * hd, group = hp->n_head / hp->n_head_kv, items = hp->n_head / j->hpi;
	int window = c->m->layers[j->il].window, task, h, r, d, p0[ROWS_MAX], npos[ROWS_MAX];
	size_t nqp = ((size_t)ROWS_MAX * j->hpi + LANES - 1) / LANES * LANES;
	float *scratch = c->attn_scratch + (size_t)ith * c->attn_scratch_floats, *qf;
	Span sp = { .kv = kv, .kt = quant_type(kv->type_k), .vt = quant_type(kv->type_v), .il = j->il, .hd = hd,
		.scale = hp->attn_scale, .cap = hp->attn_softcap };
	Tile tl = { .nh = j->hpi, .fkeys = kv->type_k == LB_F32 || kv->type_k == LB_F16 || kv->type_k == LB_BF16 ||
		quant_type(kv->type_k)->vec_dot_type == LB_Q8_0 };

	(void)nth;
	sp.qt = quant_type(sp.kt->vec_dot_type);
	sp.qrow = quant_row_size(sp.kt->vec_dot_type, hd);
	/* the layout attn_scratch_floats counts */
	sp.qc = (uint8_t *)scratch;	/* ROWS_MAX * hpi heads of at most 4 bytes an element */
	sp.vf = tl.kf = scratch + (size_t)ROWS_MAX * j->hpi * hd;
	qf = sp.vf + (size_t)KV_PAGE * hd;
	tl.qt = qf + hd;
	tl.acc = tl.qt + nqp * hd;
	tl.st = tl.acc + nqp * hd;
	tl.m = tl.st + nqp * KV_PAGE;
	tl.l = tl.m + nqp;
	tl.corr = tl.l + nqp;
	tl.mref = tl.corr + nqp;
	while((task = pool_next(&j->next)) < j->nblk * items){
		int t0 = j->blk[task / items], nr = j->blk[task / items + 1] - t0, h0 = task % items * j->hpi;
		float *out = c->att + (size_t)t0 * qd + (size_t)h0 * hd;

		sp.sq = j->b->seq[t0];
		sp.kvoff = h0 / group * hd;
		sp.koff = quant_row_size(kv->type_k, sp.kvoff);
		sp.voff = quant_row_size(kv->type_v, sp.kvoff);
		tl.nq = nr * j->hpi;
		tl.nv = (tl.nq + LANES - 1) / LANES;
		if(tl.fkeys)	/* the padding lanes' queries are 0 */
			memset(tl.qt, 0, sizeof(float) * (size_t)tl.nv * LANES * hd);
		for(r = 0; r < nr; r++){
			const float *q = c->q + (size_t)(t0 + r) * qd + (size_t)h0 * hd;
			npos[r] = j->b->pos[t0 + r] + 1;
			p0[r] = window > 0 && npos[r] > window ? npos[r] - window : 0;	/* llama's is_masked_swa */
			for(h = 0; h < j->hpi; h++){
				uint8_t *qc = sp.qc + (size_t)(r * j->hpi + h) * sp.qrow;
				sp.qt->from_float(q + (size_t)h * hd, qc, hd);
				if(!tl.fkeys || c->plain_attn)
					continue;
				sp.qt->to_float(qc, qf, hd);	/* the products are those of the type's dot product */
				for(d = 0; d < hd; d++)
					tl.qt[(size_t)d * tl.nv * LANES + (size_t)r * j->hpi + h] = qf[d];
			}
		}
		if(c->plain_attn)
			for(r = 0; r < nr; r++)
				for(h = 0; h < j->hpi; h++)
					head_plain(&sp, sp.qc + (size_t)(r * j->hpi + h) * sp.qrow, p0[r], npos[r],
						c->scores + (size_t)ith * c->n_ctx, out + (size_t)r * qd + (size_t)h * hd);
		else
			tiled(&sp, &tl, nr, p0, npos, out, (size_t)qd);
	}
}

/* k and v of each row into its sequence's page at the row's position, converted to the cache's types. */
static void
kv_store(Ctx *c, const Batch *b, int il)
{
	const KVPool *kv = c->kv;
	const QuantType *kt = quant_type(kv->type_k), *vt = quant_type(kv->type_v);
	int kvd = kv->kv_dim, t;

	for(t = 0; t < b->n; t++){
		int pg = b->pos[t] / KV_PAGE, off = b->pos[t] % KV_PAGE;
		kt->from_float(c->k + (size_t)t * kvd, kv_keys(kv, b->seq[t], il, pg) + (size_t)off * kv->krow, kvd);
		vt->from_float(c->v + (size_t)t * kvd, kv_values(kv, b->seq[t], il, pg) + (size_t)off * kv->vrow, kvd);
	}
}

/* Query heads per work item: all of a KV head's, unless that leaves threads idle (few blocks, few KV heads). */
static int
heads_per_item(const Ctx *c, int blocks)
{
	const HParams *hp = &c->m->hp;
	int hpi = hp->n_head / hp->n_head_kv;

	while(hpi % 2 == 0 && blocks * (hp->n_head / hpi) < 2 * c->env.nth)
		hpi /= 2;
	return hpi;
}

/* The batch's rows in blocks of at most ROWS_MAX consecutive positions of one sequence, into blk; how many. */
static int
row_blocks(const Batch *b, int *blk)
{
	int n = 0, t;

	for(t = 0; t < b->n; t++)
		if(t == 0 || b->seq[t] != b->seq[t - 1] || b->pos[t] != b->pos[t - 1] + 1 || t - blk[n - 1] == ROWS_MAX)
			blk[n++] = t;
	blk[n] = b->n;
	return n;
}

void
attn_layer(Ctx *c, const Batch *b, int il)
{
	int nblk = row_blocks(b, c->attn_blocks);
	AttnJob aj = { c, b, il, heads_per_item(c, nblk), nblk, c->attn_blocks, 0 };

	kv_store(c, b, il);
	pool_run(c->env.pool, attn_task, &aj, c->env.nth);
}

size_t
attn_scratch_floats(const HParams *hp)
{
	size_t hd = (size_t)hp->head_dim, rg = (size_t)ROWS_MAX * (size_t)(hp->n_head / hp->n_head_kv);
	size_t nqp = (rg + LANES - 1) / LANES * LANES;

	/* q converted (ROWS_MAX rows of group heads), a page of keys or values, a query as floats, then the Tile's
	 * queries, sums of values, scores and four per query */
	return lb_mul(hd, rg + KV_PAGE + 1 + 2 * nqp) + lb_mul(nqp, KV_PAGE + 4);
}
