/*
 * forward.c - the llama forward pass over a batch of tokens, and the context
 * that holds its KV cache and scratch.
 *
 * Per layer: h = rmsnorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h; RoPE on q
 * and k; causal attention over the cache (grouped-query: query head i uses KV
 * head i / (n_head / n_head_kv)); x += Wo att.  Then h = rmsnorm(x) * ffn_norm;
 * x += Wdown (silu(Wgate h) * Wup h).  Finally logits = Wout (rmsnorm(x) * out_norm).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "matmul.h"
#include "model.h"
#include "ops.h"

struct Ctx {
	const Model *m;
	int n_ctx, pos, batch;
	MatEnv env;
	float *kcache;	/* [n_layer][n_ctx][kv_dim] */
	float *vcache;	/* [n_layer][kv_dim][n_ctx]: transposed, so att . V is a dot product per output (as llama.cpp) */
	/* scratch, batch rows each */
	float *x, *h, *q, *k, *v, *att, *g, *u, *scores;
	uint8_t *qbuf;	/* activations converted for the matmuls */
	void *mem;	/* one mapping for all of the above */
	size_t memsize;
};

static size_t
ctx_layout(Ctx *c, int set)
{
	const HParams *hp = &c->m->hp;
	size_t B = (size_t)c->batch, kv = (size_t)hp->n_head_kv * hp->head_dim, qd = (size_t)hp->n_head * hp->head_dim;
	size_t maxk = qd > (size_t)hp->n_ff ? qd : (size_t)hp->n_ff, off = 0;
	uint8_t *base = c->mem;

	if(maxk < (size_t)hp->n_embd)
		maxk = (size_t)hp->n_embd;
#define TAKE(field, nfloats) do { if(set) c->field = (float *)(base + off); \
	off += ((nfloats) * sizeof(float) + 63) & ~(size_t)63; } while(0)
	TAKE(kcache, (size_t)hp->n_layer * c->n_ctx * kv);
	TAKE(vcache, (size_t)hp->n_layer * c->n_ctx * kv);
	TAKE(x, B * hp->n_embd);
	TAKE(h, B * hp->n_embd);
	TAKE(q, B * qd);
	TAKE(k, B * kv);
	TAKE(v, B * kv);
	TAKE(att, B * qd);
	TAKE(g, B * hp->n_ff);
	TAKE(u, B * hp->n_ff);
	TAKE(scores, (size_t)c->env.nth * c->n_ctx);
	TAKE(env.wscratch, (size_t)c->env.nth * maxk);
	if(set)
		c->qbuf = base + off;
	off += B * maxk * 2 + 64;
#undef TAKE
	c->env.maxk = (int)maxk;
	return off;
}

Ctx *
ctx_new(const Model *m, int n_ctx, int n_threads)
{
	Ctx *c;
	double need;

	if(n_ctx <= 0 || n_ctx > m->hp.n_ctx_train)
		n_ctx = m->hp.n_ctx_train;
	c = calloc(1, sizeof *c);
	if(c == NULL){
		lb_err("out of memory");
		return NULL;
	}
	c->m = m;
	c->n_ctx = n_ctx;
	c->batch = n_ctx < MODEL_MAX_BATCH ? n_ctx : MODEL_MAX_BATCH;
	c->env.pool = pool_get(n_threads);
	if(c->env.pool == NULL){
		free(c);
		lb_err("cannot start threads");
		return NULL;
	}
	c->env.nth = n_threads > 0 && n_threads < pool_size(c->env.pool) ? n_threads : pool_size(c->env.pool);
	/* the KV cache alone is n_layer * n_ctx * kv_dim * 8 bytes: refuse what cannot be addressed */
	need = 8.0 * m->hp.n_layer * n_ctx * m->hp.n_head_kv * m->hp.head_dim;
	if(need > (double)SIZE_MAX / 2){
		free(c);
		lb_err("context of %d tokens needs %.0f bytes of KV cache", n_ctx, need);
		return NULL;
	}
	c->memsize = ctx_layout(c, 0);
	c->mem = lb_bigalloc(c->memsize);
	if(c->mem == NULL){
		free(c);
		return NULL;
	}
	ctx_layout(c, 1);
	return c;
}

void
ctx_free(Ctx *c)
{
	if(c == NULL)
		return;
	lb_bigfree(c->mem, c->memsize);
	free(c);
}

void
ctx_reset(Ctx *c)
{
	c->pos = 0;
}

int
ctx_pos(const Ctx *c)
{
	return c->pos;
}

