/*
 * gguf_write.c - building a GGUF v3 file: keys and tensors in insertion order,
 * tensor data padded to the alignment, as ggml writes it.
 *
 * Every value is kept in its encoded form and checked by the reader's own value
 * decoder when added, so the writer cannot produce a file the reader refuses.
 * The adders return nothing; the first mistake is remembered and
 * gguf_write_file (gguf_wfile.c) reports it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "gguf_impl.h"


static void
fail(GGUFWriter *w, const char *fmt, ...)
{
	va_list ap;

	if(w->err[0] != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof w->err, fmt, ap);
	va_end(ap);
}

/* Checks a key or tensor name: 1..max bytes, nothing below 0x20. */
static int
bad_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	const char *p;

	if(n == 0 || n > max)
		return 1;
	for(p = s; *p; p++)
		if((uint8_t)*p < 0x20 || (uint8_t)*p == 0x7f)
			return 1;
	return 0;
}

GGUFWriter *
gguf_writer_new(uint32_t alignment)
{
	GGUFWriter *w = calloc(1, sizeof *w);

	if(w == NULL){
		lb_err("out of memory");
		return NULL;
	}
	w->alignment = GGUF_DEFAULT_ALIGN;
	if(alignment != 0 && alignment != GGUF_DEFAULT_ALIGN)
		gguf_w_u32(w, "general.alignment", alignment);
	return w;
}

void
gguf_writer_free(GGUFWriter *w)
{
	size_t i;

	if(w == NULL)
		return;
	for(i = 0; i < w->n_kv; i++){
		free(w->kv[i].key);
		free(w->kv[i].val);
	}
	free(w->kv);
	free(w->t);
	free(w);
}

/* Checks the encoded value with the reader's decoder; general.alignment also sets w->alignment. */
static int
check_value(GGUFWriter *w, const char *key, uint32_t type, const uint8_t *val, size_t len)
{
	GGUFCur c = { val, 0, len };
	GGUFKV kv;
	int rc;

	memset(&kv, 0, sizeof kv);
	rc = gguf_read_value(&c, type, &kv);
	gguf_value_free(&kv);
	if(rc < 0 || c.pos != len){
		fail(w, "key %s: bad value: %s", key, rc < 0 ? lb_errstr() : "trailing bytes");
		return -1;
	}
	if(strcmp(key, "general.alignment") != 0)
		return 0;
	if(type != GGUF_UINT32 || kv.v.u == 0 || (kv.v.u & (kv.v.u - 1)) != 0 || kv.v.u > GGUF_MAX_ALIGN){
		fail(w, "key general.alignment: must be a UINT32 power of two up to %d", GGUF_MAX_ALIGN);
		return -1;
	}
	w->alignment = (uint32_t)kv.v.u;
	return 0;
}

/* Adds key with its encoded value val (taken over, freed on failure). */
static void
add(GGUFWriter *w, const char *key, uint32_t type, uint8_t *val, size_t len)
{
	WKV *kv;
	char *k;
	size_t i;

	if(val == NULL){
		fail(w, "key %s: out of memory", key);
		return;
	}
	if(bad_name(key, GGUF_MAX_KEY)){
		fail(w, "key \"%s\": empty, too long or with control bytes", key);
		goto bad;
	}
	for(i = 0; i < w->n_kv; i++)
		if(strcmp(w->kv[i].key, key) == 0){
			fail(w, "key %s: duplicate key", key);
			goto bad;
		}
	if(w->n_kv >= GGUF_MAX_COUNT){
		fail(w, "more than %d keys", GGUF_MAX_COUNT);
		goto bad;
	}
	if(check_value(w, key, type, val, len) < 0)
		goto bad;
	kv = realloc(w->kv, (w->n_kv + 1) * sizeof w->kv[0]);
	if(kv != NULL)
		w->kv = kv;
	k = strdup(key);
	if(kv == NULL || k == NULL){
		free(k);
		fail(w, "out of memory");
		goto bad;
	}
	w->kv[w->n_kv++] = (WKV){ k, type, val, len };
	return;
bad:
	free(val);
}

