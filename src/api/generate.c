/*
 * generate.c - a generation: its prompt's tokens, what it does with each
 * token's logits on the scheduler's thread (sample, decode, stop at an
 * end-of-generation token, max_tokens, a stop string or the context's end),
 * its text as callers take it, and llambo_generate on top of that.
 *
 * The text shown to callers never ends with what could still become a stop
 * string; a stop string found cuts the text before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model/model.h"
#include "../util/error.h"
#include "registry.h"
#include "sched.h"
#include "../util/clock.h"

void
llambo_default_params(llambo_params *p)
{
	memset(p, 0, sizeof *p);
	p->max_tokens = 128;
	p->temperature = 0.8f;
	p->top_k = 40;
	p->top_p = 0.95f;
	p->min_p = 0.05f;
	p->repeat_penalty = 1.0f;
	p->repeat_last_n = 64;
	p->seed = LLAMBO_SEED_RANDOM;
	p->add_bos = -1;
}

/* With g->lk held. */
static int
text_append(llambo_gen *g, const char *s, size_t n)
{
	if(g->len + n + 1 > g->cap){
		size_t cap = (g->cap ? g->cap * 2 : 256) + n;
		char *b = realloc(g->text, cap);
		if(b == NULL)
			return lb_err("out of memory");
		g->text = b;
		g->cap = cap;
	}
	memcpy(g->text + g->len, s, n);
	g->len += n;
	g->text[g->len] = 0;
	return 0;
}

/* With g->lk held: cuts the text at the first stop string in the part just added; 1 if one was found. */
static int
text_stop(llambo_gen *g, size_t added)
{
	size_t from = g->len - added > g->maxstop ? g->len - added - g->maxstop : 0, best = (size_t)-1;
	int i;

	for(i = 0; i < g->p.n_stop; i++){
		const char *s = g->stops[i];
		char *hit;
		if(s[0] == 0)
			continue;
		hit = memmem(g->text + from, g->len - from, s, strlen(s));
		if(hit != NULL && (size_t)(hit - g->text) < best)
			best = (size_t)(hit - g->text);
	}
	if(best == (size_t)-1)
		return 0;
	g->len = best;
	g->text[best] = 0;
	return 1;
}

/* With g->lk held: how many bytes at the end of the text could still become a stop string. */
static size_t
text_holdback(const llambo_gen *g)
{
	size_t hold = 0, k;
	int i;

	for(i = 0; i < g->p.n_stop; i++){
		const char *s = g->stops[i];
		size_t sl = strlen(s);
		for(k = sl > 0 ? sl - 1 : 0; k > hold; k--)
			if(k <= g->len && memcmp(g->text + g->len - k, s, k) == 0){
				hold = k;
				break;
			}
	}
	return hold;
}

/* Adds a piece of text; 1 if a stop string ended the generation, -1 out of memory. */
static int
add_text(llambo_gen *g, const char *piece, size_t n, int final)
{
	int stop;

	pthread_mutex_lock(&g->lk);
	if(text_append(g, piece, n) < 0){
		pthread_mutex_unlock(&g->lk);
		return -1;
	}
	stop = text_stop(g, n);
	g->shown = stop || final ? g->len : g->len - text_holdback(g);
	if(g->shown > g->taken)
		g->fresh = 1;
	pthread_mutex_unlock(&g->lk);
	return stop;
}

static int
ended(llambo_gen *g, int reason)
{
	pthread_mutex_lock(&g->lk);
	g->st.stop_reason = reason;
	pthread_mutex_unlock(&g->lk);
	return 1;
}

int
lgen_token(llambo_gen *g, float *logits)
{
	int32_t tok;
	int n, rc;

	if(g->tgen == 0){	/* the prompt's logits */
		g->tgen = lb_now_ms();
		pthread_mutex_lock(&g->lk);
		g->st.prompt_ms = g->tgen - g->tprompt;
		pthread_mutex_unlock(&g->lk);
	}
	if(g->st.n_gen >= g->p.max_tokens)
		return ended(g, LLAMBO_STOP_LENGTH);
	tok = sampler_sample(g->smp, logits);
	if(!g->p.ignore_eos && vocab_is_eog(g->m->vocab, tok))
		return ended(g, LLAMBO_STOP_EOG);
	sampler_accept(g->smp, tok);
	pthread_mutex_lock(&g->lk);
	g->st.n_gen++;
	pthread_mutex_unlock(&g->lk);
	if(g->hold != NULL && g->n_prompt + g->st.n_gen - 1 < g->seq.n_ctx)
		g->prompt[g->n_prompt + g->st.n_gen - 1] = tok;	/* the session's record of its cache */
	n = detok_push(&g->dt, tok, g->piece, vocab_max_piece(g->m->vocab) + 8);
	if((rc = add_text(g, g->piece, (size_t)n, 0)) < 0){
		g->oom = 1;
		return 1;
	}
	if(rc > 0)
		return ended(g, LLAMBO_STOP_STRING);
	if(g->st.n_gen == g->p.max_tokens)
		return ended(g, LLAMBO_STOP_LENGTH);
	if(g->seq.kv.len >= g->seq.n_ctx)
		return ended(g, LLAMBO_STOP_CTX);
	g->last = tok;
	return 0;
}

