/*
 * test_gguf_bad.c - hostile GGUF input: every case must be refused with a
 * reason (and no sanitizer report), never crash, never read outside the buffer.
 * Each parse gets an exact-size malloc'd copy, so ASan sees any over-read.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "badgguf.h"
#include "../src/gguf/gguf.h"
#include "../src/quant/quant.h"
#include "../src/util/error.h"

/* Where the fields of the small valid file are, for byte surgery. */
typedef struct Pos {
	size_t version, n_tensors, n_kv, key0_len, str0_len, align_type, align_val;
	size_t tok_etype, tok_n, tok_s0_len, sc_n;
	size_t name_len[2], n_dims[2], ne[2][2], type[2], offset[2];
} Pos;

/*
 * Two tensors, four keys (a string, general.alignment, a string array with an
 * empty and a binary element, a float array), data ending exactly at the end of
 * the file: every shorter prefix is invalid.
 */
static void
small_file(BadGGUF *b, Pos *p)
{
	const int64_t ne0[2] = { 32, 2 }, ne1[1] = { 32 };
	int i;

	bg_init(b);
	p->version = 4;
	p->n_tensors = 8;
	p->n_kv = 16;
	bg_header(b, 3, 2, 4);
	p->key0_len = b->n;
	bg_key(b, "general.architecture", GGUF_STRING);
	p->str0_len = b->n;
	bg_str(b, "llama");
	bg_str(b, "general.alignment");
	p->align_type = b->n;
	bg_u32(b, GGUF_UINT32);
	p->align_val = b->n;
	bg_u32(b, 32);
	bg_key(b, "tokenizer.ggml.tokens", GGUF_ARRAY);
	p->tok_etype = b->n;
	bg_u32(b, GGUF_STRING);
	p->tok_n = b->n;
	bg_u64(b, 3);
	p->tok_s0_len = b->n;
	bg_str(b, "a");
	bg_str(b, "");
	bg_strn(b, "\0\xff", 2);
	bg_key(b, "tokenizer.ggml.scores", GGUF_ARRAY);
	bg_u32(b, GGUF_FLOAT32);
	p->sc_n = b->n;
	bg_u64(b, 3);
	bg_zeros(b, 12);
	for(i = 0; i < 2; i++){
		p->name_len[i] = b->n;
		p->n_dims[i] = b->n + 9;
		p->ne[i][0] = b->n + 13;
		p->ne[i][1] = b->n + 21;
		p->type[i] = b->n + 13 + 8 * (2 - i);
		p->offset[i] = p->type[i] + 4;
		if(i == 0)
			bg_tinfo(b, "a", 2, ne0, LB_F32, 0);
		else
			bg_tinfo(b, "b", 1, ne1, LB_Q8_0, 256);
	}
	bg_pad(b, 32);
	for(i = 0; i < 256 + 34; i++)
		bg_u8(b, (uint8_t)(i * 13));
}

/* Touches every byte a successful parse hands out, so ASan checks the pointers. */
static unsigned
walk(const GGUFFile *f)
{
	const uint8_t *d;
	unsigned sum = 0;
	size_t i;
	uint64_t j, k, n;

	for(i = 0; i < f->n_kv; i++){
		const GGUFKV *kv = &f->kv[i];
		if(kv->type == GGUF_STRING)
			for(j = 0; j < kv->v.s.len; j++)
				sum += (uint8_t)kv->v.s.p[j];
		if(kv->type != GGUF_ARRAY)
			continue;
		for(j = 0; j < kv->v.arr.n; j++){
			if(kv->v.arr.type == GGUF_STRING){
				GGUFStr s = gguf_arr_str(kv, j);
				for(k = 0; k < s.len; k++)
					sum += (uint8_t)s.p[k];
				continue;
			}
			n = kv->v.arr.type == GGUF_FLOAT64 || kv->v.arr.type >= GGUF_UINT64 ? 8 :
				kv->v.arr.type <= GGUF_INT8 || kv->v.arr.type == GGUF_BOOL ? 1 :
				kv->v.arr.type <= GGUF_INT16 ? 2 : 4;
			for(k = 0; k < n; k++)
				sum += kv->v.arr.data[j * n + k];
		}
	}
	for(i = 0; i < f->n_tensors; i++)
		for(d = f->tensors[i].data, j = 0; j < f->tensors[i].nbytes; j++)
			sum += d[j];
	return sum;
}

