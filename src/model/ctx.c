/*
 * ctx.c - a context: one mapping that holds the KV cache of one sequence and
 * the scratch of a batch, laid out once when the context is made.
 */
#include <stdlib.h>

#include "../runtime/pool.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "ctx.h"

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
