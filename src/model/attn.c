/*
 * attn.c - the KV cache and causal attention of one layer over a batch.
 *
 * Grouped-query: query head i uses KV head i / (n_head / n_head_kv).  Each
 * (row, head) pair is one work item: scores against every position of the
 * row's sequence up to its own, softmax, then the weighted sum of the values,
 * page by page (kv.h).  A row's result depends only on its sequence's cache.
 * Scores are q . k times the model's scale, soft-capped where the model says
 * so (gemma2); a layer with a sliding window sees only its last window keys.
 */
#include <stdatomic.h>
#include <string.h>

#include "../quant/quant.h"
#include "../runtime/pool.h"
#include "ctx.h"
#include "ops.h"

typedef struct AttnJob {
	Ctx *c;
	const Batch *b;
	int il;
	atomic_int next;	/* next (row, head) pair */
} AttnJob;

/* The positions [p0, npos) of a page pg: first and end offsets within it. */
static int
page_span(int pg, int p0, int npos, int *first)
{
	*first = p0 > pg * KV_PAGE ? p0 - pg * KV_PAGE : 0;
	return npos - pg * KV_PAGE < KV_PAGE ? npos - pg * KV_PAGE : KV_PAGE;
}

/* s[p] = q . k[p] * scale for the positions p0 <= p < npos of sq, one page of keys at a time. */
static void
scores(const KVPool *kv, const KVSeq *sq, int il, int kvoff, const float *q, int hd, int p0, int npos, float scale,
	float *s)
{
	const QuantType *f32 = quant_type(LB_F32);
	int pg, i, n, first;

	for(pg = p0 / KV_PAGE; pg * KV_PAGE < npos; pg++){
		const float *k = (const float *)kv_keys(kv, sq, il, pg) + kvoff;
		float *sp = s + (size_t)pg * KV_PAGE;
		n = page_span(pg, p0, npos, &first);
		for(i = first; i < n; i++){
			f32->vec_dot(hd, &sp[i], k + (size_t)i * kv->kv_dim, q);
			sp[i] *= scale;
		}
	}
}

/* out[i] = sum over p0 <= p < npos of s[p] * v[p][i], one page of (transposed) values at a time. */
static void
weighted_values(const KVPool *kv, const KVSeq *sq, int il, int kvoff, const float *s, int hd, int p0, int npos,
	float *out)
{
	const QuantType *f32 = quant_type(LB_F32);
	int pg, i, n, first;
	float d;

	memset(out, 0, sizeof(float) * (size_t)hd);
	for(pg = p0 / KV_PAGE; pg * KV_PAGE < npos; pg++){
		const float *vt = (const float *)kv_values(kv, sq, il, pg) + (size_t)kvoff * KV_PAGE;
		const float *sp = s + (size_t)pg * KV_PAGE;
		n = page_span(pg, p0, npos, &first);
		for(i = 0; i < hd; i++){
			f32->vec_dot(n - first, &d, vt + (size_t)i * KV_PAGE + first, sp + first);
			out[i] += d;
		}
	}
}

/* Causal attention for every (row, head) pair of the batch, split over threads. */
static void
attn_task(void *arg, int ith, int nth)
{
	AttnJob *j = arg;
	Ctx *c = j->c;
	const HParams *hp = &c->m->hp;
	int hd = hp->head_dim, qd = hp->n_head * hd, group = hp->n_head / hp->n_head_kv, task;
	int window = c->m->layers[j->il].window;
	float scale = hp->attn_scale, cap = hp->attn_softcap, *s = c->scores + (size_t)ith * c->n_ctx;

	while((task = pool_next(&j->next)) < j->b->n * hp->n_head){
		int t = task / hp->n_head, hh = task % hp->n_head, kvoff = hh / group * hd;
		int npos = j->b->pos[t] + 1, p0 = window > 0 && npos > window ? npos - window : 0;	/* llama's is_masked_swa */
		const KVSeq *sq = j->b->seq[t];

		scores(c->kv, sq, j->il, kvoff, c->q + (size_t)t * qd + (size_t)hh * hd, hd, p0, npos, scale, s);
		if(cap != 0)
			op_softcap(s + p0, npos - p0, cap);
		op_softmax(s + p0, npos - p0);
		weighted_values(c->kv, sq, j->il, kvoff, s, hd, p0, npos, c->att + (size_t)t * qd + (size_t)hh * hd);
	}
}

/* k and v of each row into its sequence's page at the row's position. */
static void
kv_store(Ctx *c, const Batch *b, int il)
{
	const KVPool *kv = c->kv;
	int kvd = kv->kv_dim, t, i;

	for(t = 0; t < b->n; t++){
		int pg = b->pos[t] / KV_PAGE, off = b->pos[t] % KV_PAGE;
		float *kp = (float *)kv_keys(kv, b->seq[t], il, pg) + (size_t)off * kvd;
		float *vt = (float *)kv_values(kv, b->seq[t], il, pg) + off;

		memcpy(kp, c->k + (size_t)t * kvd, sizeof(float) * kvd);
		for(i = 0; i < kvd; i++)
			vt[(size_t)i * KV_PAGE] = c->v[(size_t)t * kvd + i];
	}
}

void
attn_layer(Ctx *c, const Batch *b, int il)
{
	AttnJob aj = { c, b, il, 0 };

	kv_store(c, b, il);
	pool_run(c->env.pool, attn_task, &aj, c->env.nth);
}