/* A buffer of n bytes with room checked; NULL (with the writer failed) if n overflowed. */
static uint8_t *
valbuf(GGUFWriter *w, uint64_t n)
{
	if(n > SIZE_MAX){
		fail(w, "value too large");
		return NULL;
	}
	return malloc(n ? (size_t)n : 1);
}

static void
add_scalar(GGUFWriter *w, const char *key, uint32_t type, uint64_t bits)
{
	size_t n = gguf_scalar_size(type), i;
	uint8_t *b = malloc(8);

	for(i = 0; b != NULL && i < n; i++)
		b[i] = (uint8_t)(bits >> 8*i);
	add(w, key, type, b, n);
}

void
gguf_w_u32(GGUFWriter *w, const char *key, uint32_t v)
{
	add_scalar(w, key, GGUF_UINT32, v);
}

void
gguf_w_i32(GGUFWriter *w, const char *key, int32_t v)
{
	add_scalar(w, key, GGUF_INT32, (uint32_t)v);
}

void
gguf_w_f32(GGUFWriter *w, const char *key, float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof b);
	add_scalar(w, key, GGUF_FLOAT32, b);
}

void
gguf_w_bool(GGUFWriter *w, const char *key, int v)
{
	add_scalar(w, key, GGUF_BOOL, v != 0);
}

void
gguf_w_str(GGUFWriter *w, const char *key, const char *v)
{
	size_t n = strlen(v);
	uint8_t *b = valbuf(w, (uint64_t)n + 8);

	if(b != NULL){
		gguf_put64(b, n);
		memcpy(b + 8, v, n);
	}
	add(w, key, GGUF_STRING, b, n + 8);
}

void
gguf_w_raw(GGUFWriter *w, const char *key, uint32_t type, const void *bytes, size_t n)
{
	uint8_t *b = valbuf(w, n);

	if(b != NULL && n > 0)
		memcpy(b, bytes, n);
	add(w, key, type, b, n);
}

/* An array of n 4-byte elements (FLOAT32, INT32) from v, in host order. */
static void
add_array32(GGUFWriter *w, const char *key, uint32_t et, const void *v, size_t n)
{
	uint64_t len = (uint64_t)n * 4 + 12;
	uint8_t *b = valbuf(w, len);
	uint32_t x;
	size_t i;

	if(b != NULL){
		gguf_put32(b, et);
		gguf_put64(b + 4, n);
		for(i = 0; i < n; i++){
			memcpy(&x, (const uint8_t *)v + 4*i, 4);
			gguf_put32(b + 12 + 4*i, x);
		}
	}
	add(w, key, GGUF_ARRAY, b, (size_t)len);
}

void
gguf_w_arr_f32(GGUFWriter *w, const char *key, const float *v, size_t n)
{
	add_array32(w, key, GGUF_FLOAT32, v, n);
}

void
gguf_w_arr_i32(GGUFWriter *w, const char *key, const int32_t *v, size_t n)
{
	add_array32(w, key, GGUF_INT32, v, n);
}

void
gguf_w_arr_str(GGUFWriter *w, const char *key, const char *const *v, size_t n)
{
	uint64_t len = 12;
	uint8_t *b, *p;
	size_t i, sl;

	for(i = 0; i < n; i++)
		len += 8 + (uint64_t)strlen(v[i]);	/* cannot overflow: each term fits in memory */
	b = valbuf(w, len);
	if(b != NULL){
		gguf_put32(b, GGUF_STRING);
		gguf_put64(b + 4, n);
		for(i = 0, p = b + 12; i < n; i++, p += 8 + sl){
			sl = strlen(v[i]);
			gguf_put64(p, sl);
			memcpy(p + 8, v[i], sl);
		}
	}
	add(w, key, GGUF_ARRAY, b, (size_t)len);
}

/* The bytes of an array's elements in the source file. */
static uint64_t
array_bytes(const GGUFKV *kv)
{
	const uint8_t *last;

	if(kv->v.arr.type != GGUF_STRING)
		return kv->v.arr.n * gguf_scalar_size(kv->v.arr.type);
	if(kv->v.arr.n == 0)
		return 0;
	last = kv->v.arr.data + kv->v.arr.offs[kv->v.arr.n - 1];
	return (uint64_t)(last - kv->v.arr.data) + 8 + gguf_le64(last);
}

