/*
 * batch.h - a batch whose rows belong to different sequences.
 *
 * Each row is a token at a position of a sequence whose keys and values live
 * in the context's KV pool.  The weight matrices are applied once to all the
 * rows; each row attends to its own sequence's cache, up to and including its
 * own position.  A row's result does not depend on the other rows: a sequence
 * evaluated in a mixed batch gets the same logits, bit for bit, as alone.
 */
#ifndef LB_BATCH_H
#define LB_BATCH_H

#include <stdint.h>

#include "kv.h"
#include "model.h"

typedef struct Batch {
	int n;	/* rows */
	const int32_t *tok;
	const int *pos;	/* each row's position in its sequence */
	KVSeq *const *seq;
	/*
	 * Rows whose logits are wanted: flagged rows write one row of n_vocab each,
	 * in row order.  The rows of one sequence come in position order, each
	 * sequence's positions before them already stored, and its pages grown
	 * to hold them (kv_seq_grow).
	 */
	const uint8_t *want;
} Batch;

/*
 * A context for batches of up to batch rows on the pool kv (not owned), whose
 * sequences are at most n_ctx positions long.  NULL with lb_err set.
 */
Ctx *ctx_make(const Model *m, KVPool *kv, int n_ctx, int batch, int n_threads);
/* Evaluates b; 0, or -1 with lb_err set for a batch the context cannot take. */
int ctx_batch(Ctx *c, const Batch *b, float *logits);
/* Threads the next batches use (up to the pool's). */
void ctx_set_threads(Ctx *c, int n);
int ctx_batch_rows(const Ctx *c);

#endif