/* Parses an exact-size copy of p[0..n); returns gguf_parse's result, the reason in lb_errstr. */
static int
parse_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	GGUFFile f;
	int rc;

	assert_non_null(c);
	if(n > 0)
		memcpy(c, p, n);
	lb_errclear();
	rc = gguf_parse(&f, c, n);
	if(rc == 0){
		(void)walk(&f);
		gguf_close(&f);
	}else if(lb_errstr()[0] == 0)
		fail_msg("refused without a reason (%zu bytes)", n);
	free(c);
	return rc;
}

/* The file must be refused with a reason containing one of want's '|'-separated parts. */
static void
expect_refused(const BadGGUF *b, const char *what, const char *want)
{
	char alt[256], *part, *save;

	if(parse_copy(b->p, b->n) == 0)
		fail_msg("%s: accepted", what);
	if(want[0] == 0)	/* any reason will do (parse_copy checked there is one) */
		return;
	snprintf(alt, sizeof alt, "%s", want);
	for(part = strtok_r(alt, "|", &save); part != NULL; part = strtok_r(NULL, "|", &save))
		if(strstr(lb_errstr(), part) != NULL)
			return;
	fail_msg("%s: reason \"%s\" does not say \"%s\"", what, lb_errstr(), want);
}

static void
test_small_file_valid(void **state)
{
	BadGGUF b;
	Pos p;
	GGUFFile f;
	const GGUFKV *kv;

	(void)state;
	small_file(&b, &p);
	assert_int_equal(gguf_parse(&f, b.p, b.n), 0);
	assert_int_equal(f.n_kv, 4);
	assert_int_equal(f.n_tensors, 2);
	assert_int_equal(f.tensors[1].nbytes, 34);
	assert_ptr_equal((const uint8_t *)f.tensors[1].data + 34, b.p + b.n);
	assert_int_equal(gguf_get_arr(&f, "tokenizer.ggml.tokens", GGUF_STRING, &kv), 1);
	assert_int_equal(gguf_arr_str(kv, 2).len, 2);
	gguf_close(&f);
	bg_free(&b);
}

/* Every prefix of the small file is refused; the whole file is not. */
static void
test_truncated(void **state)
{
	BadGGUF b;
	Pos p;
	size_t n;

	(void)state;
	small_file(&b, &p);
	for(n = 0; n < b.n; n++)
		if(parse_copy(b.p, n) == 0)
			fail_msg("prefix of %zu bytes (of %zu) accepted", n, b.n);
	assert_int_equal(parse_copy(b.p, b.n), 0);
	bg_free(&b);
}

/* One field of the small file overwritten. */
typedef struct Surgery {
	const char *what;
	size_t field;	/* offsetof(Pos, ...) */
	int width;	/* 4 or 8 */
	uint64_t value;
	const char *want;	/* NULL: must be accepted */
} Surgery;

