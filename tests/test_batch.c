/*
 * test_batch.c - batches whose rows belong to different sequences (src/model/batch.h)
 * give each sequence the logits it gets alone, bit for bit, on synthetic models (no
 * ../shared needed): sequences join at different steps, some processing their prompt
 * in chunks while others generate, leave when done, and newcomers reuse their pages.
 * Also the KV pool's budget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/batch.h"
#include "../src/model/synth.h"
#include "../src/util/error.h"
#include "testutil.h"

enum { NV = 300, NSEQ = 5, MAXP = 80, GEN = 12, CHUNK = 16 };

typedef struct Seq {
	int32_t prompt[MAXP];
	int np, join;	/* prompt length; the step from which it may join */
	float *ref;	/* GEN rows: its logits alone after the prompt and after each generated token */
	KVSeq kv;
	int active, fed, ngen, done;
	int wanted;	/* it has a row of logits in this step's output */
	int32_t last;	/* the token to feed next once the prompt is in */
} Seq;

static Model *
synth_model(const char *type, char *path, size_t npath)
{
	SynthSpec s;
	Model *m;

	tmp_path(path, npath, "batch.gguf");
	synth_defaults(&s);
	s.n_vocab = NV;
	s.type = type;
	assert_int_equal(synth_write(&s, path), 0);
	m = model_load(path, 1);
	if(m == NULL)
		fail_msg("%s: %s", type, lb_errstr());
	return m;
}

static int32_t
argmax(const float *x)
{
	int32_t i, best = 0;

	for(i = 1; i < NV; i++)
		if(x[i] > x[best])
			best = i;
	return best;
}

/* Seq's logits alone: its prompt in one go, then GEN-1 greedy tokens one at a time. */
static void
alone(const Model *m, Seq *s)
{
	Ctx *c = ctx_new(m, 128, 2);
	int32_t tok;
	int i;

	assert_non_null(c);
	s->ref = malloc(sizeof(float) * NV * GEN);
	assert_int_equal(ctx_eval(c, s->prompt, s->np, s->ref, 0), 0);
	for(i = 1; i < GEN; i++){
		tok = argmax(s->ref + (size_t)(i - 1) * NV);
		assert_int_equal(ctx_eval(c, &tok, 1, s->ref + (size_t)i * NV, 0), 0);
	}
	ctx_free(c);
}

/* Adds seq's rows for this step: a chunk of its prompt, or its last token. */
static void
rows(KVPool *kv, Seq *s, int32_t *tok, int *pos, KVSeq **sq, uint8_t *want, int *n)
{
	int k = s->fed < s->np ? (s->np - s->fed < CHUNK ? s->np - s->fed : CHUNK) : 1, i;

	assert_int_equal(kv_seq_grow(kv, &s->kv, s->kv.len + k), 0);
	s->wanted = s->fed + k >= s->np;
	for(i = 0; i < k; i++){
		tok[*n] = s->fed < s->np ? s->prompt[s->fed + i] : s->last;
		pos[*n] = s->kv.len + i;
		sq[*n] = &s->kv;
		want[*n] = s->fed >= s->np || s->fed + k == s->np ? i == k - 1 : 0;
		(*n)++;
	}
	if(s->fed < s->np)
		s->fed += k;
}

