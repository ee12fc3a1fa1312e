/*
 * test_gguf_write.c - the GGUF writer round trip (every metadata type, arrays
 * of every element type, tensors of several types, shapes and alignments), the
 * writer's refusals, and the typed getters' conversions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "../src/gguf/gguf.h"
#include "../src/quant/quant.h"
#include "../src/util/error.h"

/* Little-endian encodings for gguf_w_raw. */
static size_t
le(uint8_t *b, uint64_t v, int n)
{
	int i;

	for(i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> 8*i);
	return (size_t)n;
}

static void
raw_scalar(GGUFWriter *w, const char *key, uint32_t type, uint64_t bits, int n)
{
	uint8_t b[8];

	gguf_w_raw(w, key, type, b, le(b, bits, n));
}

/* An array of 3 elements of type t with element bits v[], each n bytes. */
static void
raw_array(GGUFWriter *w, const char *key, uint32_t t, const uint64_t *v, int n)
{
	uint8_t b[12 + 3 * 8];
	size_t len = le(b, t, 4) + le(b + 4, 3, 8);
	int i;

	for(i = 0; i < 3; i++)
		len += le(b + len, v[i], n);
	gguf_w_raw(w, key, GGUF_ARRAY, b, len);
}

static uint64_t
f64bits(double f)
{
	uint64_t u;

	memcpy(&u, &f, 8);
	return u;
}

static const int width[GGUF_NTYPES] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

static const uint64_t arr_vals[GGUF_NTYPES][3] = {
	[GGUF_UINT8] = { 0, 7, 255 }, [GGUF_INT8] = { 0x80, 0xff, 5 },
	[GGUF_UINT16] = { 1, 65535, 300 }, [GGUF_INT16] = { 0x8000, 0xffff, 2 },
	[GGUF_UINT32] = { 0xffffffff, 0, 1 }, [GGUF_INT32] = { 0x80000000, 0xffffffff, 3 },
	[GGUF_BOOL] = { 0, 1, 0 }, [GGUF_UINT64] = { UINT64_MAX, 0, 1ull << 40 },
	[GGUF_INT64] = { 1ull << 63, UINT64_MAX, 9 },
};

/* Every scalar type, strings with any bytes, and arrays of every element type. */
static void
write_meta(GGUFWriter *w)
{
	static const char *const strs[] = { "", "tok", "\xe2\x96\x81space", "\xff\xfe" };
	static const float fa[] = { 1.5f, -0.0f, INFINITY, 3e-39f };
	static const int32_t ia[] = { INT32_MIN, -1, 0, INT32_MAX };
	static const uint64_t f32a[3] = { 0x3f800000, 0x7fc00000, 0x80000001 };
	static const uint64_t f64a[3] = { 0x3ff0000000000000ull, 0xfff0000000000000ull, 1 };
	uint8_t b[64];
	size_t n;
	uint32_t t;

	gguf_w_u32(w, "u32", 4000000000u);
	gguf_w_i32(w, "i32", -123456);
	gguf_w_f32(w, "f32", 0.25f);
	gguf_w_bool(w, "bool", 2);	/* stored as 1 */
	gguf_w_str(w, "str", "hello");
	gguf_w_str(w, "empty", "");
	raw_scalar(w, "u8", GGUF_UINT8, 255, 1);
	raw_scalar(w, "i8", GGUF_INT8, 0x80, 1);
	raw_scalar(w, "u16", GGUF_UINT16, 65535, 2);
	raw_scalar(w, "i16", GGUF_INT16, 0x8000, 2);
	raw_scalar(w, "u64", GGUF_UINT64, UINT64_MAX, 8);
	raw_scalar(w, "i64", GGUF_INT64, 1ull << 63, 8);
	raw_scalar(w, "f64", GGUF_FLOAT64, f64bits(M_PI), 8);
	raw_scalar(w, "rawbool", GGUF_BOOL, 7, 1);	/* any nonzero byte reads as 1 */
	n = le(b, 7, 8);	/* a string with a NUL and a high byte inside */
	memcpy(b + n, "a\0b\xff" "cde", 7);
	gguf_w_raw(w, "binstr", GGUF_STRING, b, n + 7);
	for(t = 0; t < GGUF_NTYPES; t++){
		char key[32];
		if(t == GGUF_STRING || t == GGUF_ARRAY || t == GGUF_FLOAT32 || t == GGUF_FLOAT64)
			continue;
		snprintf(key, sizeof key, "arr.%s", gguf_type_name(t));
		raw_array(w, key, t, arr_vals[t], width[t]);
	}
	raw_array(w, "arr.FLOAT32", GGUF_FLOAT32, f32a, 4);
	raw_array(w, "arr.FLOAT64", GGUF_FLOAT64, f64a, 8);
	gguf_w_arr_str(w, "arr.STRING", strs, 4);
	gguf_w_arr_f32(w, "arr.f32", fa, 4);
	gguf_w_arr_i32(w, "arr.i32", ia, 4);
	gguf_w_arr_str(w, "arr.none", NULL, 0);
	n = le(b, GGUF_UINT16, 4) + le(b + 4, 0, 8);
	gguf_w_raw(w, "arr.empty16", GGUF_ARRAY, b, n);
}