void
lgen_end(llambo_gen *g, const char *why)
{
	int n;

	if(why == NULL && g->oom)
		why = "generation failed: out of memory";
	if(atomic_load(&g->cancel) && why == NULL)
		ended(g, LLAMBO_STOP_CANCEL);
	if(why == NULL && g->st.stop_reason != LLAMBO_STOP_STRING && g->st.stop_reason != LLAMBO_STOP_CANCEL){
		n = detok_flush(&g->dt, g->piece, vocab_max_piece(g->m->vocab) + 8);
		if(add_text(g, g->piece, (size_t)n, 1) == 1)
			ended(g, LLAMBO_STOP_STRING);
	}
	pthread_mutex_lock(&g->lk);
	if(g->tgen > 0)
		g->st.gen_ms = lb_now_ms() - g->tgen;
	if(why != NULL){
		g->state = LLAMBO_GEN_FAILED;
		snprintf(g->err, sizeof g->err, "%s", why);
	}else
		g->state = LLAMBO_GEN_DONE;
	g->shown = g->len;
	g->fresh = 1;
	pthread_mutex_unlock(&g->lk);
	lgen_tell(g);
}

void
lgen_tell(llambo_gen *g)
{
	int fresh;

	pthread_mutex_lock(&g->lk);
	fresh = g->fresh;
	g->fresh = 0;
	if(fresh)
		pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lk);
	if(fresh && g->notify != NULL)
		g->notify(g->arg);
}

void
lgen_unref(llambo_gen *g)
{
	int refs, i;

	pthread_mutex_lock(&g->lk);
	refs = --g->refs;
	pthread_mutex_unlock(&g->lk);
	if(refs > 0)
		return;
	for(i = 0; i < g->p.n_stop; i++)
		free(g->stops[i]);
	free(g->stops);
	if(g->hold == NULL){	/* a session's tokens and pages stay the session's */
		free(g->prompt);
		free(g->seq.kv.pages);
	}
	free(g->piece);
	free(g->text);
	sampler_free(g->smp);
	pthread_mutex_destroy(&g->lk);
	pthread_cond_destroy(&g->cond);
	free(g);
}

int
lgen_tokens(const Model *m, const char *prompt, const llambo_params *p, int32_t **toks)
{
	int32_t *t, bos = vocab_bos(m->vocab);
	int n = vocab_tokenize(m->vocab, prompt, strlen(prompt), p->add_bos != 0, p->parse_special, toks);

	if(n < 0 || p->add_bos != 1 || bos < 0 || (n > 0 && (*toks)[0] == bos))
		return n;
	t = realloc(*toks, sizeof(int32_t) * ((size_t)n + 1));
	if(t == NULL){
		free(*toks);
		return lb_err("out of memory");
	}
	memmove(t + 1, t, sizeof(int32_t) * (size_t)n);
	t[0] = bos;
	*toks = t;
	return n + 1;
}

/* The largest context a generation may have: the caller's wish or the default, within the model's and the scheduler's. */
static int
max_context(const llambo_gen *g)
{
	int cap = g->p.n_ctx > 0 ? g->p.n_ctx : SCHED_DEFAULT_CTX;

	if(cap > g->m->hp.n_ctx_train)
		cap = g->m->hp.n_ctx_train;
	return cap < sched_max_ctx(g->s) ? cap : sched_max_ctx(g->s);
}

/* Copies of the stop strings, so that the generation may outlive the caller's parameters. */
static int
copy_stops(llambo_gen *g)
{
	int i;

	if(g->p.n_stop == 0)
		return 0;
	g->stops = calloc((size_t)g->p.n_stop, sizeof *g->stops);
	if(g->stops == NULL)
		return lb_err("out of memory");
	for(i = 0; i < g->p.n_stop; i++){
		g->stops[i] = strdup(g->p.stop[i] != NULL ? g->p.stop[i] : "");
		if(g->stops[i] == NULL)
			return lb_err("out of memory");
		if(strlen(g->stops[i]) > g->maxstop)
			g->maxstop = strlen(g->stops[i]);
	}
	g->p.stop = (const char *const *)g->stops;
	return 0;
}

