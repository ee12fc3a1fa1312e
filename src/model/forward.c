/*
 * forward.c - the llama forward pass over a batch of tokens.
 *
 * Per layer: h = rmsnorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h; RoPE on q
 * and k; causal attention over the cache (attn.c); x += Wo att.  Then
 * h = rmsnorm(x) * ffn_norm;
 * x += Wdown (silu(Wgate h) * Wup h).  Finally logits = Wout (rmsnorm(x) * out_norm).
 */
#include <stdlib.h>
#include <string.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "ctx.h"
#include "ops.h"

/* RoPE on q and k of each token of the batch, at its position. */
static void
rope_batch(Ctx *c, int n)
{
	const HParams *hp = &c->m->hp;
	int hd = hp->head_dim, kvd = hp->n_head_kv * hd, qd = hp->n_head * hd, t;

	for(t = 0; t < n; t++){
		op_rope(c->q + (size_t)t * qd, hp->n_head, hd, hp->n_rot, c->pos + t, hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
		op_rope(c->k + (size_t)t * kvd, hp->n_head_kv, hd, hp->n_rot, c->pos + t, hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
	}
}

static void
layer_forward(Ctx *c, int il, int n)
{
	const HParams *hp = &c->m->hp;
	const Layer *l = &c->m->layers[il];
	int d = hp->n_embd, qd = hp->n_head * hp->head_dim, t;
	Act a;

	for(t = 0; t < n; t++)
		op_rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, l->attn_norm, d, hp->norm_eps);
	act_set(&a, c->h, n, d, c->qbuf);
	matmul(&c->env, l->wq, &a, c->q);
	matmul(&c->env, l->wk, &a, c->k);
	matmul(&c->env, l->wv, &a, c->v);
	rope_batch(c, n);
	attn_layer(c, il, n);
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
