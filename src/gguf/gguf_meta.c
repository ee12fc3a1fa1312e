/*
 * gguf_meta.c - looking up keys and tensors, and typed access to values.
 *
 * Getters never reinterpret: an integer getter takes any integer type whose
 * value fits the target, a float getter FLOAT32 or FLOAT64, and array element
 * access checks the element type and the index (the PR #26690 class of bug).
 */
#include <float.h>
#include <math.h>

#include "../util/error.h"
#include "gguf_impl.h"

static const char *const type_names[GGUF_NTYPES] = {
	"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
	"STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
};

const char *
gguf_type_name(uint32_t type)
{
	return type < GGUF_NTYPES ? type_names[type] : "unknown";
}

/* ggml's tensor type ids (ggml.h), for error messages about types we do not support. */
static const char *const ggml_names[] = {
	"F32", "F16", "Q4_0", "Q4_1", NULL, NULL, "Q5_0", "Q5_1", "Q8_0", "Q8_1",
	"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
	"IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
	"BF16", NULL, NULL, NULL, "TQ1_0", "TQ2_0", NULL, NULL, NULL, "MXFP4",
	"NVFP4", "Q1_0", "Q2_0",
};

const char *
gguf_ggml_type_name(uint32_t t)
{
	return t < sizeof ggml_names / sizeof ggml_names[0] ? ggml_names[t] : NULL;
}

const GGUFKV *
gguf_find(const GGUFFile *f, const char *key)
{
	size_t i;

	for(i = 0; i < f->n_kv; i++)
		if(strcmp(f->kv[i].key, key) == 0)
			return &f->kv[i];
	return NULL;
}

const GGUFTensor *
gguf_tensor(const GGUFFile *f, const char *name)
{
	size_t i;

	for(i = 0; i < f->n_tensors; i++)
		if(strcmp(f->tensors[i].name, name) == 0)
			return &f->tensors[i];
	return NULL;
}

static int
is_unsigned(uint32_t t)
{
	return t == GGUF_UINT8 || t == GGUF_UINT16 || t == GGUF_UINT32 || t == GGUF_UINT64;
}

static int
is_signed(uint32_t t)
{
	return t == GGUF_INT8 || t == GGUF_INT16 || t == GGUF_INT32 || t == GGUF_INT64;
}

/* The integer value of key as [lo, hi]-checked int64: 1 ok, 0 absent, -1 unusable. */
static int
get_int(const GGUFFile *f, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const GGUFKV *kv = gguf_find(f, key);

	if(kv == NULL)
		return 0;
	if(is_unsigned(kv->type)){
		if(kv->v.u > (uint64_t)hi)
			return lb_err("key %s: value %llu out of range", key, (unsigned long long)kv->v.u);
		*out = (int64_t)kv->v.u;
		return 1;
	}
	if(is_signed(kv->type)){
		if(kv->v.i < lo || kv->v.i > hi)
			return lb_err("key %s: value %lld out of range", key, (long long)kv->v.i);
		*out = kv->v.i;
		return 1;
	}
	return lb_err("key %s: type %s, expected an integer", key, gguf_type_name(kv->type));
}

int
gguf_get_u32(const GGUFFile *f, const char *key, uint32_t *out)
{
	int64_t v;
	int rc = get_int(f, key, 0, UINT32_MAX, &v);

	if(rc == 1)
		*out = (uint32_t)v;
	return rc;
}

int
gguf_get_i32(const GGUFFile *f, const char *key, int32_t *out)
{
	int64_t v;
	int rc = get_int(f, key, INT32_MIN, INT32_MAX, &v);

	if(rc == 1)
		*out = (int32_t)v;
	return rc;
}

int
gguf_get_f32(const GGUFFile *f, const char *key, float *out)
{
	const GGUFKV *kv = gguf_find(f, key);

	if(kv == NULL)
		return 0;
	if(kv->type != GGUF_FLOAT32 && kv->type != GGUF_FLOAT64)
		return lb_err("key %s: type %s, expected a float", key, gguf_type_name(kv->type));
	if(isfinite(kv->v.f) && fabs(kv->v.f) > FLT_MAX)
		return lb_err("key %s: value %g out of range for a float", key, kv->v.f);
	*out = (float)kv->v.f;
	return 1;
}

int
gguf_get_bool(const GGUFFile *f, const char *key, int *out)
{
	const GGUFKV *kv = gguf_find(f, key);

	if(kv == NULL)
		return 0;
	if(kv->type != GGUF_BOOL)
		return lb_err("key %s: type %s, expected BOOL", key, gguf_type_name(kv->type));
	*out = (int)kv->v.u;
	return 1;
}

int
gguf_get_str(const GGUFFile *f, const char *key, GGUFStr *out)
{
	const GGUFKV *kv = gguf_find(f, key);

	if(kv == NULL)
		return 0;
	if(kv->type != GGUF_STRING)
		return lb_err("key %s: type %s, expected STRING", key, gguf_type_name(kv->type));
	*out = kv->v.s;
	return 1;
}

int
gguf_get_arr(const GGUFFile *f, const char *key, uint32_t elem_type, const GGUFKV **out)
{
	const GGUFKV *kv = gguf_find(f, key);

	if(kv == NULL)
		return 0;
	if(kv->type != GGUF_ARRAY)
		return lb_err("key %s: type %s, expected an array of %s", key, gguf_type_name(kv->type),
			gguf_type_name(elem_type));
	if(kv->v.arr.type != elem_type)
		return lb_err("key %s: array of %s, expected %s", key, gguf_type_name(kv->v.arr.type),
			gguf_type_name(elem_type));
	*out = kv;
	return 1;
}

/* Element i of an array of elem_type, or NULL (with lb_err) if kv is not one or i is out of range. */
static const uint8_t *
element(const GGUFKV *kv, uint32_t elem_type, uint64_t i)
{
	if(kv == NULL || kv->type != GGUF_ARRAY || kv->v.arr.type != elem_type){
		lb_err("not an array of %s", gguf_type_name(elem_type));
		return NULL;
	}
	if(i >= kv->v.arr.n){
		lb_err("key %s: index %llu out of range (%llu elements)", kv->key, (unsigned long long)i,
			(unsigned long long)kv->v.arr.n);
		return NULL;
	}
	if(elem_type == GGUF_STRING)
		return kv->v.arr.data + kv->v.arr.offs[i];
	return kv->v.arr.data + i * gguf_scalar_size(elem_type);
}

GGUFStr
gguf_arr_str(const GGUFKV *kv, uint64_t i)
{
	const uint8_t *p = element(kv, GGUF_STRING, i);
	GGUFStr s = { "", 0 };

	if(p != NULL){	/* parsing checked the length and the bytes */
		s.len = gguf_le64(p);
		s.p = (const char *)p + 8;
	}
	return s;
}

float
gguf_arr_f32(const GGUFKV *kv, uint64_t i)
{
	const uint8_t *p = element(kv, GGUF_FLOAT32, i);
	uint32_t b;
	float v;

	if(p == NULL)
		return 0;
	b = gguf_le32(p);
	memcpy(&v, &b, sizeof v);
	return v;
}

int32_t
gguf_arr_i32(const GGUFKV *kv, uint64_t i)
{
	const uint8_t *p = element(kv, GGUF_INT32, i);

	return p != NULL ? (int32_t)gguf_le32(p) : 0;
}
