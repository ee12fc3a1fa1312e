/*
 * stepbench.c - llambo bench -B N: what a step of the server's scheduler costs
 * the engine alone, without sampling, text or clients.  N sequences share a KV
 * pool, each filled untimed with a prompt of -d tokens (8 when -d is not
 * given), all in batches as the scheduler makes them; then -n steps, each one
 * batch of N rows (the next token of every sequence) whose logits are all
 * wanted, as the scheduler asks for a step of N generating sequences.
 * One line, the median over -r runs of each run's median step, in wall time
 * and in the process's CPU time (every thread's; on a machine others share,
 * the CPU a step takes moves less than its wall time):
 *
 *	B<N>[@d<DEPTH>] step <ms> ms <N*1000/ms> t/s cpu <ms> ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "../../src/api/registry.h"
#include "../../src/model/batch.h"
#include "../../src/util/error.h"
#include "../../src/util/clock.h"

typedef struct Steps {
	Ctx *ctx;
	KVPool *kv;
	KVSeq *seq;	/* N of them */
	KVSeq **seqs;	/* a batch's rows' */
	int32_t *tok;
	int *pos;
	uint8_t *want;
	float *logits;	/* a row of n_vocab per row of a step */
	int nseq, nv;
} Steps;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One batch of rows [0, n) as set in s; dies on failure. */
static void
run_batch(Steps *s, int n)
{
	Batch b = { n, s->tok, s->pos, s->seqs, s->want };
	int i;

	for(i = 0; i < n; i++)
		if(kv_seq_grow(s->kv, s->seqs[i], s->pos[i] + 1) < 0)
			cli_die("bench -B: %s", lb_errstr());
	if(ctx_batch(s->ctx, &b, s->logits) < 0)
		cli_die("bench -B: %s", lb_errstr());
}

/* Every sequence from position 0 to depth (random tokens), in batches of the context's rows. */
static void
fill(Steps *s, int depth)
{
	int q, p, n = 0, rows = ctx_batch_rows(s->ctx);

	for(q = 0; q < s->nseq; q++)
		for(p = 0; p < depth; p++){
			s->tok[n] = rand() % s->nv;
			s->pos[n] = p;
			s->seqs[n] = &s->seq[q];
			s->want[n] = p == depth - 1;
			if(++n == rows || (q == s->nseq - 1 && p == depth - 1)){
				run_batch(s, n);
				n = 0;
			}
		}
}

/* One step from position at: a token of every sequence, every row's logits.  Its time in ms, its CPU time in *cpu. */
static double
step(Steps *s, int at, double *cpu)
{
	double t0, c0;
	int q;

	for(q = 0; q < s->nseq; q++){
		s->tok[q] = rand() % s->nv;
		s->pos[q] = at;
		s->seqs[q] = &s->seq[q];
		s->want[q] = 1;
	}
	c0 = lb_cpu_ms();
	t0 = lb_now_ms();
	run_batch(s, s->nseq);
	*cpu = lb_cpu_ms() - c0;
	return lb_now_ms() - t0;
}

/* The median step of one run of n steps from depth (its median CPU time in *cpu); every sequence goes back to depth after. */
static double
run(Steps *s, int depth, int n, double *ms, double *cms, double *cpu)
{
	int i, q;

	for(i = 0; i < n; i++)
		ms[i] = step(s, depth + i, &cms[i]);
	for(q = 0; q < s->nseq; q++)
		s->seq[q].len = depth;
	qsort(ms, (size_t)n, sizeof ms[0], cmp_double);
	qsort(cms, (size_t)n, sizeof cms[0], cmp_double);
	*cpu = cms[n / 2];
	return ms[n / 2];
}

int
bench_steps(int id, const Opts *o, int nseq)
{
	int depth = o->depth > 0 ? o->depth : 8, n = o->n_predict > 0 ? o->n_predict : 32, r, q, rows;
	double *ms = malloc(sizeof(double) * (size_t)n), *cms = malloc(sizeof(double) * (size_t)n);
	double *med = malloc(sizeof(double) * (size_t)o->reps), *cmed = malloc(sizeof(double) * (size_t)o->reps), t, c;
	Model *m = reg_hold(id);
	Steps s = { 0 };

	if(m == NULL || ms == NULL || cms == NULL || med == NULL || cmed == NULL)
		cli_die("bench -B: %s", m == NULL ? lb_errstr() : "out of memory");
	rows = nseq > 64 ? nseq : 64;	/* the prompts in batches of 64 rows at least, as the scheduler's */
	s.nseq = nseq;
	s.nv = m->hp.n_vocab;
	s.kv = kv_pool_new(&m->hp, m->kv_type_k, m->kv_type_v, nseq * kv_pages_for(depth + n + 1));
	s.ctx = s.kv != NULL ? ctx_make(m, s.kv, depth + n + 1, rows, o->threads) : NULL;
	s.seq = calloc((size_t)nseq, sizeof *s.seq);
	s.seqs = malloc(sizeof *s.seqs * (size_t)rows);
	s.tok = malloc(sizeof *s.tok * (size_t)rows);
	s.pos = malloc(sizeof *s.pos * (size_t)rows);
	s.want = malloc((size_t)rows);
	s.logits = malloc(sizeof(float) * (size_t)nseq * (size_t)s.nv);
	if(s.ctx == NULL || s.seq == NULL || s.seqs == NULL || s.tok == NULL || s.pos == NULL || s.want == NULL || s.logits == NULL)
		cli_die("bench -B: %s", s.ctx == NULL ? lb_errstr() : "out of memory");
	srand(1);
	fill(&s, depth);
	run(&s, depth, n < 4 ? n : 4, ms, cms, &c);	/* warm up: pages, caches, threads */
	for(r = 0; r < o->reps; r++){
		med[r] = run(&s, depth, n, ms, cms, &cmed[r]);
		fprintf(stderr, "B%d run %d: steps min %.2f median %.2f max %.2f ms, cpu median %.2f ms\n", nseq, r, ms[0], med[r],
			ms[n - 1], cmed[r]);
	}
	qsort(med, (size_t)o->reps, sizeof med[0], cmp_double);
	qsort(cmed, (size_t)o->reps, sizeof cmed[0], cmp_double);
	t = med[o->reps / 2];
	c = cmed[o->reps / 2];
	if(o->depth > 0)
		printf("B%d@d%d step %.3f ms %.1f t/s cpu %.3f ms\n", nseq, depth, t, nseq * 1e3 / t, c);
	else
		printf("B%d step %.3f ms %.1f t/s cpu %.3f ms\n", nseq, t, nseq * 1e3 / t, c);
	fflush(stdout);
	for(q = 0; q < nseq; q++)
		kv_seq_clear(s.kv, &s.seq[q]);
	ctx_free(s.ctx);
	kv_pool_free(s.kv);
	free(s.seq);
	free(s.seqs);
	free(s.tok);
	free(s.pos);
	free(s.want);
	free(s.logits);
	free(ms);
	free(cms);
	free(med);
	free(cmed);
	reg_release(id);
	return 0;
}
