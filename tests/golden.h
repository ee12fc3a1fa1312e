/*
 * golden.h - llama.cpp's logits (the goldens of ../shared/goldens and
 * tests/data, formats in ../shared/goldens/README.md) and the engine held to them.
 */
#ifndef LB_GOLDEN_H
#define LB_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct Golden {
	int32_t *prompt, *gen;
	int n_prompt, n_gen;
	float *logits, *gen_logits;	/* n_prompt rows, n_gen rows */
	int n_vocab;
	char *txt;
	size_t txt_len;
	const char *type_k, *type_v;	/* llama.cpp's KV cache types ("q8_0"); NULL: F32, the goldens' setting */
} Golden;

/* Reads goldens/<model>/<slug>{.tokens,.logits,.gen.logits,.txt}; 0, or -1 if any is missing or malformed. */
int golden_read(Golden *g, const char *model, const char *slug);
/* The same from prefix.tokens, prefix.logits, ... */
int golden_read_path(Golden *g, const char *prefix);
void golden_free(Golden *g);
/* Row r of the whole teacher-forced sequence prompt + gen[0..n_gen-2]: prompt rows, then gen rows 1.. */
const float *golden_row(const Golden *g, int r);
int golden_rows(const Golden *g);

/* The largest of n logits (the lowest id on a tie), and its margin over the next when margin is not NULL. */
int golden_top1(const float *x, int n, double *margin);

typedef struct GoldenDiff {
	double max, mean;	/* |ours - golden| over every row */
	int ties, flips;	/* rows whose top-1 differs: where the golden's margin is below near_tie, and elsewhere */
} GoldenDiff;
/*
 * Model id teacher-forced with prompt + gen[0..n_gen-2] in a context of n_ctx
 * positions (0: just enough) with the golden's KV cache types, exact (1) or
 * fast (0) kernels: every row against the golden.
 */
void golden_compare(int id, const Golden *g, int exact, int n_ctx, double near_tie, GoldenDiff *d);
/*
 * Greedy ids from model id, one token at a time after the prompt: how many
 * equal the golden's before the first difference, or before the first step
 * whose golden margin is below near_tie (a near tie either may break):
 * *checked is that step, or n_gen.
 */
int golden_greedy(int id, const Golden *g, int exact, int n_ctx, double near_tie, int *checked);

/*
 * Runs test on each of n cases (a test's state; name(case) names it) with each
 * kernel tier this CPU runs, the best first, plain C (what any CPU runs) last;
 * with LLAMBO_KERNELS set, the tier it forces only, and with LLAMBO_TEST_CASES
 * (names, space-separated) those cases only (tests/cross.sh: a subset under qemu).
 * The number of failures.
 */
int golden_run_tiers(const char *group, void (*test)(void **), const void *cases, size_t size, size_t n,
	const char *(*name)(const void *));

#endif
