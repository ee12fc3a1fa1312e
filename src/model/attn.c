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
 * of one sequence (a prompt's) and a few query heads of one KV head; they go
 * over the sequence one page (kv.h) at a time, each row's head keeping its
 * running maximum score, sum of exponentials and weighted sum of values,
 * rescaled when the maximum grows (an online softmax, as flash attention):
 * one pass over the cache, each page's keys and values read and decoded once
 * for the rows and heads that share them, and scratch that does not grow with
 * the context.  The plain version (every score, a softmax, then the values) is
 * kept as the reference the tests compare it with.
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

/*
 * acc[k] += sum over first <= i < n of e[i] * v[i * vs + k] for k < w (a
 * constant), in order of i: the sums held in a local array across the rows
 * (the compiler keeps them in vector registers, in several chains), so acc
 * is read and written once per page.
 */
static inline __attribute__((always_inline)) void
weighted_block(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int w)
{
	float a[32];
	int i, k;

	memcpy(a, acc, sizeof(float) * (size_t)w);
	for(i = first; i < n; i++)
		for(k = 0; k < w; k++)
			a[k] += e[i] * v[(size_t)i * vs + k];
	memcpy(acc, a, sizeof(float) * (size_t)w);
}

/* acc[j] += sum over first <= i < n of e[i] * v[i * vs + j] for j < hd: w (a constant) at a time, then eight, then one. */
static inline __attribute__((always_inline)) void
weighted_cols(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int hd, int w)
{
	int j = 0;

	for(; j + w <= hd; j += w)
		weighted_block(acc + j, v + j, vs, e, first, n, w);
	for(; j + 8 <= hd; j += 8)
		weighted_block(acc + j, v + j, vs, e, first, n, 8);
	for(; j < hd; j++)
		weighted_block(acc + j, v + j, vs, e, first, n, 1);
}

/*
 * On x86 also built for the widest vectors the CPU has, 32 at a time: three
 * times faster, and without contraction (the build's -ffp-contract=off) the
 * same sums.  Chosen per call, not by an ifunc: ThreadSanitizer's builds
 * crash in a resolver run before the sanitizer starts.
 */
#if defined(__x86_64__) && defined(LB_TIER_avx512)
__attribute__((target("avx512f"))) static void
weighted_avx512(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int hd)
{
	weighted_cols(acc, v, vs, e, first, n, hd, 32);
}

__attribute__((target("avx2"))) static void
weighted_avx2(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int hd)
{
	weighted_cols(acc, v, vs, e, first, n, hd, 32);
}
#endif

static void
weighted_rows(float *restrict acc, const float *restrict v, size_t vs, const float *restrict e, int first, int n,
	int hd)
{
#if defined(__x86_64__) && defined(LB_TIER_avx512)
	if(__builtin_cpu_supports("avx512f")){
		weighted_avx512(acc, v, vs, e, first, n, hd);
		return;
	}
	if(__builtin_cpu_supports("avx2")){
		weighted_avx2(acc, v, vs, e, first, n, hd);
		return;
	}
#endif
	weighted_cols(acc, v, vs, e, first, n, hd, 8);
}

/*
 * nh query heads of nr rows of one sequence (converted, in sp->qc, row by row),
 * row r over [p0[r], npos[r]), page by page with an online softmax; each page's
 * values are decoded once for all of them.  Row r's head h into out + r * row_stride + h * hd.
 */
static void
heads_tiled(const Span *sp, int nr, int nh, const int *p0, const int *npos, float *scratch, float *out,
	size_t row_stride)
{
	float *s = scratch, *m = s + KV_PAGE, *l = m + nr * nh, *acc = l + nr * nh, corr, mx, sum;
	int pg, r, h, i, n, first, vfirst, vn, lo = p0[0], hi = npos[0], hd = sp->hd;
	const float *v;
	size_t vs;

	for(i = 0; i < nr * nh; i++){
		m[i] = -INFINITY;
		l[i] = 0;
	}
	memset(acc, 0, sizeof(float) * (size_t)nr * nh * hd);
	for(r = 1; r < nr; r++){
		lo = p0[r] < lo ? p0[r] : lo;
		hi = npos[r] > hi ? npos[r] : hi;
	}
	for(pg = lo / KV_PAGE; pg * KV_PAGE < hi; pg++){
		for(vfirst = KV_PAGE, vn = 0, r = 0; r < nr; r++)
			if(pg * KV_PAGE < npos[r] && (pg + 1) * KV_PAGE > p0[r]){
				n = page_span(pg, p0[r], npos[r], &first);
				vfirst = first < vfirst ? first : vfirst;
				vn = n > vn ? n : vn;
			}
		if(vn == 0)
			continue;
		v = page_values(sp, pg, vfirst, vn, &vs);
		for(r = 0; r < nr; r++){
			if(pg * KV_PAGE >= npos[r] || (pg + 1) * KV_PAGE <= p0[r])
				continue;
			n = page_span(pg, p0[r], npos[r], &first);
			for(h = 0; h < nh; h++){
				int k = r * nh + h;
				float *a = acc + (size_t)k * hd;
				page_scores(sp, pg, sp->qc + (size_t)k * sp->qrow, first, n, s);
				for(mx = m[k], i = first; i < n; i++)
					mx = s[i] > mx ? s[i] : mx;
				if(mx > m[k]){	/* the earlier terms were relative to a smaller maximum */
					corr = expf(m[k] - mx);
					l[k] *= corr;
					for(i = 0; i < hd; i++)
						a[i] *= corr;
					m[k] = mx;
				}
				for(i = first; i < n; i++)
					s[i] = expf(s[i] - m[k]);
				for(sum = l[k], i = first; i < n; i++)	/* in a register: the exps need not wait on it */
					sum += s[i];
				l[k] = sum;
				weighted_rows(a, v, vs, s, first, n, hd);
			}
		}
	}
	for(r = 0; r < nr; r++)
		for(h = 0; h < nh; h++)
			for(i = 0; i < hd; i++)
				out[(size_t)r * row_stride + (size_t)h * hd + i] = acc[((size_t)r * nh + h) * hd + i] / l[r * nh + h];
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
	int window = c->m->layers[j->il].window, task, h, r, p0[ROWS_MAX], npos[ROWS_MAX];
	float *scratch = c->attn_scratch + (size_t)ith * c->attn_scratch_floats;
	Span sp = { .kv = kv, .kt = quant_type(kv->type_k), .vt = quant_type(kv->type_v), .il = j->il, .hd = hd,
		.scale = hp->attn_scale, .cap = hp->attn_softcap };

	(void)nth;
	sp.qt = quant_type(sp.kt->vec_dot_type);
	sp.qrow = quant_row_size(sp.kt->vec_dot_type, hd);
	sp.qc = (uint8_t *)scratch;	/* ROWS_MAX * hpi heads of at most 4 bytes an element */
	sp.vf = scratch + (size_t)ROWS_MAX * j->hpi * hd;
	scratch = sp.vf + (size_t)KV_PAGE * hd;
	while((task = pool_next(&j->next)) < j->nblk * items){
		int t0 = j->blk[task / items], nr = j->blk[task / items + 1] - t0, h0 = task % items * j->hpi;
		float *out = c->att + (size_t)t0 * qd + (size_t)h0 * hd;

		sp.sq = j->b->seq[t0];
		sp.kvoff = h0 / group * hd;
		sp.koff = quant_row_size(kv->type_k, sp.kvoff);
		sp.voff = quant_row_size(kv->type_v, sp.kvoff);
		for(r = 0; r < nr; r++){
			const float *q = c->q + (size_t)(t0 + r) * qd + (size_t)h0 * hd;
			npos[r] = j->b->pos[t0 + r] + 1;
			p0[r] = window > 0 && npos[r] > window ? npos[r] - window : 0;	/* llama's is_masked_swa */
			for(h = 0; h < j->hpi; h++)
				sp.qt->from_float(q + (size_t)h * hd, sp.qc + (size_t)(r * j->hpi + h) * sp.qrow, hd);
		}
		if(c->plain_attn)
			for(r = 0; r < nr; r++)
				for(h = 0; h < j->hpi; h++)
					head_plain(&sp, sp.qc + (size_t)(r * j->hpi + h) * sp.qrow, p0[r], npos[r],
						c->scores + (size_t)ith * c->n_ctx, out + (size_t)r * qd + (size_t)h * hd);
		else
			heads_tiled(&sp, nr, j->hpi, p0, npos, scratch, out, (size_t)qd);
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

	while(hpi % 2 == 0 && blocks * (hp->n_head / hpi) < 4 * c->env.nth)
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

	/* q converted (ROWS_MAX rows of group heads), a page of values, then heads_tiled's scores, maxima, sums, sums of values */
	return lb_mul(hd, 2 * rg + KV_PAGE) + KV_PAGE + 2 * rg;
}
