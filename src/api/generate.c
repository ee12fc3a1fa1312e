/*
 * generate.c - a whole generation: tokenize, process the prompt in batches,
 * then sample, decode and stream one token at a time until an end-of-generation
 * token, max_tokens, a stop string, the context's end, or the callback says stop.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model/model.h"
#include "../runtime/pool.h"
#include "../sample/sample.h"
#include "../util/error.h"
#include "../vocab/vocab.h"
#include "registry.h"
#include "llambo.h"

enum { DEFAULT_CTX = 4096 };

typedef struct Out {
	char *buf;
	size_t len, cap;
	size_t sent;	/* bytes already given to the callback */
	const llambo_params *p;
	size_t maxstop;	/* longest stop string */
} Out;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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

static int
out_append(Out *o, const char *s, size_t n)
{
	if(o->len + n + 1 > o->cap){
		size_t cap = (o->cap ? o->cap * 2 : 256) + n;
		char *b = realloc(o->buf, cap);
		if(b == NULL)
			return lb_err("out of memory");
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
	return 0;
}

/* Cuts the output at the first stop string in the part just added; 1 if one was found. */
static int
out_stop(Out *o, size_t added)
{
	size_t from = o->len - added > o->maxstop ? o->len - added - o->maxstop : 0, best = (size_t)-1;
	int i;

	for(i = 0; i < o->p->n_stop; i++){
		const char *s = o->p->stop[i];
		char *hit;
		if(s == NULL || s[0] == 0)
			continue;
		hit = memmem(o->buf + from, o->len - from, s, strlen(s));
		if(hit != NULL && (size_t)(hit - o->buf) < best)
			best = (size_t)(hit - o->buf);
	}
	if(best == (size_t)-1)
		return 0;
	o->len = best;
	o->buf[best] = 0;
	return 1;
}

/* How many bytes at the end of the output could still become a stop string. */
static size_t
out_holdback(const Out *o)
{
	size_t hold = 0, k;
	int i;

	for(i = 0; i < o->p->n_stop; i++){
		const char *s = o->p->stop[i];
		size_t sl = s ? strlen(s) : 0;
		for(k = sl > 0 ? sl - 1 : 0; k > hold; k--)
			if(k <= o->len && memcmp(o->buf + o->len - k, s, k) == 0){
				hold = k;
				break;
			}
	}
	return hold;
}

/* Gives the callback what is safe to show; nonzero if it asks to stop. */
static int
out_flush(Out *o, int final)
{
	size_t upto = final ? o->len : o->len - out_holdback(o), from = o->sent;

	if(o->p->on_token == NULL || upto <= from)
		return 0;
	o->sent = upto;
	return o->p->on_token(o->buf + from, upto - from, o->p->cb_arg);
}

/* The prompt's tokens; add_bos 1 puts BOS first even where the vocabulary would not. */
static int
prompt_tokens(const Model *m, const char *prompt, const llambo_params *p, int32_t **toks)
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

/* The largest context a generation may have: the caller's wish or DEFAULT_CTX, within the model's. */
static int
max_context(const Model *m, const llambo_params *p)
{
	int cap = p->n_ctx > 0 ? p->n_ctx : DEFAULT_CTX;

	return cap < m->hp.n_ctx_train ? cap : m->hp.n_ctx_train;
}

/* What this one needs: its prompt and max_tokens (the KV cache is sized to it). */
static int
context_size(const Model *m, const llambo_params *p, int n_prompt)
{
	long want = (long)n_prompt + p->max_tokens;

	return want < max_context(m, p) ? (int)want : max_context(m, p);
}

typedef struct Run {
	const Model *m;
	const llambo_params *p;
	Ctx *ctx;
	Sampler *smp;
	float *logits;
	Detok dt;
	char *piece;
	Out out;
	llambo_stats st;
} Run;

/* The token loop; returns the stop reason, or -1 on an engine error. */
static int
run_tokens(Run *r)
{
	int32_t tok;
	int n;

	while(r->st.n_gen < r->p->max_tokens){
		tok = sampler_sample(r->smp, r->logits);
		if(vocab_is_eog(r->m->vocab, tok))
			return LLAMBO_STOP_EOG;
		sampler_accept(r->smp, tok);
		r->st.n_gen++;
		n = detok_push(&r->dt, tok, r->piece, vocab_max_piece(r->m->vocab) + 8);
		if(out_append(&r->out, r->piece, (size_t)n) < 0)
			return -1;
		if(out_stop(&r->out, (size_t)n))
			return LLAMBO_STOP_STRING;
		if(out_flush(&r->out, 0))
			return LLAMBO_STOP_CALLBACK;
		if(r->st.n_gen == r->p->max_tokens)
			break;
		if(ctx_pos(r->ctx) >= ctx_n_ctx(r->ctx))
			return LLAMBO_STOP_CTX;
		if(ctx_eval(r->ctx, &tok, 1, r->logits, 0) < 0)
			return -1;
	}
	return LLAMBO_STOP_LENGTH;
}

static int
run(Run *r, const char *prompt, int threads)
{
	int32_t *toks = NULL;
	int n, i, reason;
	double t0;

	n = prompt_tokens(r->m, prompt, r->p, &toks);
	if(n < 0)
		return -1;
	r->st.n_prompt = n;
	if(n == 0){
		free(toks);
		return lb_err("the prompt is empty and the model adds no BOS token");
	}
	if(n > max_context(r->m, r->p)){
		free(toks);
		return lb_err("the prompt is %d tokens; the context holds %d", n, max_context(r->m, r->p));
	}
	r->ctx = ctx_new(r->m, context_size(r->m, r->p, n), threads);
	r->smp = sampler_new(r->m->hp.n_vocab, r->p);
	r->logits = malloc(sizeof(float) * (size_t)r->m->hp.n_vocab);
	r->piece = malloc((size_t)vocab_max_piece(r->m->vocab) + 8);
	if(r->ctx == NULL || r->smp == NULL || r->logits == NULL || r->piece == NULL){
		free(toks);
		return r->ctx == NULL || r->smp == NULL ? -1 : lb_err("out of memory");
	}
	for(i = 0; i < n; i++)
		sampler_accept(r->smp, toks[i]);
	t0 = now_ms();
	i = ctx_eval(r->ctx, toks, n, r->logits, 0);
	free(toks);
	if(i < 0)
		return -1;
	r->st.prompt_ms = now_ms() - t0;
	detok_init(&r->dt, r->m->vocab);
	t0 = now_ms();
	reason = r->p->max_tokens > 0 ? run_tokens(r) : LLAMBO_STOP_LENGTH;
	r->st.gen_ms = now_ms() - t0;
	if(reason < 0)
		return -1;
	if(reason != LLAMBO_STOP_STRING && reason != LLAMBO_STOP_CALLBACK){
		n = detok_flush(&r->dt, r->piece, vocab_max_piece(r->m->vocab) + 8);
		if(out_append(&r->out, r->piece, (size_t)n) < 0)
			return -1;
		if(out_stop(&r->out, (size_t)n))
			reason = LLAMBO_STOP_STRING;
	}
	if(reason != LLAMBO_STOP_CALLBACK)
		out_flush(&r->out, 1);
	r->st.stop_reason = reason;
	return 0;
}

char *
llambo_generate(int id, const char *prompt, const llambo_params *pin, llambo_stats *st)
{
	llambo_params p;
	Run r;
	int i, rc;

	if(pin != NULL)
		p = *pin;
	else
		llambo_default_params(&p);
	if(prompt == NULL){
		lb_err("prompt is nil");
		return NULL;
	}
	if(p.n_stop < 0 || (p.n_stop > 0 && p.stop == NULL)){
		lb_err("n_stop is %d but stop is %s", p.n_stop, p.stop ? "set" : "nil");
		return NULL;
	}
	if(sampler_check(&p) < 0)
		return NULL;
	memset(&r, 0, sizeof r);
	r.p = &p;
	r.out.p = &p;
	for(i = 0; i < p.n_stop; i++)
		if(p.stop[i] != NULL && strlen(p.stop[i]) > r.out.maxstop)
			r.out.maxstop = strlen(p.stop[i]);
	r.m = reg_hold(id);
	if(r.m == NULL)
		return NULL;
	reg_count_tokens(id, 0, 0, 1);
	rc = run(&r, prompt, p.n_threads > 0 ? p.n_threads : lb_ncpu());
	reg_count_tokens(id, r.st.n_gen, r.st.gen_ms > 0 ? r.st.n_gen * 1e3 / r.st.gen_ms : 0, 0);
	ctx_free(r.ctx);
	sampler_free(r.smp);
	free(r.logits);
	free(r.piece);
	reg_release(id);
	if(st != NULL)
		*st = r.st;
	if(rc < 0){
		free(r.out.buf);
		return NULL;
	}
	if(r.out.buf == NULL)
		r.out.buf = calloc(1, 1);
	return r.out.buf;
}
