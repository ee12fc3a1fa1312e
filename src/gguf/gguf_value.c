/* gguf_value.c - the bounded cursor and the decoding of one metadata value. */
#include <stdlib.h>

#include "../util/error.h"
#include "../util/mem.h"
#include "gguf_impl.h"

static const uint8_t scalar_size[GGUF_NTYPES] = {
	[GGUF_UINT8] = 1, [GGUF_INT8] = 1, [GGUF_UINT16] = 2, [GGUF_INT16] = 2,
	[GGUF_UINT32] = 4, [GGUF_INT32] = 4, [GGUF_FLOAT32] = 4, [GGUF_BOOL] = 1,
	[GGUF_UINT64] = 8, [GGUF_INT64] = 8, [GGUF_FLOAT64] = 8,
};

size_t
gguf_scalar_size(uint32_t t)
{
	return t < GGUF_NTYPES ? scalar_size[t] : 0;
}

void *
gguf_alloc(size_t n)
{
	if(n < GGUF_SMALL){
		void *p = calloc(1, n ? n : 1);
		if(p == NULL)
			lb_err("out of memory (%zu bytes)", n);
		return p;
	}
	return lb_bigalloc(n);
}

void
gguf_free(void *p, size_t n)
{
	if(n < GGUF_SMALL)
		free(p);
	else
		lb_bigfree(p, n);
}

static int
need(GGUFCur *c, uint64_t n)
{
	if(n > c->end - c->pos)
		return lb_err("unexpected end of file");
	return 0;
}

int
gguf_cur_u32(GGUFCur *c, uint32_t *v)
{
	if(need(c, 4) < 0)
		return -1;
	*v = gguf_le32(c->buf + c->pos);
	c->pos += 4;
	return 0;
}

int
gguf_cur_u64(GGUFCur *c, uint64_t *v)
{
	if(need(c, 8) < 0)
		return -1;
	*v = gguf_le64(c->buf + c->pos);
	c->pos += 8;
	return 0;
}

int
gguf_cur_str(GGUFCur *c, GGUFStr *s, uint64_t max)
{
	uint64_t n;

	if(gguf_cur_u64(c, &n) < 0)
		return -1;
	if(n > max)
		return lb_err("string length %llu exceeds the limit of %llu", (unsigned long long)n,
			(unsigned long long)max);
	if(n > c->end - c->pos)
		return lb_err("string of %llu bytes runs past the end of the file", (unsigned long long)n);
	s->p = (const char *)c->buf + c->pos;
	s->len = n;
	c->pos += n;
	return 0;
}

/* Decodes the scalar at p (its size already checked) into kv->v. */
static void
decode_scalar(const uint8_t *p, uint32_t t, GGUFKV *kv)
{
	uint32_t b32;
	uint64_t b64;
	float f;

	switch(t){
	case GGUF_UINT8: kv->v.u = p[0]; break;
	case GGUF_INT8: kv->v.i = (int8_t)p[0]; break;
	case GGUF_UINT16: kv->v.u = (uint16_t)(p[0] | p[1]<<8); break;
	case GGUF_INT16: kv->v.i = (int16_t)(uint16_t)(p[0] | p[1]<<8); break;
	case GGUF_UINT32: kv->v.u = gguf_le32(p); break;
	case GGUF_INT32: kv->v.i = (int32_t)gguf_le32(p); break;
	case GGUF_BOOL: kv->v.u = p[0] != 0; break;
	case GGUF_UINT64: kv->v.u = gguf_le64(p); break;
	case GGUF_INT64: kv->v.i = (int64_t)gguf_le64(p); break;
	case GGUF_FLOAT32:
		b32 = gguf_le32(p);
		memcpy(&f, &b32, sizeof f);
		kv->v.f = f;
		break;
	case GGUF_FLOAT64:
		b64 = gguf_le64(p);
		memcpy(&kv->v.f, &b64, sizeof kv->v.f);
		break;
	}
}

/* Array of n strings: builds the offs index once n*8 bytes are known to be there. */
static int
read_str_array(GGUFCur *c, GGUFKV *kv, uint64_t n)
{
	size_t start = c->pos;
	GGUFStr s;
	uint64_t i;

	if(n > (c->end - c->pos) / 8)
		return lb_err("array of %llu strings runs past the end of the file", (unsigned long long)n);
	kv->v.arr.data = c->buf + start;
	if(n == 0)
		return 0;
	kv->v.arr.offs = gguf_alloc((size_t)n * 8);
	if(kv->v.arr.offs == NULL)
		return -1;
	for(i = 0; i < n; i++){
		kv->v.arr.offs[i] = c->pos - start;
		if(gguf_cur_str(c, &s, GGUF_MAX_STR) < 0)
			return lb_errprefix("element %llu", (unsigned long long)i);
	}
	return 0;
}

static int
read_array(GGUFCur *c, GGUFKV *kv)
{
	uint32_t et;
	uint64_t n;
	size_t sz;

	if(gguf_cur_u32(c, &et) < 0 || gguf_cur_u64(c, &n) < 0)
		return -1;
	if(et == GGUF_ARRAY)
		return lb_err("nested arrays are not allowed");
	if(et >= GGUF_NTYPES)
		return lb_err("unknown array element type %u", et);
	if(n > GGUF_MAX_ARR)
		return lb_err("array of %llu elements exceeds the limit of %d", (unsigned long long)n, GGUF_MAX_ARR);
	kv->v.arr.type = et;
	kv->v.arr.n = n;
	if(et == GGUF_STRING)
		return read_str_array(c, kv, n);
	sz = gguf_scalar_size(et);
	if(n * sz > c->end - c->pos)	/* n <= 16Mi, sz <= 8: no overflow */
		return lb_err("array of %llu %s runs past the end of the file", (unsigned long long)n,
			gguf_type_name(et));
	kv->v.arr.data = c->buf + c->pos;
	c->pos += n * sz;
	return 0;
}

int
gguf_read_value(GGUFCur *c, uint32_t t, GGUFKV *kv)
{
	size_t sz;

	kv->type = t;
	memset(&kv->v, 0, sizeof kv->v);
	if(t == GGUF_STRING)
		return gguf_cur_str(c, &kv->v.s, GGUF_MAX_STR);
	if(t == GGUF_ARRAY)
		return read_array(c, kv);
	sz = gguf_scalar_size(t);
	if(sz == 0)
		return lb_err("unknown type %u", t);
	if(need(c, sz) < 0)
		return -1;
	decode_scalar(c->buf + c->pos, t, kv);
	c->pos += sz;
	return 0;
}

void
gguf_value_free(GGUFKV *kv)
{
	if(kv->type == GGUF_ARRAY && kv->v.arr.type == GGUF_STRING && kv->v.arr.offs != NULL){
		gguf_free(kv->v.arr.offs, (size_t)kv->v.arr.n * 8);
		kv->v.arr.offs = NULL;
	}
}
