/*
 * test_vocab.c - the tokenizers against llama.cpp: the 46 + 46 vectors of
 * ../shared/tokenizer, the goldens' prompt ids and detokenized texts, the
 * streaming detokenizer, hostile vocabulary metadata, hostile text, speed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vectors.h"
#include "../src/gguf/gguf.h"
#include "../src/util/error.h"
#include "../src/vocab/vocab.h"

typedef struct Loaded {
	GGUFFile f;
	Vocab *v;
} Loaded;

static int
load(Loaded *l, const char *path)
{
	memset(l, 0, sizeof *l);
	if(gguf_open(&l->f, path, 1) < 0)
		return -1;
	if((l->v = vocab_load(&l->f)) == NULL){
		gguf_close(&l->f);
		return -1;
	}
	return 0;
}

static void
unload(Loaded *l)
{
	vocab_free(l->v);
	gguf_close(&l->f);
}

static void
load_shared(Loaded *l, const char *rel)
{
	char path[512];

	SHARED_OR_SKIP(path, rel);
	if(load(l, path) < 0)
		fail_msg("%s: %s", rel, lb_errstr());
}

/* ---- the tokenizer vectors (see ../shared/tokenizer/README.md) ---- */

static void
run_vectors(const char *vocab_rel)
{
	char inp[512], out[512], rel[512];
	size_t ncases;
	int pass;
	Loaded l;

	load_shared(&l, vocab_rel);
	snprintf(rel, sizeof rel, "%s.inp", vocab_rel);
	SHARED_OR_SKIP(inp, rel);
	snprintf(rel, sizeof rel, "%s.out", vocab_rel);
	SHARED_OR_SKIP(out, rel);
	pass = vectors(l.v, inp, out, 0, 0, &ncases);
	print_message("  %s: %d/%zu\n", vocab_rel, pass, ncases);
	assert_int_equal(ncases, 46);
	assert_int_equal(pass, (int)ncases);
	unload(&l);
}

static void
test_vectors_spm(void **state)
{
	run_vectors("tokenizer/ggml-vocab-llama-spm.gguf");
}

static void
test_vectors_gpt2(void **state)
{
	run_vectors("tokenizer/ggml-vocab-gpt-2.gguf");
}

/*
 * More of llama.cpp's vectors, when LLAMACPP_MODELS names its models/ folder
 * (deepseek-coder, deepseek-llm, falcon, mpt, phi-3, refact, starcoder ...):
 * every ggml-vocab-*.gguf with an .inp and an .out whose tokenizer we support.
 */
