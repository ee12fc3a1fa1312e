/*
 * test_synth.c - the synthetic models' vocabulary (synth_vocab.c): every token's
 * text is words or characters, valid UTF-8 without control characters, so that
 * whatever a model with random weights generates is text; small and large
 * vocabularies alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/synth.h"
#include "llambo.h"
#include "testutil.h"

/* A narrow model with n_vocab tokens, loaded. */
static int
load_synth(int n_vocab, char *path, size_t size)
{
	SynthSpec s;
	int id;

	synth_defaults(&s);
	s.n_embd = 64;
	s.n_head = 2;
	s.n_head_kv = 2;
	s.n_ff = 64;
	s.n_layer = 1;
	s.n_vocab = n_vocab;
	tmp_path(path, size, "synth.gguf");
	assert_int_equal(synth_write(&s, path), 0);
	id = llambo_load_model(path, 1, 0);
	unlink(path);
	assert_true(id >= 0);
	return id;
}

static void
check_vocab(int n_vocab)
{
	char path[512], piece[256];
	int id, i, n, words = 0;

	id = load_synth(n_vocab, path, sizeof path);
	assert_int_equal(llambo_n_vocab(id), n_vocab);
	for(i = 0; i < n_vocab; i++){
		n = llambo_token_to_piece(id, i, piece, sizeof piece);
		assert_true(n >= 0 && n < (int)sizeof piece);
		if(i < 3){
			assert_int_equal(n, 0);	/* <unk> <s> </s> print nothing */
			continue;
		}
		assert_true(n > 0);
		if(!is_text(piece, (size_t)n) || memchr(piece, '\n', (size_t)n) != NULL)
			fail_msg("token %d of %d: '%.*s' is not text", i, n_vocab, n, piece);
		words += n > 2 && piece[0] == ' ';
	}
	assert_true(words > n_vocab / 2);	/* mostly words after a space */
	llambo_free_model(id);
}

static void
test_vocab_is_text(void **state)
{
	check_vocab(SYNTH_MIN_VOCAB);
	check_vocab(512);
	check_vocab(32000);	/* TinyLlama's: words, then their capitalised forms, then compounds */
	check_vocab(128256);	/* Llama 3's size: compounds of three words */
}

static void
test_too_small(void **state)
{
	char path[512];
	SynthSpec s;

	synth_defaults(&s);
	s.n_vocab = SYNTH_MIN_VOCAB - 1;
	tmp_path(path, sizeof path, "small.gguf");
	assert_int_equal(synth_write(&s, path), -1);
	assert_non_null(strstr(llambo_last_error(), "n_vocab"));
	unlink(path);
}

/* A missing vocabulary file is named once, after what it was for. */
static void
test_missing_vocab(void **state)
{
	char path[512];
	const char *e;
	SynthSpec s;

	synth_defaults(&s);
	s.vocab = "/nonexistent/vocab.gguf";
	tmp_path(path, sizeof path, "novocab.gguf");
	assert_int_equal(synth_write(&s, path), -1);
	e = llambo_last_error();
	assert_non_null(strstr(e, "vocabulary: /nonexistent/vocab.gguf"));
	assert_null(strstr(strstr(e, "vocab.gguf") + 1, "vocab.gguf"));
	unlink(path);
}

/* Generated text, sampled hot so that much of the vocabulary comes up, is text. */
static void
test_generation_is_text(void **state)
{
	char path[512];
	llambo_params p;
	char *text;
	size_t total = 0;
	int id, seed;

	id = load_synth(512, path, sizeof path);
	llambo_default_params(&p);
	p.max_tokens = 200;
	p.temperature = 3.0f;
	p.top_k = 0;	/* every token may come */
	p.top_p = 1.0f;
	p.min_p = 0;
	for(seed = 1; seed <= 4; seed++){
		p.seed = (uint64_t)seed;
		text = llambo_generate(id, "Once upon a time", &p, NULL);
		assert_non_null(text);
		total += strlen(text);	/* a seed may meet </s> early */
		if(!is_text(text, strlen(text)))
			fail_msg("seed %d: generated text is not text: %s", seed, text);
		llambo_free(text);
	}
	assert_true(total > 400);
	llambo_free_model(id);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_vocab_is_text),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_missing_vocab),
		cmocka_unit_test(test_generation_is_text),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
