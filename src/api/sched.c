/*
 * sched.c - one model's scheduler: continuous batching over a paged KV cache.
 * See sched.h.
 *
 * A step: cancelled generations leave (their pages go back), queued ones are
 * admitted in order of arrival while the budget holds what they reserve, then
 * one batch takes one row from every generating sequence and chunks of the
 * prompts in progress (while others generate, at most SHARED_CHUNK prompt rows,
 * so that their next token is never long in coming; alone, a whole batch).
 */
#include <fenv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../model/batch.h"
#include "../runtime/pool.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "sched.h"
#include "../util/clock.h"

enum {
	MAX_SEQS = 64,	/* generations running at once */
	MAX_QUEUE = 64,	/* generations waiting for KV cache */
	STEP_ROWS = MODEL_MAX_BATCH,	/* rows of a step */
	SHARED_CHUNK = 64,	/* prompt rows of a step while other sequences generate */
	MAX_CTX = 1 << 20,	/* the longest sequence, whatever a file claims */
	DEFAULT_SEQS = 16,	/* full default contexts the default budget holds, memory permitting */
};

struct Sched {
	Model *m;
	int id;
	pthread_mutex_t lk;
	pthread_cond_t wake;	/* work, a cancellation, a new budget, the end */
	int retired;	/* the model was let go: free everything once idle */
	llambo_gen *queue, *run;	/* waiting for pages; admitted (in order of arrival) */
	int nqueued, nrun;
	int budget, reserved;	/* pages */
	size_t page_bytes;
	long long ntok;	/* tokens generated since load */
	long long steps;
	double last_tps;
	/* the scheduler's thread only */
	KVPool *kv;
	Ctx *ctx;
	Pool *pool;	/* the threads (the context's) */
	int max_ctx;
	float *logits;	/* a row per generating sequence */
	size_t logits_bytes;
	int32_t *tok;	/* a step's rows */
	int *pos;
	KVSeq **seqs;
	uint8_t *want;
	llambo_gen **wanted;	/* whose logits each row of s->logits is */
	int *ended;	/* what lgen_token said for each */
};

typedef struct TokenJob {
	Sched *s;
	int n;
	atomic_int next;
} TokenJob;

/* DEFAULT_SEQS full contexts within a quarter of the memory the model's weights leave. */
static int
machine_budget(const Model *m, size_t page)
{
	double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
	int ctx = m->hp.n_ctx_train < SCHED_DEFAULT_CTX ? m->hp.n_ctx_train : SCHED_DEFAULT_CTX;
	double want = (double)DEFAULT_SEQS * kv_pages_for(ctx) * (double)page, room = (ram - (double)m->weight_bytes) / 4;
	double bytes = want < room ? want : room;

	if(sizeof(void *) < 8 && bytes > 512.0 * (1 << 20))	/* 32-bit: the address space is shared with the weights */
		bytes = 512.0 * (1 << 20);
	bytes /= (double)page;
	return bytes < 1 ? 1 : bytes > 1e9 ? 1000000000 : (int)bytes;
}

static _Atomic long long chosen;	/* llambo_set_kv_budget(-1, ...): bytes for every model (0: the machine's) */

/*
 * What a model gets unless told otherwise: the budget chosen for all models
 * (at least a page), else DEFAULT_SEQS full contexts within a quarter of the
 * memory its weights leave.
 */
static int
default_budget(const Model *m, size_t page)
{
	long long all = atomic_load(&chosen);

	if(all > 0)
		return all / (long long)page < 1 ? 1 : all / (long long)page > 1000000000 ? 1000000000 : (int)(all / (long long)page);
	return machine_budget(m, page);
}

void
sched_default_budget(long long bytes)
{
	atomic_store(&chosen, bytes > 0 ? bytes : 0);
}

static void
unlink_gen(llambo_gen **l, llambo_gen *g)
{
	for(; *l != NULL; l = &(*l)->next)
		if(*l == g){
			*l = g->next;
			g->next = NULL;
			return;
		}
}

static void
append_gen(llambo_gen **l, llambo_gen *g)
{
	while(*l != NULL)
		l = &(*l)->next;
	g->next = NULL;
	*l = g;
}

