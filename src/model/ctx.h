/*
 * ctx.h - what a context holds: the KV cache of one sequence and the scratch
 * buffers of a batch.  Shared by ctx.c (layout, life), attn.c (the cache and
 * attention) and forward.c (the layers).
 */
#ifndef LB_CTX_H
#define LB_CTX_H

#include "matmul.h"
#include "model.h"

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

/* attn.c: the batch's k and v (already rotated) into the cache, then causal attention of q into att. */
void attn_layer(Ctx *c, int il, int n);

#endif
