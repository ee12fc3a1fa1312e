/*
 * badgguf.h - building GGUF bytes by hand, right or wrong, for hostile-input tests.
 * Everything is appended little-endian to a growing buffer; nothing is checked.
 */
#ifndef LB_BADGGUF_H
#define LB_BADGGUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct BadGGUF {
	uint8_t *p;
	size_t n, cap;
} BadGGUF;

void bg_init(BadGGUF *b);
void bg_free(BadGGUF *b);
void bg_bytes(BadGGUF *b, const void *p, size_t n);
void bg_zeros(BadGGUF *b, size_t n);
void bg_u8(BadGGUF *b, uint8_t v);
void bg_u32(BadGGUF *b, uint32_t v);
void bg_u64(BadGGUF *b, uint64_t v);
/* A GGUF string: u64 length, then the bytes (n of them, so NULs may be inside). */
void bg_strn(BadGGUF *b, const char *s, size_t n);
void bg_str(BadGGUF *b, const char *s);
void bg_header(BadGGUF *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv);
/* A key and its value type; the value follows with the calls above. */
void bg_key(BadGGUF *b, const char *key, uint32_t type);
void bg_tinfo(BadGGUF *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type, uint64_t offset);
/* Zeros up to the next multiple of align. */
void bg_pad(BadGGUF *b, size_t align);
/* Overwrites 4 or 8 bytes at pos. */
void bg_set32(BadGGUF *b, size_t pos, uint32_t v);
void bg_set64(BadGGUF *b, size_t pos, uint64_t v);

#endif
