/*
 * gen.c - one generation: a request of one connection on one model, run on
 * the model's scheduler (llambo_gen_*), its text kept so that reads stream
 * it and a read from offset 0 replays it.
 *
 * Reads that find no text beyond their offset wait in Gen.waiters.  When the
 * scheduler has new text it calls notify on its own thread, which takes the
 * text, answers the waiting reads it can and queues their replies (send.c):
 * nothing here waits for a client.  Replies are built under Gen.lk (the text
 * buffer moves as it grows) and queued after it is released.
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
	if(g->sess != NULL)
		sess_put(g->sess);
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

/* With g->lk held: the answer to a read at r's offset, if there is one yet. */
static int
answer(Gen *g, Req *r, int atend)
{
	size_t n;
	uint32_t k;

	r->msg = NULL;
	r->nmsg = 0;
	if(r->whole && !atend)
		return 0;
	if(r->offset < g->nout){
		n = g->nout - (size_t)r->offset;
		k = n < r->count ? (uint32_t)n : r->count;
		r->msg = conn_rread(g->out + r->offset, k, &r->nmsg);
		return 1;
	}
	if(!atend)
		return 0;
	if(r->whole && r->offset == g->nout && g->nout > 0 && g->out[g->nout - 1] != '\n' && r->count > 0){
		r->msg = conn_rread("\n", 1, &r->nmsg);	/* a session's ask ends its reply with a newline, as llmsrv's does */
		return 1;
	}
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
		Conn *c = r->conn;

		next = r->nextwait;
		if(r->msg != NULL)
			conn_reply_msg(c, r, r->msg, r->nmsg);
		else
			conn_error(c, r, "out of memory");
		if(waiting){
			gen_unref(g);
			conn_unref(c);
		}
	}
}

