/*
 * heap.c - the bigram work queue of the SPM and BPE tokenizers: a binary
 * heap whose top is the highest prio, and among equal prios the leftmost
 * bigram (llama.cpp's llm_bigram_spm / llm_bigram_bpe comparators), and the
 * merge loop both run over it.
 */
#include "vocab_impl.h"

/* a comes out before b */
static int
before(const Bigram *a, const Bigram *b)
{
	if(a->prio != b->prio)
		return a->prio > b->prio;
	return a->left < b->left;
}

int
bheap_push(BHeap *h, double prio, int32_t left, int32_t right, uint32_t size)
{
	Bigram *b, x;
	size_t i, up;

	if(varr_grow(&h->a, h->n + 1, sizeof(Bigram)) < 0)
		return -1;
	b = h->a.p;
	x.prio = prio;
	x.left = left;
	x.right = right;
	x.size = size;
	for(i = h->n++; i > 0; i = up){
		up = (i - 1) / 2;
		if(!before(&x, &b[up]))
			break;
		b[i] = b[up];
	}
	b[i] = x;
	return 0;
}

int
bheap_pop(BHeap *h, Bigram *out)
{
	Bigram *b = h->a.p, last;
	size_t i, c;

	if(h->n == 0)
		return 0;
	*out = b[0];
	last = b[--h->n];
	for(i = 0; (c = 2 * i + 1) < h->n; i = c){
		if(c + 1 < h->n && before(&b[c + 1], &b[c]))
			c++;
		if(!before(&b[c], &last))
			break;
		b[i] = b[c];
	}
	b[i] = last;
	return 1;
}

void
bheap_free(BHeap *h)
{
	varr_free(&h->a);
	h->n = 0;
}

/*
 * Pops bigrams until none is left: each one whose two sides are unchanged
 * since it was queued merges its right symbol into its left one, and the
 * merged symbol's new pairs are offered to addpair (which queues them or not).
 */
int
bheap_drain(BHeap *h, Sym *sym, int (*addpair)(void *arg, int32_t left, int32_t right), void *arg)
{
	Sym *l, *r;
	Bigram b;

	while(bheap_pop(h, &b)){
		l = &sym[b.left];
		r = &sym[b.right];
		if(l->n == 0 || r->n == 0 || l->n + r->n != b.size)
			continue;
		l->n += r->n;
		r->n = 0;
		l->next = r->next;
		if(r->next >= 0)
			sym[r->next].prev = b.left;
		if(addpair(arg, l->prev, b.left) < 0 || addpair(arg, b.left, l->next) < 0)
			return -1;
	}
	return 0;
}
