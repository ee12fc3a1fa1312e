/*
 * ctx.c - a context: one mapping that holds the KV cache of one sequence and
 * the scratch of a batch, laid out once when the context is made.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../runtime/pool.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "ctx.h"

/* off plus n bytes rounded up to 64; SIZE_MAX once anything overflowed (lb_mul saturates at it too). */
static size_t
add64(size_t off, size_t n)
{
	size_t r;

	if(off == SIZE_MAX || n > SIZE_MAX - 63 || __builtin_add_overflow(off, (n + 63) & ~(size_t)63, &r))
		return SIZE_MAX;
	return r;
}

/*
 * Where each buffer goes in the context's mapping (set: fill the pointers in);
 * the mapping's size, or SIZE_MAX if it does not fit in a size_t, which a
 * model's dimensions can make happen in a 32-bit build: every product and
 * sum here is checked.
 */
static size_t
ctx_layout(Ctx *c, int set)
{
	const HParams *hp = &c->m->hp;
	size_t B = (size_t)c->batch, kv = lb_mul((size_t)hp->n_head_kv, (size_t)hp->head_dim);
	size_t qd = lb_mul((size_t)hp->n_head, (size_t)hp->head_dim), cache = lb_mul((size_t)hp->n_layer, lb_mul((size_t)c->n_ctx, kv));
	size_t maxk = qd > (size_t)hp->n_ff ? qd : (size_t)hp->n_ff, off = 0;
	uint8_t *base = c->mem;

	if(maxk < (size_t)hp->n_embd)
		maxk = (size_t)hp->n_embd;
#define TAKE(field, rows, cols) do { if(set) c->field = (float *)(base + off); \
	off = add64(off, lb_mul(lb_mul(rows, cols), sizeof(float))); } while(0)
	TAKE(kcache, cache, 1);
	TAKE(vcache, cache, 1);
	TAKE(x, B, (size_t)hp->n_embd);
	TAKE(h, B, (size_t)hp->n_embd);
	TAKE(q, B, qd);
	TAKE(k, B, kv);
	TAKE(v, B, kv);
	TAKE(att, B, qd);
	TAKE(g, B, (size_t)hp->n_ff);
	TAKE(u, B, (size_t)hp->n_ff);
	TAKE(scores, (size_t)c->env.nth, (size_t)c->n_ctx);
	TAKE(env.wscratch, (size_t)c->env.nth, maxk);
#undef TAKE
	if(set)
		c->qbuf = base + off;
	off = add64(off, lb_mul(lb_mul(B, maxk), 2));	/* the activations, quantized */
	c->env.maxk = (int)maxk;
	return off;
}

Ctx *
ctx_new(const Model *m, int n_ctx, int n_threads)
{
	Ctx *c;

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
	c->memsize = ctx_layout(c, 0);
	if(c->memsize == SIZE_MAX){
		free(c);
		lb_err("a context of %d tokens for this model needs more memory than this address space has", n_ctx);
		return NULL;
	}
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
