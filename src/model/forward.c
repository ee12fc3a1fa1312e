/*
 * forward.c - the layer graph over a batch of rows (tokens of one or many
 * sequences, batch.h): a pre-norm transformer whose optional parts follow the
 * tensors the file has (arch.c says which a family may have), as llama.cpp's
 * src/models/<arch>.cpp graphs do.
 *
 * x = token_embd[token] (* sqrt(n_embd): gemma).  Per layer:
 *   h = rmsnorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h (or one fused Wqkv),
 *   + biases; q, k = rmsnorm per head (qwen3, gemma3); RoPE on q and k (unless
 *   the layer has none); attention over the cache (attn.c); o = Wo att (+ bias);
 *   o = rmsnorm(o) * post_attention_norm (gemma); x += o.
 *   h = rmsnorm(x) * ffn_norm; f = Wdown (act(Wgate h) * Wup h) with act SiLU
 *   or GELU (gate and up may be one fused matrix: phi3), or the experts (moe.c);
 *   f = rmsnorm(f) * post_ffw_norm (gemma); x += f.
 * logits = Wout (rmsnorm(x) * out_norm) (+ bias), soft-capped (gemma2).
 */
#include <stdatomic.h>
#include <string.h>

#include "../quant/quant.h"
#include "../runtime/pool.h"
#include "arch.h"
#include "ctx.h"
#include "ops.h"

enum { GLU_CHUNK = 1024 };	/* elements of act(gate) * up a thread takes at a time */

/*
 * The norms and the activation between the matrix products, over the pool's
 * threads: in a step of 16 generations they were 5% of the work (SiLU's expf
 * the most), done on one thread while the others waited.  Rows (norms) and
 * chunks (the activation) are independent: the results are one thread's.
 */
typedef struct Elem {
	float *y;
	const float *x, *w;	/* norm: the rows in, the weights; glu: x is up */
	int n, d;	/* rows of d (norm); elements (glu) */
	float eps;
	int gelu;
	atomic_int next;
} Elem;

static void
norm_task(void *arg, int ith, int nth)
{
	Elem *e = arg;
	int t;

	(void)ith;
	(void)nth;
	while((t = pool_next(&e->next)) < e->n)
		op_rmsnorm(e->y + (size_t)t * e->d, e->x + (size_t)t * e->d, e->w, e->d, e->eps);
}

/* y = rmsnorm(x) * w for each of n rows of d */
static void
norm_rows(Ctx *c, float *y, const float *x, const float *w, int n, int d)
{
	Elem e = { .y = y, .x = x, .w = w, .n = n, .d = d, .eps = c->m->hp.norm_eps };

	atomic_init(&e.next, 0);
	pool_run(c->env.pool, norm_task, &e, n > 1 ? c->env.nth : 1);
}

static void
glu_task(void *arg, int ith, int nth)
{
	Elem *e = arg;
	int i, k;

	(void)ith;
	(void)nth;
	while((i = pool_next(&e->next) * GLU_CHUNK) < e->n){
		k = e->n - i < GLU_CHUNK ? e->n - i : GLU_CHUNK;
		op_glu(e->y + i, e->x + i, k, e->gelu);
	}
}

/* y = W x (+ b) for the n rows of a */
static void
linear(Ctx *c, const GGUFTensor *w, const float *b, Act *a, float *y)
{
	matmul(&c->env, w, a, y);
	if(b != NULL)
		op_add_rows(y, b, a->n, (int)w->ne[1]);
}

/* q, k and v of the batch from the normed rows of h */
static void
project_qkv(Ctx *c, const Layer *l, int n)
{
	const HParams *hp = &c->m->hp;
	int qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim, w = qd + 2 * kvd, t;
	Act a;

	act_set(&a, c->h, n, hp->n_embd, c->qbuf);
	if(l->wqkv == NULL){
		linear(c, l->wq, l->bq, &a, c->q);
		linear(c, l->wk, l->bk, &a, c->k);
		linear(c, l->wv, l->bv, &a, c->v);
		return;
	}
	linear(c, l->wqkv, l->bqkv, &a, c->g);
	for(t = 0; t < n; t++){
		const float *row = c->g + (size_t)t * w;
		memcpy(c->q + (size_t)t * qd, row, sizeof(float) * qd);
		memcpy(c->k + (size_t)t * kvd, row + qd, sizeof(float) * kvd);
		memcpy(c->v + (size_t)t * kvd, row + qd + kvd, sizeof(float) * kvd);
	}
}

/* Per-head norms, then RoPE on q and k of each row of the batch, at its position. */
static void
rope_batch(Ctx *c, const Batch *b, const Layer *l, int il)
{
	const HParams *hp = &c->m->hp;
	int hd = hp->head_dim, kvd = hp->n_head_kv * hd, qd = hp->n_head * hd, n = b->n, t;
	Rope r = model_rope(c->m, il, c->n_ctx);

	if(l->q_norm != NULL)
		op_rmsnorm_rows(c->q, l->q_norm, n * hp->n_head, hd, hp->norm_eps);
	if(l->k_norm != NULL)
		op_rmsnorm_rows(c->k, l->k_norm, n * hp->n_head_kv, hd, hp->norm_eps);
	for(t = 0; t < n; t++){
		rope_apply(&r, c->q + (size_t)t * qd, hp->n_head, hd, b->pos[t]);
		rope_apply(&r, c->k + (size_t)t * kvd, hp->n_head_kv, hd, b->pos[t]);
	}
}

