/*
 * test_gguf.c - the GGUF reader on the shared models and tokenizer files, the
 * typed getters, and writer round trips (every metadata type, several tensor
 * types and alignments, and byte-identical rewrites of the shared models).
 * Hostile inputs are in test_gguf_bad.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "../src/gguf/gguf.h"
#include "../src/quant/quant.h"
#include "../src/util/error.h"

/* What models/README.md says about each file: dimensions and the tensor types of each mix. */
typedef struct ModelSpec {
	const char *file;
	int64_t embd, ff, kvdim;
	int layers;
	uint32_t base, out, v_lo, v_hi, attn_out, down_lo, down_hi;	/* lo: layers 0,1; hi: 2,3 */
} ModelSpec;

#define MINI(name, b, o) { "models/mini-llama-" name ".gguf", 256, 768, 64, 4, b, o, b, b, b, b, b }
static const ModelSpec models[] = {
	MINI("F32", LB_F32, LB_F32), MINI("F16", LB_F16, LB_F16), MINI("BF16", LB_BF16, LB_BF16),
	MINI("Q8_0", LB_Q8_0, LB_Q8_0), MINI("Q4_0", LB_Q4_0, LB_Q6_K), MINI("Q4_1", LB_Q4_1, LB_Q6_K),
	MINI("Q5_0", LB_Q5_0, LB_Q6_K), MINI("Q5_1", LB_Q5_1, LB_Q6_K), MINI("Q6_K", LB_Q6_K, LB_Q6_K),
	MINI("pure-Q2_K", LB_Q2_K, LB_Q2_K), MINI("pure-Q3_K", LB_Q3_K, LB_Q3_K),
	MINI("pure-Q4_K", LB_Q4_K, LB_Q4_K), MINI("pure-Q5_K", LB_Q5_K, LB_Q5_K),
	{ "models/mini-llama-Q2_K.gguf", 256, 768, 64, 4, LB_Q2_K, LB_Q6_K, LB_Q4_K, LB_Q4_K, LB_Q3_K, LB_Q3_K, LB_Q3_K },
	{ "models/mini-llama-Q3_K_M.gguf", 256, 768, 64, 4, LB_Q3_K, LB_Q6_K, LB_Q5_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K },
	{ "models/mini-llama-Q4_K_M.gguf", 256, 768, 64, 4, LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q4_K, LB_Q6_K },
	{ "models/mini-llama-Q5_K_M.gguf", 256, 768, 64, 4, LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q5_K, LB_Q6_K },
	{ "models/aidreams260K.gguf", 64, 172, 64, 4, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32 },
	{ "models/chess260K.gguf", 64, 172, 32, 5, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32 },
};
enum { NMODELS = sizeof models / sizeof models[0] };

static void
check_tensor(const GGUFFile *f, const char *name, uint32_t type, int64_t ne0, int64_t ne1)
{
	const GGUFTensor *t = gguf_tensor(f, name);
	const uint8_t *p;

	if(t == NULL)
		fail_msg("tensor %s missing", name);
	assert_int_equal(t->n_dims, ne1 > 0 ? 2 : 1);
	assert_int_equal(t->ne[0], ne0);
	assert_int_equal(t->ne[1], ne1 > 0 ? ne1 : 1);
	assert_int_equal(t->ne[2], 1);
	assert_int_equal(t->ne[3], 1);
	if(t->type != type)
		fail_msg("%s: type %u, expected %u", name, t->type, type);
	assert_int_equal(t->nbytes, quant_row_size(type, ne0) * (ne1 > 0 ? ne1 : 1));
	p = t->data;
	assert_true(p >= f->base + f->data_offset && p + t->nbytes <= f->base + f->size);
	assert_int_equal((size_t)(p - f->base) % f->alignment, 0);
}

static void
check_layer(const GGUFFile *f, const ModelSpec *m, int l)
{
	char n[GGUF_MAX_NAME];
	int hi = l >= 2;

#define T(s) (snprintf(n, sizeof n, "blk.%d.%s", l, s), n)
	check_tensor(f, T("attn_norm.weight"), LB_F32, m->embd, 0);
	check_tensor(f, T("ffn_norm.weight"), LB_F32, m->embd, 0);
	check_tensor(f, T("attn_q.weight"), m->base, m->embd, m->embd);
	check_tensor(f, T("attn_k.weight"), m->base, m->embd, m->kvdim);
	check_tensor(f, T("attn_v.weight"), hi ? m->v_hi : m->v_lo, m->embd, m->kvdim);
	check_tensor(f, T("attn_output.weight"), m->attn_out, m->embd, m->embd);
	check_tensor(f, T("ffn_gate.weight"), m->base, m->embd, m->ff);
	check_tensor(f, T("ffn_up.weight"), m->base, m->embd, m->ff);
	check_tensor(f, T("ffn_down.weight"), hi ? m->down_hi : m->down_lo, m->ff, m->embd);
#undef T
}

