/*
 * kv.h - the KV cache as a pool of pages.
 *
 * A page holds the keys and values of KV_PAGE consecutive positions of one
 * sequence, for every layer.  A sequence is a list of pages taken from its
 * pool as it grows and given back when it ends, so memory follows the tokens
 * in use, not a whole context per request.  The pool's budget bounds the pages
 * it hands out; pages given back are kept for the next sequence.
 *
 * In a page, per layer: K as KV_PAGE rows of kv_dim elements, then V as
 * KV_PAGE rows of kv_dim elements, each of its own type: F16 by default (as
 * llama.cpp's cache), F32, BF16, or one of the 32-element block types (Q8_0,
 * ...) when each head's slice of a row is whole blocks.  V is not transposed:
 * a row is one position, written once as a whole, so a block type's scale is
 * that of its 32 elements of one position (llama.cpp's flash attention
 * layout); attention reads a page at a time (attn.c, an online softmax).
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
	uint32_t type_k, type_v;	/* element types (ggml type ids) */
	int n_layer, kv_dim;
	size_t krow, vrow;	/* bytes of a K row and of a V row (kv_dim elements each) */
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

/* The type a name ("f16", "q8_0", ...: llama.cpp's -ctk names, any case) stands for; -1 if none. */
int kv_type_named(const char *name);
/* The name of a type kv_type_named knows ("f16"). */
const char *kv_type_name(uint32_t type);
/* 0 if a cache of these types can hold the model's heads, or -1 with lb_err set. */
int kv_types_check(const HParams *hp, uint32_t type_k, uint32_t type_v);
/* Bytes of one page for the model (0 if it does not fit a size_t, or the types cannot hold its heads). */
size_t kv_page_bytes(const HParams *hp, uint32_t type_k, uint32_t type_v);
/* A pool of at most budget pages (>= 1); NULL with lb_err set. */
KVPool *kv_pool_new(const HParams *hp, uint32_t type_k, uint32_t type_v, int budget);
void kv_pool_free(KVPool *p);
/* Pages enough for positions < npos; 0, or -1 with lb_err set (over budget, out of memory). */
int kv_seq_grow(KVPool *p, KVSeq *s, int npos);
/* Every page back to the pool; the sequence is empty (and may grow again). */
void kv_seq_clear(KVPool *p, KVSeq *s);
/* Bytes of one position in every layer, as kv_seq_save writes it: layer by layer, its K row then its V row. */
static inline size_t
kv_pos_bytes(const KVPool *p)
{
	return (size_t)p->n_layer * (p->krow + p->vrow);
}
/* Positions [0, n) of s (n <= s->len) into out, kv_pos_bytes each, position by position: a cache saved. */
void kv_seq_save(const KVPool *p, const KVSeq *s, int n, uint8_t *out);
/* Positions [0, n) of s made from what kv_seq_save wrote (s->len becomes n); 0, or -1 with lb_err set. */
int kv_seq_load(KVPool *p, KVSeq *s, const uint8_t *in, int n);
/* Pages a sequence of npos positions holds. */
static inline int
kv_pages_for(int npos)
{
	return (npos + KV_PAGE - 1) / KV_PAGE;
}

/* Layer il of page pg of s: KV_PAGE K rows, then KV_PAGE V rows. */
static inline uint8_t *
kv_keys(const KVPool *p, const KVSeq *s, int il, int pg)
{
	return s->pages[pg] + (size_t)il * p->layer_bytes;
}

static inline uint8_t *
kv_values(const KVPool *p, const KVSeq *s, int il, int pg)
{
	return kv_keys(p, s, il, pg) + (size_t)KV_PAGE * p->krow;
}

#endif
