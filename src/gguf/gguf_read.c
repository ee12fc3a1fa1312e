/*
 * gguf_read.c - parsing and validation of a GGUF v2/v3 file held in one buffer.
 *
 * Order of the checks follows ggml's gguf.cpp, plus policy caps (gguf_impl.h):
 * every count is compared with the bytes left before anything is allocated for
 * it, all size arithmetic is overflow-checked in 64 bits and then against
 * SIZE_MAX (32 bits under -m32), and the tensor data must be contiguous in file
 * order, each tensor at the running sum of the padded sizes before it.
 */
#include <stdlib.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "gguf_impl.h"

enum {
	HEADER_SIZE = 24,	/* magic, version, n_tensors, n_kv */
	KV_MIN = 8 + 1 + 4 + 1,	/* key length, 1-byte key, type, 1-byte value */
	TENSOR_MIN = 8 + 1 + 4 + 4 + 8,	/* name length, 1-byte name, n_dims, type, offset */
};

/* Open-addressing set of names, so duplicate checks stay linear on hostile counts. */
typedef struct NameSet {
	const char **slot;
	size_t cap;
} NameSet;

static int
nameset_init(NameSet *s, size_t n)
{
	s->cap = 16;
	while(s->cap < 2 * n)
		s->cap *= 2;
	s->slot = gguf_alloc(s->cap * sizeof s->slot[0]);
	return s->slot != NULL ? 0 : -1;
}

static void
nameset_free(NameSet *s)
{
	gguf_free(s->slot, s->cap * sizeof s->slot[0]);
	s->slot = NULL;
}