static void
test_vectors_llamacpp(void **state)
{
	const char *dir = getenv("LLAMACPP_MODELS");
	char path[1024], inp[1100], out[1100];
	struct dirent *e;
	size_t ncases;
	int pass, files = 0;
	DIR *d = NULL;
	Loaded l;

	if(dir == NULL || (d = opendir(dir)) == NULL){
		print_message("skipping: set LLAMACPP_MODELS to llama.cpp's models folder\n");
		skip();
	}
	while((e = readdir(d)) != NULL){
		if(strncmp(e->d_name, "ggml-vocab-", 11) != 0 || strcmp(e->d_name + strlen(e->d_name) - 5, ".gguf") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		snprintf(inp, sizeof inp, "%s.inp", path);
		snprintf(out, sizeof out, "%s.out", path);
		if(access(inp, R_OK) != 0 || access(out, R_OK) != 0)
			continue;
		if(load(&l, path) < 0){
			print_message("  %s: not loaded (%s)\n", e->d_name, lb_errstr());
			continue;
		}
		pass = vectors(l.v, inp, out, 0, 0, &ncases);
		print_message("  %s: %d/%zu\n", e->d_name, pass, ncases);
		assert_int_equal(pass, (int)ncases);
		unload(&l);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
}

static void
test_vocab_facts(void **state)
{
	Loaded s, g;

	load_shared(&s, "tokenizer/ggml-vocab-llama-spm.gguf");
	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	assert_int_equal(vocab_kind(s.v), VOCAB_SPM);
	assert_int_equal(vocab_n_tokens(s.v), 32000);
	assert_int_equal(vocab_bos(s.v), 1);
	assert_int_equal(vocab_eos(s.v), 2);
	assert_true(vocab_add_bos(s.v));
	assert_true(vocab_is_eog(s.v, 2));
	assert_false(vocab_is_eog(s.v, 1));
	assert_true(vocab_is_control(s.v, 1));
	assert_string_equal(vocab_pre_name(s.v), "default");
	assert_int_equal(vocab_kind(g.v), VOCAB_BPE);
	assert_int_equal(vocab_n_tokens(g.v), 50257);
	assert_int_equal(vocab_bos(g.v), 50256);
	assert_false(vocab_add_bos(g.v));	/* BPE: no BOS unless add_bos_token says so */
	assert_true(vocab_is_eog(g.v, 50256));	/* eos, and "<|endoftext|>" by its text */
	assert_false(vocab_is_eog(g.v, 0));
	assert_false(vocab_is_eog(g.v, -1));
	assert_false(vocab_is_eog(g.v, 50257));
	assert_string_equal(vocab_pre_name(g.v), "gpt-2");
	unload(&s);
	unload(&g);
}

/* add_special and parse_special on the two vocabularies */
static void
test_special(void **state)
{
	static const int32_t spm_parsed[] = { 1, 15043, 1, 3186, 2 };
	int32_t *t;
	int n, i;
	Loaded s, g;

	load_shared(&s, "tokenizer/ggml-vocab-llama-spm.gguf");
	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	n = vocab_tokenize(s.v, "Hello world", 11, 1, 0, &t);
	assert_int_equal(n, 3);
	assert_int_equal(t[0], 1);
	assert_int_equal(t[1], 15043);
	assert_int_equal(t[2], 3186);
	free(t);
	n = vocab_tokenize(s.v, "", 0, 1, 0, &t);	/* the empty text with BOS is just BOS */
	assert_int_equal(n, 1);
	assert_int_equal(t[0], 1);
	free(t);
	/* "<s>" is text unless parse_special; after a special token the space prefix comes back */
	n = vocab_tokenize(s.v, "Hello<s>world</s>", 17, 1, 1, &t);
	assert_int_equal(n, 5);
	for(i = 0; i < 5; i++)
		assert_int_equal(t[i], spm_parsed[i]);
	free(t);
	n = vocab_tokenize(s.v, "<s>", 3, 0, 0, &t);
	assert_true(n > 1);
	for(i = 0; i < n; i++)
		assert_int_not_equal(t[i], 1);
	free(t);
	n = vocab_tokenize(g.v, "a<|endoftext|>b", 15, 1, 1, &t);
	assert_int_equal(n, 3);
	assert_int_equal(t[1], 50256);
	free(t);
	n = vocab_tokenize(g.v, "a<|endoftext|>b", 15, 1, 0, &t);
	assert_true(n > 3);
	for(i = 0; i < n; i++)
		assert_int_not_equal(t[i], 50256);
	free(t);
	unload(&s);
	unload(&g);
}

/* ---- goldens ---- */

typedef struct Prompt {
	const char *slug, *text;
} Prompt;

static const Prompt prompts[] = {
	{ "once-upon-a-time", "Once upon a time" },
	{ "quick-brown-fox", "The quick brown fox jumps over the lazy dog." },
	{ "e4-e5-nf3", "e4 e5 Nf3" },
	{ "d4-d5-c4", "d4 d5 c4" },
};

/* The README's table, for the models this test must not skip silently. */
static void
test_readme_prompt_ids(void **state)
{
	static const int32_t once[] = { 1, 429, 491, 433, 295, 429, 444, 445, 265, 262, 263, 342, 430 };
	static const int32_t fox[] = { 1, 368, 430, 429, 472, 444, 353, 453, 294, 302, 449, 433, 279, 437, 458, 429,
		467, 348, 445, 431, 271, 350, 312, 330, 435, 456, 451, 281, 437, 442, 448 };
	static const int32_t e4[] = { 1, 261, 491, 261, 490, 482, 507, 494, 489 };
	static const int32_t d4[] = { 1, 260, 491, 260, 490, 265, 491 };
	static const struct { const char *model, *text; const int32_t *ids; int n; } cases[] = {
		{ "models/aidreams260K.gguf", "Once upon a time", once, 13 },
		{ "models/aidreams260K.gguf", "The quick brown fox jumps over the lazy dog.", fox, 31 },
		{ "models/mini-llama-F32.gguf", "Once upon a time", once, 13 },
		{ "models/mini-llama-F32.gguf", "The quick brown fox jumps over the lazy dog.", fox, 31 },
		{ "models/chess260K.gguf", "e4 e5 Nf3", e4, 9 },
		{ "models/chess260K.gguf", "d4 d5 c4", d4, 7 },
	};
	size_t k;
	int32_t *t;
	int n;
	Loaded l;

	for(k = 0; k < sizeof cases / sizeof cases[0]; k++){
		load_shared(&l, cases[k].model);
		n = vocab_tokenize(l.v, cases[k].text, strlen(cases[k].text), vocab_add_bos(l.v), 0, &t);
		assert_int_equal(n, cases[k].n);
		assert_memory_equal(t, cases[k].ids, n * sizeof(int32_t));
		free(t);
		unload(&l);
	}
}

/* Detokenizes ids with a Detok stream; returns the length. */
static int
stream(const Vocab *v, const int32_t *ids, int n, char *out)
{
	char buf[4096];
	int i, k, len = 0;
	Detok d;

	assert_true(vocab_max_piece(v) + 8 <= (int)sizeof buf);
	detok_init(&d, v);
	for(i = 0; i < n; i++){
		k = detok_push(&d, ids[i], buf, vocab_max_piece(v) + 8);
		assert_true(k >= 0);
		memcpy(out + len, buf, k);
		len += k;
	}
	k = detok_flush(&d, buf, sizeof buf);
	memcpy(out + len, buf, k);
	return len + k;
}

static void
golden_one(const char *dir, const char *name, int *checked, int *nul)
{
	char path[1024], model[1024], *tok, *txt, out2[8192];
	const char *p, *slug_end;
	int32_t prompt[256], gen[256], *t;
	int np, ng, n, i, outlen;
	size_t ntxt, ntok;
	char out[8192];
	Loaded l;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	tok = read_file(path, &ntok);
	assert_non_null(tok);
	snprintf(path, sizeof path, "%s/%.*s.txt", dir, (int)(strlen(name) - 7), name);
	txt = read_file(path, &ntxt);
	assert_non_null(txt);
	p = strstr(tok, "prompt:");
	assert_non_null(p);
	np = parse_ids(&p, prompt, 256);
	p = strstr(p, "gen:");
	assert_non_null(p);
	ng = parse_ids(&p, gen, 256);
	assert_int_equal(ng, 32);
	snprintf(model, sizeof model, "%s.gguf", dir);
	if((p = strstr(model, "goldens/")) != NULL)
		memcpy(model + (p - model), "models/", 7), memmove(model + (p - model) + 7, p + 8, strlen(p + 8) + 1);
	if(load(&l, model) < 0)
		fail_msg("%s: %s", model, lb_errstr());
	/* the prompt, as the slug says */
	slug_end = strchr(name, '.');
	for(i = 0; i < (int)(sizeof prompts / sizeof prompts[0]); i++){
		if(strlen(prompts[i].slug) != (size_t)(slug_end - name) || strncmp(prompts[i].slug, name, slug_end - name) != 0)
			continue;
		n = vocab_tokenize(l.v, prompts[i].text, strlen(prompts[i].text), vocab_add_bos(l.v), 0, &t);
		if(n != np || memcmp(t, prompt, n * sizeof(int32_t)) != 0)
			fail_msg("%s/%s: prompt ids differ", dir, name);
		free(t);
	}
	/* the .txt files end at the first NUL byte (token <0x00>): compare up to there */
	outlen = stream(l.v, gen, ng, out);
	if(memchr(out, 0, outlen) != NULL){
		outlen = (char *)memchr(out, 0, outlen) - out;
		(*nul)++;
	}
	if((size_t)outlen != ntxt || memcmp(out, txt, ntxt) != 0)
		fail_msg("%s/%s: streamed text differs from the .txt (%d vs %zu bytes)", dir, name, outlen, ntxt);
	n = vocab_detokenize(l.v, gen, ng, out2, sizeof out2, 0, 0);
	if(n < outlen || memcmp(out, out2, outlen) != 0)
		fail_msg("%s/%s: detokenized text differs from the streamed one", dir, name);
	(*checked)++;
	unload(&l);
	free(tok);
	free(txt);
}

static void
test_goldens_detok(void **state)
{
	char root[512], dir[1024];
	struct dirent *e, *f;
	DIR *d, *sub;
	int checked = 0, folders = 0, nul = 0;

	SHARED_OR_SKIP(root, "goldens/README.md");
	root[strlen(root) - strlen("/README.md")] = 0;
	d = opendir(root);
	assert_non_null(d);
	while((e = readdir(d)) != NULL){
		if(e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
		if((sub = opendir(dir)) == NULL)
			continue;
		folders++;
		while((f = readdir(sub)) != NULL){
			size_t n = strlen(f->d_name);
			if(n > 7 && strcmp(f->d_name + n - 7, ".tokens") == 0)
				golden_one(dir, f->d_name, &checked, &nul);
		}
		closedir(sub);
	}
	closedir(d);
	print_message("  goldens: %d texts in %d model folders equal (%d of them cut at a NUL byte)\n", checked, folders, nul);
	assert_true(checked >= 2 * folders);
}

/* ---- streaming ---- */

static void
test_stream_utf8(void **state)
{
	char buf[256];
	Detok d;
	Loaded l;
	int n;

	load_shared(&l, "tokenizer/ggml-vocab-llama-spm.gguf");
	/* "€" = E2 82 AC as byte tokens (id = 3 + byte): nothing until the last byte */
	detok_init(&d, l.v);
	assert_int_equal(detok_push(&d, 15043, buf, sizeof buf), 5);	/* "▁Hello": the first space dropped */
	assert_memory_equal(buf, "Hello", 5);
	assert_int_equal(detok_push(&d, 3 + 0xE2, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 3 + 0x82, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 3 + 0xAC, buf, sizeof buf), 3);
	assert_memory_equal(buf, "\xe2\x82\xac", 3);
	/* a 4-byte character held across a control token, then completed */
	assert_int_equal(detok_push(&d, 3 + 0xF0, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 3 + 0x9F, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 2, buf, sizeof buf), 0);	/* </s>: prints nothing */
	assert_int_equal(detok_push(&d, 3 + 0x98, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 3 + 0x80, buf, sizeof buf), 4);
	assert_memory_equal(buf, "\xf0\x9f\x98\x80", 4);
	/* a broken sequence is let out when it cannot complete any more */
	assert_int_equal(detok_push(&d, 3 + 0xE2, buf, sizeof buf), 0);
	n = detok_push(&d, 3 + 'A', buf, sizeof buf);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "\xe2" "A", 2);
	/* what is still held at the end is flushed as it is */
	assert_int_equal(detok_push(&d, 3 + 0xE2, buf, sizeof buf), 0);
	assert_int_equal(detok_push(&d, 3 + 0x82, buf, sizeof buf), 0);
	assert_int_equal(detok_flush(&d, buf, sizeof buf), 2);
	assert_memory_equal(buf, "\xe2\x82", 2);
	assert_int_equal(detok_flush(&d, buf, sizeof buf), 0);
	/* a buffer too small is refused without losing anything */
	detok_init(&d, l.v);
	assert_int_equal(detok_push(&d, 15043, buf, 2), -5);
	assert_int_equal(detok_push(&d, 15043, buf, 5), 5);
	/* pieces */
	assert_int_equal(vocab_piece(l.v, 15043, buf, sizeof buf, 0), 6);
	assert_memory_equal(buf, " Hello", 6);
	assert_int_equal(vocab_piece(l.v, 15043, buf, 3, 0), -6);
	assert_int_equal(vocab_piece(l.v, 1, buf, sizeof buf, 0), 0);
	assert_int_equal(vocab_piece(l.v, 1, buf, sizeof buf, 1), 3);
	assert_int_equal(vocab_piece(l.v, 3 + 0xFF, buf, sizeof buf, 0), 1);
	assert_int_equal((uint8_t)buf[0], 0xFF);
	assert_int_equal(vocab_piece(l.v, -1, buf, sizeof buf, 1), 0);
	assert_int_equal(vocab_piece(l.v, 32000, buf, sizeof buf, 1), 0);
	unload(&l);
}

/* llama_detokenize's clean_up_tokenization_spaces, on the GPT-2 vocabulary */
static void
test_detokenize_clean(void **state)
{
	static const char *const texts[] = { "Hello , world !", "I 'm here , you 're there", "a ' b", "don 't" };
	static const char *const want[] = { "Hello, world!", "I'm here, you're there", "a'b", "don 't" };
	char out[256];
	int32_t *t;
	int n, k, i;
	Loaded g;

	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	for(i = 0; i < 4; i++){
		n = vocab_tokenize(g.v, texts[i], strlen(texts[i]), 0, 0, &t);
		k = vocab_detokenize(g.v, t, n, out, sizeof out, 0, 0);
		assert_int_equal(k, strlen(want[i]));
		assert_memory_equal(out, want[i], k);
		assert_int_equal(vocab_detokenize(g.v, t, n, out, 3, 0, 0), -(int)strlen(texts[i]));
		free(t);
	}
	unload(&g);
}

/* ---- hostile vocabulary metadata ---- */

static const char *const small_tokens[] = { "<unk>", "<s>", "</s>", "a", "b", "ab", "\xe2\x96\x81", ("\xe2\x96\x81" "ab") };
static const float small_scores[] = { 0, 0, 0, -1, -2, -0.5f, -3, -0.1f };
static const int32_t small_types[] = { 2, 3, 3, 1, 1, 1, 1, 1 };
enum { NSMALL = 8 };

typedef void (*Edit)(GGUFWriter *w);

/* A small SPM vocabulary with edit applied; returns the loaded Vocab, or NULL (lb_err says why). */
static Vocab *
build(Edit edit, GGUFFile *f)
{
	char path[512];
	GGUFWriter *w = gguf_writer_new(32);
	Vocab *v;

	assert_non_null(w);
	gguf_w_str(w, "general.architecture", "llama");
	edit(w);
	tmp_path(path, sizeof path, "vocab-hostile.gguf");
	assert_int_equal(gguf_write_file(w, path), 0);
	gguf_writer_free(w);
	if(gguf_open(f, path, 0) < 0)
		fail_msg("the writer's file does not open: %s", lb_errstr());
	remove(path);
	v = vocab_load(f);
	if(v == NULL)
		gguf_close(f);
	return v;
}

static void
spm_keys(GGUFWriter *w, int tokens, int scores, int types)
{
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	if(tokens)
		gguf_w_arr_str(w, "tokenizer.ggml.tokens", small_tokens, NSMALL);
	if(scores)
		gguf_w_arr_f32(w, "tokenizer.ggml.scores", small_scores, NSMALL);
	if(types)
		gguf_w_arr_i32(w, "tokenizer.ggml.token_type", small_types, NSMALL);
}

static void e_good(GGUFWriter *w) { spm_keys(w, 1, 1, 1); }
static void e_no_model(GGUFWriter *w) { gguf_w_arr_str(w, "tokenizer.ggml.tokens", small_tokens, NSMALL); }
static void e_bert(GGUFWriter *w) { gguf_w_str(w, "tokenizer.ggml.model", "bert"); }
static void e_model_int(GGUFWriter *w) { gguf_w_u32(w, "tokenizer.ggml.model", 1); }
static void e_no_tokens(GGUFWriter *w) { spm_keys(w, 0, 1, 1); }
static void e_tokens_int(GGUFWriter *w)
{
	spm_keys(w, 0, 1, 1);
	gguf_w_arr_i32(w, "tokenizer.ggml.tokens", small_types, NSMALL);
}
static void e_tokens_str(GGUFWriter *w)
{
	spm_keys(w, 0, 0, 0);
	gguf_w_str(w, "tokenizer.ggml.tokens", "abc");
}
static void e_tokens_empty(GGUFWriter *w)
{
	spm_keys(w, 0, 0, 0);
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", small_tokens, 0);
}
static void e_scores_short(GGUFWriter *w)
{
	spm_keys(w, 1, 0, 1);
	gguf_w_arr_f32(w, "tokenizer.ggml.scores", small_scores, NSMALL - 1);
}
static void e_scores_str(GGUFWriter *w)
{
	spm_keys(w, 1, 0, 1);
	gguf_w_arr_str(w, "tokenizer.ggml.scores", small_tokens, NSMALL);
}
static void e_scores_scalar(GGUFWriter *w)
{
	spm_keys(w, 1, 0, 1);
	gguf_w_f32(w, "tokenizer.ggml.scores", 1);
}
static void e_types_short(GGUFWriter *w)
{
	spm_keys(w, 1, 1, 0);
	gguf_w_arr_i32(w, "tokenizer.ggml.token_type", small_types, 3);
}
static void e_types_f32(GGUFWriter *w)
{
	spm_keys(w, 1, 1, 0);
	gguf_w_arr_f32(w, "tokenizer.ggml.token_type", small_scores, NSMALL);
}
static void e_dup(GGUFWriter *w)
{
	static const char *const t[] = { "<unk>", "a", "b", "a" };

	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", t, 4);
}
static void
bytetok(GGUFWriter *w, const char *text)
{
	const char *t[] = { "<unk>", "a", text };
	static const int32_t ty[] = { 2, 1, 6 };

	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", t, 3);
	gguf_w_arr_i32(w, "tokenizer.ggml.token_type", ty, 3);
}
static void e_byte_zz(GGUFWriter *w) { bytetok(w, "<0xZZ>"); }
static void e_byte_short(GGUFWriter *w) { bytetok(w, "<0x4>"); }
static void e_byte_long(GGUFWriter *w) { bytetok(w, "<0x414>"); }
static void e_byte_ok(GGUFWriter *w) { bytetok(w, "<0x4a>"); }
static void
e_huge_token(GGUFWriter *w)
{
	char *big = malloc(70000);
	const char *t[] = { "<unk>", big };

	memset(big, 'x', 69999);
	big[69999] = 0;
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", t, 2);
	free(big);
}
static void
e_bad_ids(GGUFWriter *w)
{
	spm_keys(w, 1, 1, 1);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1000);	/* out of range: the default (1) stays */
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 0xFFFFFFFF);
	gguf_w_u32(w, "tokenizer.ggml.eot_token_id", 8);	/* one past the end */
	gguf_w_i32(w, "tokenizer.ggml.unknown_token_id", -5);
	gguf_w_str(w, "tokenizer.ggml.padding_token_id", "x");
}
static void
e_ids_in_range(GGUFWriter *w)
{
	spm_keys(w, 1, 1, 1);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 3);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 4);
	gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 0);
}