/* Everything but the scheduler, for the tokens in g->prompt: its cache's size and share of the budget, the sampler. */
static int
prepare(llambo_gen *g, int strip)
{
	int n = g->n_prompt, i;

	if(copy_stops(g) < 0)
		return -1;
	g->st.n_prompt = n - g->st.n_reused;
	if(n == 0)
		return lb_err("the prompt is empty and the model adds no BOS token");
	if(g->hold != NULL && n > g->seq.n_ctx)
		return lb_err("the conversation is %d tokens; the context holds %d", n, g->seq.n_ctx);
	if(g->hold == NULL && n > max_context(g))
		return lb_err("the prompt is %d tokens; the context holds %d", n, max_context(g));
	if(g->hold == NULL){	/* its cache: the prompt and max_tokens, within its context */
		g->seq.n_ctx = (long)n + g->p.max_tokens < max_context(g) ? n + g->p.max_tokens : max_context(g);
		g->seq.reserved = kv_pages_for(g->seq.n_ctx);
	}
	g->smp = sampler_new(g->m->hp.n_vocab, &g->p);
	g->piece = malloc((size_t)vocab_max_piece(g->m->vocab) + 8);
	if(g->smp == NULL || g->piece == NULL)
		return g->smp == NULL ? -1 : lb_err("out of memory");
	for(i = 0; i < n; i++)
		sampler_accept(g->smp, g->prompt[i]);
	detok_init(&g->dt, g->m->vocab);
	g->dt.first = strip;
	return 0;
}