/* Adds name; 1 if it was already there. */
static int
nameset_add(NameSet *s, const char *name)
{
	uint32_t h = 2166136261u;
	const char *p;
	size_t i;

	for(p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for(i = h & (s->cap - 1); s->slot[i] != NULL; i = (i + 1) & (s->cap - 1))
		if(strcmp(s->slot[i], name) == 0)
			return 1;
	s->slot[i] = name;
	return 0;
}

/* 0 if the bytes are printable (no NUL, no control bytes), so names are safe in one-line errors. */
static int
bad_name_bytes(const GGUFStr *s)
{
	uint64_t i;

	for(i = 0; i < s->len; i++)
		if((uint8_t)s->p[i] < 0x20 || (uint8_t)s->p[i] == 0x7f)
			return 1;
	return 0;
}

static int
read_header(GGUFFile *f, GGUFCur *c, uint64_t *n_tensors, uint64_t *n_kv)
{
	uint32_t v;

	if(f->size < 4 || memcmp(f->base, "GGUF", 4) != 0)
		return lb_err("not a GGUF file");
	if(f->size < HEADER_SIZE)
		return lb_err("not a GGUF file (%zu bytes, too short for a header)", f->size);
	c->pos = 4;
	gguf_cur_u32(c, &v);
	if(v == 0 || v == 1)
		return lb_err("unsupported GGUF version %u", v);
	if((v & 0xffff) == 0)
		return lb_err("unsupported GGUF version %u (0x%08x: byte-swapped, a big-endian file?)", v, v);
	if(v > 3)
		return lb_err("unsupported GGUF version %u", v);
	f->version = v;
	gguf_cur_u64(c, n_tensors);
	gguf_cur_u64(c, n_kv);
	if((int64_t)*n_tensors < 0 || *n_tensors > GGUF_MAX_COUNT)
		return lb_err("tensor count %lld out of range (0..%d)", (long long)*n_tensors, GGUF_MAX_COUNT);
	if((int64_t)*n_kv < 0 || *n_kv > GGUF_MAX_COUNT)
		return lb_err("key count %lld out of range (0..%d)", (long long)*n_kv, GGUF_MAX_COUNT);
	if(*n_kv * KV_MIN + *n_tensors * TENSOR_MIN > c->end - c->pos)
		return lb_err("%llu keys and %llu tensors cannot fit in a file of %zu bytes",
			(unsigned long long)*n_kv, (unsigned long long)*n_tensors, f->size);
	return 0;
}

static int
read_key(GGUFCur *c, size_t i, GGUFKV *kv, NameSet *seen)
{
	GGUFStr s;

	if(gguf_cur_str(c, &s, GGUF_MAX_KEY) < 0)
		return lb_errprefix("key %zu", i);
	if(s.len == 0)
		return lb_err("key %zu: empty key", i);
	if(bad_name_bytes(&s))
		return lb_err("key %zu: contains a NUL or control byte", i);
	kv->key = malloc(s.len + 1);
	if(kv->key == NULL)
		return lb_err("out of memory");
	memcpy(kv->key, s.p, s.len);
	kv->key[s.len] = 0;
	if(nameset_add(seen, kv->key))
		return lb_err("key %s: duplicate key", kv->key);
	return 0;
}

static int
read_kvs(GGUFFile *f, GGUFCur *c)
{
	NameSet seen;
	uint32_t t;
	size_t i;
	int rc = 0;

	if(nameset_init(&seen, f->n_kv) < 0)
		return -1;
	for(i = 0; i < f->n_kv && rc == 0; i++){
		GGUFKV *kv = &f->kv[i];
		if(read_key(c, i, kv, &seen) < 0)
			rc = -1;
		else if(gguf_cur_u32(c, &t) < 0)
			rc = lb_errprefix("key %s", kv->key);
		else if(t >= GGUF_NTYPES)
			rc = lb_err("key %s: unknown type %u", kv->key, t);
		else if(gguf_read_value(c, t, kv) < 0)
			rc = lb_errprefix("key %s", kv->key);
	}
	nameset_free(&seen);
	return rc;
}

static int
set_alignment(GGUFFile *f)
{
	const GGUFKV *kv = gguf_find(f, "general.alignment");

	f->alignment = GGUF_DEFAULT_ALIGN;
	if(kv == NULL)
		return 0;
	if(kv->type != GGUF_UINT32)
		return lb_err("key general.alignment: type %s, expected UINT32", gguf_type_name(kv->type));
	if(kv->v.u == 0 || (kv->v.u & (kv->v.u - 1)) != 0)
		return lb_err("key general.alignment: %llu is not a power of two", (unsigned long long)kv->v.u);
	if(kv->v.u > GGUF_MAX_ALIGN)
		return lb_err("key general.alignment: %llu exceeds the limit of %d", (unsigned long long)kv->v.u,
			GGUF_MAX_ALIGN);
	f->alignment = (uint32_t)kv->v.u;
	return 0;
}

static int
read_tensor_name(GGUFCur *c, size_t i, GGUFTensor *t, NameSet *seen)
{
	GGUFStr s;

	if(gguf_cur_str(c, &s, GGUF_MAX_STR) < 0)
		return lb_errprefix("tensor %zu", i);
	if(s.len == 0)
		return lb_err("tensor %zu: empty name", i);
	if(s.len >= GGUF_MAX_NAME)
		return lb_err("tensor %zu: name of %llu bytes is too long (at most %d)", i,
			(unsigned long long)s.len, GGUF_MAX_NAME - 1);
	if(bad_name_bytes(&s))
		return lb_err("tensor %zu: name contains a NUL or control byte", i);
	memcpy(t->name, s.p, s.len);
	t->name[s.len] = 0;
	if(nameset_add(seen, t->name))
		return lb_err("tensor %s: duplicate name", t->name);
	return 0;
}

/*
 * n_dims and ne[]; n_dims 0 is a scalar, as in ggml.  A zero dimension is
 * allowed (an empty tensor), but the other dimensions must still multiply
 * without overflow, so no later product of them can wrap.
 */
static int
read_shape(GGUFCur *c, GGUFTensor *t)
{
	int64_t n = 1;
	uint64_t d;
	uint32_t j;

	if(gguf_cur_u32(c, &t->n_dims) < 0)
		return -1;
	if(t->n_dims > GGUF_MAX_DIMS)
		return lb_err("%u dimensions (at most %d)", t->n_dims, GGUF_MAX_DIMS);
	for(j = 0; j < GGUF_MAX_DIMS; j++){
		t->ne[j] = 1;
		if(j < t->n_dims && gguf_cur_u64(c, &d) < 0)
			return -1;
		if(j < t->n_dims)
			t->ne[j] = (int64_t)d;
		if(t->ne[j] < 0)
			return lb_err("dimension %u is negative (%lld)", j, (long long)t->ne[j]);
		if(__builtin_mul_overflow(n, t->ne[j] > 0 ? t->ne[j] : 1, &n))
			return lb_err("element count overflows");
	}
	if(t->n_dims == 0)
		t->n_dims = 1;
	return 0;
}

/* Type id and byte size; the size must fit in size_t. */
static int
read_type(GGUFCur *c, GGUFTensor *t)
{
	const QuantType *q;
	const char *name;
	uint64_t row, rows, nbytes;

	if(gguf_cur_u32(c, &t->type) < 0)
		return -1;
	q = t->type < LB_NTYPES ? quant_type(t->type) : NULL;	/* the engine's own types are not a file's */
	if(q == NULL){
		name = gguf_ggml_type_name(t->type);
		if(name != NULL)
			return lb_err("unsupported type %s (%u)", name, t->type);
		return lb_err("unknown type %u", t->type);
	}
	if(t->ne[0] % q->blck != 0)
		return lb_err("row of %lld elements is not a multiple of the %s block size %d",
			(long long)t->ne[0], q->name, q->blck);
	rows = (uint64_t)t->ne[1] * (uint64_t)t->ne[2] * (uint64_t)t->ne[3];	/* read_shape: no overflow */
	if(__builtin_mul_overflow((uint64_t)(t->ne[0] / q->blck), (uint64_t)q->size, &row) || row > SIZE_MAX ||
	   __builtin_mul_overflow(row, rows, &nbytes) || nbytes > SIZE_MAX)
		return lb_err("size in bytes overflows");
	if(quant_row_size(t->type, t->ne[0]) != row)	/* the quant table disagrees with itself */
		return lb_err("row size mismatch for type %s", q->name);
	t->nbytes = (size_t)nbytes;
	return 0;
}

static int
read_tensors(GGUFFile *f, GGUFCur *c)
{
	NameSet seen;
	size_t i;
	int rc = 0;

	if(nameset_init(&seen, f->n_tensors) < 0)
		return -1;
	for(i = 0; i < f->n_tensors && rc == 0; i++){
		GGUFTensor *t = &f->tensors[i];
		if(read_tensor_name(c, i, t, &seen) < 0)
			rc = -1;
		else if(read_shape(c, t) < 0 || read_type(c, t) < 0 || gguf_cur_u64(c, &t->offset) < 0)
			rc = lb_errprefix("tensor %s", t->name);
	}
	nameset_free(&seen);
	return rc;
}

/* Places the data section and checks each tensor lies where ggml expects it, inside the file. */
static int
place_data(GGUFFile *f, size_t pos)
{
	uint64_t expect = 0, pad = f->alignment - 1, start, room;
	size_t i;

	if(f->n_tensors == 0){
		f->data_offset = pos;
		return 0;
	}
	if(__builtin_add_overflow((uint64_t)pos, pad, &start) || (start = start / f->alignment * f->alignment) > f->size)
		return lb_err("tensor data section starts past the end of the file");
	f->data_offset = (size_t)start;
	room = f->size - f->data_offset;
	for(i = 0; i < f->n_tensors; i++){
		GGUFTensor *t = &f->tensors[i];
		if(t->offset % f->alignment != 0)
			return lb_err("tensor %s: offset %llu is not a multiple of the alignment %u", t->name,
				(unsigned long long)t->offset, f->alignment);
		if(t->offset > room)
			return lb_err("tensor %s: offset past end of file", t->name);
		if(t->offset != expect)
			return lb_err("tensor %s: offset %llu, expected %llu (data must be contiguous in file order)",
				t->name, (unsigned long long)t->offset, (unsigned long long)expect);
		if(t->nbytes > room - t->offset)
			return lb_err("tensor %s: data past end of file (%zu bytes at offset %llu, %llu left)",
				t->name, t->nbytes, (unsigned long long)t->offset, (unsigned long long)(room - t->offset));
		t->data = f->base + f->data_offset + t->offset;
		expect += (t->nbytes + pad) / f->alignment * f->alignment;	/* nbytes <= room: no overflow */
	}
	return 0;
}

/* Frees the kv and tensor tables (not the buffer). */
void
gguf_free_tables(GGUFFile *f)
{
	size_t i;

	if(f->kv != NULL){
		for(i = 0; i < f->n_kv; i++){
			free(f->kv[i].key);
			gguf_value_free(&f->kv[i]);
		}
		gguf_free(f->kv, f->n_kv * sizeof f->kv[0]);
	}
	if(f->tensors != NULL)
		gguf_free(f->tensors, f->n_tensors * sizeof f->tensors[0]);
	f->kv = NULL;
	f->tensors = NULL;
	f->n_kv = f->n_tensors = 0;
}

/* Parses f->base[0..f->size); on failure the tables are freed and lb_err says why. */
int
gguf_parse_buffer(GGUFFile *f)
{
	GGUFCur c = { f->base, 0, f->size };
	uint64_t n_tensors, n_kv;

	if(read_header(f, &c, &n_tensors, &n_kv) < 0)
		return -1;
	f->n_kv = (size_t)n_kv;
	f->n_tensors = (size_t)n_tensors;
	f->kv = gguf_alloc(f->n_kv * sizeof f->kv[0]);
	f->tensors = gguf_alloc(f->n_tensors * sizeof f->tensors[0]);
	if(f->kv == NULL || f->tensors == NULL || read_kvs(f, &c) < 0 || set_alignment(f) < 0 ||
	   read_tensors(f, &c) < 0 || place_data(f, c.pos) < 0){
		gguf_free_tables(f);
		return -1;
	}
	return 0;
}
