/*
 * ctx.c - a context: one mapping that holds the scratch of a batch, laid out
 * once when the context is made, over a KV pool.  ctx_make's contexts serve
 * batches of many sequences (the scheduler's); ctx_new's own one sequence in
 * a pool of its own (ctx_eval: tools that want logits, tests).
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
	size_t qd = lb_mul((size_t)hp->n_head, (size_t)hp->head_dim), nth = (size_t)pool_size(c->env.pool);
	size_t maxk = qd > (size_t)hp->n_ff ? qd : (size_t)hp->n_ff, off = 0, moe = hp->n_expert > 0;
	uint8_t *base = c->mem;

	if(maxk < (size_t)hp->n_embd)
		maxk = (size_t)hp->n_embd;
	if(maxk < (size_t)hp->n_ff_exp)
		maxk = (size_t)hp->n_ff_exp;
#define TAKE(field, rows, cols) do { if(set) c->field = (void *)(base + off); \
	off = add64(off, lb_mul(lb_mul(rows, cols), sizeof(float))); } while(0)
	TAKE(x, B, (size_t)hp->n_embd);
	TAKE(h, B, (size_t)hp->n_embd);
	TAKE(q, B, qd);
	TAKE(k, B, kv);
	TAKE(v, B, kv);
	TAKE(att, B, qd);
	TAKE(g, B, model_wide_row(c->m));
	TAKE(u, B, model_wide_row(c->m));
	TAKE(moe_x, moe * B, (size_t)hp->n_embd);
	TAKE(moe_y, moe * B, (size_t)hp->n_embd);
	TAKE(router, B, (size_t)hp->n_expert);
	TAKE(route_w, B, (size_t)hp->n_expert_used);
	TAKE(route_id, B, (size_t)hp->n_expert_used);	/* int32_t, the size of a float */
	TAKE(scores, nth, (size_t)c->n_ctx);
	TAKE(attn_scratch, nth, c->attn_scratch_floats);
	TAKE(attn_blocks, B + 1, 1);	/* int, the size of a float */
	TAKE(env.wscratch, nth, maxk);
#undef TAKE
	if(set)
		c->qbuf = base + off;
	off = add64(off, lb_mul(lb_mul(B, maxk), 4));	/* the activations converted: at most 4 bytes an element (F16X) */
	c->env.maxk = maxk > INT32_MAX ? INT32_MAX : (int)maxk;
	return off;
}

