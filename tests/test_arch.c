/*
 * test_arch.c - every model family of src/model/arch.c against llama.cpp, on
 * the small synthetic files of tests/data/arch and llama.cpp's logits for them
 * (tests/data/arch/README.md says how both were made).
 *
 * Each file is teacher-forced with the golden's prompt and generated ids in a
 * context of 512 positions, as llama.cpp ran it (LongRoPE picks its factors by
 * the context), and every row compared.  F32 files: within 1e-3 (max) and 1e-4
 * (mean), and the same greedy ids up to the first near tie of llama.cpp's.
 * Quantized files: the fast path within the quantized goldens' bounds (1.0,
 * 0.15) and the same top-1 wherever llama.cpp's margin is clear; the exact
 * path against the golden of the file dequantized by gguf-py, at the F32 bounds.
 * Everything with each kernel tier this CPU runs, plain C last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "llambo.h"
#include "testutil.h"

typedef struct Case {
	const char *model;	/* tests/data/arch/<model>.gguf */
	int quantized;	/* with a .deqf32 golden */
	const char *what;	/* what the file exercises */
	int long_prompt;	/* also the golden ids100: 100 prompt ids, windows across KV pages */
} Case;

static const Case cases[] = {
	{ "qwen2", 0, "q/k/v biases, NeoX RoPE, tied output", 0 },
	{ "qwen3", 0, "per-head q/k RMS norms", 0 },
	{ "qwen3-yarn", 0, "YaRN scaling (factor 4, original context 128)", 0 },
	{ "qwen3moe", 0, "4 experts, 2 used, normalised weights", 0 },
	{ "mixtral", 0, "llama with 4 experts", 0 },
	{ "gemma2", 0, "sqrt(n_embd) embeddings, GELU, post-norms, soft-caps, window 8 every other layer", 1 },
	{ "gemma3", 0, "q/k norms, window 8 with its own RoPE base, linear scaling 8 on the global layer", 1 },
	{ "phi3", 0, "fused qkv and gate+up, LongRoPE long factors (512 > 256)", 0 },
	{ "smollm3", 0, "no RoPE in every fourth layer", 0 },
	{ "qwen3-IQ4_NL", 1, "IQ4_NL matrices (llama-quantize)", 0 },
	{ "qwen3-IQ4_XS", 1, "IQ4_XS matrices (llama-quantize)", 0 },
	{ "qwen3moe-Q4_0", 1, "Q4_0 experts (3-D quantized tensors)", 0 },
};

enum { N_CTX = 512 };
static const double F32_MAX = 1e-3, F32_MEAN = 1e-4, Q_MAX = 1.0, Q_MEAN = 0.15;
static const double NEAR_TIE_F32 = 1e-3;	/* noise of a float engine is ~1e-5 */
static const double NEAR_TIE_Q = 0.5;	/* rounded activations may flip llama.cpp's own top-1 below this */

static void
check_tokens(int id, const Golden *g)
{
	int32_t *toks;
	int n = llambo_tokenize(id, "Once upon a time", &toks);

	assert_int_equal(n, g->n_prompt);
	assert_memory_equal(toks, g->prompt, sizeof(int32_t) * n);
	llambo_free(toks);
}

/* Teacher-forced rows at the bounds, then greedy ids up to llama.cpp's first near tie. */
static void
check(int id, const char *model, const Golden *g, int exact, double max, double mean, double tie, int greedy)
{
	GoldenDiff d;
	int same, checked;

	golden_compare(id, g, exact, N_CTX, tie, &d);
	print_message("%-14s %-5s max %.3g mean %.3g, top-1 differs on %d near-tie and %d other rows of %d\n",
		model, exact ? "exact" : "fast", d.max, d.mean, d.ties, d.flips, golden_rows(g));
	assert_true(d.max <= max);
	assert_true(d.mean <= mean);
	assert_int_equal(d.flips, 0);
	if(!greedy)
		return;
	same = golden_greedy(id, g, exact, N_CTX, NEAR_TIE_F32, &checked);
	print_message("%-14s %-5s greedy ids equal: %d of the %d before llama.cpp's first near tie\n",
		model, exact ? "exact" : "fast", same, checked);
	assert_int_equal(same, checked);
}

static void
test_family(void **state)
{
	const Case *cs = *state;
	char path[512], prefix[512];
	Golden g, dq;
	int id;

	snprintf(prefix, sizeof prefix, "arch/%s.gguf", cs->model);
	data_path(path, sizeof path, prefix);
	id = llambo_load_model(path, 1, 0);
	if(id < 0)
		fail_msg("%s: %s", path, llambo_last_error());
	print_message("%-14s %s\n", cs->model, cs->what);
	snprintf(path, sizeof path, "arch/goldens/%s/once-upon-a-time", cs->model);
	data_path(prefix, sizeof prefix, path);
	assert_int_equal(golden_read_path(&g, prefix), 0);
	check_tokens(id, &g);
	if(!cs->quantized)
		check(id, cs->model, &g, 0, F32_MAX, F32_MEAN, NEAR_TIE_F32, 1);
	else{
		check(id, cs->model, &g, 0, Q_MAX, Q_MEAN, NEAR_TIE_Q, 0);
		strcat(prefix, ".deqf32");
		assert_int_equal(golden_read_path(&dq, prefix), 0);
		check(id, cs->model, &dq, 1, F32_MAX, F32_MEAN, NEAR_TIE_F32, 1);
		golden_free(&dq);
	}
	golden_free(&g);
	if(cs->long_prompt){
		snprintf(path, sizeof path, "arch/goldens/%s/ids100", cs->model);
		data_path(prefix, sizeof prefix, path);
		assert_int_equal(golden_read_path(&g, prefix), 0);
		check(id, cs->model, &g, 0, F32_MAX, F32_MEAN, NEAR_TIE_F32, 1);
		golden_free(&g);
	}
	assert_int_equal(llambo_free_model(id), 0);
}

static const char *
case_name(const void *c)
{
	return ((const Case *)c)->model;
}

/* Every family with each kernel tier this CPU runs, the best first, plain C last. */
int
main(void)
{
	return golden_run_tiers("arch", test_family, cases, sizeof cases[0], sizeof cases / sizeof cases[0], case_name);
}
