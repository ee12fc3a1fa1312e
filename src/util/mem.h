/*
 * mem.h - large buffers.
 *
 * Under hosted Inferno, emu replaces malloc with a capped pool and panics when
 * free() meets a pointer it did not allocate.  So every large or aligned buffer
 * (weights read without mmap, KV caches, scratch) comes from mmap, and is given
 * back with lb_bigfree, never with free.  Small things use malloc as usual.
 */
#ifndef LB_MEM_H
#define LB_MEM_H

#include <stddef.h>

void *lb_bigalloc(size_t n);	/* zeroed, 64-byte aligned (page aligned), or NULL with lb_err set */
void lb_bigfree(void *p, size_t n);

/* n*m, or SIZE_MAX when it overflows (so the following allocation fails cleanly). */
size_t lb_mul(size_t n, size_t m);

#endif
