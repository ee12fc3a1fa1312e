/*
 * ctx.h - what a context holds: the scratch buffers of a batch, the threads,
 * and the KV pool its sequences live in.  Shared by ctx.c (layout, life, the
 * one-sequence API), attn.c (the cache and attention) and forward.c (the layers).
 */
#ifndef LB_CTX_H
#define LB_CTX_H

#include "batch.h"
#include "kv.h"
#include "matmul.h"
#include "model.h"

struct Ctx {
	const Model *m;
	int n_ctx;	/* the longest sequence: the attention scores have room for it */
	int batch;	/* rows a batch may have */
	MatEnv env;
	KVPool *kv;	/* where the batches' sequences keep their keys and values */
	KVPool *ownkv;	/* ctx_new's own pool (ctx_make's callers bring theirs) */
	KVSeq seq;	/* ctx_eval's one sequence */
	int *bpos;	/* ctx_eval's batch: positions, sequences, wanted logits */
	KVSeq **bseq;
	uint8_t *bwant;
	/* scratch, batch rows each */
	float *x, *h, *q, *k, *v, *att, *g, *u;	/* g, u: model_wide_row floats a row */
	float *scores;	/* n_ctx per thread: the plain attention's */
	float *attn_scratch;	/* attn_scratch_floats per thread */
	int *attn_blocks;	/* batch + 1: attn.c's blocks of rows */
	size_t attn_scratch_floats;
	int plain_attn;	/* the reference attention (attn.c) instead of the tiled one */
	float *moe_x, *moe_y, *router, *route_w;	/* experts (moe.c): n_embd, n_embd, n_expert, n_expert_used a row */
	int32_t *route_id;	/* n_expert_used a row */
	uint8_t *qbuf;	/* activations converted for the matmuls */
	void *mem;	/* one mapping for all of the above */
	size_t memsize;
};

/* forward.c: the layers over the batch; logits of the rows b->want flags. */
void batch_forward(Ctx *c, const Batch *b, float *logits);
/*
 * attn.c: the batch's k and v (already rotated) into the cache, then causal
 * attention of q into att, with the layer's window, the model's scale and soft-cap.
 */
void attn_layer(Ctx *c, const Batch *b, int il);
/* Floats of scratch a thread's attention needs. */
size_t attn_scratch_floats(const HParams *hp);

/* moe.c: the mixture-of-experts FFN of layer il on the n rows of h, into h. */
void moe_layer(Ctx *c, int il, int n);

#endif