/* x += the block's output in h: normed first where the layer has a post-norm */
static void
residual(Ctx *c, const float *post_norm, int n)
{
	const HParams *hp = &c->m->hp;

	if(post_norm != NULL)
		op_rmsnorm_rows(c->h, post_norm, n, hp->n_embd, hp->norm_eps);
	op_add(c->x, c->h, n * hp->n_embd);
}

static void
attention(Ctx *c, const Batch *b, const Layer *l, int il)
{
	const HParams *hp = &c->m->hp;
	int n = b->n;
	Act a;

	norm_rows(c, c->h, c->x, l->attn_norm, n, hp->n_embd);
	project_qkv(c, l, n);
	rope_batch(c, b, l, il);
	attn_layer(c, b, il);
	act_set(&a, c->att, n, hp->n_head * hp->head_dim, c->qbuf);
	linear(c, l->wo, l->bo, &a, c->h);
	residual(c, l->attn_post_norm, n);
}

/* act(gate) * up of n rows: gate and up each n_ff wide, or (fused) one row of 2 n_ff holding both */
static void
gate_act(Ctx *c, int n, int fused)
{
	int ff = c->m->hp.n_ff, t;
	Elem e;

	if(fused)	/* ggml_swiglu: the first half is the gate; packed rows into g */
		for(t = 0; t < n; t++){
			memcpy(c->u + (size_t)t * ff, c->g + (size_t)t * 2 * ff + ff, sizeof(float) * ff);
			memmove(c->g + (size_t)t * ff, c->g + (size_t)t * 2 * ff, sizeof(float) * ff);
		}
	e.y = c->g;
	e.x = c->u;
	e.n = n * ff;
	e.gelu = c->m->arch_desc->act == ACT_GELU;
	atomic_init(&e.next, 0);
	pool_run(c->env.pool, glu_task, &e, c->env.nth);
}

static void
feed_forward(Ctx *c, const Layer *l, int il, int n)
{
	const HParams *hp = &c->m->hp;
	int d = hp->n_embd;
	Act a;

	norm_rows(c, c->h, c->x, l->ffn_norm, n, d);
	if(l->gate_inp != NULL)
		moe_layer(c, il, n);
	else{
		act_set(&a, c->h, n, d, c->qbuf);
		if(l->w_gate != NULL){
			linear(c, l->w_gate, l->b_gate, &a, c->g);
			linear(c, l->w_up, l->b_up, &a, c->u);
		}else
			linear(c, l->w_up, NULL, &a, c->g);
		gate_act(c, n, l->w_gate == NULL);
		act_set(&a, c->g, n, hp->n_ff, c->qbuf);
		linear(c, l->w_down, l->b_down, &a, c->h);
	}
	residual(c, l->ffn_post_norm, n);
}

/* The rows of tok, looked up (a quantized row is decoded exactly) and scaled */
static void
embed(Ctx *c, const int32_t *tok, int n)
{
	const Model *m = c->m;
	const QuantType *et = quant_type(m->tok_embd->type);
	size_t erow = quant_row_size(m->tok_embd->type, m->hp.n_embd);
	int d = m->hp.n_embd, t;

	for(t = 0; t < n; t++)
		et->to_float((const uint8_t *)m->tok_embd->data + (size_t)tok[t] * erow, c->x + (size_t)t * d, d);
	if(m->hp.embd_scale != 1.0f)
		op_scale(c->x, n * d, m->hp.embd_scale);
}

/* One batch of at most c->batch rows (ctx_batch checked it); logits of the rows b->want flags. */
void
batch_forward(Ctx *c, const Batch *b, float *logits)
{
	const Model *m = c->m;
	const HParams *hp = &m->hp;
	int d = hp->n_embd, t, il, nl = 0;
	Act a;

	embed(c, b->tok, b->n);
	for(il = 0; il < hp->n_layer; il++){
		attention(c, b, &m->layers[il], il);
		feed_forward(c, &m->layers[il], il, b->n);
	}
	if(logits == NULL || b->want == NULL)
		return;
	for(t = 0; t < b->n; t++)
		if(b->want[t])
			op_rmsnorm(c->h + (size_t)nl++ * d, c->x + (size_t)t * d, m->out_norm, d, hp->norm_eps);
	if(nl == 0)
		return;
	act_set(&a, c->h, nl, d, c->qbuf);
	linear(c, m->output, m->out_bias, &a, logits);
	if(hp->final_softcap != 0)
		op_softcap(logits, nl * hp->n_vocab, hp->final_softcap);
}
