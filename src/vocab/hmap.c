/*
 * hmap.c - the vocabulary's byte-string map (token text -> id, merge -> rank).
 * Open addressing with linear probing in a table
 * at least twice the capacity, so probes stay short and a lookup of an absent
 * key always meets an empty slot.
 */
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

static uint32_t
hashbytes(const char *s, size_t len, uint32_t tag)
{
	uint32_t h = 2166136261u ^ tag;
	size_t i;

	for(i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	h ^= h >> 15;	/* FNV's low bits are weak; we index with them */
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

int
vmap_init(VMap *m, uint32_t cap)
{
	uint32_t size = 16;

	memset(m, 0, sizeof *m);
	while(size < 2 * (uint64_t)cap)
		size *= 2;
	if(varr_alloc(&m->slots, size, sizeof(uint32_t)) == NULL ||
	   varr_alloc(&m->ents, cap ? cap : 1, sizeof(VEnt)) == NULL){
		vmap_free(m);
		return -1;
	}
	m->mask = size - 1;
	m->cap = cap;
	return 0;
}

void
vmap_free(VMap *m)
{
	varr_free(&m->slots);
	varr_free(&m->ents);
	m->n = m->cap = m->mask = 0;
}

static int
samekey(const VEnt *e, const char *key, size_t len, uint32_t tag, uint32_t h)
{
	return e->hash == h && e->len == len && e->tag == tag && memcmp(e->key, key, len) == 0;
}

int
vmap_put(VMap *m, const char *key, uint32_t len, uint32_t tag, int32_t val)
{
	uint32_t h = hashbytes(key, len, tag), i, *slot = m->slots.p;
	VEnt *ent = m->ents.p, *e;

	for(i = h & m->mask; slot[i] != 0; i = (i + 1) & m->mask)
		if(samekey(&ent[slot[i] - 1], key, len, tag, h))
			return 0;
	if(m->n >= m->cap)
		return -1;
	e = &ent[m->n];
	e->key = key;
	e->len = len;
	e->tag = tag;
	e->hash = h;
	e->val = val;
	slot[i] = ++m->n;
	return 1;
}

int32_t
vmap_get(const VMap *m, const char *key, size_t len, uint32_t tag)
{
	const uint32_t *slot = m->slots.p;
	const VEnt *ent = m->ents.p;
	uint32_t h, i;

	if(slot == NULL || len > UINT32_MAX)
		return -1;
	h = hashbytes(key, len, tag);
	for(i = h & m->mask; slot[i] != 0; i = (i + 1) & m->mask)
		if(samekey(&ent[slot[i] - 1], key, len, tag, h))
			return ent[slot[i] - 1].val;
	return -1;
}
