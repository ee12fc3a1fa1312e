/*
 * varr.c - arrays that come from mmap when they are big (emu's malloc is a
 * capped pool, see util/mem.h) and from malloc while they are small.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "../util/mem.h"
#include "vocab_impl.h"

enum { SMALL = 64 << 10 };

void *
varr_alloc(VArr *a, size_t nelem, size_t size)
{
	size_t n = lb_mul(nelem, size);

	a->p = lb_bigalloc(n);
	a->n = a->p != NULL ? n : 0;
	a->big = 1;
	return a->p;
}

void
varr_free(VArr *a)
{
	if(a->p != NULL){
		if(a->big)
			lb_bigfree(a->p, a->n);
		else
			free(a->p);
	}
	a->p = NULL;
	a->n = 0;
	a->big = 0;
}

int
varr_grow(VArr *a, size_t nelem, size_t size)
{
	size_t need = lb_mul(nelem, size), n;
	void *p;

	if(need <= a->n)
		return 0;
	if(need == SIZE_MAX)
		return lb_err("work array too large");
	n = a->n > SIZE_MAX / 2 ? need : 2 * a->n;
	if(n < need)
		n = need;
	if(n < 256)
		n = 256;
	if(n < SMALL && !a->big){
		if((p = realloc(a->p, n)) == NULL)
			return lb_err("out of memory (%zu bytes)", n);
	}else{
		if((p = lb_bigalloc(n)) == NULL)
			return -1;
		if(a->p != NULL)
			memcpy(p, a->p, a->n);
		varr_free(a);
		a->big = 1;
	}
	a->p = p;
	a->n = n;
	return 0;
}