/* g leaves (on the scheduler's thread): pages back, counts, its end told, the scheduler's reference dropped. */
static void
finish(Sched *s, llambo_gen *g, int running, const char *why)
{
	if(g->hold != NULL)
		*g->hold = g->seq;	/* a session's: it keeps its pages, and the budget keeps counting them */
	else
		kv_seq_clear(s->kv, &g->seq.kv);
	pthread_mutex_lock(&s->lk);
	if(running){
		unlink_gen(&s->run, g);
		s->nrun--;
	}
	if(g->hold == NULL)
		s->reserved -= g->seq.counted;
	s->ntok += g->st.n_gen;	/* counted before the caller hears of the end */
	pthread_mutex_unlock(&s->lk);
	lgen_end(g, why);
	if(g->st.gen_ms > 0){
		pthread_mutex_lock(&s->lk);
		s->last_tps = g->st.n_gen * 1e3 / g->st.gen_ms;
		pthread_mutex_unlock(&s->lk);
	}
	lgen_unref(g);
}

/* With s->lk held: takes g off the queue. */
static void
dequeue(Sched *s, llambo_gen *g)
{
	unlink_gen(&s->queue, g);
	s->nqueued--;
}

/* Cancelled ones leave; queued ones come in while the budget holds them.  0 when nothing runs. */
static int
admit(Sched *s)
{
	llambo_gen *g, *next, *gone = NULL;
	double t = lb_now_ms();

	for(g = s->run; g != NULL; g = next){
		next = g->next;
		if(atomic_load(&g->cancel))
			finish(s, g, 1, NULL);
	}
	pthread_mutex_lock(&s->lk);
	for(g = s->queue; g != NULL; g = next){
		next = g->next;
		if(atomic_load(&g->cancel) || g->seq.reserved > s->budget){
			dequeue(s, g);
			g->next = gone;
			gone = g;
		}
	}
	s->kv->budget = s->budget > s->reserved ? s->budget : s->reserved;	/* a smaller budget starves no running one */
	while((g = s->queue) != NULL && s->nrun < MAX_SEQS && s->reserved + g->seq.reserved - g->seq.counted <= s->budget){
		dequeue(s, g);
		s->reserved += g->seq.reserved - g->seq.counted;
		g->seq.counted = g->seq.reserved;
		s->nrun++;
		append_gen(&s->run, g);
		pthread_mutex_lock(&g->lk);
		g->state = LLAMBO_GEN_RUNNING;
		g->st.queue_ms = t - g->t0;
		g->tprompt = t;
		pthread_mutex_unlock(&g->lk);
	}
	pthread_mutex_unlock(&s->lk);
	for(g = gone; g != NULL; g = next){
		next = g->next;
		finish(s, g, 0, atomic_load(&g->cancel) ? NULL : "the KV cache budget was made smaller than this generation needs");
	}
	return s->run != NULL;
}

/* g's rows for this step: a chunk of its prompt (at most *room rows) or its last token. */
static int
add_rows(Sched *s, llambo_gen *g, int *n, int *room, int *nw)
{
	int len, k = 1, i, prompt;

	if(g->seq.nload > 0){	/* a restored session's saved positions, copied in */
		if(kv_seq_load(s->kv, &g->seq.kv, g->seq.load, g->seq.nload) < 0)
			return -1;
		g->seq.nload = 0;
	}
	len = g->seq.kv.len;
	prompt = len < g->n_prompt;
	if(prompt){
		k = g->n_prompt - len < *room ? g->n_prompt - len : *room;
		if(k <= 0)
			return 0;
		*room -= k;
	}
	if(kv_seq_grow(s->kv, &g->seq.kv, len + k) < 0)
		return -1;
	for(i = 0; i < k; i++, (*n)++){
		s->tok[*n] = prompt ? g->prompt[len + i] : g->last;
		s->pos[*n] = len + i;
		s->seqs[*n] = &g->seq.kv;
		s->want[*n] = i == k - 1 && len + k >= g->n_prompt;
		if(s->want[*n])
			s->wanted[(*nw)++] = g;
	}
	return 0;
}

