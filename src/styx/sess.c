/*
 * sess.c - conversations.  Reading sessions/new makes one, named by 128
 * random bits: any connection that knows the name reaches it (so a user can
 * come back from another mount), and none can list or guess it.  A session
 * keeps its settings, its messages, and an engine chat session
 * (llambo_chat_*) whose KV cache holds the conversation between turns, so a
 * turn evaluates only its new tokens.  Here: the table of sessions (their
 * names, references and limits), their model and settings; their messages
 * and turns are in sessturn.c, the caches they give back in sesscache.c,
 * the files in sessfile.c and sesstext.c, save and restore in sesssave.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../util/error.h"
#include "impl.h"

enum { DEFAULT_MAXTOK = 1024 };	/* infernode's llmsrv's default */

static int
randomname(char *name)
{
	unsigned char b[16];
	int i;

	if(getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return lb_err("no random bytes for a session's name");
	for(i = 0; i < 16; i++)
		snprintf(name + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* The lowest model id loaded: a new session's model until another is written. */
static void
firstmodel(StyxSrv *s, Sess *ss)
{
	llambo_status st;
	int ids[LLAMBO_MAX_IDS], n = llambo_list_models(ids, LLAMBO_MAX_IDS), i;

	for(i = 0; i < n; i++)
		if(llambo_model_status(ids[i], &st) == 0 && st.state == LLAMBO_READY){
			ss->id = ids[i];
			ss->mserial = srv_serial(s, ids[i]);
			ss->model = srv_smprint(&(size_t){ 0 }, "%d", ids[i]);
			return;
		}
}

static void
freesess(Sess *ss)
{
	int i;

	llambo_chat_close(ss->cs);
	for(i = 0; i < ss->nmsgs; i++)
		free((char *)ss->msgs[i].content);
	free(ss->msgs);
	free(ss->model);
	free(ss->system);
	free(ss->prefill);
	free(ss->tools);
	srv_bytes(ss->srv, -(long)ss->npending);	/* written to ask, never read: counted since the write */
	free(ss->pending);
	free(ss->opts);
	llambo_request_free(ss->set);
	pthread_mutex_destroy(&ss->lk);
	free(ss);
}

Sess *
sess_new(Conn *c)
{
	StyxSrv *s = c->srv;
	const StyxLimits *lim = &s->cfg.lim;
	Sess *ss = calloc(1, sizeof *ss);

	if(ss == NULL || (ss->set = llambo_request_new()) == NULL){
		free(ss);
		lb_err("out of memory");
		return NULL;
	}
	pthread_mutex_init(&ss->lk, NULL);
	ss->srv = s;
	ss->id = -1;
	ss->set->params.temperature = 0.7f;
	ss->set->params.max_tokens = DEFAULT_MAXTOK < lim->max_tokens ? DEFAULT_MAXTOK : lim->max_tokens;
	snprintf(ss->thinking, sizeof ss->thinking, "disabled");
	if(randomname(ss->name) < 0){
		freesess(ss);
		return NULL;
	}
	firstmodel(s, ss);
	pthread_mutex_lock(&s->lk);
	if(s->nsessions >= lim->max_sessions || c->nsessions >= lim->max_conn_sessions){
		pthread_mutex_unlock(&s->lk);
		if(c->nsessions >= lim->max_conn_sessions)
			lb_err("too many sessions made on this connection (limit %d): write close to the ctl of one no longer used",
				lim->max_conn_sessions);
		else
			lb_err("too many sessions on this server (limit %d): write close to the ctl of one no longer used",
				lim->max_sessions);
		freesess(ss);
		return NULL;
	}
	ss->serial = s->nextserial++;
	ss->creator = c;
	c->nsessions++;
	s->nsessions++;
	ss->ref = 2;	/* the table's and the caller's */
	ss->next = s->sessions;
	s->sessions = ss;
	pthread_mutex_unlock(&s->lk);
	return ss;
}

Sess *
sess_get(StyxSrv *s, uint32_t serial)
{
	Sess *ss;

	pthread_mutex_lock(&s->lk);
	for(ss = s->sessions; ss != NULL; ss = ss->next)
		if(ss->serial == serial){
			ss->ref++;
			break;
		}
	pthread_mutex_unlock(&s->lk);
	return ss;
}

Sess *
sess_byname(StyxSrv *s, StyxStr name)
{
	Sess *ss;

	if(name.len != 32)
		return NULL;
	pthread_mutex_lock(&s->lk);
	for(ss = s->sessions; ss != NULL; ss = ss->next)
		if(memcmp(ss->name, name.p, 32) == 0){
			ss->ref++;
			break;
		}
	pthread_mutex_unlock(&s->lk);
	return ss;
}

void
sess_put(Sess *ss)
{
	StyxSrv *s = ss->srv;
	int ref;

	pthread_mutex_lock(&s->lk);
	ref = --ss->ref;
	pthread_mutex_unlock(&s->lk);
	if(ref == 0)
		freesess(ss);
}

int
sess_running(Sess *ss)
{
	int r;

	if(ss->compacting)
		return 1;
	if(ss->turn == NULL)
		return 0;
	pthread_mutex_lock(&ss->turn->lk);
	r = ss->turn->state == Gqueued || ss->turn->state == Grunning;
	pthread_mutex_unlock(&ss->turn->lk);
	return r;
}

void
sess_dropturn(Sess *ss)
{
	if(ss->turn == NULL)
		return;
	gen_cancel(ss->turn, Cfreed);
	gen_unref(ss->turn);
	ss->turn = NULL;
}

void
sess_close(StyxSrv *s, Sess *ss)
{
	Sess **l;

	if(ss->closed)
		return;
	ss->closed = 1;
	sess_dropturn(ss);
	pthread_mutex_lock(&s->lk);
	for(l = &s->sessions; *l != NULL; l = &(*l)->next)
		if(*l == ss){
			*l = ss->next;
			break;
		}
	s->nsessions--;
	if(ss->creator != NULL)
		ss->creator->nsessions--;
	ss->ref--;	/* the table's: the caller holds one still */
	pthread_mutex_unlock(&s->lk);
}

void
sess_gone(Conn *c)
{
	StyxSrv *s = c->srv;
	Sess *ss;

	pthread_mutex_lock(&s->lk);
	for(ss = s->sessions; ss != NULL; ss = ss->next)
		if(ss->creator == c)
			ss->creator = NULL;
	c->nsessions = 0;
	pthread_mutex_unlock(&s->lk);
}

int
sess_bind(StyxSrv *s, Sess *ss, const char *name)
{
	if(sess_running(ss))
		return lb_err("a turn is in progress: change the model when it ends");
	return sess_rebind(s, ss, name);
}

int
sess_rebind(StyxSrv *s, Sess *ss, const char *name)
{
	llambo_status st;
	uint32_t serial;
	char *copy;
	int id;

	if((id = byname_load(s, name, 0)) < 0 || (serial = srv_serial(s, id)) == 0 || llambo_model_status(id, &st) < 0
	|| st.state != LLAMBO_READY)
		return lb_err("no such model: %s (a loaded model's id or file name; sessions/models lists them)", name);
	if((copy = strdup(name)) == NULL)
		return lb_err("out of memory");
	free(ss->model);
	ss->model = copy;
	if(id != ss->id || serial != ss->mserial){	/* another model: the conversation is evaluated anew */
		llambo_chat_close(ss->cs);
		ss->cs = NULL;
		ss->cached = 0;
	}
	ss->id = id;
	ss->mserial = serial;
	return 0;
}

char *
sess_wants(Sess *ss)
{
	if(!ss->srv->cfg.autoload || ss->model == NULL || ss->pending == NULL || sess_running(ss))
		return NULL;
	if(ss->id >= 0 && srv_serial(ss->srv, ss->id) == ss->mserial)
		return NULL;
	return strdup(ss->model);
}

int
sess_number(Sess *ss, int kind, const char *v)
{
	char *end;
	double d = strtod(v, &end);
	int max = ss->srv->cfg.lim.max_tokens;

	if(kind == Qtemp){
		if(*v == 0 || *end != 0 || !(d >= 0 && d <= 2))
			return lb_err("temperature must be between 0.0 and 2.0");
		ss->set->params.temperature = (float)d;
		return 0;
	}
	if(*v == 0 || *end != 0 || !(d >= 0 && d <= 65536 && d <= max) || d != (int)d)
		return lb_err("maxtokens must be 0..%d", max < 65536 ? max : 65536);
	ss->set->params.max_tokens = d == 0 ? (max < 1024 ? max : 1024) : (int)d;
	return 0;
}

int
sess_keepopts(Sess *ss, const char *v)
{
	size_t n = ss->opts != NULL ? strlen(ss->opts) : 0;
	char *p;

	if(*v == 0)
		return 0;
	if((p = realloc(ss->opts, n + strlen(v) + 2)) == NULL)
		return lb_err("out of memory");
	if(n > 0)
		p[n++] = '|';
	strcpy(p + n, v);
	ss->opts = p;
	return 0;
}

char *
sess_trim(char *p)
{
	size_t n = strlen(p), i = 0;

	while(n > 0 && strchr(" \t\r\n", p[n - 1]) != NULL)
		n--;
	while(i < n && strchr(" \t\r\n", p[i]) != NULL)
		i++;
	memmove(p, p + i, n - i);
	p[n - i] = 0;
	return p;
}

int
sess_uncache(Sess *ss)
{
	if(sess_running(ss))
		return lb_err("a turn is in progress: uncache when it ends");
	llambo_chat_close(ss->cs);
	ss->cs = NULL;
	ss->cached = 0;
	return 0;
}

