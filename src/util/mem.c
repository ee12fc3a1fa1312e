/* mem.c - large buffers from mmap; see mem.h for why. */
#include <stdint.h>
#include <sys/mman.h>

#include "error.h"
#include "mem.h"

void *
lb_bigalloc(size_t n)
{
	void *p;

	if(n == 0)
		n = 1;
	if(n == SIZE_MAX){
		lb_err("allocation size overflows");
		return NULL;
	}
	p = mmap(NULL, n, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
	if(p == MAP_FAILED){
		lb_err("out of memory (%zu bytes)", n);
		return NULL;
	}
	return p;
}

void
lb_bigfree(void *p, size_t n)
{
	if(p != NULL)
		munmap(p, n ? n : 1);
}

size_t
lb_mul(size_t n, size_t m)
{
	size_t r;

	if(__builtin_mul_overflow(n, m, &r))
		return SIZE_MAX;
	return r;
}