/* Ends every running generation with the engine's reason. */
static void
fail_all(Sched *s)
{
	char why[256];

	snprintf(why, sizeof why, "generation failed: %s", lb_errstr());
	while(s->run != NULL)
		finish(s, s->run, 1, why);
}

/* Each wanted generation's token (sampling a large vocabulary is not free), over the threads. */
static void
token_task(void *arg, int ith, int nth)
{
	TokenJob *j = arg;
	Sched *s = j->s;
	int i;

	while((i = pool_next(&j->next)) < j->n)
		s->ended[i] = lgen_token(s->wanted[i], s->logits + (size_t)i * s->m->hp.n_vocab);
}

static void
step(Sched *s)
{
	Batch b = { 0, s->tok, s->pos, s->seqs, s->want };
	int room = ctx_batch_rows(s->ctx) - s->nrun, nw = 0, nth = 0, i, want;
	llambo_gen *g, *next;
	TokenJob tj;

	for(g = s->run; g != NULL; g = g->next)
		if(g->seq.kv.len >= g->n_prompt && room > SHARED_CHUNK)
			room = SHARED_CHUNK;	/* someone generates: keep its next token near */
	for(g = s->run; g != NULL; g = next){
		next = g->next;
		if(add_rows(s, g, &b.n, &room, &nw) < 0){	/* cannot happen within the reservation; said if it does */
			char why[256];
			snprintf(why, sizeof why, "generation failed: %s", lb_errstr());
			finish(s, g, 1, why);
			continue;
		}
		want = g->p.n_threads > 0 ? g->p.n_threads : 1 << 20;
		nth = want > nth ? want : nth;
	}
	if(b.n == 0)
		return;
	ctx_set_threads(s->ctx, nth);
	if(ctx_batch(s->ctx, &b, s->logits) < 0){
		fail_all(s);
		return;
	}
	pthread_mutex_lock(&s->lk);
	s->steps++;
	pthread_mutex_unlock(&s->lk);
	for(g = s->run; g != NULL; g = g->next){
		pthread_mutex_lock(&g->lk);
		g->st.n_prompt_done = (g->seq.kv.len < g->n_prompt ? g->seq.kv.len : g->n_prompt) - g->st.n_reused;
		pthread_mutex_unlock(&g->lk);
	}
	tj.s = s;
	tj.n = nw;
	atomic_init(&tj.next, 0);
	pool_run(s->pool, token_task, &tj, nw > 1 ? nth : 1);
	for(i = 0; i < nw; i++){
		if(s->ended[i])
			finish(s, s->wanted[i], 1, NULL);
		else
			lgen_tell(s->wanted[i]);
	}
}

static void
sched_free(Sched *s)
{
	kv_pool_free(s->kv);
	ctx_free(s->ctx);
	lb_bigfree(s->logits, s->logits_bytes);
	free(s->tok);
	free(s->pos);
	free(s->seqs);
	free(s->want);
	free(s->wanted);
	free(s->ended);
	pthread_mutex_destroy(&s->lk);
	pthread_cond_destroy(&s->wake);
	free(s);
}

static void *
schedmain(void *arg)
{
	Sched *s = arg;
	Model *m;

	fesetenv(FE_DFL_ENV);	/* hosted Inferno's threads may come with any floating-point state */
	pthread_mutex_lock(&s->lk);
	for(;;){
		while(!s->retired && s->run == NULL && s->queue == NULL)
			pthread_cond_wait(&s->wake, &s->lk);
		if(s->retired && s->run == NULL && s->queue == NULL)
			break;
		pthread_mutex_unlock(&s->lk);
		if(admit(s))
			step(s);
		pthread_mutex_lock(&s->lk);
	}
	pthread_mutex_unlock(&s->lk);
	m = s->m;
	sched_free(s);
	model_free(m);
	return NULL;
}

/* The scheduler's thread, with every signal blocked (hosted Inferno's handlers expect its own threads). */
static int
start_thread(Sched *s)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	err = pthread_create(&t, &attr, schedmain, s);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err == 0 ? 0 : lb_err("cannot start the scheduler's thread");
}