static size_t
key_index(const GGUFFile *f, const char *key)
{
	const GGUFKV *kv = gguf_find(f, key);

	assert_non_null(kv);
	return (size_t)(kv - f->kv);
}

/* The tokenizer keys every model here shares (layout from aidreams260K). */
static void
check_vocab(const GGUFFile *f)
{
	const GGUFKV *tok, *sc, *tt;
	GGUFStr s;

	assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", GGUF_STRING, &tok), 1);
	assert_int_equal(tok->v.arr.n, 512);
	s = gguf_arr_str(tok, 1);
	assert_true(s.len == 3 && memcmp(s.p, "<s>", 3) == 0);
	s = gguf_arr_str(tok, 3);
	assert_true(s.len == 6 && memcmp(s.p, "<0x00>", 6) == 0);
	assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.scores", GGUF_FLOAT32, &sc), 1);
	assert_int_equal(sc->v.arr.n, 512);
	assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.token_type", GGUF_INT32, &tt), 1);
	assert_int_equal(tt->v.arr.n, 512);
	assert_int_equal(gguf_arr_i32(tt, 0), 2);	/* UNKNOWN */
	assert_int_equal(gguf_arr_i32(tt, 1), 3);	/* CONTROL */
	assert_int_equal(gguf_arr_i32(tt, 3), 6);	/* BYTE */
	assert_int_equal(gguf_arr_i32(tt, 300), 1);	/* NORMAL */
}