static void
check_scalars(const GGUFFile *f)
{
	const GGUFKV *kv;
	GGUFStr s;
	uint32_t u;
	float x;
	int b;

	assert_int_equal(gguf_get_u32(f, "u32", &u), 1);
	assert_int_equal(u, 4000000000u);
	assert_int_equal(gguf_find(f, "i32")->v.i, -123456);
	assert_int_equal(gguf_get_f32(f, "f32", &x), 1);
	assert_true(x == 0.25f);
	assert_int_equal(gguf_get_bool(f, "bool", &b), 1);
	assert_int_equal(b, 1);
	assert_int_equal(gguf_get_str(f, "str", &s), 1);
	assert_true(s.len == 5 && memcmp(s.p, "hello", 5) == 0);
	assert_int_equal(gguf_get_str(f, "empty", &s), 1);
	assert_int_equal(s.len, 0);
	assert_int_equal(gguf_find(f, "u8")->v.u, 255);
	assert_int_equal(gguf_find(f, "i8")->v.i, -128);
	assert_int_equal(gguf_find(f, "u16")->v.u, 65535);
	assert_int_equal(gguf_find(f, "i16")->v.i, -32768);
	assert_true(gguf_find(f, "u64")->v.u == UINT64_MAX);
	assert_true(gguf_find(f, "i64")->v.i == INT64_MIN);
	assert_true(gguf_find(f, "f64")->v.f == M_PI);
	kv = gguf_find(f, "rawbool");
	assert_int_equal(kv->type, GGUF_BOOL);
	assert_int_equal(kv->v.u, 1);
	assert_int_equal(gguf_get_str(f, "binstr", &s), 1);
	assert_true(s.len == 7 && memcmp(s.p, "a\0b\xff" "cde", 7) == 0);
}

static void
check_arrays(const GGUFFile *f)
{
	static const char *const strs[] = { "", "tok", "\xe2\x96\x81space", "\xff\xfe" };
	const GGUFKV *kv;
	uint8_t want[24];
	uint32_t t;
	GGUFStr s;
	char key[32];
	size_t n;
	int i;

	for(t = 0; t < GGUF_NTYPES; t++){
		if(t == GGUF_STRING || t == GGUF_ARRAY || t == GGUF_FLOAT32 || t == GGUF_FLOAT64)
			continue;
		snprintf(key, sizeof key, "arr.%s", gguf_type_name(t));
		assert_int_equal(gguf_get_arr(f, key, t, &kv), 1);
		assert_int_equal(kv->v.arr.n, 3);
		for(i = 0, n = 0; i < 3; i++)
			n += le(want + n, arr_vals[t][i], width[t]);
		assert_memory_equal(kv->v.arr.data, want, n);
	}
	assert_int_equal(gguf_get_arr(f, "arr.FLOAT32", GGUF_FLOAT32, &kv), 1);
	assert_true(gguf_arr_f32(kv, 0) == 1.0f && isnan(gguf_arr_f32(kv, 1)));
	assert_int_equal(gguf_get_arr(f, "arr.FLOAT64", GGUF_FLOAT64, &kv), 1);
	assert_int_equal(gguf_get_arr(f, "arr.STRING", GGUF_STRING, &kv), 1);
	assert_int_equal(kv->v.arr.n, 4);
	for(i = 0; i < 4; i++){
		s = gguf_arr_str(kv, i);
		assert_int_equal(s.len, strlen(strs[i]));
		assert_memory_equal(s.p, strs[i], s.len);
	}
	assert_int_equal(gguf_get_arr(f, "arr.f32", GGUF_FLOAT32, &kv), 1);
	assert_true(gguf_arr_f32(kv, 0) == 1.5f && signbit(gguf_arr_f32(kv, 1)) && isinf(gguf_arr_f32(kv, 2)));
	assert_true(gguf_arr_f32(kv, 3) == 3e-39f);
	assert_int_equal(gguf_get_arr(f, "arr.i32", GGUF_INT32, &kv), 1);
	assert_true(gguf_arr_i32(kv, 0) == INT32_MIN && gguf_arr_i32(kv, 1) == -1 && gguf_arr_i32(kv, 3) == INT32_MAX);
	assert_int_equal(gguf_get_arr(f, "arr.none", GGUF_STRING, &kv), 1);
	assert_int_equal(kv->v.arr.n, 0);
	assert_int_equal(gguf_arr_str(kv, 0).len, 0);	/* out of range: empty, not a crash */
	assert_int_equal(gguf_get_arr(f, "arr.empty16", GGUF_UINT16, &kv), 1);
	assert_int_equal(kv->v.arr.n, 0);
}

