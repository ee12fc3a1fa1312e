/*
 * gen.c - one generation: a request of one connection on one model, run in
 * a thread of its own, its text kept so that reads stream it and a read from
 * offset 0 replays it.
 *
 * Reads that find no text beyond their offset wait in Gen.waiters; each new
 * piece answers those it can.  Replies are built under Gen.lk (the text
 * buffer moves as it grows) and written after it is released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

Gen *
gen_new(Conn *c, int id, uint32_t serial)
{
	Gen *g = calloc(1, sizeof *g);

	if(g == NULL || (g->req = llambo_request_new()) == NULL){
		free(g);
		lb_err("out of memory");
		return NULL;
	}
	pthread_mutex_lock(&c->lk);
	if(c->ngens >= c->srv->cfg.lim.max_gens){
		pthread_mutex_unlock(&c->lk);
		llambo_request_free(g->req);
		free(g);
		lb_err("too many generations held on this connection (limit %d): clunk old opens of data",
			c->srv->cfg.lim.max_gens);
		return NULL;
	}
	c->ngens++;
	c->ref++;
	pthread_mutex_unlock(&c->lk);
	pthread_mutex_init(&g->lk, NULL);
	g->ref = 1;
	g->conn = c;
	g->id = id;
	g->serial = serial;
	g->state = Gqueued;
	srv_account(c->srv, &c->srv->ngens, 1);
	return g;
}

void
gen_ref(Gen *g)
{
	pthread_mutex_lock(&g->lk);
	g->ref++;
	pthread_mutex_unlock(&g->lk);
}

void
gen_unref(Gen *g)
{
	Conn *c = g->conn;
	int ref;

	pthread_mutex_lock(&g->lk);
	ref = --g->ref;
	pthread_mutex_unlock(&g->lk);
	if(ref > 0)
		return;
	llambo_request_free(g->req);
	free(g->out);
	srv_bytes(c->srv, -(long)g->aout);
	srv_account(c->srv, &c->srv->ngens, -1);
	pthread_mutex_destroy(&g->lk);
	free(g);
	pthread_mutex_lock(&c->lk);
	c->ngens--;
	pthread_mutex_unlock(&c->lk);
	conn_unref(c);
}

static int
finished(const Gen *g)
{
	return g->state == Gdone || g->state == Gfailed;
}

static int
cancelled(Gen *g)
{
	return __atomic_load_n(&g->cancel, __ATOMIC_ACQUIRE) != Cnone;
}

/* With g->lk held: the answer to a read at r's offset, if there is one yet. */
static int
answer(Gen *g, Req *r, int atend)
{
	size_t n;
	uint32_t k;

	r->msg = NULL;
	r->nmsg = 0;
	if(r->offset < g->nout){
		n = g->nout - (size_t)r->offset;
		k = n < r->count ? (uint32_t)n : r->count;
		r->msg = conn_rread(g->out + r->offset, k, &r->nmsg);
		return 1;
	}
	if(!atend)
		return 0;
	if(g->state == Gfailed)
		r->msg = conn_rerror(g->err, &r->nmsg);
	else
		r->msg = conn_rread(NULL, 0, &r->nmsg);
	return 1;
}

/* With g->lk held: takes the waiting reads that can be answered now. */
static Req *
pull(Gen *g, int atend)
{
	Req **l = &g->waiters, *r, *ready = NULL;

	while((r = *l) != NULL){
		if(answer(g, r, atend)){
			*l = r->nextwait;
			r->nextwait = ready;
			ready = r;
		}else
			l = &r->nextwait;
	}
	return ready;
}

/* Sends what pull built: text, an end, or the generation's error. */
static void
deliver(Gen *g, Req *ready, int waiting)
{
	Req *r, *next;

	for(r = ready; r != NULL; r = next){
		next = r->nextwait;
		if(r->msg != NULL)
			conn_reply_msg(g->conn, r, r->msg, r->nmsg);
		else
			conn_error(g->conn, r, "out of memory");
		if(waiting)
			gen_unref(g);
	}
}

int
gen_read(Gen *g, Conn *c, Req *r)
{
	pthread_mutex_lock(&g->lk);
	if(answer(g, r, finished(g))){
		pthread_mutex_unlock(&g->lk);
		r->nextwait = NULL;
		deliver(g, r, 0);
		return 0;
	}
	r->kind = Rread;
	r->gen = g;
	g->ref++;
	r->nextwait = g->waiters;
	g->waiters = r;
	pthread_mutex_unlock(&g->lk);
	return 1;
}

int
gen_unwait(Gen *g, Req *r)
{
	Req **l;
	int found = 0;

	pthread_mutex_lock(&g->lk);
	for(l = &g->waiters; *l != NULL; l = &(*l)->nextwait)
		if(*l == r){
			*l = r->nextwait;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&g->lk);
	return found;
}

/* The piece callback: keeps the text, answers waiting reads; nonzero stops. */
static int
gentoken(const char *piece, size_t len, void *arg)
{
	Gen *g = arg;
	size_t max = g->conn->srv->cfg.lim.max_output, k, na;
	Req *ready;
	char *p;
	int stop;

	pthread_mutex_lock(&g->lk);
	if(g->cancel != Cnone){
		pthread_mutex_unlock(&g->lk);
		return 1;
	}
	k = len < max - g->nout ? len : max - g->nout;
	if(g->nout + k > g->aout){
		na = g->aout ? 2 * g->aout : 256;
		while(na < g->nout + k)
			na *= 2;
		na = na < max ? na : max;
		if((p = realloc(g->out, na)) == NULL){
			pthread_mutex_unlock(&g->lk);
			return 1;
		}
		srv_bytes(g->conn->srv, (long)(na - g->aout));
		g->out = p;
		g->aout = na;
	}
	memcpy(g->out + g->nout, piece, k);
	g->nout += k;
	g->ntok++;
	stop = g->nout >= max;
	ready = pull(g, 0);
	pthread_mutex_unlock(&g->lk);
	deliver(g, ready, 1);
	return stop;
}