/* GPT-2 style */
static const char *const bpe_tokens[] = { "a", "b", "c", "ab", "abc", "\xc4\xa0", "<|endoftext|>" };
static void
bpe_keys(GGUFWriter *w, const char *pre, const char *const *merges, int nmerges)
{
	gguf_w_str(w, "tokenizer.ggml.model", "gpt2");
	if(pre != NULL)
		gguf_w_str(w, "tokenizer.ggml.pre", pre);
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", bpe_tokens, 7);
	if(merges != NULL)
		gguf_w_arr_str(w, "tokenizer.ggml.merges", merges, nmerges);
}
static const char *const good_merges[] = { "a b", "ab c" };
static const char *const odd_merges[] = { "a b", "zz yy", "nospace", "", " ", "ab c", "a b", "q " };
static void e_bpe_good(GGUFWriter *w) { bpe_keys(w, "gpt-2", good_merges, 2); }
static void e_bpe_default(GGUFWriter *w) { bpe_keys(w, NULL, good_merges, 2); }
static void e_bpe_odd(GGUFWriter *w) { bpe_keys(w, "llama-bpe", odd_merges, 8); }
static void e_bpe_no_merges(GGUFWriter *w) { bpe_keys(w, "gpt-2", NULL, 0); }
static void
e_bpe_merges_int(GGUFWriter *w)
{
	bpe_keys(w, "gpt-2", NULL, 0);
	gguf_w_arr_i32(w, "tokenizer.ggml.merges", small_types, 2);
}
static void e_bpe_unknown_pre(GGUFWriter *w) { bpe_keys(w, "no-such-pre", good_merges, 2); }
static void e_bpe_unsupported_pre(GGUFWriter *w) { bpe_keys(w, "kimi-k2", good_merges, 2); }
static void
e_bpe_unk_bytes(GGUFWriter *w)
{
	/* a normal token of characters outside the byte table: its piece would be huge */
	char *big = malloc(2 * 3000 + 1);
	const char *t[] = { "a", big };
	int i;

	for(i = 0; i < 3000; i++)
		memcpy(big + 2 * i, "\xc8\x98", 2);	/* U+0218 */
	big[6000] = 0;
	gguf_w_str(w, "tokenizer.ggml.model", "gpt2");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", t, 2);
	gguf_w_arr_str(w, "tokenizer.ggml.merges", good_merges, 0);
	free(big);
}

