/*
 * gguf_impl.h - what the GGUF reader, getters and writer share inside src/gguf.
 *
 * All file bytes are read through a bounded cursor and decoded as little-endian
 * byte by byte: no struct casts over the buffer, no unaligned loads.
 */
#ifndef LB_GGUF_IMPL_H
#define LB_GGUF_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gguf.h"

enum {	/* policy limits, far below what the format allows (see DESIGN/notes 3.3) */
	GGUF_MAX_COUNT = 65536,	/* n_kv, n_tensors */
	GGUF_MAX_KEY = 256,	/* key bytes */
	GGUF_MAX_STR = 1 << 20,	/* a metadata string */
	GGUF_MAX_ARR = 16 << 20,	/* array elements */
	GGUF_MAX_ALIGN = 1 << 20,
	GGUF_SMALL = 64 << 10,	/* below this, gguf_alloc uses malloc */
};

typedef struct GGUFCur {
	const uint8_t *buf;
	size_t pos, end;
} GGUFCur;

static inline uint32_t
gguf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1]<<8 | (uint32_t)p[2]<<16 | (uint32_t)p[3]<<24;
}

static inline uint64_t
gguf_le64(const uint8_t *p)
{
	return (uint64_t)gguf_le32(p) | (uint64_t)gguf_le32(p+4)<<32;
}

static inline void
gguf_put32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v>>8; p[2] = v>>16; p[3] = v>>24;
}

static inline void
gguf_put64(uint8_t *p, uint64_t v)
{
	gguf_put32(p, (uint32_t)v);
	gguf_put32(p+4, (uint32_t)(v>>32));
}

/* Cursor reads: -1 with lb_err("unexpected end of file") when the bytes are not there. */
int gguf_cur_u32(GGUFCur *c, uint32_t *v);
int gguf_cur_u64(GGUFCur *c, uint64_t *v);
/* A length-prefixed string of at most max bytes (an over-long one is refused before the bounds check). */
int gguf_cur_str(GGUFCur *c, GGUFStr *s, uint64_t max);

/* Bytes of one scalar of GGUF type t; 0 for STRING, ARRAY and unknown types. */
size_t gguf_scalar_size(uint32_t t);
/*
 * Reads one value of type t at c into kv->type and kv->v (kv->key untouched),
 * checking every length against the cursor; string arrays get their offs index.
 * -1 with lb_err (no prefix) on a bad value.
 */
int gguf_read_value(GGUFCur *c, uint32_t t, GGUFKV *kv);
/* Frees what gguf_read_value allocated. */
void gguf_value_free(GGUFKV *kv);
/* Zeroed memory: malloc when small, lb_bigalloc when large (Inferno's pool is capped). */
void *gguf_alloc(size_t n);
void gguf_free(void *p, size_t n);
/* Parses f->base[0..f->size) into f's tables; on failure frees them, -1 with lb_err. */
int gguf_parse_buffer(GGUFFile *f);
/* Frees the kv and tensor tables (not the buffer). */
void gguf_free_tables(GGUFFile *f);
/* Name of ggml tensor type id t ("Q4_K", ...), or NULL if ggml has no such id. */
const char *gguf_ggml_type_name(uint32_t t);

/* The writer's state (gguf_write.c builds it, gguf_wfile.c writes it out). */
typedef struct WKV {
	char *key;
	uint32_t type;
	uint8_t *val;	/* the GGUF encoding of the value */
	size_t len;
} WKV;

typedef struct WTensor {
	char name[GGUF_MAX_NAME];
	uint32_t type, n_dims;
	int64_t ne[GGUF_MAX_DIMS];
	const void *data;	/* NULL: zeros */
	size_t nbytes;
} WTensor;

struct GGUFWriter {
	uint32_t alignment;
	WKV *kv;
	size_t n_kv;
	WTensor *t;
	size_t n_t;
	char err[256];	/* the first mistake; empty if none */
};

#endif
