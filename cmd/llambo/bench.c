/*
 * bench.c - llambo bench: prompt processing (one batch of -p tokens) and generation
 * (-n tokens one at a time) in tokens per second, the median of -r runs, like llama-bench.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo bench [-m MODEL] [-p N_PROMPT] [-n N_GEN] [-t THREADS] [-r REPS] [--no-mmap] [--exact]\n"
	"ends with one line per test: pp<N> <median> t/s and tg<N> <median> t/s\n";

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One timed run in tokens per second: n tokens as one batch (pp) or one by one (tg). */
static double
timed(int id, const Opts *o, int n, int batch, int32_t *toks, float *logits)
{
	llambo_ctx *c = llambo_ctx_new(id, n + 1, o->threads);
	double t0, ms;
	int i;

	if(c == NULL)
		cli_die("%s", llambo_last_error());
	llambo_ctx_set_exact(c, o->exact);
	t0 = cli_now_ms();
	if(batch){
		if(llambo_ctx_eval(c, toks, n, LLAMBO_LOGITS_LAST, logits) < 0)
			cli_die("%s", llambo_last_error());
	}else
		for(i = 0; i < n; i++)
			if(llambo_ctx_eval(c, &toks[i], 1, LLAMBO_LOGITS_LAST, logits) < 0)
				cli_die("%s", llambo_last_error());
	ms = cli_now_ms() - t0;
	llambo_ctx_free(c);
	return n * 1e3 / ms;
}

static void
test(int id, const Opts *o, const char *name, int n, int batch, int32_t *toks, float *logits)
{
	double *r = malloc(sizeof(double) * (size_t)o->reps);
	int i;

	if(n <= 0){
		free(r);
		return;
	}
	timed(id, o, n < 16 ? n : 16, batch, toks, logits);	/* warm up: pages, caches, threads */
	for(i = 0; i < o->reps; i++)
		r[i] = timed(id, o, n, batch, toks, logits);
	qsort(r, (size_t)o->reps, sizeof r[0], cmp_double);
	fprintf(stderr, "%s%d: min %.2f max %.2f t/s over %d runs\n", name, n, r[0], r[o->reps - 1], o->reps);
	printf("%s%d %.2f t/s\n", name, n, r[o->reps / 2]);
	fflush(stdout);
	free(r);
}

int
cmd_bench(int argc, char **argv)
{
	Opts o;
	double t0, load_ms;
	int32_t *toks;
	float *logits;
	int id, nv, i, np, ng;

	cli_parse(&o, argc, argv, usage);
	/* -p is a number here, as in llama-bench */
	np = o.prompt != NULL ? atoi(o.prompt) : 512;
	ng = o.n_predict >= 0 ? o.n_predict : 128;
	t0 = cli_now_ms();
	id = cli_load(&o);
	load_ms = cli_now_ms() - t0;
	nv = llambo_n_vocab(id);
	toks = malloc(sizeof(int32_t) * (size_t)(np > ng ? np : ng) + 64);
	logits = malloc(sizeof(float) * (size_t)nv);
	srand(1);
	for(i = 0; i < (np > ng ? np : ng); i++)
		toks[i] = rand() % nv;
	fprintf(stderr, "llambo bench: %s, %d threads, mmap %s, load %.1f ms\n", o.model,
		o.threads ? o.threads : 0, o.use_mmap ? "on" : "off", load_ms);
	test(id, &o, "pp", np, 1, toks, logits);
	test(id, &o, "tg", ng, 0, toks, logits);
	fprintf(stderr, "peak RSS %ld KiB\n", cli_peak_rss_kb());
	free(toks);
	free(logits);
	llambo_free_model(id);
	return 0;
}