/* Tensors: name, type, shape, data (NULL: zeros). */
typedef struct TSpec {
	const char *name;
	uint32_t type;
	int n_dims;
	int64_t ne[4];
	size_t nbytes;
} TSpec;

static const TSpec tspecs[] = {
	{ "f32", LB_F32, 2, { 8, 3 }, 96 },
	{ "f16", LB_F16, 1, { 32 }, 64 },
	{ "q8", LB_Q8_0, 2, { 64, 2 }, 136 },
	{ "blk.0.q4k", LB_Q4_K, 2, { 256, 2 }, 288 },
	{ "bf16.3d", LB_BF16, 3, { 4, 2, 3 }, 48 },
	{ "f32.4d", LB_F32, 4, { 2, 2, 2, 2 }, 64 },
	{ "empty", LB_F32, 2, { 0, 5 }, 0 },
	{ "zeros", LB_F32, 1, { 16 }, 64 },
	{ "a-name-of-sixty-three-bytes-.................................63", LB_Q6_K, 1, { 256 }, 210 },
};
enum { NT = sizeof tspecs / sizeof tspecs[0] };

static uint8_t tdata[NT][512];

static void
write_tensors(GGUFWriter *w)
{
	int i, k;

	for(i = 0; i < NT; i++){
		for(k = 0; k < 512; k++)
			tdata[i][k] = (uint8_t)(i * 37 + k * 7 + 1);
		gguf_w_tensor(w, tspecs[i].name, tspecs[i].type, tspecs[i].n_dims, tspecs[i].ne,
			strcmp(tspecs[i].name, "zeros") == 0 ? NULL : tdata[i]);
	}
}

static void
check_tensors(const GGUFFile *f, uint32_t align)
{
	static const uint8_t zeros[64];
	const GGUFTensor *t;
	int i, j;

	assert_int_equal(f->n_tensors, NT);
	assert_int_equal(f->alignment, align);
	assert_int_equal(f->data_offset % align, 0);
	for(i = 0; i < NT; i++){
		t = &f->tensors[i];
		assert_string_equal(t->name, tspecs[i].name);
		assert_int_equal(t->type, tspecs[i].type);
		assert_int_equal(t->n_dims, tspecs[i].n_dims);
		for(j = 0; j < 4; j++)
			assert_int_equal(t->ne[j], j < tspecs[i].n_dims ? tspecs[i].ne[j] : 1);
		assert_int_equal(t->nbytes, tspecs[i].nbytes);
		assert_int_equal((size_t)((const uint8_t *)t->data - f->base) % align, 0);
		assert_memory_equal(t->data, strcmp(t->name, "zeros") == 0 ? zeros : tdata[i], t->nbytes);
	}
}

