/*
 * sessload.c - loads on first use (-O) off the connection's reader thread.
 * A load takes seconds (minutes for a large model from a slow disk), and the
 * reader is what answers the connection's every other request, so the load
 * runs on a thread of its own: for a turn whose model must be loaded first
 * (its reads wait on the turn, as on any turn, and it starts once the model
 * is there), and for a write that names a model not loaded (model, ctl's
 * restore), answered once the load is done and the write made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

typedef struct Load {
	Sess *ss;	/* held */
	char *want;	/* the model's name */
	Gen *g;	/* a turn's (held), or NULL: a write's */
	Conn *c;	/* a write's connection (held), request, file and what it wrote (a copy) */
	Req *r;
	int kind;
	StyxFcall t;
} Load;

static void
freeload(Load *l)
{
	free(l->want);
	free((void *)l->t.data);
	free(l);
}

void
sess_resume(Sess *ss, Gen *g, int rc, const char *why)
{
	static const char gone[] = "the turn was cancelled while it waited";

	if(ss->turn != g || ss->closed)
		gen_fail(g, gone);	/* reset or replaced: the messages are not its */
	else if(rc < 0){	/* the load (or summary) failed */
		gen_fail(g, why);
		sess_dropmsgs(ss, ss->nmsgs - 1, 1);
	}else
		sess_runturn(ss, g);	/* gen_start refuses it if it was cancelled meanwhile */
}

static void *
loadmain(void *arg)
{
	Load *l = arg;
	Sess *ss = l->ss;
	StyxFcall rf = { .type = STYX_RWRITE, .count = l->t.count };
	char why[256] = "";
	int rc = byname_load(ss->srv, l->want, 1);	/* no lock held: a load may unload others, whose sessions it locks */

	if(rc < 0)
		snprintf(why, sizeof why, "%s", lb_errstr());
	pthread_mutex_lock(&ss->lk);
	if(l->g != NULL)
		sess_resume(ss, l->g, rc, why);
	else if(rc >= 0 && (rc = ss->closed ? lb_err("session closed") : sfile_set(l->c, ss, l->kind, &l->t)) < 0)
		snprintf(why, sizeof why, "%s", lb_errstr());
	pthread_mutex_unlock(&ss->lk);
	if(l->g != NULL)
		gen_unref(l->g);
	else{
		if(rc < 0)
			conn_error(l->c, l->r, "%s", why);
		else
			conn_reply(l->c, l->r, &rf);
		conn_unref(l->c);
	}
	sess_put(ss);
	freeload(l);
	return NULL;
}

/* The thread for l, which holds the session; -1 with lb_err (l freed). */
static int
start(Load *l)
{
	StyxSrv *s = l->ss->srv;

	pthread_mutex_lock(&s->lk);
	l->ss->ref++;
	pthread_mutex_unlock(&s->lk);
	if(srv_thread(s, loadmain, l, 0) < 0){
		pthread_mutex_lock(&s->lk);
		l->ss->ref--;	/* the caller holds one still */
		pthread_mutex_unlock(&s->lk);
		return -1;
	}
	return 0;
}

void
sess_loadturn(Sess *ss, Gen *g, char *want)
{
	Load *l = calloc(1, sizeof *l);
	char why[256];

	if(l != NULL){
		l->ss = ss;
		l->want = want;
		l->g = g;
		gen_ref(g);
		if(start(l) == 0)
			return;
		gen_unref(g);
		free(l);
	}else
		lb_err("out of memory");
	free(want);
	snprintf(why, sizeof why, "%s", lb_errstr());
	gen_fail(g, why);
	sess_dropmsgs(ss, ss->nmsgs - 1, 1);
}

int
sess_loadwrite(Conn *c, Req *r, Sess *ss, int kind, const StyxFcall *t, char *want)
{
	Load *l = calloc(1, sizeof *l);
	uint8_t *data = malloc(t->count + 1);

	if(l == NULL || data == NULL){
		free(l);
		free(data);
		free(want);
		return lb_err("out of memory");
	}
	memcpy(data, t->data, t->count);
	l->ss = ss;
	l->want = want;
	l->c = c;
	l->r = r;
	l->kind = kind;
	l->t = *t;
	l->t.data = data;
	r->kind = Rwork;
	pthread_mutex_lock(&c->lk);
	c->ref++;
	pthread_mutex_unlock(&c->lk);
	if(start(l) < 0){
		r->kind = Rinline;
		conn_unref(c);
		freeload(l);
		return -1;
	}
	return 0;
}