#define F(m) offsetof(Pos, m)
#define BIG (1ull << 63)
#define ALL1 UINT64_MAX
static const Surgery surgeries[] = {
	{ "version 0", F(version), 4, 0, "unsupported GGUF version 0" },
	{ "version 1", F(version), 4, 1, "unsupported GGUF version 1" },
	{ "version 4", F(version), 4, 4, "unsupported GGUF version 4" },
	{ "version 2^32-1", F(version), 4, 0xffffffff, "unsupported GGUF version 4294967295" },
	{ "byte-swapped version", F(version), 4, 0x03000000, "byte-swapped" },
	{ "version 2", F(version), 4, 2, NULL },
	{ "n_tensors 2^63", F(n_tensors), 8, BIG, "tensor count" },
	{ "n_tensors 2^64-1", F(n_tensors), 8, ALL1, "tensor count" },
	{ "n_tensors 65537", F(n_tensors), 8, 65537, "tensor count" },
	{ "n_tensors 65536", F(n_tensors), 8, 65536, "cannot fit" },
	{ "n_tensors 3", F(n_tensors), 8, 3, "" },
	{ "n_kv 2^63", F(n_kv), 8, BIG, "key count" },
	{ "n_kv 2^64-1", F(n_kv), 8, ALL1, "key count" },
	{ "n_kv 65537", F(n_kv), 8, 65537, "key count" },
	{ "n_kv 65536", F(n_kv), 8, 65536, "cannot fit" },
	{ "n_kv 5", F(n_kv), 8, 5, "" },
	{ "empty key", F(key0_len), 8, 0, "key 0: empty key" },
	{ "key length 257", F(key0_len), 8, 257, "key 0: string length 257 exceeds" },
	{ "key length 2^63", F(key0_len), 8, BIG, "exceeds the limit" },
	{ "key length 2^64-1", F(key0_len), 8, ALL1, "exceeds the limit" },
	{ "string length 2^63", F(str0_len), 8, BIG, "key general.architecture: string length" },
	{ "string length 2^64-1", F(str0_len), 8, ALL1, "exceeds the limit" },
	{ "string length 1 MiB + 1", F(str0_len), 8, (1 << 20) + 1, "exceeds the limit" },
	{ "string length 1 MiB", F(str0_len), 8, 1 << 20, "runs past the end" },
	{ "alignment type INT32", F(align_type), 4, GGUF_INT32, "key general.alignment: type INT32, expected UINT32" },
	{ "alignment type FLOAT32", F(align_type), 4, GGUF_FLOAT32, "expected UINT32" },
	{ "kv type 13", F(align_type), 4, 13, "key general.alignment: unknown type 13" },
	{ "kv type 2^31", F(align_type), 4, 1u << 31, "unknown type 2147483648" },
	{ "alignment 0", F(align_val), 4, 0, "not a power of two" },
	{ "alignment 3", F(align_val), 4, 3, "not a power of two" },
	{ "alignment 48", F(align_val), 4, 48, "not a power of two" },
	{ "alignment 2^31", F(align_val), 4, 1u << 31, "exceeds the limit" },
	{ "alignment 2 MiB", F(align_val), 4, 2 << 20, "exceeds the limit" },
	{ "nested array", F(tok_etype), 4, GGUF_ARRAY, "nested arrays" },
	{ "array element type 13", F(tok_etype), 4, 13, "unknown array element type 13" },
	{ "array element type 2^32-1", F(tok_etype), 4, 0xffffffff, "unknown array element type" },
	{ "string array n 2^63", F(tok_n), 8, BIG, "exceeds the limit" },
	{ "string array n 2^64-1", F(tok_n), 8, ALL1, "exceeds the limit" },
	{ "string array n 16Mi+1", F(tok_n), 8, (16 << 20) + 1, "exceeds the limit" },
	{ "string array n 16Mi", F(tok_n), 8, 16 << 20, "strings runs past the end" },
	{ "string array n 4", F(tok_n), 8, 4, "" },
	{ "string element length 2^63", F(tok_s0_len), 8, BIG, "element 0: string length" },
	{ "string element length 500", F(tok_s0_len), 8, 500, "runs past the end" },
	{ "float array n 2^64-1", F(sc_n), 8, ALL1, "exceeds the limit" },
	{ "float array n 1000", F(sc_n), 8, 1000, "FLOAT32 runs past the end" },
	{ "empty tensor name", F(name_len[0]), 8, 0, "tensor 0: empty name" },
	{ "tensor name length 2^63", F(name_len[0]), 8, BIG, "tensor 0: string length" },
	{ "n_dims 5", F(n_dims[0]), 4, 5, "tensor a: 5 dimensions" },
	{ "n_dims 2^32-1", F(n_dims[0]), 4, 0xffffffff, "4294967295 dimensions" },
	{ "negative ne", F(ne[0][1]), 8, ALL1, "tensor a: dimension 1 is negative" },
	{ "ne -2^63", F(ne[0][0]), 8, BIG, "dimension 0 is negative" },
	{ "ne product over int64", F(ne[0][1]), 8, 1ull << 62, "element count overflows" },
	{ "ne INT64_MAX", F(ne[0][1]), 8, BIG - 1, "element count overflows" },
	{ "nbytes 8 GiB", F(ne[0][1]), 8, 1ull << 26, "size in bytes overflows|data past end of file" },
	{ "nbytes 2^64", F(ne[0][0]), 8, 1ull << 61, "size in bytes overflows" },
	{ "ne 0", F(ne[0][0]), 8, 0, "tensor b: offset 256, expected 0" },
	{ "removed type 4", F(type[0]), 4, 4, "tensor a: unknown type 4" },
	{ "removed type 5", F(type[0]), 4, 5, "unknown type 5" },
	{ "removed type 31", F(type[0]), 4, 31, "unknown type 31" },
	{ "type 99", F(type[0]), 4, 99, "tensor a: unknown type 99" },
	{ "type 2^31", F(type[0]), 4, 1u << 31, "unknown type 2147483648" },
	{ "type IQ2_XXS", F(type[0]), 4, 16, "unsupported type IQ2_XXS (16)" },
	{ "type Q4_K on a 32-row", F(type[0]), 4, LB_Q4_K, "not a multiple of the Q4_K block size 256" },
	{ "type Q8_0 moves b", F(type[0]), 4, LB_Q8_0, "tensor b: offset 256, expected 96" },
	{ "offset 32", F(offset[0]), 8, 32, "tensor a: offset 32, expected 0" },
	{ "offset 1", F(offset[0]), 8, 1, "tensor a: offset 1 is not a multiple of the alignment 32" },
	{ "offset 2^40", F(offset[0]), 8, 1ull << 40, "tensor a: offset past end of file" },
	{ "offset 2^64-32", F(offset[0]), 8, ALL1 - 31, "offset past end of file" },
	{ "overlapping tensors", F(offset[1]), 8, 0, "tensor b: offset 0, expected 256" },
	{ "gap between tensors", F(offset[1]), 8, 288, "expected 256" },
	{ "misaligned offset", F(offset[1]), 8, 257, "not a multiple" },
	{ "b past the end", F(ne[1][0]), 8, 64, "tensor b: data past end of file" },
};

