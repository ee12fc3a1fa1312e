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
 * The attention used is tiled: a work item is a row and a few query heads of
 * one KV head; they go over the row's sequence one page (kv.h) at a time, each
 * head keeping its running maximum score, sum of exponentials and weighted sum
 * of values, rescaled when the maximum grows (an online softmax, as flash
 * attention): one pass over the cache, each page's keys and values read once
 * for the heads that share them, and scratch that does not grow with the
 * context.  The plain version (every score, a softmax, then the values) is
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

typedef struct AttnJob {
	Ctx *c;
	const Batch *b;
	int il;
	int hpi;	/* query heads a work item takes (they share one KV head) */
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

/* acc[j] += w * v[j], eight at a time where it can (so the compiler makes it vector instructions) */
static void
axpy(float *restrict acc, const float *restrict v, float w, int n)
{
	int j = 0, k;

	for(; j + 8 <= n; j += 8)
		for(k = 0; k < 8; k++)
			acc[j + k] += w * v[j + k];
	for(; j < n; j++)
		acc[j] += w * v[j];
}

/* nh query heads (converted, in sp->qc) over [p0, npos), page by page, with an online softmax; results into out. */
static void
heads_tiled(const Span *sp, int nh, int p0, int npos, float *scratch, float *out, size_t out_stride)
{
	float *s = scratch, *m = s + KV_PAGE, *l = m + nh, *acc = l + nh, corr, mx;
	int pg, h, i, n, first, hd = sp->hd;
	const float *v;
	size_t vs;

	for(h = 0; h < nh; h++){
		m[h] = -INFINITY;
		l[h] = 0;
	}
	memset(acc, 0, sizeof(float) * (size_t)nh * hd);
	for(pg = p0 / KV_PAGE; pg * KV_PAGE < npos; pg++){
		n = page_span(pg, p0, npos, &first);
		v = page_values(sp, pg, first, n, &vs);
		for(h = 0; h < nh; h++){
			float *a = acc + (size_t)h * hd;
			page_scores(sp, pg, sp->qc + (size_t)h * sp->qrow, first, n, s);
			for(mx = m[h], i = first; i < n; i++)
				mx = s[i] > mx ? s[i] : mx;
			if(mx > m[h]){	/* the earlier terms were relative to a smaller maximum */
				corr = expf(m[h] - mx);
				l[h] *= corr;
				for(i = 0; i < hd; i++)
					a[i] *= corr;
				m[h] = mx;
			}
			for(i = first; i < n; i++){
				float e = expf(s[i] - m[h]);
				l[h] += e;
				axpy(a, v + (size_t)i * vs, e, hd);
			}
		}
	}
	for(h = 0; h < nh; h++)
		for(i = 0; i < hd; i++)
			out[(size_t)h * out_stride + i] = acc[(size_t)h * hd + i] / l[h];
}

/* The reference: one query head's (q, converted) scores over [p0, npos) into s (n_ctx long), a softmax, then the values. */
static void
head_plain(const Span *sp, const uint8_t *q, int p0, int npos, float *s, float *out)
{
	int pg, i, n, first;
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
		for(i = first; i < n; i++)
			axpy(out, v + (size_t)i * vs, s[(size_t)pg * KV_PAGE + i], sp->hd);
	}
}

/* Attention for every work item of the batch (a row and hpi query heads), split over threads. */
static void
attn_task(void *arg, int ith, int nth)
{
	AttnJob *j = arg;
	Ctx *c = j->c;
	const HParams *hp = &c->m->hp;
	const KVPool *kv = c->kv;
	int hd = hp->head_dim, qd = hp->n_head * hd, group = hp->n_head / hp->n_head_kv, items = hp->n_head / j->hpi;
	int window = c->m->layers[j->il].window, task, h;
	float *scratch = c->attn_scratch + (size_t)ith * c->attn_scratch_floats;
	Span sp = { .kv = kv, .kt = quant_type(kv->type_k), .vt = quant_type(kv->type_v), .il = j->il, .hd = hd,
		.scale = hp->attn_scale, .cap = hp->attn_softcap };

	(void)nth;
	sp.qt = quant_type(sp.kt->vec_dot_type);
	sp.qrow = quant_row_size(sp.kt->vec_dot_type, hd);
	sp.qc = (uint8_t *)scratch;	/* hpi heads of at most 4 bytes an element */
	sp.vf = scratch + (size_t)j->hpi * hd;
	scratch = sp.vf + (size_t)KV_PAGE * hd;
	while((task = pool_next(&j->next)) < j->b->n * items){
		int t = task / items, h0 = task % items * j->hpi;
		int npos = j->b->pos[t] + 1, p0 = window > 0 && npos > window ? npos - window : 0;	/* llama's is_masked_swa */
		const float *q = c->q + (size_t)t * qd + (size_t)h0 * hd;
		float *out = c->att + (size_t)t * qd + (size_t)h0 * hd;

		sp.sq = j->b->seq[t];
		sp.kvoff = h0 / group * hd;
		sp.koff = quant_row_size(kv->type_k, sp.kvoff);
		sp.voff = quant_row_size(kv->type_v, sp.kvoff);
		for(h = 0; h < j->hpi; h++)
			sp.qt->from_float(q + (size_t)h * hd, sp.qc + (size_t)h * sp.qrow, hd);
		if(c->plain_attn)
			for(h = 0; h < j->hpi; h++)
				head_plain(&sp, sp.qc + (size_t)h * sp.qrow, p0, npos, c->scores + (size_t)ith * c->n_ctx,
					out + (size_t)h * hd);
		else
			heads_tiled(&sp, j->hpi, p0, npos, scratch, out, (size_t)hd);
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

/* Query heads per work item: all of a KV head's, unless that leaves threads idle (few rows, few KV heads). */
static int
heads_per_item(const Ctx *c, int rows)
{
	const HParams *hp = &c->m->hp;
	int hpi = hp->n_head / hp->n_head_kv;

	while(hpi % 2 == 0 && rows * (hp->n_head / hpi) < 4 * c->env.nth)
		hpi /= 2;
	return hpi;
}

void
attn_layer(Ctx *c, const Batch *b, int il)
{
	AttnJob aj = { c, b, il, heads_per_item(c, b->n), 0 };

	kv_store(c, b, il);
	pool_run(c->env.pool, attn_task, &aj, c->env.nth);
}

size_t
attn_scratch_floats(const HParams *hp)
{
	size_t hd = (size_t)hp->head_dim, group = (size_t)(hp->n_head / hp->n_head_kv);

	/* q converted (group heads), a page of values, then heads_tiled's sums of values, scores, maxima and sums */
	return lb_mul(hd, 2 * group + KV_PAGE) + KV_PAGE + 2 * group;
}