static void
check_meta(const GGUFFile *f, const ModelSpec *m)
{
	uint32_t u;
	float x;
	GGUFStr s;

	assert_int_equal(gguf_get_u32(f, "llama.block_count", &u), 1);
	assert_int_equal(u, m->layers);
	assert_int_equal(gguf_get_u32(f, "llama.embedding_length", &u), 1);
	assert_int_equal(u, m->embd);
	assert_int_equal(gguf_get_str(f, "general.architecture", &s), 1);
	assert_true(s.len == 5 && memcmp(s.p, "llama", 5) == 0);
	assert_int_equal(gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon", &x), 1);
	assert_float_equal(x, 1e-5f, 1e-12);
	assert_null(gguf_find(f, "general.alignment"));
	check_vocab(f);
	if(m->embd == 256){
		assert_int_equal(gguf_get_f32(f, "llama.rope.freq_base", &x), 1);
		assert_float_equal(x, 10000, 0);
		assert_int_equal(gguf_get_u32(f, "general.quantization_version", &u), 1);
		assert_int_equal(u, 2);
		return;
	}
	/* the llama2.c conversions: tokenizer keys first, no rope.freq_base, no file_type */
	assert_int_equal(gguf_get_f32(f, "llama.rope.freq_base", &x), 0);
	assert_null(gguf_find(f, "general.file_type"));
	assert_true(key_index(f, "tokenizer.ggml.tokens") < key_index(f, "general.architecture"));
}

static void
check_model(const char *path, const ModelSpec *m, int use_mmap)
{
	GGUFFile f;
	int l;

	if(gguf_open(&f, path, use_mmap) < 0)
		fail_msg("%s: %s", path, lb_errstr());
	assert_int_equal(f.mapped, use_mmap);
	assert_int_equal(f.version, 3);
	assert_int_equal(f.alignment, 32);
	assert_int_equal(f.n_tensors, 9 * m->layers + 3);
	assert_int_equal(f.data_offset % 32, 0);
	check_tensor(&f, "token_embd.weight", m->base, m->embd, 512);
	check_tensor(&f, "output.weight", m->out, m->embd, 512);
	check_tensor(&f, "output_norm.weight", LB_F32, m->embd, 0);
	for(l = 0; l < m->layers; l++)
		check_layer(&f, m, l);
	assert_null(gguf_tensor(&f, "blk.9.attn_q.weight"));
	check_meta(&f, m);
	gguf_close(&f);
	assert_null(f.base);
	gguf_close(&f);	/* a closed file closes again harmlessly */
}

static void
test_models(void **state)
{
	char path[4096];
	int i, found = 0;

	(void)state;
	for(i = 0; i < NMODELS; i++){
		if(shared_path(path, sizeof path, models[i].file) < 0)
			continue;
		found++;
		check_model(path, &models[i], 1);
		check_model(path, &models[i], 0);
	}
	if(found == 0){
		print_message("skipping: no models in the shared folder\n");
		skip();
	}
	assert_int_equal(found, NMODELS);
}

/* mmap and read() give the same bytes for every tensor. */
static void
test_mmap_equals_read(void **state)
{
	char path[4096];
	GGUFFile a, b;
	size_t i;

	(void)state;
	SHARED_OR_SKIP(path, "models/mini-llama-Q4_K_M.gguf");
	assert_int_equal(gguf_open(&a, path, 1), 0);
	assert_int_equal(gguf_open(&b, path, 0), 0);
	assert_int_equal(a.n_tensors, b.n_tensors);
	for(i = 0; i < a.n_tensors; i++){
		assert_string_equal(a.tensors[i].name, b.tensors[i].name);
		assert_int_equal(a.tensors[i].nbytes, b.tensors[i].nbytes);
		assert_memory_equal(a.tensors[i].data, b.tensors[i].data, a.tensors[i].nbytes);
	}
	gguf_close(&a);
	gguf_close(&b);
}

static void
test_tokenizer_files(void **state)
{
	char spm[4096], gpt[4096];
	const GGUFKV *kv;
	GGUFFile f;
	GGUFStr s;
	uint32_t u;
	int b, mm;

	(void)state;
	SHARED_OR_SKIP(spm, "tokenizer/ggml-vocab-llama-spm.gguf");
	SHARED_OR_SKIP(gpt, "tokenizer/ggml-vocab-gpt-2.gguf");
	for(mm = 0; mm < 2; mm++){
		assert_int_equal(gguf_open(&f, spm, mm), 0);
		assert_int_equal(f.n_tensors, 0);
		assert_true(f.data_offset <= f.size);
		assert_int_equal(gguf_get_arr(&f, "tokenizer.ggml.tokens", GGUF_STRING, &kv), 1);
		assert_int_equal(kv->v.arr.n, 32000);
		s = gguf_arr_str(kv, 31999);
		assert_true(s.len > 0);
		assert_int_equal(gguf_get_arr(&f, "tokenizer.ggml.scores", GGUF_FLOAT32, &kv), 1);
		assert_int_equal(kv->v.arr.n, 32000);
		assert_int_equal(gguf_get_bool(&f, "tokenizer.ggml.add_bos_token", &b), 1);
		assert_int_equal(b, 1);
		gguf_close(&f);

		assert_int_equal(gguf_open(&f, gpt, mm), 0);
		assert_int_equal(f.n_tensors, 0);
		assert_int_equal(gguf_get_arr(&f, "tokenizer.ggml.tokens", GGUF_STRING, &kv), 1);
		assert_int_equal(kv->v.arr.n, 50257);
		assert_int_equal(gguf_get_arr(&f, "tokenizer.ggml.merges", GGUF_STRING, &kv), 1);
		assert_int_equal(kv->v.arr.n, 50000);
		s = gguf_arr_str(kv, 0);
		assert_non_null(memchr(s.p, ' ', s.len));
		assert_int_equal(gguf_get_u32(&f, "tokenizer.ggml.bos_token_id", &u), 1);
		assert_int_equal(u, 50256);
		assert_null(gguf_find(&f, "tokenizer.ggml.add_bos_token"));
		gguf_close(&f);
	}
}

/* Rewrites path key by key and tensor by tensor with the writer; the bytes must come out the same. */
static void
rewrite(const char *path)
{
	char out[4096];
	GGUFWriter *w;
	GGUFFile f;
	char *a, *b;
	size_t i, na, nb;

	if(gguf_open(&f, path, 1) < 0)
		fail_msg("%s: %s", path, lb_errstr());
	w = gguf_writer_new(f.alignment);
	for(i = 0; i < f.n_kv; i++)
		gguf_w_copy(w, &f, &f.kv[i]);
	for(i = 0; i < f.n_tensors; i++){
		const GGUFTensor *t = &f.tensors[i];
		gguf_w_tensor(w, t->name, t->type, (int)t->n_dims, t->ne, t->data);
	}
	tmp_path(out, sizeof out, "rewrite.gguf");
	if(gguf_write_file(w, out) < 0)
		fail_msg("%s", lb_errstr());
	gguf_writer_free(w);
	gguf_close(&f);
	a = read_file(path, &na);
	b = read_file(out, &nb);
	assert_non_null(a);
	assert_non_null(b);
	if(na != nb || memcmp(a, b, na) != 0)
		fail_msg("%s: rewritten file differs", path);
	free(a);
	free(b);
	unlink(out);
}

static void
test_rewrite_identical(void **state)
{
	const char *vocabs[] = { "tokenizer/ggml-vocab-llama-spm.gguf", "tokenizer/ggml-vocab-gpt-2.gguf" };
	char path[4096];
	int i, found = 0;

	(void)state;
	for(i = 0; i < NMODELS + 2; i++)
		if(shared_path(path, sizeof path, i < NMODELS ? models[i].file : vocabs[i - NMODELS]) == 0){
			rewrite(path);
			found++;
		}
	if(found == 0)
		skip();
	print_message("rewrote %d files byte for byte\n", found);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_mmap_equals_read),
		cmocka_unit_test(test_tokenizer_files),
		cmocka_unit_test(test_rewrite_identical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