void
gguf_w_copy(GGUFWriter *w, const GGUFFile *src, const GGUFKV *kv)
{
	uint64_t n;
	uint8_t *b;
	float f;
	uint32_t b32;

	(void)src;	/* kv points into src's buffer; src must stay open meanwhile */
	switch(kv->type){
	case GGUF_STRING:
		b = valbuf(w, kv->v.s.len + 8);
		if(b != NULL){
			gguf_put64(b, kv->v.s.len);
			memcpy(b + 8, kv->v.s.p, kv->v.s.len);
		}
		add(w, kv->key, GGUF_STRING, b, (size_t)kv->v.s.len + 8);
		return;
	case GGUF_ARRAY:
		n = array_bytes(kv);
		b = valbuf(w, n + 12);
		if(b != NULL){
			gguf_put32(b, kv->v.arr.type);
			gguf_put64(b + 4, kv->v.arr.n);
			memcpy(b + 12, kv->v.arr.data, (size_t)n);
		}
		add(w, kv->key, GGUF_ARRAY, b, (size_t)n + 12);
		return;
	case GGUF_FLOAT32:
		f = (float)kv->v.f;
		memcpy(&b32, &f, sizeof b32);
		add_scalar(w, kv->key, kv->type, b32);
		return;
	case GGUF_FLOAT64:
		memcpy(&n, &kv->v.f, sizeof n);
		add_scalar(w, kv->key, kv->type, n);
		return;
	default:	/* integers and BOOL: v.u and v.i share their two's complement bits */
		add_scalar(w, kv->key, kv->type, kv->v.u);
	}
}

/* Bytes of a tensor of type and shape ne, or -1 (writer failed) if invalid. */
static int
tensor_bytes(GGUFWriter *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, size_t *nbytes)
{
	const QuantType *q = type < LB_NTYPES ? quant_type(type) : NULL;
	uint64_t rows = 1, row;
	int j;

	if(q == NULL){
		fail(w, "tensor %s: unsupported type %u", name, type);
		return -1;
	}
	if(n_dims < 1 || n_dims > GGUF_MAX_DIMS){
		fail(w, "tensor %s: %d dimensions", name, n_dims);
		return -1;
	}
	for(j = 0; j < n_dims; j++)
		if(ne[j] < 0 || (j > 0 && __builtin_mul_overflow(rows, (uint64_t)ne[j], &rows))){
			fail(w, "tensor %s: bad dimension %d", name, j);
			return -1;
		}
	if(ne[0] % q->blck != 0 || __builtin_mul_overflow((uint64_t)(ne[0] / q->blck), q->size, &row) ||
	   __builtin_mul_overflow(row, rows, &row) || row > SIZE_MAX){
		fail(w, "tensor %s: row not a multiple of the block size, or size overflows", name);
		return -1;
	}
	*nbytes = (size_t)row;
	return 0;
}

void
gguf_w_tensor(GGUFWriter *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, const void *data)
{
	WTensor *t;
	size_t i, nbytes;
	int j;

	if(bad_name(name, GGUF_MAX_NAME - 1)){
		fail(w, "tensor \"%s\": empty name, too long or with control bytes", name);
		return;
	}
	for(i = 0; i < w->n_t; i++)
		if(strcmp(w->t[i].name, name) == 0){
			fail(w, "tensor %s: duplicate name", name);
			return;
		}
	if(w->n_t >= GGUF_MAX_COUNT){
		fail(w, "more than %d tensors", GGUF_MAX_COUNT);
		return;
	}
	if(tensor_bytes(w, name, type, n_dims, ne, &nbytes) < 0)
		return;
	t = realloc(w->t, (w->n_t + 1) * sizeof w->t[0]);
	if(t == NULL){
		fail(w, "out of memory");
		return;
	}
	w->t = t;
	t = &w->t[w->n_t++];
	memset(t, 0, sizeof *t);
	strcpy(t->name, name);
	t->type = type;
	t->n_dims = (uint32_t)n_dims;
	for(j = 0; j < GGUF_MAX_DIMS; j++)
		t->ne[j] = j < n_dims ? ne[j] : 1;
	t->data = data;
	t->nbytes = nbytes;
}