/* All sequences through one context and pool, joining and leaving as a scheduler would. */
static void
mixed(const Model *m, Seq *seq, int budget)
{
	KVPool *kv = kv_pool_new(&m->hp, m->kv_type_k, m->kv_type_v, budget);
	Ctx *c = ctx_make(m, kv, 128, NSEQ * CHUNK, 2);
	int32_t tok[NSEQ * CHUNK];
	int pos[NSEQ * CHUNK], n, i, step, left = NSEQ, waited = 0, reserved = 0;
	KVSeq *sq[NSEQ * CHUNK];
	uint8_t want[NSEQ * CHUNK];
	float *lg = malloc(sizeof(float) * NV * NSEQ);

	assert_non_null(kv);
	assert_non_null(c);
	for(step = 0; left > 0; step++){
		assert_true(step < 1000);
		n = 0;
		for(i = 0; i < NSEQ; i++){
			Seq *s = &seq[i];
			int need = kv_pages_for(s->np + GEN);
			if(!s->active && !s->done && step >= s->join){
				if(reserved + need > budget){	/* waits for pages, as a queued request */
					waited++;
					continue;
				}
				reserved += need;
				s->active = 1;
			}
			if(s->active)
				rows(kv, s, tok, pos, sq, want, &n);
		}
		if(n == 0)
			continue;
		assert_int_equal(ctx_batch(c, &(Batch){ n, tok, pos, sq, want }, lg), 0);
		for(i = 0, n = 0; i < NSEQ; i++){
			Seq *s = &seq[i];
			if(!s->active || !s->wanted)
				continue;
			assert_memory_equal(lg + (size_t)n * NV, s->ref + (size_t)s->ngen * NV, sizeof(float) * NV);
			s->last = argmax(lg + (size_t)n++ * NV);
			if(++s->ngen == GEN){
				kv_seq_clear(kv, &s->kv);
				reserved -= kv_pages_for(s->np + GEN);
				s->active = 0;
				s->done = 1;
				left--;
			}
		}
		assert_true(kv->used <= budget);
	}
	assert_true(waited > 0);	/* the budget made one wait, and it reused freed pages */
	assert_int_equal(kv->used, 0);
	free(lg);
	ctx_free(c);
	kv_pool_free(kv);
}

static void
run_type(const char *type)
{
	static const int np[NSEQ] = { 37, 5, 70, 1, 33 }, join[NSEQ] = { 0, 0, 2, 3, 4 };
	char path[512];
	Model *m = synth_model(type, path, sizeof path);
	Seq seq[NSEQ];
	int i, j, pages = 0;

	memset(seq, 0, sizeof seq);
	for(i = 0; i < NSEQ; i++){
		seq[i].np = np[i];
		seq[i].join = join[i];
		for(j = 0; j < np[i]; j++)
			seq[i].prompt[j] = (int32_t)((j * 37 + i * 101 + 11) % NV);
		alone(m, &seq[i]);
		pages += kv_pages_for(np[i] + GEN);
	}
	mixed(m, seq, pages - 1);	/* one page short of all five at once: the last to join waits */
	for(i = 0; i < NSEQ; i++){
		free(seq[i].ref);
		free(seq[i].kv.pages);
	}
	model_free(m);
	unlink(path);
}

static void
test_mixed_q8_0(void **state)
{
	run_type("Q8_0");
}

static void
test_mixed_q4_0(void **state)
{
	run_type("Q4_0");
}

static void
test_mixed_q4_k_m(void **state)
{
	run_type("Q4_K_M");
}

/* The pool hands out pages up to its budget, then refuses with a reason; pages given back are reused. */
static void
test_pool_budget(void **state)
{
	char path[512];
	Model *m = synth_model("Q8_0", path, sizeof path);
	KVPool *kv = kv_pool_new(&m->hp, m->kv_type_k, m->kv_type_v, 3);
	KVSeq a = { 0 }, b = { 0 };
	uint8_t *first;

	assert_non_null(kv);
	assert_int_equal(kv_seq_grow(kv, &a, 2 * KV_PAGE), 0);
	assert_int_equal(a.npages, 2);
	assert_int_equal(kv_seq_grow(kv, &a, 2 * KV_PAGE), 0);	/* already there */
	assert_int_equal(kv_seq_grow(kv, &b, KV_PAGE + 1), -1);
	assert_non_null(strstr(lb_errstr(), "KV cache full"));
	assert_int_equal(kv_seq_grow(kv, &b, KV_PAGE), 0);
	assert_int_equal(kv->used, 3);
	first = a.pages[0];	/* given back last */
	kv_seq_clear(kv, &a);
	assert_int_equal(kv->used, 1);
	assert_int_equal(a.npages, 0);
	assert_int_equal(kv_seq_grow(kv, &b, 2 * KV_PAGE), 0);
	assert_ptr_equal(b.pages[1], first);	/* the last page given back is the next taken */
	assert_int_equal(kv->made, 3);
	kv_seq_clear(kv, &b);
	kv_pool_free(kv);
	assert_null(kv_pool_new(&m->hp, m->kv_type_k, m->kv_type_v, 0));
	model_free(m);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_mixed_q8_0),
		cmocka_unit_test(test_mixed_q4_0),
		cmocka_unit_test(test_mixed_q4_k_m),
		cmocka_unit_test(test_pool_budget),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
