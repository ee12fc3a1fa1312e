/*
 * data.c - models/N/data and status.
 *
 * A request is everything written on one open of data; it starts at the
 * first read on that open or when the open is clunked.  Each connection keeps
 * its latest request per model: an open that reads without having written
 * reads that one (so echo > data, then cat data, works), and a new request
 * replaces it, stopping it if it still runs.  Connections never see each
 * other's requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

static Latest *
findlatest(Conn *c, int id)
{
	Latest *e;

	for(e = c->latest; e != NULL; e = e->next)
		if(e->id == id)
			return e;
	return NULL;
}

Gen *
data_latest(Conn *c, int id, uint32_t serial)
{
	Latest *e = findlatest(c, id);

	return e != NULL && e->serial == serial ? e->gen : NULL;
}

/* g becomes the connection's latest request on its model; the one it replaces stops. */
static void
setlatest(Conn *c, Gen *g)
{
	Latest *e = findlatest(c, g->id);

	if(e != NULL && e->gen == g)
		return;
	if(e != NULL && e->serial != g->serial){
		srv_session(c->srv, e->id, e->serial, -1);
		e->serial = 0;
	}
	if(e == NULL){
		if((e = calloc(1, sizeof *e)) == NULL)
			return;
		e->id = g->id;
		e->next = c->latest;
		c->latest = e;
	}
	if(e->serial == 0){
		e->serial = g->serial;
		srv_session(c->srv, e->id, e->serial, 1);
	}
	if(e->gen != NULL){
		gen_cancel(e->gen, Creplaced);
		gen_unref(e->gen);
	}
	gen_ref(g);
	e->gen = g;
}

/* The end of the connection: its generations stop. */
void
data_gone(Conn *c)
{
	Latest *e;

	while((e = c->latest) != NULL){
		c->latest = e->next;
		if(e->gen != NULL){
			gen_cancel(e->gen, Cgone);
			gen_unref(e->gen);
		}
		if(e->serial != 0)
			srv_session(c->srv, e->id, e->serial, -1);
		free(e);
	}
}

void
data_attach(Fid *f, Gen *g)
{
	data_detach(f);
	gen_ref(g);
	pthread_mutex_lock(&g->lk);
	g->readers++;
	pthread_mutex_unlock(&g->lk);
	f->gen = g;
}

void
data_detach(Fid *f)
{
	Gen *g = f->gen;

	if(g == NULL)
		return;
	pthread_mutex_lock(&g->lk);
	g->readers--;
	pthread_mutex_unlock(&g->lk);
	f->gen = NULL;
	gen_unref(g);
}

/* The request written on an open, read by the one grammar (README.md, "Requests"), within this server's limits. */
static int
readrequest(Gen *g, const char *text, size_t n, const StyxLimits *lim)
{
	if(llambo_request_parse(g->req, text, n) < 0)
		return -1;
	if(g->req->params.max_tokens > lim->max_tokens)
		return lb_err("bad request: max_tokens %d is more than this server allows (%d)", g->req->params.max_tokens, lim->max_tokens);
	g->req->params.n_threads = lim->gen_threads;
	return 0;
}

int
data_start(Conn *c, Fid *f, int clunking)
{
	char *text = f->req, why[256];
	size_t n = f->nreq;
	Gen *g;
	int rc;

	f->req = NULL;
	f->nreq = 0;
	c->reqbytes -= n;
	srv_bytes(c->srv, -(long)n);
	if((g = gen_new(c, f->node.id, f->node.serial)) == NULL){
		free(text);
		return -1;
	}
	rc = gen_hold(g);
	if(rc == 0)
		rc = readrequest(g, text, n, &c->srv->cfg.lim);
	free(text);
	if(rc == 0)
		setlatest(c, g);
	if(rc == 0)
		rc = gen_start(g);
	if(rc < 0){
		snprintf(why, sizeof why, "%s", lb_errstr());
		gen_fail(g, why);
		setlatest(c, g);
		lb_err("%s", why);
	}
	if(!clunking)
		data_attach(f, g);
	gen_unref(g);
	return rc;
}

void
data_read(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	Gen *g;

	if(f->nreq > 0 && data_start(c, f, 0) < 0){
		conn_error(c, r, "%s", lb_errstr());
		return;
	}
	if(f->gen == NULL){
		g = data_latest(c, f->node.id, f->node.serial);
		if(g == NULL){
			conn_error(c, r, "no request yet: write \"prompt|max_tokens|temperature\" to models/%d/data"
				" on this connection first (9p: use rdwr)", f->node.id);
			return;
		}
		data_attach(f, g);
	}
	r->offset = t->offset;
	r->count = t->count;
	r->fid = f->fid;
	gen_read(f->gen, c, r);
}

static const char *
statename(const llambo_status *st, int running)
{
	if(st->state == LLAMBO_LOADING)
		return "loading";
	if(st->state != LLAMBO_READY)
		return "empty";
	return running > 0 ? "generating" : "ready";
}

char *
data_status(Conn *c, const Node *n, size_t *len)
{
	llambo_status st;
	char req[256];
	int running, sessions, pathlen;
	Gen *g;

	if(llambo_model_status(n->id, &st) < 0)
		return NULL;
	if(st.state == LLAMBO_EMPTY && srv_loading(c->srv, n->id))
		st.state = LLAMBO_LOADING;
	snprintf(req, sizeof req, "none");
	/* the request's state and the model's count of running generations, as of one moment */
	if((g = data_latest(c, n->id, n->serial)) != NULL){
		pthread_mutex_lock(&g->lk);
		gen_describe(g, req, sizeof req);
	}
	srv_counts(c->srv, n->id, &running, &sessions);
	if(g != NULL)
		pthread_mutex_unlock(&g->lk);
	pathlen = (int)strnlen(st.path, sizeof st.path);
	return srv_smprint(len, "state %s\ngenerations %d\nqueued %d of %d\nkv %.1f/%.1f MiB %s/%s\ntokens %lld\n"
		"tok/s %.1f\nsessions %d\nrequest %s\npath %.*s\n",
		statename(&st, running), running, st.queued, st.max_queued, st.kv_used / 1048576.0, st.kv_budget / 1048576.0,
		st.kv_type_k, st.kv_type_v, st.tokens_generated, st.last_tok_per_s, sessions, req, pathlen, st.path);
}
