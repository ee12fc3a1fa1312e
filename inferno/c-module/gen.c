/*
 * gen.c - generations that hand their text over as it is made.
 *
 * A generation runs llambo_generate on an engine thread; its token
 * callback appends each piece to a buffer that lbc_next, called by a
 * released emu thread, waits on.  The caller and the engine thread each
 * hold a reference; the last one to let go frees it, so dropping a
 * generation (the Limbo side's garbage collector does) never waits.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "llambo.h"
#include "llambo_c.h"
#include "engine.h"

struct Lbcgen {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	int done, cancelled, waiting;
	char *buf;	/* all the text made so far */
	size_t len, cap, taken;	/* taken: what lbc_next has handed out */

	int id;
	llambo_request *req;	/* the prompt and the options, read by libllambo's request grammar */

	int ntokens;
	const char *why;
	char err[LBC_ERRLEN];
};

static void
unref(Lbcgen *g)
{
	int last;

	pthread_mutex_lock(&g->mu);
	last = --g->refs == 0;
	pthread_mutex_unlock(&g->mu);
	if(!last)
		return;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->buf);
	llambo_request_free(g->req);
	free(g);
}

static int
append(Lbcgen *g, const char *piece, size_t n)
{
	size_t cap;
	char *b;

	if(n > g->cap - g->len){
		cap = g->cap ? g->cap : 256;
		while(cap - g->len < n)
			cap *= 2;
		b = realloc(g->buf, cap);
		if(b == NULL)
			return -1;
		g->buf = b;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, piece, n);
	g->len += n;
	return 0;
}

/* Called by the engine with each piece of text; nonzero stops it. */
static int
ontoken(const char *piece, size_t n, void *arg)
{
	Lbcgen *g = arg;
	int stop;

	pthread_mutex_lock(&g->mu);
	stop = g->cancelled || append(g, piece, n) < 0;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return stop;
}

static const char*
stopname(int reason)
{
	switch(reason){
	case LLAMBO_STOP_EOG:	return "eog";
	case LLAMBO_STOP_LENGTH:	return "length";
	case LLAMBO_STOP_CTX:	return "context";
	case LLAMBO_STOP_STRING:	return "stop";
	case LLAMBO_STOP_CALLBACK:
	case LLAMBO_STOP_CANCEL:	return "cancelled";
	}
	return "length";
}

static void*
genthread(void *v)
{
	Lbcgen *g = v;
	llambo_stats st;
	char *text;

	lbc_sanefp();
	memset(&st, 0, sizeof st);
	text = llambo_generate(g->id, g->req->prompt, &g->req->params, &st);
	pthread_mutex_lock(&g->mu);
	if(text == NULL){
		lbc_enginerr(g->err);
		g->why = g->cancelled ? "cancelled" : "failed";
	}else
		g->why = g->cancelled ? "cancelled" : stopname(st.stop_reason);
	g->ntokens = st.n_gen;
	g->done = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	llambo_free(text);
	unref(g);
	return NULL;
}

static void
checkmodel(void *v)
{
	int *id = v;
	llambo_status st;

	if(llambo_model_status(*id, &st) < 0 || st.state != LLAMBO_READY)
		*id = -1;
}

Lbcgen*
lbc_start(int id, const char *prompt, const char *opts, char *err)
{
	Lbcgen *g;
	pthread_t t;
	int check = id;

	if(lbc_run(checkmodel, &check, err) < 0)
		return NULL;
	if(check < 0){
		lbc_seterr(err, "no such model");
		return NULL;
	}
	g = calloc(1, sizeof *g);
	if(g == NULL){
		lbc_seterr(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->refs = 1;
	g->id = id;
	if((g->req = llambo_request_new()) == NULL || llambo_request_prompt(g->req, prompt, strlen(prompt)) < 0
	|| llambo_request_options(g->req, opts, strlen(opts)) < 0){
		lbc_seterr(err, llambo_last_error());
		unref(g);
		return NULL;
	}
	g->req->params.on_token = ontoken;
	g->req->params.cb_arg = g;
	g->refs = 2;
	if(lbc_spawn(&t, genthread, g, err) < 0){
		g->refs = 1;
		unref(g);
		return NULL;
	}
	pthread_detach(t);
	return g;
}

/*
 * How many of the n bytes at p to hand out now: all but an incomplete
 * UTF-8 sequence at the end, which waits for the rest of its bytes
 * (a token may end in the middle of a character).
 */
static size_t
complete(const char *p, size_t n)
{
	size_t i, need;
	unsigned char c;

	for(i = n; i > 0 && n - i < 4; i--){
		c = (unsigned char)p[i-1];
		if((c & 0xC0) == 0x80)
			continue;	/* a continuation byte: look further back */
		if(c < 0x80)
			return n;
		need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		return n - (i-1) >= need ? n : i-1;
	}
	return n;
}

char*
lbc_next(Lbcgen *g, int *len)
{
	char *s = NULL;
	size_t n;

	pthread_mutex_lock(&g->mu);
	if(g->waiting){
		pthread_mutex_unlock(&g->mu);
		*len = -1;
		return NULL;
	}
	g->waiting = 1;
	for(;;){
		n = g->len - g->taken;
		if(!g->done)
			n = complete(g->buf + g->taken, n);
		if(n > 0 || g->done || g->cancelled)
			break;
		pthread_cond_wait(&g->cv, &g->mu);
	}
	if(n > 0 && !g->cancelled && (s = malloc(n)) != NULL){
		memcpy(s, g->buf + g->taken, n);
		g->taken += n;
	}
	g->waiting = 0;
	pthread_mutex_unlock(&g->mu);
	*len = s != NULL ? (int)n : 0;
	return s;
}

void
lbc_cancel(Lbcgen *g)
{
	pthread_mutex_lock(&g->mu);
	g->cancelled = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

int
lbc_finish(Lbcgen *g, char *err, const char **why)
{
	int n;

	pthread_mutex_lock(&g->mu);
	while(!g->done)
		pthread_cond_wait(&g->cv, &g->mu);
	memcpy(err, g->err, LBC_ERRLEN);
	*why = g->why;
	n = g->ntokens;
	pthread_mutex_unlock(&g->mu);
	return n;
}

void
lbc_drop(Lbcgen *g)
{
	lbc_cancel(g);
	unref(g);
}
