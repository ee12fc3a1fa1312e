/*
 * test_golden.c - our logits and greedy text against llama.cpp's, on every model
 * in ../shared/models (goldens in ../shared/goldens; skipped when absent).
 *
 * F32 files: the engine's logits within 1e-3 (max) and 1e-4 (mean) of llama.cpp's,
 * and the same 32 greedy ids and text.  Quantized files: the exact path (weights
 * dequantized, float math) against the .deqf32 goldens at the same bounds with
 * the same 32 greedy ids; the fast path (llama.cpp's quantized activations)
 * against the plain goldens within the README's per-type bounds, and the same
 * top-1 token wherever llama.cpp's margin is not a near tie.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "llambo.h"
#include "testutil.h"

typedef struct Case {
	const char *model;
	double max, mean;	/* bounds for the fast path against the plain golden */
} Case;

static const Case cases[] = {
	{ "aidreams260K", 1e-3, 1e-4 }, { "chess260K", 1e-3, 1e-4 }, { "mini-llama-F32", 1e-3, 1e-4 },
	{ "mini-llama-F16", 0.03, 0.005 }, { "mini-llama-BF16", 0.2, 0.03 },
	{ "mini-llama-Q8_0", 1.0, 0.15 }, { "mini-llama-Q4_0", 1.0, 0.15 }, { "mini-llama-Q4_1", 1.0, 0.15 },
	{ "mini-llama-Q5_0", 1.0, 0.15 }, { "mini-llama-Q5_1", 1.0, 0.15 }, { "mini-llama-Q2_K", 1.0, 0.15 },
	{ "mini-llama-Q3_K_M", 1.0, 0.15 }, { "mini-llama-Q4_K_M", 1.0, 0.15 }, { "mini-llama-Q5_K_M", 1.0, 0.15 },
	{ "mini-llama-Q6_K", 1.0, 0.15 }, { "mini-llama-pure-Q2_K", 1.0, 0.15 }, { "mini-llama-pure-Q3_K", 1.0, 0.15 },
	{ "mini-llama-pure-Q4_K", 1.0, 0.15 }, { "mini-llama-pure-Q5_K", 1.0, 0.15 },
};

/* the margin below which llama.cpp's own top-1 is a near tie that rounding may flip */
static const double NEAR_TIE = 0.5;

static int
is_f32(const char *model)
{
	return strstr(model, "F32") != NULL || strstr(model, "260K") != NULL;
}

static void
slugs(const char *model, const char **a, const char **b)
{
	if(strcmp(model, "chess260K") == 0){
		*a = "e4-e5-nf3";
		*b = "d4-d5-c4";
	}else{
		*a = "once-upon-a-time";
		*b = "quick-brown-fox";
	}
}

static const char *
prompt_text(const char *slug)
{
	if(strcmp(slug, "e4-e5-nf3") == 0)
		return "e4 e5 Nf3";
	if(strcmp(slug, "d4-d5-c4") == 0)
		return "d4 d5 c4";
	if(strcmp(slug, "once-upon-a-time") == 0)
		return "Once upon a time";
	return "The quick brown fox jumps over the lazy dog.";
}

static void
check_tokens(int id, const Golden *g, const char *slug)
{
	int32_t *toks;
	int n = llambo_tokenize(id, prompt_text(slug), &toks);

	assert_int_equal(n, g->n_prompt);
	assert_memory_equal(toks, g->prompt, sizeof(int32_t) * n);
	llambo_free(toks);
}

static void
check_text(int id, const Golden *g, const char *slug)
{
	char *s = llambo_infer(id, prompt_text(slug), g->n_gen, 0.0f);

	assert_int_equal(strlen(s), g->txt_len);
	assert_memory_equal(s, g->txt, g->txt_len);
	llambo_free(s);
}

static void
one_prompt(int id, const Case *cs, const char *slug)
{
	Golden g, dq;
	char dslug[128];
	GoldenDiff d;
	int same, checked;

	assert_int_equal(golden_read(&g, cs->model, slug), 0);
	check_tokens(id, &g, slug);
	golden_compare(id, &g, 0, 0, NEAR_TIE, &d);
	print_message("%-22s %-17s fast  vs golden: max %.3g mean %.3g, top-1 differs on %d near-tie and %d other rows of %d\n",
		cs->model, slug, d.max, d.mean, d.ties, d.flips, golden_rows(&g));
	assert_true(d.max <= cs->max);
	assert_true(d.mean <= cs->mean);
	assert_int_equal(d.flips, 0);
	if(is_f32(cs->model)){
		same = golden_greedy(id, &g, 0, 0, 0, &checked);
		print_message("%-22s %-17s greedy ids equal: %d/%d\n", cs->model, slug, same, g.n_gen);
		assert_int_equal(same, g.n_gen);
		check_text(id, &g, slug);
	}else{
		snprintf(dslug, sizeof dslug, "%s.deqf32", slug);
		assert_int_equal(golden_read(&dq, cs->model, dslug), 0);
		golden_compare(id, &dq, 1, 0, NEAR_TIE, &d);
		same = golden_greedy(id, &dq, 1, 0, 0, &checked);
		print_message("%-22s %-17s exact vs deqf32: max %.3g mean %.3g, greedy ids equal %d/%d\n",
			cs->model, slug, d.max, d.mean, same, dq.n_gen);
		assert_true(d.max <= 1e-3);
		assert_true(d.mean <= 1e-4);
		assert_int_equal(same, dq.n_gen);
		golden_free(&dq);
	}
	golden_free(&g);
}

static void
test_model(void **state)
{
	const Case *cs = *state;
	char rel[256], path[1024];
	const char *a, *b;
	int id;

	snprintf(rel, sizeof rel, "models/%s.gguf", cs->model);
	SHARED_OR_SKIP(path, rel);
	id = llambo_load_model(path, 1, 0);
	if(id < 0)
		fail_msg("%s: %s", path, llambo_last_error());
	slugs(cs->model, &a, &b);
	one_prompt(id, cs, a);
	one_prompt(id, cs, b);
	assert_int_equal(llambo_free_model(id), 0);
}

static const char *
case_name(const void *c)
{
	return ((const Case *)c)->model;
}

/* Every model with each kernel tier this CPU runs, the best first, plain C (what any CPU runs) last. */
int
main(void)
{
	return golden_run_tiers("golden", test_model, cases, sizeof cases[0], sizeof cases / sizeof cases[0], case_name);
}
