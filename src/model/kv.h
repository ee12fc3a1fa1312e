/*
 * kv.h - the KV cache as a pool of pages.
 *
 * A page holds the keys and values of KV_PAGE consecutive positions of one
 * sequence, for every layer.  A sequence is a list of pages taken from its
 * pool as it grows and given back when it ends, so memory follows the tokens
 * in use, not a whole context per request.  The pool's budget bounds the pages
 * it hands out; pages given back are kept for the next sequence.
 *
 * In a page, per layer: K as KV_PAGE rows of kv_dim elements, then V
 * transposed, kv_dim rows of KV_PAGE elements (att . V is then a dot product
 * per output element over the page's positions).  Elements are f32 now.  Both
 * kinds of row are whole blocks of ggml's 32-element types, so an F16 or Q8_0
 * cache changes only the element type and the row sizes, and attention can be
 * tiled page by page (an online softmax) without changing the layout.
 *
 * A pool is used by one thread at a time (its context's or its scheduler's).
 */
#ifndef LB_KV_H
#define LB_KV_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum { KV_PAGE = 64 };	/* positions per page */

typedef struct KVSlab KVSlab;

typedef struct KVPool {
	uint32_t type;	/* element type (a ggml type id): LB_F32 */
	int n_layer, kv_dim;
	size_t krow, vrow;	/* bytes of a K row (kv_dim elements) and a V row (KV_PAGE elements) */
	size_t layer_bytes;	/* K then V of one layer in a page */
	size_t page_bytes;
	int budget;	/* pages it may hand out */
	int used;	/* pages held by sequences */
	uint8_t **free;	/* pages made and not held */
	int nfree, made;
	KVSlab *slabs;	/* the mappings pages are cut from */
} KVPool;

typedef struct KVSeq {
	uint8_t **pages;
	int npages, apages;
	int len;	/* positions stored: the next one to write */
} KVSeq;

/* Bytes of one page for the model (0 if it does not fit a size_t). */
size_t kv_page_bytes(const HParams *hp);
/* A pool of at most budget pages (>= 1); NULL with lb_err set. */
KVPool *kv_pool_new(const HParams *hp, int budget);
void kv_pool_free(KVPool *p);
/* Pages enough for positions < npos; 0, or -1 with lb_err set (over budget, out of memory). */
int kv_seq_grow(KVPool *p, KVSeq *s, int npos);
/* Every page back to the pool; the sequence is empty (and may grow again). */
void kv_seq_clear(KVPool *p, KVSeq *s);
/* Pages a sequence of npos positions holds. */
static inline int
kv_pages_for(int npos)
{
	return (npos + KV_PAGE - 1) / KV_PAGE;
}

/* Layer il of page pg of s: K rows, then V rows. */
static inline uint8_t *
kv_keys(const KVPool *p, const KVSeq *s, int il, int pg)
{
	return s->pages[pg] + (size_t)il * p->layer_bytes;
}

static inline uint8_t *
kv_values(const KVPool *p, const KVSeq *s, int il, int pg)
{
	return kv_keys(p, s, il, pg) + KV_PAGE * p->krow;
}

#endif