int
ctx_n_ctx(const Ctx *c)
{
	return c->n_ctx;
}

void
ctx_set_exact(Ctx *c, int exact)
{
	c->env.exact = exact;
}

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

static void
layer_forward(Ctx *c, int il, int n)
{
	const HParams *hp = &c->m->hp;
	const Layer *l = &c->m->layers[il];
	int d = hp->n_embd, hd = hp->head_dim, kvd = hp->n_head_kv * hd, qd = hp->n_head * hd, t;
	AttnJob aj = { c, il, n, c->pos, 0 };
	Act a;

	for(t = 0; t < n; t++)
		op_rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, l->attn_norm, d, hp->norm_eps);
	act_set(&a, c->h, n, d, c->qbuf);
	matmul(&c->env, l->wq, &a, c->q);
	matmul(&c->env, l->wk, &a, c->k);
	matmul(&c->env, l->wv, &a, c->v);
	for(t = 0; t < n; t++){
		size_t slot = ((size_t)il * c->n_ctx + c->pos + t) * kvd;
		float *vt = c->vcache + (size_t)il * kvd * c->n_ctx + c->pos + t;
		int i;
		op_rope(c->q + (size_t)t * qd, hp->n_head, hd, hp->n_rot, c->pos + t, hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
		op_rope(c->k + (size_t)t * kvd, hp->n_head_kv, hd, hp->n_rot, c->pos + t, hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
		memcpy(c->kcache + slot, c->k + (size_t)t * kvd, sizeof(float) * kvd);
		for(i = 0; i < kvd; i++)
			vt[(size_t)i * c->n_ctx] = c->v[(size_t)t * kvd + i];
	}
	pool_run(c->env.pool, attn_task, &aj, c->env.nth);
	act_set(&a, c->att, n, qd, c->qbuf);
	matmul(&c->env, l->wo, &a, c->h);
	op_add(c->x, c->h, n * d);

	for(t = 0; t < n; t++)
		op_rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, l->ffn_norm, d, hp->norm_eps);
	act_set(&a, c->h, n, d, c->qbuf);
	matmul(&c->env, l->w_gate, &a, c->g);
	matmul(&c->env, l->w_up, &a, c->u);
	op_swiglu(c->g, c->u, n * hp->n_ff);
	act_set(&a, c->g, n, hp->n_ff, c->qbuf);
	matmul(&c->env, l->w_down, &a, c->h);
	op_add(c->x, c->h, n * d);
}

/* One batch of at most c->batch tokens. */
static void
batch_forward(Ctx *c, const int32_t *tok, int n, float *logits, int all)
{
	const Model *m = c->m;
	const QuantType *et = quant_type(m->tok_embd->type);
	size_t erow = quant_row_size(m->tok_embd->type, m->hp.n_embd);
	int d = m->hp.n_embd, t, il, first;
	Act a;

	for(t = 0; t < n; t++)
		et->to_float((const uint8_t *)m->tok_embd->data + (size_t)tok[t] * erow, c->x + (size_t)t * d, d);
	for(il = 0; il < m->hp.n_layer; il++)
		layer_forward(c, il, n);
	c->pos += n;
	if(logits == NULL)
		return;
	first = all ? 0 : n - 1;
	for(t = first; t < n; t++)
		op_rmsnorm(c->h + (size_t)(t - first) * d, c->x + (size_t)t * d, m->out_norm, d, m->hp.norm_eps);
	act_set(&a, c->h, n - first, d, c->qbuf);
	matmul(&c->env, m->output, &a, logits);
}

int
ctx_eval(Ctx *c, const int32_t *tok, int n, float *logits, int all)
{
	int i, done, nb;

	if(n <= 0)
		return n == 0 ? 0 : lb_err("negative token count");
	if(n > c->n_ctx - c->pos)
		return lb_err("context full: %d tokens at position %d exceed the context of %d", n, c->pos, c->n_ctx);
	for(i = 0; i < n; i++)
		if(tok[i] < 0 || tok[i] >= c->m->hp.n_vocab)
			return lb_err("token %d is out of range (vocabulary of %d)", tok[i], c->m->hp.n_vocab);
	for(done = 0; done < n; done += nb){
		float *out = NULL;
		nb = n - done < c->batch ? n - done : c->batch;
		if(logits != NULL && all)
			out = logits + (size_t)done * c->m->hp.n_vocab;
		else if(logits != NULL && done + nb == n)
			out = logits;
		batch_forward(c, tok + done, nb, out, all);
	}
	return 0;
}