static const char *
cancelwhy(int cancel)
{
	switch(cancel){
	case Cflushed: return "generation cancelled: its read was flushed";
	case Creplaced: return "generation cancelled: a newer request on this connection replaced it";
	case Cgone: return "generation cancelled: the connection closed";
	}
	return "generation cancelled";
}

/* The end: the state, and an answer for every read still waiting. */
static void
finish(Gen *g, const char *why)
{
	Req *ready;

	pthread_mutex_lock(&g->lk);
	if(g->state == Grunning)
		srv_running(g->conn->srv, g->id, g->serial, -1);
	if(why != NULL || g->cancel != Cnone){
		g->state = Gfailed;
		snprintf(g->err, sizeof g->err, "%s", why != NULL ? why : cancelwhy(g->cancel));
	}else
		g->state = Gdone;
	ready = pull(g, 1);
	pthread_mutex_unlock(&g->lk);
	deliver(g, ready, 1);
	srv_bump(g->conn->srv, g->id);
}

/*
 * Held from acceptance to the end, the model's id cannot pass to another
 * model while the request waits for a slot.  The hold comes first and the
 * serial is checked after it, so the model held is the load the node named.
 */
int
gen_hold(Gen *g)
{
	StyxSrv *s = g->conn->srv;
	llambo_status st;

	if(llambo_model_hold(g->id) == 0){
		if(srv_serial(s, g->id) == g->serial){
			g->held = 1;
			return 0;
		}
		llambo_model_release(g->id);
	}
	if(srv_serial(s, g->id) != g->serial || llambo_model_status(g->id, &st) < 0)
		return lb_err("no such model: %d (it was freed)", g->id);
	if(st.state == LLAMBO_LOADING)
		return lb_err("model %d is still loading", g->id);
	return lb_err("model %d is empty: write \"load PATH\" to the clone open that reserved it", g->id);
}

/* The model is let go when the generation ends (its text is kept for reading). */
static void
letgo(Gen *g)
{
	if(g->held)
		llambo_model_release(g->id);
	g->held = 0;
}

void
gen_fail(Gen *g, const char *why)
{
	pthread_mutex_lock(&g->lk);
	g->state = Gfailed;
	snprintf(g->err, sizeof g->err, "%s", why);
	pthread_mutex_unlock(&g->lk);
	letgo(g);
}

/* Waits for a running slot; -1 if cancelled first. */
static int
waitslot(Gen *g)
{
	StyxSrv *s = g->conn->srv;
	int ok;

	pthread_mutex_lock(&s->lk);
	while(s->running >= s->cfg.lim.max_running && !cancelled(g) && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lk);
	s->queued--;
	ok = !cancelled(g) && !s->stopping;
	if(ok)
		s->running++;
	pthread_mutex_unlock(&s->lk);
	return ok ? 0 : -1;
}

static void
run(Gen *g)
{
	StyxSrv *s = g->conn->srv;
	llambo_params p = g->req->params;
	char why[sizeof g->err];
	char *text;

	p.on_token = gentoken;
	p.cb_arg = g;
	pthread_mutex_lock(&g->lk);
	g->state = Grunning;
	srv_running(s, g->id, g->serial, 1);
	pthread_mutex_unlock(&g->lk);
	srv_bump(s, g->id);
	text = llambo_generate(g->id, g->req->prompt, &p, NULL);
	if(text == NULL)
		snprintf(why, sizeof why, "generation failed: %s", llambo_last_error());
	llambo_free(text);
	pthread_mutex_lock(&s->lk);
	s->running--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lk);
	finish(g, text == NULL ? why : NULL);
}

static void *
genmain(void *arg)
{
	Gen *g = arg;

	if(waitslot(g) == 0)
		run(g);
	else
		finish(g, NULL);
	letgo(g);
	gen_unref(g);
	return NULL;
}

int
gen_start(Gen *g)
{
	StyxSrv *s = g->conn->srv;
	int n, max = s->cfg.lim.max_running + s->cfg.lim.max_queued;

	pthread_mutex_lock(&s->lk);
	n = s->running + s->queued;
	if(s->stopping || n >= max){
		pthread_mutex_unlock(&s->lk);
		return lb_err("server busy: %d generations running or queued (limit %d); try again later", n, max);
	}
	s->queued++;
	pthread_mutex_unlock(&s->lk);
	gen_ref(g);
	if(srv_thread(s, genmain, g, 0) < 0){
		pthread_mutex_lock(&s->lk);
		s->queued--;
		pthread_mutex_unlock(&s->lk);
		gen_unref(g);
		return -1;
	}
	return 0;
}

void
gen_cancel(Gen *g, int why)
{
	StyxSrv *s = g->conn->srv;

	pthread_mutex_lock(&g->lk);
	if(!finished(g) && g->cancel == Cnone)
		__atomic_store_n(&g->cancel, why, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g->lk);
	pthread_mutex_lock(&s->lk);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lk);
}

/* With g->lk held: one line on g for the status file: "generating 5/128 tokens", "cancelled 961/3000 tokens: ..." */
void
gen_describe(Gen *g, char *buf, size_t n)
{
	static const char *names[] = { "queued", "generating", "done", "failed" };
	const char *name;

	name = g->state == Gfailed && g->cancel != Cnone ? "cancelled" : names[g->state];
	snprintf(buf, n, "%s %d/%d tokens%s%s", name, g->ntok, g->req->params.max_tokens,
		g->state == Gfailed ? ": " : "", g->state == Gfailed ? g->err : "");
}
