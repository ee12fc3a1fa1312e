/*
 * attn.c - the KV cache and causal attention of one layer over a batch.
 *
 * Grouped-query: query head i uses KV head i / (n_head / n_head_kv).  Each
 * (row, head) pair is one work item: scores against every position of the
 * row's sequence up to its own, softmax, then the weighted sum of the values,
 * page by page (kv.h).  A row's result depends only on its sequence's cache.
 */
#include <math.h>
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

/* s[p] = q . k[p] * scale for the positions p < npos of sq, one page of keys at a time. */
static void
scores(const KVPool *kv, const KVSeq *sq, int il, int kvoff, const float *q, int hd, int npos, float scale, float *s)
{
	const QuantType *f32 = quant_type(LB_F32);
	int pg, i, n;

	for(pg = 0; pg * KV_PAGE < npos; pg++){
		const float *k = (const float *)kv_keys(kv, sq, il, pg) + kvoff;
		n = npos - pg * KV_PAGE < KV_PAGE ? npos - pg * KV_PAGE : KV_PAGE;
		for(i = 0; i < n; i++){
			f32->vec_dot(hd, &s[i], k + (size_t)i * kv->kv_dim, q);
			s[i] *= scale;
		}
		s += KV_PAGE;
	}
}

/* out[i] = sum over p < npos of s[p] * v[p][i], one page of (transposed) values at a time. */
static void
weighted_values(const KVPool *kv, const KVSeq *sq, int il, int kvoff, const float *s, int hd, int npos, float *out)
{
	const QuantType *f32 = quant_type(LB_F32);
	int pg, i, n;
	float d;

	memset(out, 0, sizeof(float) * (size_t)hd);
	for(pg = 0; pg * KV_PAGE < npos; pg++){
		const float *vt = (const float *)kv_values(kv, sq, il, pg) + (size_t)kvoff * KV_PAGE;
		n = npos - pg * KV_PAGE < KV_PAGE ? npos - pg * KV_PAGE : KV_PAGE;
		for(i = 0; i < hd; i++){
			f32->vec_dot(n, &d, vt + (size_t)i * KV_PAGE, s);
			out[i] += d;
		}
		s += KV_PAGE;
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
	float scale = 1.0f / sqrtf((float)hd), *s = c->scores + (size_t)ith * c->n_ctx;

	while((task = pool_next(&j->next)) < j->b->n * hp->n_head){
		int t = task / hp->n_head, hh = task % hp->n_head, kvoff = hh / group * hd;
		int npos = j->b->pos[t] + 1;
		const KVSeq *sq = j->b->seq[t];

		scores(c->kv, sq, j->il, kvoff, c->q + (size_t)t * qd + (size_t)hh * hd, hd, npos, scale, s);
		op_softmax(s, npos);
		weighted_values(c->kv, sq, j->il, kvoff, s, hd, npos, c->att + (size_t)t * qd + (size_t)hh * hd);
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