int
gen_read(Gen *g, Conn *c, Req *r)
{
	r->conn = c;
	pthread_mutex_lock(&c->lk);	/* held while r waits: a session's turn may answer it after c's reader ended */
	c->ref++;
	pthread_mutex_unlock(&c->lk);
	pthread_mutex_lock(&g->lk);
	if(answer(g, r, finished(g))){
		pthread_mutex_unlock(&g->lk);
		r->nextwait = NULL;
		deliver(g, r, 0);
		conn_unref(c);	/* the reader holds c too */
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

/*
 * Held from acceptance until the scheduler has the request (whose
 * generation then holds it), the model's id cannot pass to another model
 * meanwhile.  The hold comes first and the serial is checked after it, so
 * the model held is the load the node named.
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

/* The server's hold is let go once the scheduler holds the model, or the request failed. */
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
	Req *ready;

	pthread_mutex_lock(&g->lk);
	g->state = Gfailed;
	snprintf(g->err, sizeof g->err, "%s", why);
	ready = pull(g, 1);	/* reads may wait on a session's turn that waited for its model's load */
	pthread_mutex_unlock(&g->lk);
	letgo(g);
	deliver(g, ready, 1);
}

/* With g->lk held: the text the scheduler has made beyond what g keeps, up to max_output (then it stops). */
static void
take(Gen *g)
{
	size_t max = g->conn->srv->cfg.lim.max_output, na, n;
	char *p;

	while(!g->full){
		if(g->nout == g->aout){
			na = g->aout ? 2 * g->aout : 256;
			na = na < max ? na : max;
			if(na == g->aout || (p = realloc(g->out, na)) == NULL){
				g->full = 1;	/* max_output (or no memory): the text ends here */
				llambo_gen_cancel(g->lg);
				break;
			}
			srv_bytes(g->conn->srv, (long)(na - g->aout));
			g->out = p;
			g->aout = na;
		}
		g->lstate = llambo_gen_take(g->lg, g->out + g->nout, g->aout - g->nout, &n);
		if(n == 0)
			break;
		g->nout += n;
	}
	if(g->full)	/* the state still counts */
		g->lstate = llambo_gen_take(g->lg, NULL, 0, &n);
}

/* With g->lk held: its tokens and its prompt's progress, as the scheduler counts them. */
static void
counts(Gen *g)
{
	llambo_stats st;

	llambo_gen_stats(g->lg, &st);
	g->ntok = st.n_gen;
	g->nprompt = st.n_prompt;
	g->nreused = st.n_reused;
	g->nprompted = st.n_prompt_done;
}

/* With g->lk held: the end, as the scheduler says it (why, when it failed). */
static void
ended(Gen *g, const char *why)
{
	llambo_stats st;

	counts(g);
	llambo_gen_stats(g->lg, &st);
	if(g->lstate == LLAMBO_GEN_FAILED){
		g->state = Gfailed;
		snprintf(g->err, sizeof g->err, "generation failed: %s", why);
	}else if(st.stop_reason == LLAMBO_STOP_CANCEL && !g->full){
		g->state = Gfailed;
		snprintf(g->err, sizeof g->err, "%s", cancelwhy(g->cancel));
	}else
		g->state = Gdone;
	srv_ran(g->conn->srv, g->id, g->serial);
}

/*
 * The scheduler's news, on its thread: text for the waiting reads, or the
 * end (an answer for every read still waiting).  Never waits for a client.
 */
static void
notify(void *arg)
{
	Gen *g = arg;
	llambo_gen *lg = NULL;
	Req *ready;
	int end;

	pthread_mutex_lock(&g->lk);
	take(g);
	end = g->lstate >= LLAMBO_GEN_DONE;
	if(end){
		ended(g, llambo_last_error());
		lg = g->lg;
		g->lg = NULL;
	}else
		counts(g);
	if(end && g->sess != NULL){	/* the reply joins the conversation before any read hears of the end */
		pthread_mutex_unlock(&g->lk);
		sess_ended(g);
		pthread_mutex_lock(&g->lk);
	}
	ready = pull(g, end);
	pthread_mutex_unlock(&g->lk);
	deliver(g, ready, 1);
	if(!end)
		return;
	llambo_gen_free(lg);
	gen_unref(g);	/* the scheduler's */
}

int
gen_start(Gen *g)
{
	StyxSrv *s = g->conn->srv;
	llambo_params p = g->req->params;	/* p.stop points at the request's own strings */

	pthread_mutex_lock(&g->lk);	/* notify waits for g->lg; status sees the state and the count change together */
	if(g->cancel != Cnone){	/* before it started (a session's turn, its read flushed while its model loaded): it never runs */
		pthread_mutex_unlock(&g->lk);
		return lb_err("%s", cancelwhy(g->cancel));
	}
	if(srv_run(s, g->id, g->serial) < 0){
		pthread_mutex_unlock(&g->lk);
		return -1;
	}
	g->ref++;	/* the scheduler's, until notify sees the end */
	if(g->sess != NULL)
		g->lg = sess_launch(g, notify);
	else
		g->lg = llambo_gen_start(g->id, g->req->prompt, &p, notify, g);
	if(g->lg == NULL){
		g->ref--;	/* the caller still holds one */
		srv_ran(s, g->id, g->serial);
		pthread_mutex_unlock(&g->lk);
		return -1;
	}
	g->state = Grunning;
	g->lstate = LLAMBO_GEN_QUEUED;
	srv_touch(s, g->id);	/* the model budget (-B) unloads it last */
	pthread_mutex_unlock(&g->lk);
	letgo(g);	/* the generation holds the model now */
	return 0;
}

/*
 * A read that waited on g was flushed (and taken back): g stops unless an
 * open other than the read's own (reading: the read's fid still reads g) reads it.
 */
void
gen_flushed(Gen *g, int reading)
{
	int others;

	pthread_mutex_lock(&g->lk);
	others = g->readers - reading;
	pthread_mutex_unlock(&g->lk);
	if(others <= 0 && g->sess == NULL)	/* a session's turn is the session's: it goes on */
		gen_cancel(g, Cflushed);
	gen_unref(g);	/* the waiting read's */
}

/* The generation stops at the scheduler's next step. */
void
gen_cancel(Gen *g, int why)
{
	pthread_mutex_lock(&g->lk);
	if(!finished(g) && g->cancel == Cnone)
		g->cancel = why;
	if(g->lg != NULL)
		llambo_gen_cancel(g->lg);
	pthread_mutex_unlock(&g->lk);
}

/*
 * With g->lk held: one line on g for the status file: "queued 0/128 tokens" (waiting for KV cache),
 * "generating 0/128 tokens (prompt 512/3000)", "generating 5/128 tokens", "cancelled 961/3000 tokens: ...";
 * reads parked beyond the text are counted: "generating 5/128 tokens, waiting reads 1".
 */
void
gen_describe(Gen *g, char *buf, size_t n)
{
	static const char *names[] = { "queued", "generating", "done", "failed" };
	const char *name;
	char prompt[64] = "", reads[32] = "";
	int waiting = 0, nreads = 0;
	Req *r;

	name = g->state == Gfailed && g->cancel != Cnone ? "cancelled" : names[g->state];
	if(g->lg != NULL){	/* on the scheduler: waiting for KV cache, or in its prompt */
		counts(g);
		waiting = llambo_gen_take(g->lg, NULL, 0, &(size_t){ 0 }) == LLAMBO_GEN_QUEUED;
		if(waiting)
			name = "queued";
	}
	if(g->nprompted < g->nprompt && !waiting)
		snprintf(prompt, sizeof prompt, " (prompt %d/%d)", g->nprompted, g->nprompt);
	for(r = g->waiters; r != NULL; r = r->nextwait)
		nreads++;
	if(nreads > 0)
		snprintf(reads, sizeof reads, ", waiting reads %d", nreads);
	snprintf(buf, n, "%s %d/%d tokens%s%s%s%s", name, g->ntok, g->req->params.max_tokens, prompt, reads,
		g->state == Gfailed ? ": " : "", g->state == Gfailed ? g->err : "");
}
