/* badgguf.c - see badgguf.h. */
#include <stdlib.h>
#include <string.h>

#include "badgguf.h"

void
bg_init(BadGGUF *b)
{
	b->p = NULL;
	b->n = b->cap = 0;
}

void
bg_free(BadGGUF *b)
{
	free(b->p);
	bg_init(b);
}

static void
grow(BadGGUF *b, size_t n)
{
	if(b->n + n <= b->cap)
		return;
	while(b->n + n > b->cap)
		b->cap = b->cap ? 2 * b->cap : 256;
	b->p = realloc(b->p, b->cap);
	if(b->p == NULL)
		abort();	/* test helper: out of memory is not a case under test */
}

void
bg_bytes(BadGGUF *b, const void *p, size_t n)
{
	grow(b, n);
	if(n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void
bg_zeros(BadGGUF *b, size_t n)
{
	grow(b, n);
	memset(b->p + b->n, 0, n);
	b->n += n;
}

void
bg_u8(BadGGUF *b, uint8_t v)
{
	bg_bytes(b, &v, 1);
}

void
bg_set32(BadGGUF *b, size_t pos, uint32_t v)
{
	int i;

	for(i = 0; i < 4; i++)
		b->p[pos + i] = (uint8_t)(v >> 8*i);
}

void
bg_set64(BadGGUF *b, size_t pos, uint64_t v)
{
	bg_set32(b, pos, (uint32_t)v);
	bg_set32(b, pos + 4, (uint32_t)(v >> 32));
}

void
bg_u32(BadGGUF *b, uint32_t v)
{
	bg_zeros(b, 4);
	bg_set32(b, b->n - 4, v);
}

void
bg_u64(BadGGUF *b, uint64_t v)
{
	bg_zeros(b, 8);
	bg_set64(b, b->n - 8, v);
}

void
bg_strn(BadGGUF *b, const char *s, size_t n)
{
	bg_u64(b, n);
	bg_bytes(b, s, n);
}

void
bg_str(BadGGUF *b, const char *s)
{
	bg_strn(b, s, strlen(s));
}

void
bg_header(BadGGUF *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
	bg_bytes(b, "GGUF", 4);
	bg_u32(b, version);
	bg_u64(b, n_tensors);
	bg_u64(b, n_kv);
}

void
bg_key(BadGGUF *b, const char *key, uint32_t type)
{
	bg_str(b, key);
	bg_u32(b, type);
}

void
bg_tinfo(BadGGUF *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type, uint64_t offset)
{
	uint32_t j;

	bg_str(b, name);
	bg_u32(b, n_dims);
	for(j = 0; j < n_dims; j++)
		bg_u64(b, (uint64_t)ne[j]);
	bg_u32(b, type);
	bg_u64(b, offset);
}

void
bg_pad(BadGGUF *b, size_t align)
{
	bg_zeros(b, (align - b->n % align) % align);
}