Sched *
sched_new(Model *m, int id)
{
	Sched *s = calloc(1, sizeof *s);

	if(s == NULL){
		lb_err("out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lk, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->m = m;
	s->id = id;
	s->page_bytes = kv_page_bytes(&m->hp, m->kv_type_k, m->kv_type_v);
	s->max_ctx = m->hp.n_ctx_train < MAX_CTX ? m->hp.n_ctx_train : MAX_CTX;
	s->budget = s->page_bytes > 0 ? default_budget(m, s->page_bytes) : 0;
	s->logits_bytes = lb_mul(lb_mul(MAX_SEQS, (size_t)m->hp.n_vocab), sizeof(float));
	if((s->kv = kv_pool_new(&m->hp, m->kv_type_k, m->kv_type_v, s->budget)) == NULL
	|| (s->ctx = ctx_make(m, s->kv, s->max_ctx, STEP_ROWS, 0)) == NULL
	|| (s->pool = pool_get()) == NULL
	|| (s->logits = lb_bigalloc(s->logits_bytes)) == NULL)
		goto bad;
	s->tok = malloc(sizeof *s->tok * STEP_ROWS);
	s->pos = malloc(sizeof *s->pos * STEP_ROWS);
	s->seqs = malloc(sizeof *s->seqs * STEP_ROWS);
	s->want = malloc(STEP_ROWS);
	s->wanted = malloc(sizeof *s->wanted * STEP_ROWS);
	s->ended = malloc(sizeof *s->ended * STEP_ROWS);
	if(s->tok == NULL || s->pos == NULL || s->seqs == NULL || s->want == NULL || s->wanted == NULL || s->ended == NULL){
		lb_err("out of memory");
		goto bad;
	}
	if(start_thread(s) < 0)
		goto bad;
	return s;
bad:
	sched_free(s);
	return NULL;
}

void
sched_retire(Sched *s, Model *m)
{
	pthread_mutex_lock(&s->lk);
	s->retired = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lk);
	(void)m;	/* it is s->m: the thread frees it */
}

int
sched_submit(Sched *s, llambo_gen *g)
{
	pthread_mutex_lock(&s->lk);
	if(g->seq.reserved - g->seq.counted > s->budget){
		pthread_mutex_unlock(&s->lk);
		return lb_err("a context of %d tokens needs %.0f MiB of KV cache; model %d's budget is %.0f MiB",
			g->seq.n_ctx, (double)g->seq.reserved * s->page_bytes / (1 << 20), s->id,
			(double)s->budget * s->page_bytes / (1 << 20));
	}
	if(s->nqueued >= MAX_QUEUE){
		pthread_mutex_unlock(&s->lk);
		return lb_err("model %d is busy: %d generations wait for KV cache (limit %d); try again later",
			s->id, s->nqueued, MAX_QUEUE);
	}
	g->refs++;	/* the scheduler's */
	append_gen(&s->queue, g);
	s->nqueued++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lk);
	return 0;
}

void
sched_wake(Sched *s)
{
	pthread_mutex_lock(&s->lk);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lk);
}

int
sched_set_budget(Sched *s, long long bytes)
{
	long long pages = bytes > 0 ? bytes / (long long)s->page_bytes : default_budget(s->m, s->page_bytes);

	if(pages < 1)
		return lb_err("a KV cache budget of %lld bytes holds no page (%zu bytes: %d positions of model %d)",
			bytes, s->page_bytes, KV_PAGE, s->id);
	pthread_mutex_lock(&s->lk);
	s->budget = pages > 1000000000 ? 1000000000 : (int)pages;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lk);
	return 0;
}

void
sched_status(Sched *s, llambo_status *st)
{
	pthread_mutex_lock(&s->lk);
	st->generations = s->nrun;
	st->queued = s->nqueued;
	st->max_queued = MAX_QUEUE;
	st->kv_used = (long long)s->reserved * (long long)s->page_bytes;
	st->kv_budget = (long long)s->budget * (long long)s->page_bytes;
	st->tokens_generated = s->ntok;
	st->steps = s->steps;
	st->last_tok_per_s = s->last_tps;
	pthread_mutex_unlock(&s->lk);
}

int
sched_max_ctx(const Sched *s)
{
	return s->max_ctx;
}

const Model *
sched_model(const Sched *s)
{
	return s->m;
}

const KVPool *
sched_kv(const Sched *s)
{
	return s->kv;
}
