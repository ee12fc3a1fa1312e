/*
 * matmul.h - y = W x for a batch of activation rows, on the thread pool.
 *
 * W is a GGUF matrix [k, rows] of any supported type.  The fast path converts
 * the activations once to W's vec_dot_type and dots every weight row with
 * them (llama.cpp's arithmetic); the exact path decodes each weight row to
 * floats first (the mathematically exact result of the file, for tests).
 */
#ifndef LB_MATMUL_H
#define LB_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "../gguf/gguf.h"
#include "../runtime/pool.h"

typedef struct Act {
	const float *x;	/* n rows of k floats */
	int n, k;
	uint8_t *q;	/* the rows converted to qtype (scratch owned by the caller) */
	uint32_t qtype;	/* what q holds now, or ~0u */
} Act;

typedef struct MatEnv {
	Pool *pool;
	int nth;
	int exact;
	float *wscratch;	/* nth * maxk floats, for the exact path */
	int maxk;
} MatEnv;

/* Points a at x (n rows of k); q is scratch of at least n * k * 4 bytes (a vec_dot_type's row is at most 4 bytes an element). */
void act_set(Act *a, const float *x, int n, int k, uint8_t *q);
/* y[t * rows + r] = W[r] . x[t] for t < a->n, r < rows (W's ne[1]). */
void matmul(MatEnv *e, const GGUFTensor *w, Act *a, float *y);

#endif