Ctx *
ctx_make(const Model *m, KVPool *kv, int n_ctx, int batch, int n_threads)
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
	c->kv = kv;
	c->n_ctx = n_ctx;
	c->batch = batch < 1 ? 1 : batch < MODEL_MAX_BATCH ? batch : MODEL_MAX_BATCH;
	c->env.pool = pool_get();	/* a thread per processor: more than that, asked for, is capped */
	if(c->env.pool == NULL){
		free(c);
		lb_err("cannot start threads");
		return NULL;
	}
	ctx_set_threads(c, n_threads);
	c->attn_scratch_floats = attn_scratch_floats(&m->hp);
	c->memsize = ctx_layout(c, 0);
	if(c->memsize == SIZE_MAX){
		lb_err("a context of %d tokens for this model needs more memory than this address space has", n_ctx);
		free(c);
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

/* A pool of pages for one sequence of n_ctx positions; NULL with lb_err set. */
static KVPool *
own_pool(const Model *m, uint32_t type_k, uint32_t type_v, int n_ctx)
{
	size_t page = kv_page_bytes(&m->hp, type_k, type_v);

	if(kv_types_check(&m->hp, type_k, type_v) < 0)
		return NULL;
	if(page == 0 || lb_mul(page, (size_t)kv_pages_for(n_ctx)) > SIZE_MAX / 2){
		lb_err("a context of %d tokens for this model needs more KV cache than this address space has", n_ctx);
		return NULL;
	}
	return kv_pool_new(&m->hp, type_k, type_v, kv_pages_for(n_ctx));
}

Ctx *
ctx_new(const Model *m, int n_ctx, int n_threads)
{
	KVPool *kv;
	Ctx *c;

	if(n_ctx <= 0 || n_ctx > m->hp.n_ctx_train)
		n_ctx = m->hp.n_ctx_train;
	if((kv = own_pool(m, m->kv_type_k, m->kv_type_v, n_ctx)) == NULL)
		return NULL;
	c = ctx_make(m, kv, n_ctx, n_ctx, n_threads);
	if(c == NULL){
		kv_pool_free(kv);
		return NULL;
	}
	c->ownkv = kv;
	c->bpos = malloc(sizeof *c->bpos * (size_t)c->batch);
	c->bseq = malloc(sizeof *c->bseq * (size_t)c->batch);
	c->bwant = malloc((size_t)c->batch);
	if(c->bpos == NULL || c->bseq == NULL || c->bwant == NULL){
		ctx_free(c);
		lb_err("out of memory");
		return NULL;
	}
	return c;
}

void
ctx_free(Ctx *c)
{
	if(c == NULL)
		return;
	if(c->ownkv != NULL){
		kv_seq_clear(c->ownkv, &c->seq);
		kv_pool_free(c->ownkv);
	}
	free(c->bpos);
	free(c->bseq);
	free(c->bwant);
	lb_bigfree(c->mem, c->memsize);
	free(c);
}

void
ctx_set_threads(Ctx *c, int n)
{
	c->env.nth = n > 0 && n < pool_size(c->env.pool) ? n : pool_size(c->env.pool);
}

int
ctx_batch_rows(const Ctx *c)
{
	return c->batch;
}

int
ctx_batch(Ctx *c, const Batch *b, float *logits)
{
	int t;

	if(b->n < 1 || b->n > c->batch)
		return lb_err("a batch of %d rows (the context takes 1 to %d)", b->n, c->batch);
	for(t = 0; t < b->n; t++){
		if(b->tok[t] < 0 || b->tok[t] >= c->m->hp.n_vocab)
			return lb_err("token %d is out of range (vocabulary of %d)", b->tok[t], c->m->hp.n_vocab);
		if(b->pos[t] < 0 || b->pos[t] >= c->n_ctx || b->pos[t] >= b->seq[t]->npages * KV_PAGE)
			return lb_err("position %d is outside its sequence's cache", b->pos[t]);
	}
	batch_forward(c, b, logits);
	for(t = 0; t < b->n; t++)
		if(b->pos[t] >= b->seq[t]->len)
			b->seq[t]->len = b->pos[t] + 1;
	return 0;
}

/* Feeds n tokens of ctx_new's sequence at its next positions, in batches of at most c->batch. */
int
ctx_eval(Ctx *c, const int32_t *tok, int n, float *logits, int all)
{
	Batch b = { 0, NULL, c->bpos, c->bseq, c->bwant };
	int i, done;

	if(n <= 0)
		return n == 0 ? 0 : lb_err("negative token count");
	if(n > c->n_ctx - c->seq.len)
		return lb_err("context full: %d tokens at position %d exceed the context of %d", n, c->seq.len, c->n_ctx);
	for(i = 0; i < n; i++)	/* all of them before any is evaluated */
		if(tok[i] < 0 || tok[i] >= c->m->hp.n_vocab)
			return lb_err("token %d is out of range (vocabulary of %d)", tok[i], c->m->hp.n_vocab);
	if(kv_seq_grow(c->kv, &c->seq, c->seq.len + n) < 0)
		return -1;
	for(done = 0; done < n; done += b.n){
		float *out = NULL;
		b.n = n - done < c->batch ? n - done : c->batch;
		b.tok = tok + done;
		for(i = 0; i < b.n; i++){
			c->bpos[i] = c->seq.len + i;
			c->bseq[i] = &c->seq;
			c->bwant[i] = all || done + i == n - 1;
		}
		if(logits != NULL && all)
			out = logits + (size_t)done * c->m->hp.n_vocab;
		else if(logits != NULL && done + b.n == n)
			out = logits;
		if(ctx_batch(c, &b, out) < 0)
			return -1;
	}
	return 0;
}

void
ctx_reset(Ctx *c)
{
	c->seq.len = 0;
}

int
ctx_rewind(Ctx *c, int pos)
{
	if(pos < 0 || pos > c->seq.len)
		return lb_err("cannot go back to position %d of %d", pos, c->seq.len);
	c->seq.len = pos;	/* what was stored after it is written over */
	return 0;
}

int
ctx_pos(const Ctx *c)
{
	return c->seq.len;
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

int
ctx_set_kv_types(Ctx *c, int type_k, int type_v)
{
	KVPool *kv;

	if(c->ownkv == NULL || c->seq.len > 0)
		return lb_err("the KV cache's types can change only in an empty context of its own");
	kv = own_pool(c->m, type_k >= 0 ? (uint32_t)type_k : c->m->kv_type_k,
		type_v >= 0 ? (uint32_t)type_v : c->m->kv_type_v, c->n_ctx);
	if(kv == NULL)
		return -1;
	kv_seq_clear(c->ownkv, &c->seq);
	kv_pool_free(c->ownkv);
	c->kv = c->ownkv = kv;
	return 0;
}

void
ctx_set_plain_attn(Ctx *c, int plain)
{
	c->plain_attn = plain;
}
