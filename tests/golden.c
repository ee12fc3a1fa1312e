/* golden.c - see golden.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/quant/quant.h"
#include "golden.h"
#include "llambo.h"
#include "testutil.h"

static int
read_ids(const char *line, const char *tag, int32_t **out)
{
	const char *p;
	char *end;
	int n = 0;
	int32_t *v;

	if(strncmp(line, tag, strlen(tag)) != 0)
		return -1;
	v = malloc(sizeof(int32_t) * 4096);
	for(p = line + strlen(tag); *p != '\n' && *p != 0 && n < 4096; p = end){
		long x = strtol(p, &end, 10);
		if(end == p)
			break;
		v[n++] = (int32_t)x;
	}
	*out = v;
	return n;
}

static float *
read_logits(const char *path, int *rows, int *nv)
{
	size_t len;
	char *b = read_file(path, &len);
	int32_t hdr[2];
	float *x;

	if(b == NULL || len < 8){
		free(b);
		return NULL;
	}
	memcpy(hdr, b, 8);
	if(hdr[0] <= 0 || hdr[1] <= 0 || len != 8 + 4 * (size_t)hdr[0] * hdr[1]){
		free(b);
		return NULL;
	}
	x = malloc(len - 8);
	memcpy(x, b + 8, len - 8);
	free(b);
	*rows = hdr[0];
	*nv = hdr[1];
	return x;
}

int
golden_read_path(Golden *g, const char *prefix)
{
	char path[1024];
	char *tok, *nl;
	int rows, nv;

	memset(g, 0, sizeof *g);
	snprintf(path, sizeof path, "%s.tokens", prefix);
	if((tok = read_file(path, NULL)) == NULL)
		return -1;
	nl = strchr(tok, '\n');
	g->n_prompt = read_ids(tok, "prompt:", &g->prompt);
	g->n_gen = nl ? read_ids(nl + 1, "gen:", &g->gen) : -1;
	free(tok);
	if(g->n_prompt <= 0 || g->n_gen <= 0)
		return -1;
	snprintf(path, sizeof path, "%s.logits", prefix);
	g->logits = read_logits(path, &rows, &g->n_vocab);
	if(g->logits == NULL || rows != g->n_prompt)
		return -1;
	snprintf(path, sizeof path, "%s.gen.logits", prefix);
	g->gen_logits = read_logits(path, &rows, &nv);
	if(g->gen_logits == NULL || rows != g->n_gen || nv != g->n_vocab)
		return -1;
	snprintf(path, sizeof path, "%s.txt", prefix);
	g->txt = read_file(path, &g->txt_len);
	return g->txt != NULL ? 0 : -1;
}

int
golden_read(Golden *g, const char *model, const char *slug)
{
	char rel[512], prefix[1024];

	snprintf(rel, sizeof rel, "goldens/%s/%s", model, slug);
	shared_path(prefix, sizeof prefix, rel);
	return golden_read_path(g, prefix);
}

void
golden_free(Golden *g)
{
	free(g->prompt);
	free(g->gen);
	free(g->logits);
	free(g->gen_logits);
	free(g->txt);
}

int
golden_rows(const Golden *g)
{
	return g->n_prompt + g->n_gen - 1;
}

const float *
golden_row(const Golden *g, int r)
{
	if(r < g->n_prompt)
		return g->logits + (size_t)r * g->n_vocab;
	return g->gen_logits + (size_t)(r - g->n_prompt + 1) * g->n_vocab;
}

int
golden_top1(const float *x, int n, double *margin)
{
	int best = 0, second = -1, i;

	for(i = 1; i < n; i++)
		if(x[i] > x[best]){
			second = best;
			best = i;
		}else if(second < 0 || x[i] > x[second])
			second = i;
	if(margin != NULL)
		*margin = x[best] - x[second];
	return best;
}

/* A context of n_ctx positions with the golden's KV cache, on exact or fast kernels. */
static llambo_ctx *
golden_ctx(int id, const Golden *g, int n_ctx, int exact)
{
	llambo_ctx *c = llambo_ctx_new(id, n_ctx, 2);

	assert_non_null(c);
	if(llambo_ctx_set_kv_types(c, g->type_k ? g->type_k : "f32", g->type_v ? g->type_v : "f32") < 0)
		fail_msg("%s", llambo_last_error());
	llambo_ctx_set_exact(c, exact);
	return c;
}