/* Writes everything with alignment align (via the constructor, or via the key if by_key), reads it back. */
static void
round_trip(uint32_t align, int by_key)
{
	char path[4096];
	GGUFWriter *w = gguf_writer_new(by_key ? 0 : align);
	GGUFFile f;
	int mm;

	assert_non_null(w);
	if(by_key)
		gguf_w_u32(w, "general.alignment", align);
	write_meta(w);
	write_tensors(w);
	tmp_path(path, sizeof path, "rt.gguf");
	if(gguf_write_file(w, path) < 0)
		fail_msg("align %u: %s", align, lb_errstr());
	gguf_writer_free(w);
	for(mm = 0; mm < 2; mm++){
		if(gguf_open(&f, path, mm) < 0)
			fail_msg("align %u: %s", align, lb_errstr());
		assert_int_equal(f.version, 3);
		assert_string_equal(f.kv[0].key, align != 0 && align != 32 ? "general.alignment" : "u32");
		assert_true(gguf_find(&f, "u32") < gguf_find(&f, "arr.empty16"));	/* insertion order */
		check_scalars(&f);
		check_arrays(&f);
		check_tensors(&f, align ? align : 32);
		gguf_close(&f);
	}
	unlink(path);
}

static void
test_round_trip(void **state)
{
	static const uint32_t aligns[] = { 0, 32, 1, 8, 64, 4096, 1 << 20 };
	size_t i;

	(void)state;
	for(i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
		round_trip(aligns[i], 0);
	round_trip(128, 1);
}

/* Integer getters take any integer type whose value fits; others refuse with a reason. */
static void
test_getters(void **state)
{
	char path[4096];
	GGUFWriter *w = gguf_writer_new(0);
	const GGUFKV *kv;
	GGUFFile f;
	GGUFStr s;
	uint32_t u;
	int32_t i;
	float x;
	int b;
	char *buf;
	size_t n;

	(void)state;
	raw_scalar(w, "u8", GGUF_UINT8, 200, 1);
	raw_scalar(w, "i8.neg", GGUF_INT8, 0xfb, 1);
	raw_scalar(w, "i16.neg", GGUF_INT16, 0xffff, 2);
	gguf_w_u32(w, "u32.big", 4000000000u);
	gguf_w_i32(w, "i32.neg", -7);
	gguf_w_i32(w, "i32.pos", 7);
	raw_scalar(w, "u64.2^32", GGUF_UINT64, 1ull << 32, 8);
	raw_scalar(w, "u64.5", GGUF_UINT64, 5, 8);
	raw_scalar(w, "i64.2^40", GGUF_INT64, 1ull << 40, 8);
	raw_scalar(w, "i64.minus1", GGUF_INT64, UINT64_MAX, 8);
	raw_scalar(w, "i64.int32min", GGUF_INT64, (uint64_t)(int64_t)INT32_MIN, 8);
	raw_scalar(w, "f64.huge", GGUF_FLOAT64, f64bits(1e300), 8);
	raw_scalar(w, "f64.half", GGUF_FLOAT64, f64bits(0.5), 8);
	gguf_w_f32(w, "f32", -2.5f);
	gguf_w_bool(w, "bool", 0);
	gguf_w_str(w, "str", "s");
	gguf_w_arr_f32(w, "farr", (const float[]){ 1, 2 }, 2);
	tmp_path(path, sizeof path, "get.gguf");
	assert_int_equal(gguf_write_file(w, path), 0);
	gguf_writer_free(w);
	buf = read_file(path, &n);
	unlink(path);
	assert_int_equal(gguf_parse(&f, (const uint8_t *)buf, n), 0);
	assert_int_equal(f.borrowed, 1);

#define OK(call, var, val) do { assert_int_equal(call, 1); assert_true(var == val); } while(0)
#define BAD(call) do { lb_errclear(); assert_int_equal(call, -1); assert_true(lb_errstr()[0] != 0); } while(0)
	OK(gguf_get_u32(&f, "u8", &u), u, 200);
	OK(gguf_get_u32(&f, "u32.big", &u), u, 4000000000u);
	OK(gguf_get_u32(&f, "i32.pos", &u), u, 7);
	OK(gguf_get_u32(&f, "u64.5", &u), u, 5);
	BAD(gguf_get_u32(&f, "i8.neg", &u));
	BAD(gguf_get_u32(&f, "i32.neg", &u));
	BAD(gguf_get_u32(&f, "u64.2^32", &u));
	BAD(gguf_get_u32(&f, "i64.2^40", &u));
	BAD(gguf_get_u32(&f, "f32", &u));
	BAD(gguf_get_u32(&f, "bool", &u));
	BAD(gguf_get_u32(&f, "str", &u));
	BAD(gguf_get_u32(&f, "farr", &u));
	assert_int_equal(gguf_get_u32(&f, "absent", &u), 0);
	OK(gguf_get_i32(&f, "i8.neg", &i), i, -5);
	OK(gguf_get_i32(&f, "i16.neg", &i), i, -1);
	OK(gguf_get_i32(&f, "i64.minus1", &i), i, -1);
	OK(gguf_get_i32(&f, "i64.int32min", &i), i, INT32_MIN);
	OK(gguf_get_i32(&f, "u8", &i), i, 200);
	BAD(gguf_get_i32(&f, "u32.big", &i));
	BAD(gguf_get_i32(&f, "i64.2^40", &i));
	OK(gguf_get_f32(&f, "f32", &x), x, -2.5f);
	OK(gguf_get_f32(&f, "f64.half", &x), x, 0.5f);
	BAD(gguf_get_f32(&f, "f64.huge", &x));
	BAD(gguf_get_f32(&f, "u8", &x));
	OK(gguf_get_bool(&f, "bool", &b), b, 0);
	BAD(gguf_get_bool(&f, "u8", &b));
	assert_int_equal(gguf_get_str(&f, "str", &s), 1);
	assert_true(s.len == 1 && s.p[0] == 's');
	BAD(gguf_get_str(&f, "u8", &s));
	OK(gguf_get_arr(&f, "farr", GGUF_FLOAT32, &kv), kv->v.arr.n, 2);
	BAD(gguf_get_arr(&f, "farr", GGUF_INT32, &kv));
	assert_non_null(strstr(lb_errstr(), "array of FLOAT32"));
	BAD(gguf_get_arr(&f, "str", GGUF_STRING, &kv));
	assert_int_equal(gguf_get_arr(&f, "absent", GGUF_STRING, &kv), 0);
#undef OK
#undef BAD
	gguf_get_arr(&f, "farr", GGUF_FLOAT32, &kv);
	assert_true(gguf_arr_f32(kv, 1) == 2.0f);
	assert_true(gguf_arr_f32(kv, 2) == 0);	/* index out of range */
	assert_true(gguf_arr_i32(kv, 0) == 0);	/* wrong element type */
	assert_int_equal(gguf_arr_str(kv, 0).len, 0);
	assert_string_equal(gguf_type_name(GGUF_FLOAT64), "FLOAT64");
	assert_string_equal(gguf_type_name(99), "unknown");
	gguf_close(&f);	/* leaves buf alone */
	assert_int_equal(buf[0], 'G');
	free(buf);
}

typedef void (*WriterCase)(GGUFWriter *w);

static void wc_dupkey(GGUFWriter *w) { gguf_w_u32(w, "a", 1); gguf_w_str(w, "a", "x"); }
static void wc_emptykey(GGUFWriter *w) { gguf_w_u32(w, "", 1); }
static void wc_ctlkey(GGUFWriter *w) { gguf_w_u32(w, "a\nb", 1); }
static void wc_align_i32(GGUFWriter *w) { gguf_w_i32(w, "general.alignment", 64); }
static void wc_align_3(GGUFWriter *w) { gguf_w_u32(w, "general.alignment", 3); }
static void wc_align_big(GGUFWriter *w) { gguf_w_u32(w, "general.alignment", 1u << 21); }
static void wc_trailing(GGUFWriter *w) { gguf_w_raw(w, "k", GGUF_UINT32, "abcde", 5); }
static void wc_shortstr(GGUFWriter *w) { gguf_w_raw(w, "k", GGUF_STRING, "\x0a\0\0\0\0\0\0\0abc", 11); }
static void wc_badtype(GGUFWriter *w) { gguf_w_raw(w, "k", 13, "a", 1); }
static void wc_dupname(GGUFWriter *w) { int64_t ne[1] = { 4 }; gguf_w_tensor(w, "t", LB_F32, 1, ne, NULL); gguf_w_tensor(w, "t", LB_F32, 1, ne, NULL); }
static void wc_emptyname(GGUFWriter *w) { int64_t ne[1] = { 4 }; gguf_w_tensor(w, "", LB_F32, 1, ne, NULL); }
static void wc_iq2(GGUFWriter *w) { int64_t ne[1] = { 256 }; gguf_w_tensor(w, "t", 16, 1, ne, NULL); }
static void wc_block(GGUFWriter *w) { int64_t ne[1] = { 32 }; gguf_w_tensor(w, "t", LB_Q4_K, 1, ne, NULL); }
static void wc_dims0(GGUFWriter *w) { int64_t ne[1] = { 4 }; gguf_w_tensor(w, "t", LB_F32, 0, ne, NULL); }
static void wc_dims5(GGUFWriter *w) { int64_t ne[5] = { 1, 1, 1, 1, 1 }; gguf_w_tensor(w, "t", LB_F32, 5, ne, NULL); }
static void wc_negdim(GGUFWriter *w) { int64_t ne[2] = { 4, -1 }; gguf_w_tensor(w, "t", LB_F32, 2, ne, NULL); }
static void wc_huge(GGUFWriter *w) { int64_t ne[2] = { 1ll << 62, 4 }; gguf_w_tensor(w, "t", LB_F32, 2, ne, NULL); }
static void wc_longname(GGUFWriter *w)
{
	int64_t ne[1] = { 4 };
	char name[65];

	memset(name, 'x', 64);
	name[64] = 0;
	gguf_w_tensor(w, name, LB_F32, 1, ne, NULL);
}
static void wc_nested(GGUFWriter *w)
{
	uint8_t b[12] = { GGUF_ARRAY, 0, 0, 0, 0 };
	gguf_w_raw(w, "k", GGUF_ARRAY, b, sizeof b);
}
static void wc_firstkept(GGUFWriter *w) { wc_dupkey(w); gguf_w_u32(w, "fine", 1); }

static void
test_writer_refuses(void **state)
{
	static const struct { WriterCase fn; uint32_t align; const char *want; } cases[] = {
		{ wc_dupkey, 0, "key a: duplicate key" }, { wc_emptykey, 0, "empty" }, { wc_ctlkey, 0, "control" },
		{ wc_align_i32, 0, "general.alignment" }, { wc_align_3, 0, "general.alignment" },
		{ wc_align_big, 0, "general.alignment" }, { NULL, 3, "general.alignment" },
		{ wc_align_3, 64, "duplicate key" }, { wc_trailing, 0, "trailing bytes" },
		{ wc_shortstr, 0, "past the end" }, { wc_badtype, 0, "unknown type 13" },
		{ wc_nested, 0, "nested arrays" }, { wc_dupname, 0, "tensor t: duplicate name" },
		{ wc_emptyname, 0, "empty name" }, { wc_longname, 0, "too long" },
		{ wc_iq2, 0, "unsupported type 16" }, { wc_block, 0, "block size" },
		{ wc_dims0, 0, "0 dimensions" }, { wc_dims5, 0, "5 dimensions" },
		{ wc_negdim, 0, "bad dimension 1" }, { wc_huge, 0, "overflows" },
		{ wc_firstkept, 0, "key a: duplicate key" },
	};
	char path[4096];
	GGUFWriter *w;
	size_t i;

	(void)state;
	tmp_path(path, sizeof path, "refused.gguf");
	for(i = 0; i < sizeof cases / sizeof cases[0]; i++){
		unlink(path);
		w = gguf_writer_new(cases[i].align);
		assert_non_null(w);
		if(cases[i].fn != NULL)
			cases[i].fn(w);
		lb_errclear();
		if(gguf_write_file(w, path) != -1)
			fail_msg("case %zu: written", i);
		if(strstr(lb_errstr(), cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, lb_errstr(), cases[i].want);
		assert_int_not_equal(access(path, F_OK), 0);
		gguf_writer_free(w);
	}
	w = gguf_writer_new(0);
	assert_int_equal(gguf_write_file(w, "/nonexistent-dir/x.gguf"), -1);
	assert_non_null(strstr(lb_errstr(), "/nonexistent-dir/x.gguf"));
	gguf_writer_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_writer_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
