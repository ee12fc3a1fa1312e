/*
 * attn.c - the KV cache and causal attention of one layer over a batch.
 *
 * Grouped-query: query head i uses KV head i / (n_head / n_head_kv).  Each
 * (token, head) pair is one work item: scores against every cached position
 * up to the token's own, softmax, then the weighted sum of the values.
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
	int il, n, pos0;
	atomic_int next;	/* next (token, head) pair */
} AttnJob;

/* Causal attention for every (token, head) pair of the batch, split over threads. */
static void
attn_task(void *arg, int ith, int nth)
{
	AttnJob *j = arg;
	Ctx *c = j->c;
	const HParams *hp = &c->m->hp;
	int hd = hp->head_dim, kvd = hp->n_head_kv * hd, qd = hp->n_head * hd;
	int group = hp->n_head / hp->n_head_kv;
	float scale = 1.0f / sqrtf((float)hd), *s = c->scores + (size_t)ith * c->n_ctx;
	const float *kc = c->kcache + (size_t)j->il * c->n_ctx * kvd;
	const float *vc = c->vcache + (size_t)j->il * kvd * c->n_ctx;
	const QuantType *f32 = quant_type(0);
	int task;

	while((task = pool_next(&j->next)) < j->n * hp->n_head){
		int t = task / hp->n_head, hh = task % hp->n_head, kvh = hh / group;
		int npos = j->pos0 + t + 1, p, i;
		const float *q = c->q + (size_t)t * qd + (size_t)hh * hd;
		float *out = c->att + (size_t)t * qd + (size_t)hh * hd;

		for(p = 0; p < npos; p++){
			f32->vec_dot(hd, &s[p], kc + (size_t)p * kvd + (size_t)kvh * hd, q);
			s[p] *= scale;
		}
		op_softmax(s, npos);
		for(i = 0; i < hd; i++)
			f32->vec_dot(npos, &out[i], vc + ((size_t)kvh * hd + i) * c->n_ctx, s);
	}
}

/* k and v of each token into the cache at the token's position. */
static void
kv_store(Ctx *c, int il, int n)
{
	const HParams *hp = &c->m->hp;
	int kvd = hp->n_head_kv * hp->head_dim, t, i;

	for(t = 0; t < n; t++){
		size_t slot = ((size_t)il * c->n_ctx + c->pos + t) * kvd;
		float *vt = c->vcache + (size_t)il * kvd * c->n_ctx + c->pos + t;
		memcpy(c->kcache + slot, c->k + (size_t)t * kvd, sizeof(float) * kvd);
		for(i = 0; i < kvd; i++)
			vt[(size_t)i * c->n_ctx] = c->v[(size_t)t * kvd + i];
	}
}

void
attn_layer(Ctx *c, int il, int n)
{
	AttnJob aj = { c, il, n, c->pos, 0 };

	kv_store(c, il, n);
	pool_run(c->env.pool, attn_task, &aj, c->env.nth);
}