void
golden_compare(int id, const Golden *g, int exact, int n_ctx, double near_tie, GoldenDiff *d)
{
	int rows = golden_rows(g), nv = g->n_vocab, r, i;
	int32_t *seq = malloc(sizeof(int32_t) * (size_t)rows);
	float *ours = malloc(sizeof(float) * (size_t)rows * nv);
	llambo_ctx *c = golden_ctx(id, g, n_ctx > rows ? n_ctx : rows, exact);
	double sum = 0;

	memcpy(seq, g->prompt, sizeof(int32_t) * g->n_prompt);
	memcpy(seq + g->n_prompt, g->gen, sizeof(int32_t) * (g->n_gen - 1));
	assert_int_equal(llambo_ctx_eval(c, seq, rows, LLAMBO_LOGITS_ALL, ours), 0);
	memset(d, 0, sizeof *d);
	for(r = 0; r < rows; r++){
		const float *want = golden_row(g, r), *got = ours + (size_t)r * nv;
		double margin;
		for(i = 0; i < nv; i++){
			double x = fabs((double)want[i] - got[i]);
			sum += x;
			if(x > d->max)
				d->max = x;
		}
		if(golden_top1(want, nv, &margin) != golden_top1(got, nv, NULL)){
			if(margin < near_tie)
				d->ties++;
			else
				d->flips++;
		}
	}
	d->mean = sum / ((double)rows * nv);
	llambo_ctx_free(c);
	free(seq);
	free(ours);
}

int
golden_greedy(int id, const Golden *g, int exact, int n_ctx, double near_tie, int *checked)
{
	int need = g->n_prompt + g->n_gen;
	llambo_ctx *c = golden_ctx(id, g, n_ctx > need ? n_ctx : need, exact);
	float *logits = malloc(sizeof(float) * g->n_vocab);
	int i, same = 0;
	double margin;
	int32_t tok;

	assert_int_equal(llambo_ctx_eval(c, g->prompt, g->n_prompt, LLAMBO_LOGITS_LAST, logits), 0);
	for(i = 0; i < g->n_gen; i++){
		golden_top1(golden_row(g, g->n_prompt - 1 + i), g->n_vocab, &margin);
		if(margin < near_tie)
			break;
		tok = golden_top1(logits, g->n_vocab, NULL);
		if(tok != g->gen[i])
			break;
		same++;
		assert_int_equal(llambo_ctx_eval(c, &tok, 1, LLAMBO_LOGITS_LAST, logits), 0);
	}
	*checked = i;
	llambo_ctx_free(c);
	free(logits);
	return same;
}

static int tier;	/* the kernel tier a group runs with */

static int
use_tier(void **state)
{
	(void)state;
	quant_use_tier(tier);
	return 0;
}

/* word is one of the space-separated words of list */
static int
listed(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for(p = list; (p = strstr(p, word)) != NULL; p += len)
		if((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return 1;
	return 0;
}

int
golden_run_tiers(const char *group, void (*test)(void **), const void *cases, size_t size, size_t n,
	const char *(*name)(const void *))
{
	struct CMUnitTest *t = calloc(n, sizeof *t);
	const char *only = getenv("LLAMBO_TEST_CASES") != NULL && *getenv("LLAMBO_TEST_CASES") ? getenv("LLAMBO_TEST_CASES") : NULL;
	char g[128];
	size_t i, nt = 0;
	int failed = 0;

	for(i = 0; i < n; i++){
		const void *c = (const char *)cases + i * size;

		if(only != NULL && !listed(only, name(c)))
			continue;
		t[nt] = (struct CMUnitTest)cmocka_unit_test_prestate(test, (void *)c);
		t[nt++].name = name(c);
	}
	for(tier = quant_ntiers() - 1; tier >= 0; tier--){
		if(getenv("LLAMBO_KERNELS") != NULL && tier != quant_tier())
			continue;	/* one tier forced: that one only */
		snprintf(g, sizeof g, "%s, %s kernels", group, quant_tier_name(tier));
		print_message("kernels: %s\n", quant_tier_name(tier));
		failed += _cmocka_run_group_tests(g, t, nt, use_tier, NULL);
	}
	free(t);
	return failed;
}
