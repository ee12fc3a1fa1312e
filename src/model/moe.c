/*
 * moe.c - the mixture-of-experts FFN, as llama.cpp's build_moe_ffn with
 * softmax gating and normalised weights (qwen3moe, Mixtral): the router's
 * softmax over the experts, the top n_expert_used, their probabilities divided
 * by their sum (at least 2^-14); each chosen expert a gated FFN over the rows
 * routed to it, so an expert's weights are read once per batch; the weighted sum.
 */
#include <string.h>

#include "arch.h"
#include "ctx.h"
#include "ops.h"

/* The router: for each row, the ids of its experts (best first) and their weights. */
static void
route(Ctx *c, const Layer *l, int n)
{
	const HParams *hp = &c->m->hp;
	int nx = hp->n_expert, k = hp->n_expert_used, t, j, e;
	Act a;

	act_set(&a, c->h, n, hp->n_embd, c->qbuf);
	matmul(&c->env, l->gate_inp, &a, c->router);
	for(t = 0; t < n; t++){
		float *p = c->router + (size_t)t * nx, *w = c->route_w + (size_t)t * k, sum = 0;
		int32_t *id = c->route_id + (size_t)t * k;
		op_softmax(p, nx);
		for(j = 0; j < k; j++){	/* the best left; the lower id on a tie */
			int best = -1;
			for(e = 0; e < nx; e++)
				if(p[e] >= 0 && (best < 0 || p[e] > p[best]))
					best = e;
			id[j] = best;
			w[j] = p[best];
			p[best] = -1;	/* probabilities are >= 0: taken */
			sum += w[j];
		}
		if(sum < 6.103515625e-5f)	/* llama.cpp's clamp: the smallest normal binary16 */
			sum = 6.103515625e-5f;
		for(j = 0; j < k; j++){
			w[j] /= sum;
			if(hp->expert_weights_scale != 0)
				w[j] *= hp->expert_weights_scale;
		}
	}
}

/* Expert e's matrix of a [.., .., n_expert] tensor, as a 2-D tensor of its own. */
static GGUFTensor
slice(const GGUFTensor *t, int e)
{
	GGUFTensor s = *t;

	s.nbytes = t->nbytes / (size_t)t->ne[2];
	s.data = (const uint8_t *)t->data + (size_t)e * s.nbytes;
	s.ne[2] = 1;
	return s;
}

/* Expert e over the rows routed to it: their weighted outputs added to moe_y. */
static void
expert(Ctx *c, const Layer *l, int e, int n)
{
	const HParams *hp = &c->m->hp;
	int d = hp->n_embd, k = hp->n_expert_used, rows[MODEL_MAX_BATCH], cnt = 0, t, j, i;
	float wt[MODEL_MAX_BATCH];
	GGUFTensor gate, up, down;
	Act a;

	for(t = 0; t < n; t++)
		for(j = 0; j < k; j++)
			if(c->route_id[(size_t)t * k + j] == e){
				rows[cnt] = t;
				wt[cnt] = c->route_w[(size_t)t * k + j];
				memcpy(c->moe_x + (size_t)cnt++ * d, c->h + (size_t)t * d, sizeof(float) * d);
			}
	if(cnt == 0)
		return;
	gate = slice(l->gate_exps, e);
	up = slice(l->up_exps, e);
	down = slice(l->down_exps, e);
	act_set(&a, c->moe_x, cnt, d, c->qbuf);
	matmul(&c->env, &gate, &a, c->g);
	matmul(&c->env, &up, &a, c->u);
	op_glu(c->g, c->u, cnt * hp->n_ff_exp, c->m->arch_desc->act == ACT_GELU);
	act_set(&a, c->g, cnt, hp->n_ff_exp, c->qbuf);
	matmul(&c->env, &down, &a, c->moe_x);
	for(i = 0; i < cnt; i++){
		float *y = c->moe_y + (size_t)rows[i] * d;
		const float *x = c->moe_x + (size_t)i * d;
		for(j = 0; j < d; j++)
			y[j] += wt[i] * x[j];
	}
}

void
moe_layer(Ctx *c, int il, int n)
{
	const Layer *l = &c->m->layers[il];
	int e;

	route(c, l, n);
	memset(c->moe_y, 0, sizeof(float) * (size_t)n * c->m->hp.n_embd);
	for(e = 0; e < c->m->hp.n_expert; e++)
		expert(c, l, e, n);
	memcpy(c->h, c->moe_y, sizeof(float) * (size_t)n * c->m->hp.n_embd);
}
