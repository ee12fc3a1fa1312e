/*
 * test_attn.c - the tiled attention (one pass over the KV pages, an online
 * softmax) gives the logits of the plain one (every score, a softmax, then the
 * values) within float rounding, for every KV cache type, on synthetic models
 * (no ../shared needed): a sequence spanning many pages, a depth of a few
 * thousand positions, sliding windows and soft-caps (gemma2), grouped heads.
 * Also what each type costs a position, and the types a model's heads refuse.
 *
 * The models compute in float (F32 matrices), and those whose cache is rounded
 * (any type but F32) have one layer: a later layer's keys would be rounded from
 * the earlier layer's output, and a float rounding's difference there flips a
 * rounding of the cache, which the logits show far above float rounding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/batch.h"
#include "../src/model/synth.h"
#include "../src/quant/quant.h"
#include "../src/util/error.h"
#include "testutil.h"

enum { NV = 300 };

static Model *
load(const char *arch, int n_layer, int n_swa, char *path, size_t npath)
{
	SynthSpec s;
	Model *m;

	tmp_path(path, npath, "attn.gguf");
	synth_defaults(&s);
	s.arch = arch;
	s.n_vocab = NV;
	s.n_embd = 128;
	s.n_head = 4;
	s.n_head_kv = 2;	/* heads of 32, two to a KV head */
	s.n_ff = 128;
	s.n_layer = n_layer;
	s.n_ctx = 4096;
	s.n_swa = n_swa;
	s.type = "F32";	/* float matmuls: rounded activations would magnify float rounding */
	assert_int_equal(synth_write(&s, path), 0);
	m = model_load(path, 1);
	if(m == NULL)
		fail_msg("%s: %s", arch, lb_errstr());
	return m;
}

/* The logits of every position of toks, with the cache in type, tiled (0) or plain (1). */
static float *
logits(const Model *m, uint32_t type, const int32_t *toks, int n, int plain)
{
	Ctx *c = ctx_new(m, n, 2);
	float *out = malloc(sizeof(float) * NV * (size_t)n);

	assert_non_null(c);
	assert_non_null(out);
	assert_int_equal(ctx_set_kv_types(c, (int)type, (int)type), 0);
	ctx_set_plain_attn(c, plain);
	if(ctx_eval(c, toks, n, out, 1) < 0)
		fail_msg("%s", lb_errstr());
	ctx_free(c);
	return out;
}

/*
 * Tiled against plain on n positions: the largest difference, at most tol of the largest logit.
 * Float rounding: FLOAT_TOL; GELU_TOL where a GELU follows, whose table (ggml's) rounds its
 * input to binary16, so that a float rounding's difference can become one of 2^-11.
 */
static const double FLOAT_TOL = 1e-5, GELU_TOL = 1e-3;

static void
compare(const Model *m, const char *what, uint32_t type, int n, double tol)
{
	int32_t *toks = malloc(sizeof(int32_t) * (size_t)n);
	float *a, *b;
	double d = 0, big = 0;
	size_t i;

	srand(5);
	for(i = 0; i < (size_t)n; i++)
		toks[i] = rand() % NV;
	a = logits(m, type, toks, n, 0);
	b = logits(m, type, toks, n, 1);
	for(i = 0; i < (size_t)NV * n; i++){
		d = fmax(d, fabs((double)a[i] - b[i]));
		big = fmax(big, fabs((double)b[i]));
	}
	print_message("%-8s %-6s %5d positions: tiled vs plain max |d| %.3g (largest logit %.3g)\n",
		what, quant_type(type)->name, n, d, big);
	assert_true(big > 0.1);
	assert_true(d <= tol * big);
	free(toks);
	free(a);
	free(b);
}

static void
test_types(void **state)
{
	static const uint32_t types[] = { LB_F32, LB_F16, LB_BF16, LB_Q8_0, LB_Q4_0, LB_Q4_1, LB_IQ4_NL, LB_Q5_0, LB_Q5_1 };
	char path[512];
	Model *m = load("llama", 1, 0, path, sizeof path);
	size_t i;

	(void)state;
	for(i = 0; i < sizeof types / sizeof types[0]; i++)
		compare(m, "llama", types[i], 5 * KV_PAGE + 17, FLOAT_TOL);
	model_free(m);
	m = load("llama", 3, 0, path, sizeof path);	/* each layer's part of a page */
	compare(m, "llama-3", LB_F32, 3 * KV_PAGE + 1, FLOAT_TOL);
	model_free(m);
	unlink(path);
}

/* A few thousand positions deep: the online softmax's rescaling over many pages. */
static void
test_depth(void **state)
{
	char path[512];
	Model *m = load("llama", 1, 0, path, sizeof path);

	(void)state;
	compare(m, "llama", LB_F16, 2500, FLOAT_TOL);
	model_free(m);
	unlink(path);
}

/* Soft-capped scores, and windows (100 positions) whose first page is partly outside them. */
static void
test_window_softcap(void **state)
{
	char path[512];
	Model *m = load("gemma2", 1, 100, path, sizeof path);

	(void)state;
	assert_true(m->hp.attn_softcap != 0 && m->layers[0].window == 100);

	compare(m, "gemma2", LB_F16, 6 * KV_PAGE + 5, GELU_TOL);
	compare(m, "gemma2", LB_Q8_0, 6 * KV_PAGE + 5, GELU_TOL);
	model_free(m);
	m = load("gemma2", 2, 100, path, sizeof path);	/* a windowed layer, then a global one */
	compare(m, "gemma2-2", LB_F32, 6 * KV_PAGE + 5, GELU_TOL);
	model_free(m);
	unlink(path);
}

/* F16 halves a position's bytes; Q8_0 is 34 bytes a 32; block types need heads of whole blocks. */
static void
test_sizes(void **state)
{
	HParams hp = { .n_layer = 3, .n_head = 4, .n_head_kv = 2, .head_dim = 64 };

	(void)state;
	assert_int_equal(kv_page_bytes(&hp, LB_F32, LB_F32), 2 * kv_page_bytes(&hp, LB_F16, LB_F16));
	assert_int_equal(kv_page_bytes(&hp, LB_F16, LB_F16), (size_t)3 * KV_PAGE * 2 * 128 * 2);
	assert_int_equal(kv_page_bytes(&hp, LB_Q8_0, LB_Q8_0), (size_t)3 * KV_PAGE * 2 * 4 * 34);
	assert_int_equal(kv_page_bytes(&hp, LB_F16, LB_Q8_0), (size_t)3 * KV_PAGE * (256 + 136));
	hp.head_dim = 16;
	assert_int_equal(kv_page_bytes(&hp, LB_F16, LB_F16), (size_t)3 * KV_PAGE * 2 * 32 * 2);
	assert_int_equal(kv_page_bytes(&hp, LB_Q8_0, LB_F16), 0);
	assert_int_equal(kv_types_check(&hp, LB_F16, LB_Q8_0), -1);
	assert_non_null(strstr(lb_errstr(), "not whole q8_0 blocks"));
	assert_null(kv_pool_new(&hp, LB_Q8_0, LB_Q8_0, 4));
	assert_int_equal(kv_types_check(&hp, LB_Q4_K, LB_F16), -1);	/* not a cache type */
	assert_int_equal(kv_type_named("Q8_0"), LB_Q8_0);
	assert_int_equal(kv_type_named("f16"), LB_F16);
	assert_int_equal(kv_type_named("q4_k"), -1);
	assert_string_equal(kv_type_name(LB_IQ4_NL), "iq4_nl");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_window_softcap),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
