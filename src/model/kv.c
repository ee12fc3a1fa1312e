/*
 * kv.c - the pool of KV pages; see kv.h.
 *
 * Pages are cut from mappings of a few MiB made as the pool first needs them,
 * so a pool costs memory only for the pages its sequences have used; pages
 * given back go on a free list (the last one given back is the next one
 * taken, still in cache) and the mappings live as long as the pool.
 */
#include <stdlib.h>
#include <string.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "kv.h"

enum { SLAB_BYTES = 4 << 20 };

struct KVSlab {
	void *mem;
	size_t size;
	KVSlab *next;
};

size_t
kv_page_bytes(const HParams *hp)
{
	size_t kvd = lb_mul((size_t)hp->n_head_kv, (size_t)hp->head_dim);
	size_t layer = lb_mul(lb_mul(2 * KV_PAGE, kvd), sizeof(float));
	size_t page = lb_mul(layer, (size_t)hp->n_layer);

	return page == SIZE_MAX ? 0 : page;
}

KVPool *
kv_pool_new(const HParams *hp, int budget)
{
	KVPool *p;
	size_t page = kv_page_bytes(hp);

	if(page == 0 || budget < 1){
		lb_err("KV cache: no room for one page of %d positions (%d pages allowed)", KV_PAGE, budget);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if(p == NULL){
		lb_err("out of memory");
		return NULL;
	}
	p->type = LB_F32;
	p->n_layer = hp->n_layer;
	p->kv_dim = hp->n_head_kv * hp->head_dim;
	p->krow = quant_row_size(p->type, p->kv_dim);
	p->vrow = quant_row_size(p->type, KV_PAGE);
	p->layer_bytes = KV_PAGE * p->krow + (size_t)p->kv_dim * p->vrow;
	p->page_bytes = page;
	p->budget = budget;
	return p;
}

void
kv_pool_free(KVPool *p)
{
	KVSlab *s, *next;

	if(p == NULL)
		return;
	for(s = p->slabs; s != NULL; s = next){
		next = s->next;
		lb_bigfree(s->mem, s->size);
		free(s);
	}
	free(p->free);
	free(p);
}

/* A new mapping cut into pages on the free list, up to the budget; -1 with lb_err. */
static int
make_pages(KVPool *p)
{
	int k = SLAB_BYTES / p->page_bytes > 1 ? (int)(SLAB_BYTES / p->page_bytes) : 1, i;
	uint8_t **nf;
	KVSlab *s;

	if(k > p->budget - p->made)
		k = p->budget - p->made;
	nf = realloc(p->free, sizeof *nf * (size_t)(p->made + k));
	if(nf == NULL)
		return lb_err("out of memory");
	p->free = nf;
	s = calloc(1, sizeof *s);
	if(s == NULL)
		return lb_err("out of memory");
	s->size = p->page_bytes * (size_t)k;
	s->mem = lb_bigalloc(s->size);
	if(s->mem == NULL){
		free(s);
		return -1;
	}
	s->next = p->slabs;
	p->slabs = s;
	for(i = k - 1; i >= 0; i--)
		p->free[p->nfree++] = (uint8_t *)s->mem + (size_t)i * p->page_bytes;
	p->made += k;
	return 0;
}

int
kv_seq_grow(KVPool *p, KVSeq *s, int npos)
{
	int need = kv_pages_for(npos);

	if(need <= s->npages)
		return 0;
	if(need - s->npages > p->budget - p->used)
		return lb_err("KV cache full: %d more pages wanted, %d of %d in use", need - s->npages, p->used, p->budget);
	if(need > s->apages){
		uint8_t **np = realloc(s->pages, sizeof *np * (size_t)need);
		if(np == NULL)
			return lb_err("out of memory");
		s->pages = np;
		s->apages = need;
	}
	while(s->npages < need){
		if(p->nfree == 0 && make_pages(p) < 0)
			return -1;
		s->pages[s->npages++] = p->free[--p->nfree];
		p->used++;
	}
	return 0;
}

void
kv_seq_clear(KVPool *p, KVSeq *s)
{
	while(s->npages > 0){
		p->free[p->nfree++] = s->pages[--s->npages];
		p->used--;
	}
	free(s->pages);
	s->pages = NULL;
	s->apages = 0;
	s->len = 0;
}