static void
test_surgery(void **state)
{
	BadGGUF b;
	Pos p;
	size_t i, at;

	(void)state;
	for(i = 0; i < sizeof surgeries / sizeof surgeries[0]; i++){
		const Surgery *s = &surgeries[i];
		small_file(&b, &p);
		memcpy(&at, (const char *)&p + s->field, sizeof at);
		if(s->width == 4)
			bg_set32(&b, at, (uint32_t)s->value);
		else
			bg_set64(&b, at, s->value);
		if(s->want != NULL)
			expect_refused(&b, s->what, s->want);
		else if(parse_copy(b.p, b.n) != 0)
			fail_msg("%s: refused: %s", s->what, lb_errstr());
		bg_free(&b);
	}
}

/* A file with no tensors and the keys a builder callback writes. */
typedef void (*KVBuild)(BadGGUF *b);

static void kb_dup(BadGGUF *b) { bg_key(b, "k", GGUF_UINT8); bg_u8(b, 1); bg_key(b, "k", GGUF_UINT8); bg_u8(b, 2); }
static void kb_ctl(BadGGUF *b) { bg_key(b, "a\tb", GGUF_UINT8); bg_u8(b, 1); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_nul(BadGGUF *b) { bg_strn(b, "a\0b", 3); bg_u32(b, GGUF_UINT8); bg_u8(b, 1); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_al8(BadGGUF *b) { bg_key(b, "general.alignment", GGUF_UINT8); bg_u8(b, 32); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_al64(BadGGUF *b) { bg_key(b, "general.alignment", GGUF_UINT64); bg_u64(b, 32); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_alstr(BadGGUF *b) { bg_key(b, "general.alignment", GGUF_STRING); bg_str(b, "32"); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_alarr(BadGGUF *b) { bg_key(b, "general.alignment", GGUF_ARRAY); bg_u32(b, GGUF_UINT32); bg_u64(b, 1); bg_u32(b, 32); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }
static void kb_nest(BadGGUF *b) { bg_key(b, "a", GGUF_ARRAY); bg_u32(b, GGUF_ARRAY); bg_u64(b, 1); bg_u32(b, GGUF_UINT8); bg_u64(b, 0); bg_key(b, "x", GGUF_UINT8); bg_u8(b, 2); }

static void
test_bad_keys(void **state)
{
	static const struct { KVBuild fn; const char *want; } cases[] = {
		{ kb_dup, "key k: duplicate key" }, { kb_ctl, "key 0: contains a NUL or control byte" },
		{ kb_nul, "key 0: contains a NUL" }, { kb_al8, "type UINT8, expected UINT32" },
		{ kb_al64, "type UINT64, expected UINT32" }, { kb_alstr, "type STRING, expected UINT32" },
		{ kb_alarr, "type ARRAY, expected UINT32" }, { kb_nest, "key a: nested arrays" },
	};
	BadGGUF b;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof cases / sizeof cases[0]; i++){
		bg_init(&b);
		bg_header(&b, 3, 0, 2);
		cases[i].fn(&b);
		expect_refused(&b, cases[i].want, cases[i].want);
		bg_free(&b);
	}
}

/* A file with tensors a (and b) of F32 [32] each, with names and shapes given. */
static void
tensor_file(BadGGUF *b, const char *n0, const char *n1, uint32_t nd0, const int64_t *ne0)
{
	const int64_t ne[1] = { 32 };

	bg_init(b);
	bg_header(b, 3, n1 != NULL ? 2 : 1, 0);
	bg_tinfo(b, n0, nd0, ne0, LB_F32, 0);
	if(n1 != NULL)
		bg_tinfo(b, n1, 1, ne, LB_F32, 128);
	bg_pad(b, 32);
	bg_zeros(b, 256);
}

static void
test_bad_tensors(void **state)
{
	const int64_t ne[1] = { 32 }, e0[2] = { 0, 5 };
	char n63[64], n64[65];
	BadGGUF b;
	GGUFFile f;

	(void)state;
	memset(n63, 'x', 63);
	n63[63] = 0;
	memset(n64, 'y', 64);
	n64[64] = 0;
	tensor_file(&b, "w", "w", 1, ne);
	expect_refused(&b, "duplicate names", "tensor w: duplicate name");
	bg_free(&b);
	tensor_file(&b, n64, NULL, 1, ne);
	expect_refused(&b, "64-byte name", "tensor 0: name of 64 bytes is too long (at most 63)");
	bg_free(&b);
	tensor_file(&b, "a\nb", NULL, 1, ne);
	expect_refused(&b, "control byte in name", "control byte");
	bg_free(&b);
	tensor_file(&b, n63, "b", 1, ne);
	assert_int_equal(gguf_parse(&f, b.p, b.n), 0);
	assert_non_null(gguf_tensor(&f, n63));
	gguf_close(&f);
	bg_free(&b);
	/* n_dims 0: a scalar, as ggml reads it (one F32 of 4 bytes) */
	tensor_file(&b, "s", "b", 0, ne);
	assert_int_equal(gguf_parse(&f, b.p, b.n), -1);	/* b is then expected at 32, not 128 */
	bg_free(&b);
	tensor_file(&b, "s", NULL, 0, ne);
	assert_int_equal(gguf_parse(&f, b.p, b.n), 0);
	assert_int_equal(f.tensors[0].n_dims, 1);
	assert_int_equal(f.tensors[0].ne[0], 1);
	assert_int_equal(f.tensors[0].nbytes, 4);
	gguf_close(&f);
	bg_free(&b);
	/* an empty tensor is valid and takes no bytes */
	tensor_file(&b, "e", NULL, 2, e0);
	assert_int_equal(gguf_parse(&f, b.p, b.n), 0);
	assert_int_equal(f.tensors[0].nbytes, 0);
	gguf_close(&f);
	bg_free(&b);
	/* the data section must start inside the file */
	bg_init(&b);
	bg_header(&b, 3, 1, 0);
	bg_tinfo(&b, "e", 2, e0, LB_F32, 0);
	expect_refused(&b, "data start past the end", "data section starts past the end");
	bg_free(&b);
}

static void
test_bad_header(void **state)
{
	static const char *const magics[] = { "GGUG", "FUGG", "ggjt", "\0\0\0\0" };
	BadGGUF b;
	Pos p;
	size_t i;

	(void)state;
	for(i = 0; i < 4; i++){
		small_file(&b, &p);
		memcpy(b.p, magics[i], 4);
		expect_refused(&b, "bad magic", "not a GGUF file");
		bg_free(&b);
	}
	small_file(&b, &p);
	for(i = 0; i < 24; i++){
		BadGGUF s = { b.p, i, i };
		expect_refused(&s, "short header", "not a GGUF file");
	}
	bg_free(&b);
}

static void
write_bytes(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Through gguf_open (both ways of loading): the reasons, and no leak of the buffer. */
static void
test_open_errors(void **state)
{
	char path[4096], want[4200];
	BadGGUF b;
	GGUFFile f;
	Pos p;
	int mm;

	(void)state;
	tmp_path(path, sizeof path, "bad.gguf");
	small_file(&b, &p);
	for(mm = 0; mm < 2; mm++){
		assert_int_equal(gguf_open(&f, "/nonexistent/model.gguf", mm), -1);
		assert_string_equal(lb_errstr(), "/nonexistent/model.gguf: no such file");
		assert_int_equal(gguf_open(&f, "/", mm), -1);
		assert_string_equal(lb_errstr(), "/: not a regular file");
		write_bytes(path, "", 0);
		assert_int_equal(gguf_open(&f, path, mm), -1);
		assert_string_equal(lb_errstr(), "not a GGUF file");
		write_bytes(path, b.p, 30);
		assert_int_equal(gguf_open(&f, path, mm), -1);
		assert_string_equal(lb_errstr(), "4 keys and 2 tensors cannot fit in a file of 30 bytes");
		write_bytes(path, b.p, 172);
		assert_int_equal(gguf_open(&f, path, mm), -1);
		assert_string_equal(lb_errstr(), "key tokenizer.ggml.tokens: element 2: string of 2 bytes runs past the end of the file");
		write_bytes(path, b.p, b.n - 1);
		assert_int_equal(gguf_open(&f, path, mm), -1);
		assert_string_equal(lb_errstr(), "tensor b: data past end of file (34 bytes at offset 256, 33 left)");
		write_bytes(path, b.p, b.n);
		assert_int_equal(gguf_open(&f, path, mm), 0);
		assert_int_equal(f.mapped, mm);
		assert_int_equal(f.borrowed, 0);
		gguf_close(&f);
	}
	snprintf(want, sizeof want, "%s: no such file", path);
	unlink(path);
	assert_int_equal(gguf_open(&f, path, 1), -1);
	assert_string_equal(lb_errstr(), want);
	assert_null(f.base);
	bg_free(&b);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A value a mutation writes into a field: the boundaries that break parsers. */
static uint64_t
nasty(void)
{
	static const uint64_t v[] = { 0, 1, 2, 3, 4, 5, 12, 13, 31, 32, 63, 64, 255, 256, 65535, 65536,
		0x7fffffff, 0x80000000, 0xffffffff, 1ull << 32, 1ull << 62, BIG - 1, BIG, ALL1 - 31, ALL1 };

	return next() % 4 == 0 ? next() : v[next() % (sizeof v / sizeof v[0])];
}

/* Every scalar type, an array of each element type, a 3-D and a quantized tensor: a base for mutations. */
static void
rich_file(BadGGUF *b)
{
	static const int width[GGUF_NTYPES] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
	const int64_t ne0[3] = { 4, 2, 3 }, ne1[2] = { 32, 2 };
	uint32_t t;
	char key[16];

	bg_init(b);
	bg_header(b, 3, 2, 2 * GGUF_NTYPES);
	for(t = 0; t < GGUF_NTYPES; t++){
		snprintf(key, sizeof key, "s%u", t);
		bg_key(b, key, t == GGUF_ARRAY ? GGUF_STRING : t);
		if(t == GGUF_STRING || t == GGUF_ARRAY)
			bg_str(b, "value");
		else
			bg_bytes(b, "\x08\x07\x06\x05\x04\x03\x02\x01", width[t]);
		snprintf(key, sizeof key, "a%u", t);
		bg_key(b, key, GGUF_ARRAY);
		bg_u32(b, t == GGUF_ARRAY ? GGUF_STRING : t);
		bg_u64(b, 2);
		if(t == GGUF_STRING || t == GGUF_ARRAY){
			bg_str(b, "x");
			bg_str(b, "yz");
		}else
			bg_zeros(b, 2 * width[t]);
	}
	bg_tinfo(b, "t3", 3, ne0, LB_F16, 0);
	bg_tinfo(b, "q", 2, ne1, LB_Q4_0, 64);
	bg_pad(b, 32);
	bg_zeros(b, 64 + 36);
}

/*
 * Seeded random mutations of the small file: flipped bits, random bytes, and
 * boundary values written over 4- or 8-byte fields.  No case may crash, and a
 * refusal must have a reason (parse_copy checks both).  Bounded in time.
 */
static void
mutate(const BadGGUF *b)
{
	uint8_t *m;
	size_t k, at, nmut;
	int i, accepted = 0, done = 0;
	time_t start = time(NULL);

	assert_int_equal(parse_copy(b->p, b->n), 0);
	m = malloc(b->n);
	assert_non_null(m);
	for(i = 0; i < 20000 && time(NULL) - start < 20; i++, done++){
		memcpy(m, b->p, b->n);
		nmut = 1 + next() % 4;
		for(k = 0; k < nmut; k++){
			at = next() % b->n;
			switch(next() % 4){
			case 0: m[at] ^= (uint8_t)(1u << next() % 8); break;
			case 1: m[at] = (uint8_t)next(); break;
			case 2:
				at = at < b->n - 4 ? at : b->n - 4;
				for(int j = 0; j < 4; j++)
					m[at + j] = (uint8_t)(nasty() >> 8*j);
				break;
			default: {
				uint64_t v = nasty();
				at = at < b->n - 8 ? at : b->n - 8;
				for(int j = 0; j < 8; j++)
					m[at + j] = (uint8_t)(v >> 8*j);
			}
			}
		}
		if(parse_copy(m, next() % 8 == 0 ? next() % (b->n + 1) : b->n) == 0)
			accepted++;
	}
	print_message("%d mutations of a %zu-byte file, %d still parsed\n", done, b->n, accepted);
	assert_true(done >= 1000);
	assert_true(accepted > 0 && accepted < done);
	free(m);
}

static void
test_mutations(void **state)
{
	BadGGUF b;
	Pos p;

	(void)state;
	small_file(&b, &p);
	mutate(&b);
	bg_free(&b);
	rich_file(&b);
	mutate(&b);
	bg_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_file_valid),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_surgery),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_bad_tensors),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
