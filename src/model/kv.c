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
#include <strings.h>

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

/* The cache types llama.cpp's -ctk and -ctv take, by its names. */
static const struct {
	const char *name;
	uint32_t type;
} types[] = {
	{ "f32", LB_F32 }, { "f16", LB_F16 }, { "bf16", LB_BF16 }, { "q8_0", LB_Q8_0 }, { "q4_0", LB_Q4_0 },
	{ "q4_1", LB_Q4_1 }, { "iq4_nl", LB_IQ4_NL }, { "q5_0", LB_Q5_0 }, { "q5_1", LB_Q5_1 },
};

int
kv_type_named(const char *name)
{
	size_t i;

	for(i = 0; i < sizeof types / sizeof types[0]; i++)
		if(strcasecmp(name, types[i].name) == 0)
			return (int)types[i].type;
	return -1;
}

const char *
kv_type_name(uint32_t type)
{
	size_t i;

	for(i = 0; i < sizeof types / sizeof types[0]; i++)
		if(types[i].type == type)
			return types[i].name;
	return "?";
}

/* Each head's slice of a row must be whole blocks: attention reads a head at a time. */
int
kv_types_check(const HParams *hp, uint32_t type_k, uint32_t type_v)
{
	uint32_t t[2] = { type_k, type_v };
	int i;

	for(i = 0; i < 2; i++){
		if(strcmp(kv_type_name(t[i]), "?") == 0)
			return lb_err("KV cache: type %u is not one a cache can have", t[i]);
		if(quant_row_size(t[i], hp->head_dim) == 0)
			return lb_err("KV cache: a head of %d elements is not whole %s blocks of %d",
				hp->head_dim, kv_type_name(t[i]), quant_type(t[i])->blck);
	}
	return 0;
}

size_t
kv_page_bytes(const HParams *hp, uint32_t type_k, uint32_t type_v)
{
	size_t kvd = lb_mul((size_t)hp->n_head_kv, (size_t)hp->head_dim), krow, vrow, page;

	if(kvd > (1 << 24) || kv_types_check(hp, type_k, type_v) < 0)
		return 0;
	krow = quant_row_size(type_k, (int64_t)kvd);
	vrow = quant_row_size(type_v, (int64_t)kvd);
	page = lb_mul(lb_mul(KV_PAGE, krow + vrow), (size_t)hp->n_layer);
	return page == SIZE_MAX ? 0 : page;
}

KVPool *
kv_pool_new(const HParams *hp, uint32_t type_k, uint32_t type_v, int budget)
{
	KVPool *p;
	size_t page;

	if(kv_types_check(hp, type_k, type_v) < 0)
		return NULL;
	page = kv_page_bytes(hp, type_k, type_v);
	if(page == 0 || budget < 1){
		lb_err("KV cache: no room for one page of %d positions (%d pages allowed)", KV_PAGE, budget);
		return NULL;
	}
	p = calloc(1, sizeof *p);
	if(p == NULL){
		lb_err("out of memory");
		return NULL;
	}
	p->type_k = type_k;
	p->type_v = type_v;
	p->n_layer = hp->n_layer;
	p->kv_dim = hp->n_head_kv * hp->head_dim;
	p->krow = quant_row_size(type_k, p->kv_dim);
	p->vrow = quant_row_size(type_v, p->kv_dim);
	p->layer_bytes = (size_t)KV_PAGE * (p->krow + p->vrow);
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

/* The K row (v 0) or V row (v 1) of position pos in layer il of s. */
static uint8_t *
row(const KVPool *p, const KVSeq *s, int pos, int il, int v)
{
	int pg = pos / KV_PAGE, r = pos % KV_PAGE;

	return v ? kv_values(p, s, il, pg) + (size_t)r * p->vrow : kv_keys(p, s, il, pg) + (size_t)r * p->krow;
}

void
kv_seq_save(const KVPool *p, const KVSeq *s, int n, uint8_t *out)
{
	int i, il;

	for(i = 0; i < n && i < s->len; i++)
		for(il = 0; il < p->n_layer; il++){
			memcpy(out, row(p, s, i, il, 0), p->krow);
			memcpy(out += p->krow, row(p, s, i, il, 1), p->vrow);
			out += p->vrow;
		}
}

int
kv_seq_load(KVPool *p, KVSeq *s, const uint8_t *in, int n)
{
	int i, il;

	if(kv_seq_grow(p, s, n) < 0)
		return -1;
	for(i = 0; i < n; i++)
		for(il = 0; il < p->n_layer; il++){
			memcpy(row(p, s, i, il, 0), in, p->krow);
			memcpy(row(p, s, i, il, 1), in += p->krow, p->vrow);
			in += p->vrow;
		}
	s->len = n;
	return 0;
}