/* A generation not yet started: its parameters checked, its model held. */
static llambo_gen *
gen_new(int id, const llambo_params *pin, llambo_notify_fn notify, void *arg)
{
	llambo_gen *g;
	Sched *s;

	if(pin != NULL && (pin->n_stop < 0 || (pin->n_stop > 0 && pin->stop == NULL))){
		lb_err("n_stop is %d but stop is %s", pin->n_stop, pin->stop ? "set" : "nil");
		return NULL;
	}
	if((g = calloc(1, sizeof *g)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	if(pin != NULL)
		g->p = *pin;
	else
		llambo_default_params(&g->p);
	g->p.on_token = NULL;
	if(sampler_check(&g->p) < 0 || (s = reg_sched(id)) == NULL){
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->lk, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->refs = 1;
	g->s = s;
	g->m = sched_model(s);
	g->id = id;
	g->notify = notify;
	g->arg = arg;
	g->state = LLAMBO_GEN_QUEUED;
	g->t0 = lb_now_ms();
	return g;
}

/* Prepares and queues g; on failure g is gone. */
static llambo_gen *
gen_submit(llambo_gen *g, int strip)
{
	int id = g->id;

	if(prepare(g, strip) < 0 || sched_submit(g->s, g) < 0){
		lgen_unref(g);
		reg_release(id);
		return NULL;
	}
	return g;
}

llambo_gen *
lgen_start(int id, int32_t *toks, int n, const llambo_params *p, Seq *hold, int strip, llambo_notify_fn notify, void *arg)
{
	llambo_gen *g = gen_new(id, p, notify, arg);

	if(g == NULL){
		if(hold == NULL)
			free(toks);
		return NULL;
	}
	g->prompt = toks;
	g->n_prompt = n;
	if(hold != NULL){
		g->hold = hold;
		g->seq = *hold;
		g->st.n_reused = hold->kv.len + hold->nload;
	}
	return gen_submit(g, strip);
}

int
lgen_release(int id, Seq *seq)
{
	llambo_gen *g = gen_new(id, NULL, NULL, NULL);

	if(g == NULL)
		return -1;
	g->seq = *seq;	/* a generation that ends before it runs: the scheduler clears its pages */
	atomic_store(&g->cancel, 1);
	if(sched_submit(g->s, g) < 0){
		lgen_unref(g);
		reg_release(id);
		return -1;
	}
	memset(seq, 0, sizeof *seq);
	llambo_gen_free(g);
	return 0;
}

llambo_gen *
llambo_gen_start(int id, const char *prompt, const llambo_params *pin, llambo_notify_fn notify, void *arg)
{
	llambo_gen *g;
	int n;

	if(prompt == NULL){
		lb_err("prompt is nil");
		return NULL;
	}
	if((g = gen_new(id, pin, notify, arg)) == NULL)
		return NULL;
	if((n = lgen_tokens(g->m, prompt, &g->p, &g->prompt)) < 0){
		lgen_unref(g);
		reg_release(id);
		return NULL;
	}
	g->n_prompt = n;
	return gen_submit(g, 1);
}

int
llambo_gen_take(llambo_gen *g, char *buf, size_t max, size_t *n)
{
	int state;
	size_t k;

	pthread_mutex_lock(&g->lk);
	k = g->shown - g->taken < max ? g->shown - g->taken : max;
	if(k > 0)
		memcpy(buf, g->text + g->taken, k);
	g->taken += k;
	state = g->state;
	if(state == LLAMBO_GEN_FAILED)
		lb_err("%s", g->err);
	pthread_mutex_unlock(&g->lk);
	*n = k;
	return state;
}

void
llambo_gen_wait(llambo_gen *g)
{
	pthread_mutex_lock(&g->lk);
	while(g->taken == g->shown && g->state < LLAMBO_GEN_DONE)
		pthread_cond_wait(&g->cond, &g->lk);
	pthread_mutex_unlock(&g->lk);
}

void
llambo_gen_cancel(llambo_gen *g)
{
	atomic_store(&g->cancel, 1);
	sched_wake(g->s);
}

void
llambo_gen_stats(llambo_gen *g, llambo_stats *st)
{
	pthread_mutex_lock(&g->lk);
	*st = g->st;
	pthread_mutex_unlock(&g->lk);
}

void
llambo_gen_free(llambo_gen *g)
{
	int id;

	if(g == NULL)
		return;
	id = g->id;
	llambo_gen_cancel(g);
	lgen_unref(g);
	reg_release(id);	/* last: the scheduler lives while the model is held */
}

int
llambo_set_kv_budget(int id, long long bytes)
{
	Sched *s;
	int rc;

	if(id == -1){
		sched_default_budget(bytes);
		return 0;
	}
	if((s = reg_sched(id)) == NULL)
		return -1;
	rc = sched_set_budget(s, bytes);
	reg_release(id);
	return rc;
}

/* Text not yet given to the callback, copied out under the lock (the buffer moves as it grows). */
static int
take_piece(llambo_gen *g, char **buf, size_t *cap, size_t *n)
{
	int state;

	pthread_mutex_lock(&g->lk);
	while(g->taken == g->shown && g->state < LLAMBO_GEN_DONE)
		pthread_cond_wait(&g->cond, &g->lk);
	*n = g->shown - g->taken;
	if(*n + 1 > *cap){
		char *b = realloc(*buf, *n + 1);
		if(b == NULL)
			*n = 0;
		else{
			*buf = b;
			*cap = *n + 1;
		}
	}
	if(*n > 0)
		memcpy(*buf, g->text + g->taken, *n);
	g->taken += *n;
	state = g->state;
	pthread_mutex_unlock(&g->lk);
	return state;
}

char *
lgen_collect(llambo_gen *g, const llambo_params *p, llambo_stats *st)
{
	char *piece = NULL, *text = NULL;
	size_t cap = 0, n, upto = 0;
	int state, stopped = 0;

	do{
		state = take_piece(g, &piece, &cap, &n);
		if(stopped || n == 0)
			continue;
		upto += n;
		if(p->on_token != NULL && p->on_token(piece, n, p->cb_arg)){
			llambo_gen_cancel(g);	/* the text ends with this piece */
			stopped = 1;
		}
	}while(state < LLAMBO_GEN_DONE);
	free(piece);
	pthread_mutex_lock(&g->lk);
	if(state == LLAMBO_GEN_FAILED)
		lb_err("%s", g->err);
	else if((text = malloc((stopped ? upto : g->len) + 1)) != NULL){
		memcpy(text, g->text, stopped ? upto : g->len);
		text[stopped ? upto : g->len] = 0;
	}
	if(stopped)
		g->st.stop_reason = LLAMBO_STOP_CALLBACK;
	if(st != NULL)
		*st = g->st;
	pthread_mutex_unlock(&g->lk);
	if(state != LLAMBO_GEN_FAILED && text == NULL)
		lb_err("out of memory");
	llambo_gen_free(g);
	return text;
}

llambo_params
lgen_params(const llambo_params *pin, llambo_stats *st)
{
	llambo_params p;

	if(st != NULL)
		memset(st, 0, sizeof *st);
	if(pin != NULL)
		return *pin;
	llambo_default_params(&p);
	return p;
}

char *
llambo_generate(int id, const char *prompt, const llambo_params *pin, llambo_stats *st)
{
	llambo_params p = lgen_params(pin, st);
	llambo_gen *g;

	if((g = llambo_gen_start(id, prompt, &p, NULL, NULL)) == NULL)
		return NULL;
	return lgen_collect(g, &p, st);
}