static void
refused(Edit e, const char *why)
{
	GGUFFile f;
	Vocab *v = build(e, &f);

	if(v != NULL)
		fail_msg("loaded a vocabulary that should be refused (%s)", why);
	if(strstr(lb_errstr(), why) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", lb_errstr(), why);
}

static void
test_hostile_refused(void **state)
{
	refused(e_no_model, "tokenizer.ggml.model");
	refused(e_bert, "unsupported tokenizer bert");
	refused(e_model_int, "tokenizer.ggml.model");
	refused(e_no_tokens, "tokenizer.ggml.tokens: missing");
	refused(e_tokens_int, "not an array of strings");
	refused(e_tokens_str, "not an array of strings");
	refused(e_tokens_empty, "0 tokens");
	refused(e_scores_short, "7 scores for 8 tokens");
	refused(e_scores_str, "tokenizer.ggml.scores");
	refused(e_scores_scalar, "tokenizer.ggml.scores");
	refused(e_types_short, "3 types for 8 tokens");
	refused(e_types_f32, "tokenizer.ggml.token_type");
	refused(e_dup, "token 3 repeats the text of token 1");
	refused(e_byte_zz, "not <0xNN>");
	refused(e_byte_short, "not <0xNN>");
	refused(e_byte_long, "not <0xNN>");
	refused(e_huge_token, "69999 bytes");
	refused(e_bpe_no_merges, "tokenizer.ggml.merges: missing");
	refused(e_bpe_merges_int, "tokenizer.ggml.merges");
	refused(e_bpe_unknown_pre, "unknown pre-tokenizer no-such-pre");
	refused(e_bpe_unsupported_pre, "unsupported pre-tokenizer kimi-k2");
	refused(e_bpe_unk_bytes, "decodes to more than");
}

static void
expect_tokens(const Vocab *v, const char *text, int add_special, const int32_t *want, int nwant)
{
	int32_t *t;
	int n = vocab_tokenize(v, text, strlen(text), add_special, 0, &t);

	if(n != nwant || (n > 0 && memcmp(t, want, n * sizeof(int32_t)) != 0)){
		print_ids("want", want, nwant);
		print_ids("got ", t, n);
		fail_msg("tokens of \"%s\" differ", text);
	}
	free(t);
}

static void
test_hostile_handled(void **state)
{
	static const int32_t abab[] = { 7, 7 }, bos_c[] = { 1, 6, 0 }, abc[] = { 4 }, c_ab[] = { 2, 3 };
	static const int32_t sp_a[] = { 5, 0 }, abcab[] = { 4, 3 };
	GGUFFile f;
	Vocab *v;
	char buf[16];

	v = build(e_good, &f);
	assert_non_null(v);
	expect_tokens(v, "ab ab", 0, abab, 2);
	expect_tokens(v, "c", 1, bos_c, 3);	/* "c" has no token and no byte token: UNK */
	vocab_free(v);
	gguf_close(&f);

	v = build(e_bad_ids, &f);	/* out-of-range and mistyped ids leave the defaults */
	assert_non_null(v);
	assert_int_equal(vocab_bos(v), 1);
	assert_int_equal(vocab_eos(v), 2);
	assert_true(vocab_is_eog(v, 2));
	assert_false(vocab_is_eog(v, 7));
	vocab_free(v);
	gguf_close(&f);

	v = build(e_ids_in_range, &f);
	assert_non_null(v);
	assert_int_equal(vocab_bos(v), 3);
	assert_int_equal(vocab_eos(v), 4);
	assert_false(vocab_add_bos(v));
	assert_true(vocab_is_eog(v, 4));
	assert_true(vocab_is_eog(v, 2));	/* "</s>" ends generation by its text */
	vocab_free(v);
	gguf_close(&f);

	v = build(e_byte_ok, &f);
	assert_non_null(v);
	assert_int_equal(vocab_piece(v, 2, buf, sizeof buf, 0), 1);
	assert_int_equal(buf[0], 'J');
	assert_int_equal(vocab_bos(v), 1);	/* llama.cpp's defaults stay while they are in range */
	assert_int_equal(vocab_eos(v), 2);
	vocab_free(v);
	gguf_close(&f);

	v = build(e_bpe_good, &f);
	assert_non_null(v);
	assert_false(vocab_add_bos(v));
	assert_int_equal(vocab_bos(v), -1);	/* llama.cpp's default 11 is past the end */
	expect_tokens(v, "abc", 1, abc, 1);
	expect_tokens(v, "cab", 0, c_ab, 2);
	expect_tokens(v, " a", 0, sp_a, 2);
	expect_tokens(v, "x", 0, NULL, 0);	/* no token for "x": dropped, as llama.cpp */
	assert_true(vocab_is_eog(v, 6));
	vocab_free(v);
	gguf_close(&f);

	v = build(e_bpe_default, &f);
	assert_non_null(v);
	assert_string_equal(vocab_pre_name(v), "default");
	vocab_free(v);
	gguf_close(&f);

	v = build(e_bpe_odd, &f);	/* merges without a space, repeated, or naming no token */
	assert_non_null(v);
	assert_string_equal(vocab_pre_name(v), "llama-bpe");
	expect_tokens(v, "abc", 1, abc, 1);
	expect_tokens(v, "abcab", 0, abcab, 2);
	vocab_free(v);
	gguf_close(&f);
}

/* ---- hostile text ---- */

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Every id in range, with and without BOS; and without BOS the pieces give the
 * text back (SPM: exactly, its first space prefix dropped, if the text is valid
 * UTF-8 -- a broken lead byte swallows the U+2581 of a space after it, in llama.cpp
 * too; BPE: with U+FFFD for broken bytes, which only the length check sees).
 */
static void
check_text(const Vocab *v, const char *text, size_t len, int parse_special, int valid)
{
	int32_t *t;
	int n, i, k, add;
	char *out;

	for(add = 0; add < 2; add++){
		n = vocab_tokenize(v, text, len, !add, parse_special, &t);
		assert_true(n >= 0);
		for(i = 0; i < n; i++)
			assert_true(t[i] >= 0 && t[i] < vocab_n_tokens(v));
		if(add == 0){
			free(t);
			continue;
		}
		out = malloc((size_t)n * vocab_max_piece(v) + 16);
		k = vocab_detokenize(v, t, n, out, n * vocab_max_piece(v) + 16, 0, parse_special);
		assert_true(k >= 0);
		if(vocab_kind(v) == VOCAB_SPM && !parse_special && valid && (k != (int)len || memcmp(out, text, len) != 0)){
			for(i = 0; i < k && i < (int)len && out[i] == text[i]; i++)
				;
			fail_msg("SPM round trip of %zu bytes differs at byte %d (%02x, %02x)", len, i, (uint8_t)out[i], (uint8_t)text[i]);
		}
		if(vocab_kind(v) == VOCAB_BPE && !parse_special && k > 3 * (int)len)
			fail_msg("BPE round trip of %zu bytes gives %d", len, k);
		free(out);
		free(t);
	}
}

static void
same_tokens(const Vocab *v, const char *a, size_t na, const char *b, size_t nb)
{
	int32_t *ta, *tb;
	int n = vocab_tokenize(v, a, na, 0, 0, &ta), m = vocab_tokenize(v, b, nb, 0, 0, &tb);

	assert_true(n > 0);
	assert_int_equal(n, m);
	assert_memory_equal(ta, tb, n * sizeof(int32_t));
	free(ta);
	free(tb);
}

/* what llama.cpp makes of broken UTF-8: U+FFFD per bad byte, overlong forms decoded */
static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\x80", "\xff", "a\xc3", "\xc3(", "\xe2\x82", "\xe2\x28\xa1", "\xf0\x9f\x98", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xc0\x80", "\xe0\x80\x80 x", "\xc0\xaf", ("a\x00" "b"),
		"\xef\xbf\xbd", " \xcc\x81 ", "\xe2\x80\xa8\xc2\x85\xc2\xa0\t x",
	};
	Loaded s, g;
	size_t i;

	load_shared(&s, "tokenizer/ggml-vocab-llama-spm.gguf");
	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	for(i = 0; i < sizeof bad / sizeof bad[0]; i++){
		size_t len = i == 13 ? 3 : strlen(bad[i]);
		check_text(s.v, bad[i], len, 0, 0);
		check_text(g.v, bad[i], len, 0, 0);
		check_text(g.v, bad[i], len, 1, 0);
	}
	same_tokens(g.v, "\xff", 1, "\xef\xbf\xbd", 3);	/* a bad byte is U+FFFD */
	same_tokens(g.v, "a\xc0\xafz", 4, "a/z", 3);	/* an overlong form is its code point */
	same_tokens(g.v, "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	unload(&s);
	unload(&g);
}

static void
test_random_text(void **state)
{
	/* whole characters: the round trip holds for valid UTF-8 (for broken text, see check_text)
	 * without U+2581, which SPM cannot tell from a space */
	static const char *const alphabet[] = {
		" ", "\t", "\n", "\r", "'", "s", "a", "b", "c", "X", "Y", "0", "1", "9", ".", ",", "!", "<s>", "</s>",
		"<|endoftext|>", "<", ">", "|", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "  ",
	};
	char text[600];
	const char *w;
	uint32_t seed = 12345;
	Loaded s, g;
	int round, i, len;

	load_shared(&s, "tokenizer/ggml-vocab-llama-spm.gguf");
	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	for(round = 0; round < 400; round++){
		len = rnd(&seed) % (sizeof text - 16);
		for(i = 0; i < len; i++)
			text[i] = (char)rnd(&seed);
		for(i = 0; !(round & 1) && i < len; ){
			w = alphabet[rnd(&seed) % (sizeof alphabet / sizeof alphabet[0])];
			memcpy(text + i, w, strlen(w));
			i += strlen(w);
		}
		len = i > len ? i : len;
		check_text(s.v, text, len, round & 2, !(round & 1));
		check_text(g.v, text, len, round & 2, !(round & 1));
	}
	unload(&s);
	unload(&g);
}

/* ---- speed ---- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* About n bytes of English-like prose from a fixed word list, deterministic. */
static char *
prose(size_t n)
{
	static const char *const words[] = {
		"the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by",
		"on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
		"they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
		"more", "when", "will", "would", "who", "so", "no", "time", "people", "language", "government",
		"between", "understanding", "remarkable", "tokenizer", "quickly", "mountains", "river's", "don't",
		"Paris", "London", "1984", "3.14159", "e-mail", "(see", "above)", "\"quoted\"", "naïve", "café",
	};
	char *s = malloc(n + 64);
	size_t o = 0;
	uint32_t seed = 7;
	const char *w;

	while(o < n){
		w = words[rnd(&seed) % (sizeof words / sizeof words[0])];
		o += sprintf(s + o, "%s", w);
		switch(rnd(&seed) % 16){
		case 0: o += sprintf(s + o, ". "); break;
		case 1: o += sprintf(s + o, ", "); break;
		case 2: o += sprintf(s + o, ".\n\n"); break;
		default: s[o++] = ' ';
		}
	}
	s[n] = 0;
	return s;
}

static double
speed(const Vocab *v, const char *text, size_t len, int *ntok)
{
	int32_t *t;
	double t0 = now(), dt;

	*ntok = vocab_tokenize(v, text, len, 0, 0, &t);
	dt = now() - t0;
	assert_true(*ntok > 0);
	free(t);
	return dt;
}

static void
test_speed(void **state)
{
	size_t n = 1 << 20, i;
	char *text, *word;
	double ts, tg, t1, t2;
	int ks, kg, k;
	uint32_t seed = 99;
	Loaded s, g;

	load_shared(&s, "tokenizer/ggml-vocab-llama-spm.gguf");
	load_shared(&g, "tokenizer/ggml-vocab-gpt-2.gguf");
	text = prose(n);	/* after the loads: a skip there must not leak it */
	ts = speed(s.v, text, n, &ks);
	tg = speed(g.v, text, n, &kg);
	print_message("  1 MiB of English: SPM %.2f MB/s (%d tokens), GPT-2 BPE %.2f MB/s (%d tokens)\n",
		n / ts / 1e6, ks, n / tg / 1e6, kg);
	/* one long word: the merge queue keeps it n log n, not n^2 */
	word = malloc(200000);
	for(i = 0; i < 200000; i++)
		word[i] = "abcdefghijklmnopqrstuvwxyz"[rnd(&seed) % 26];
	for(t1 = t2 = 1e9, i = 0; i < 3; i++){	/* the best of three: the machine is shared */
		ts = speed(g.v, word, 50000, &k);
		t1 = ts < t1 ? ts : t1;
		ts = speed(g.v, word, 200000, &k);
		t2 = ts < t2 ? ts : t2;
	}
	print_message("  one word of 50K letters: %.3f s; of 200K letters: %.3f s\n", t1, t2);
	assert_true(t2 < 12 * t1 + 0.1);	/* n log n: about 5x; quadratic: 16x */
	free(word);
	free(text);
	unload(&s);
	unload(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_spm),
		cmocka_unit_test(test_vectors_gpt2),
		cmocka_unit_test(test_vectors_llamacpp),
		cmocka_unit_test(test_vocab_facts),
		cmocka_unit_test(test_special),
		cmocka_unit_test(test_readme_prompt_ids),
		cmocka_unit_test(test_goldens_detok),
		cmocka_unit_test(test_stream_utf8),
		cmocka_unit_test(test_detokenize_clean),
		cmocka_unit_test(test_hostile_refused),
		cmocka_unit_test(test_hostile_handled),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_random_text),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
