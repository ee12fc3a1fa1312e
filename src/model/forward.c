/*
 * forward.c - the llama forward pass over a batch of rows (tokens of one or
 * many sequences, batch.h).
 *
 * Per layer: h = rmsnorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h; RoPE on q
 * and k at each row's position; causal attention over each row's sequence in
 * the cache (attn.c); x += Wo att.  Then
 * h = rmsnorm(x) * ffn_norm;
 * x += Wdown (silu(Wgate h) * Wup h).  Finally logits = Wout (rmsnorm(x) * out_norm).
 */

#include "../quant/quant.h"
#include "ctx.h"
#include "ops.h"

/* RoPE on q and k of each row of the batch, at its position. */
static void
rope_batch(Ctx *c, const Batch *b)
{
	const HParams *hp = &c->m->hp;
	int hd = hp->head_dim, kvd = hp->n_head_kv * hd, qd = hp->n_head * hd, t;

	for(t = 0; t < b->n; t++){
		op_rope(c->q + (size_t)t * qd, hp->n_head, hd, hp->n_rot, b->pos[t], hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
		op_rope(c->k + (size_t)t * kvd, hp->n_head_kv, hd, hp->n_rot, b->pos[t], hp->rope_base,
			hp->rope_freq_scale, c->m->rope_freqs);
	}
}

static void
layer_forward(Ctx *c, const Batch *b, int il)
{
	const HParams *hp = &c->m->hp;
	const Layer *l = &c->m->layers[il];
	int d = hp->n_embd, qd = hp->n_head * hp->head_dim, n = b->n, t;
	Act a;

	for(t = 0; t < n; t++)
		op_rmsnorm(c->h + (size_t)t * d, c->x + (size_t)t * d, l->attn_norm, d, hp->norm_eps);
	act_set(&a, c->h, n, d, c->qbuf);
	matmul(&c->env, l->wq, &a, c->q);
	matmul(&c->env, l->wk, &a, c->k);
	matmul(&c->env, l->wv, &a, c->v);
	rope_batch(c, b);
	attn_layer(c, b, il);
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

/* One batch of at most c->batch rows (ctx_batch checked it); logits of the rows b->want flags. */
void
batch_forward(Ctx *c, const Batch *b, float *logits)
{
	const Model *m = c->m;
	const QuantType *et = quant_type(m->tok_embd->type);
	size_t erow = quant_row_size(m->tok_embd->type, m->hp.n_embd);
	int d = m->hp.n_embd, t, il, nl = 0;
	Act a;

	for(t = 0; t < b->n; t++)
		et->to_float((const uint8_t *)m->tok_embd->data + (size_t)b->tok[t] * erow, c->x + (size_t)t * d, d);
	for(il = 0; il < m->hp.n_layer; il++)
		layer_forward(c, b, il);
	if(logits == NULL || b->want == NULL)
		return;
	for(t = 0; t < b->n; t++)
		if(b->want[t])
			op_rmsnorm(c->h + (size_t)nl++ * d, c->x + (size_t)t * d, m->out_norm, d, m->hp.norm_eps);
	if(nl == 0)
		return;
	act_set(&a, c->h, nl, d, c->qbuf);
	matmul(&c->env, m->output, &a, logits);
}
