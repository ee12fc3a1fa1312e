/*
 * srv.c - the server object: configuration, the model table that keeps qids
 * unique across loads of the same id, the threads it must wait for, and the
 * counts a test compares before and after a client.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/error.h"
#include "impl.h"

void
styx_default_config(StyxConfig *c)
{
	memset(c, 0, sizeof *c);
	c->lim.max_conns = 64;
	c->lim.max_fids = 256;
	c->lim.max_pending = 64;
	c->lim.max_msize = 128 * 1024 + STYX_IOHDRSZ;
	c->lim.max_request = 256 * 1024;
	c->lim.max_output = 1024 * 1024;
	c->lim.max_tokens = 4096;
	c->lim.max_running = 64;
	c->lim.max_loads = 2;
	c->lim.max_models = 32;
	c->lim.max_gens = 16;
	c->lim.max_clones = 8;
	c->lim.max_reserved = 32;
	c->lim.gen_threads = 0;
	c->lim.write_timeout = 60;
	c->lim.handshake_timeout = 5;
	c->lim.max_sessions = 16;
	c->lim.max_conn_sessions = 8;
	c->lim.max_history = 1024 * 1024;
	c->lim.idle_reclaim = 600;
}

static int
checklimits(const StyxLimits *l)
{
	if(l->max_conns < 1 || l->max_fids < 4 || l->max_pending < 1 || l->max_running < 1
	|| l->kv_budget < 0 || l->max_loads < 1 || l->max_tokens < 1 || l->max_request < 16
	|| l->max_output < 16 || l->gen_threads < 0 || l->write_timeout < 1 || l->max_models < 1
	|| l->max_gens < 1 || l->max_clones < 1 || l->max_reserved < 1 || l->handshake_timeout < 1 || l->handshake_timeout > 86400
	|| l->max_sessions < 1 || l->max_conn_sessions < 1 || l->max_history < 16 || l->session_ctx < 0 || l->model_budget < 0 || l->idle_reclaim < 0)
		return lb_err("bad limits: every limit must be at least 1");
	/* models, loads (an id each while they start) and clone opens can never take every id */
	if((long)l->max_models + l->max_loads + l->max_reserved > LLAMBO_MAX_IDS)
		return lb_err("bad limits: models (%d), loads (%d) and ids reserved through clone (%d) add up to more than the %d ids there are",
			l->max_models, l->max_loads, l->max_reserved, LLAMBO_MAX_IDS);
	if(l->max_msize < 8192 + STYX_IOHDRSZ || l->max_msize > 1024 * 1024)
		return lb_err("bad limits: msize must be from 8216 to 1 MiB");
	return 0;
}

StyxSrv *
styx_srv_new(const StyxConfig *c)
{
	StyxSrv *s;
	int i;

	if(checklimits(&c->lim) < 0)
		return NULL;
	if(c->ndirs < 0 || c->ndirs > STYX_MAXDIRS){
		lb_err("at most %d model directories", STYX_MAXDIRS);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if(s == NULL){
		lb_err("out of memory");
		return NULL;
	}
	s->cfg = *c;
	if(c->lim.kv_budget > 0)
		llambo_set_kv_budget(-1, c->lim.kv_budget);
	if(pipe2(s->wake, O_CLOEXEC) < 0){
		lb_err("cannot make a pipe: %s", strerror(errno));
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lk, NULL);
	pthread_mutex_init(&s->autolk, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->nextserial = 1;
	s->port = -1;
	s->start = time(NULL);
	for(i = 0; i < c->ndirs; i++){
		s->dirs[i] = realpath(c->dirs[i], NULL);
		s->cfg.dirs[i] = s->dirs[i];
		if(s->dirs[i] == NULL){
			lb_err("model directory %s: cannot resolve it", c->dirs[i]);
			styx_srv_free(s);
			return NULL;
		}
	}
	return s;
}

/* With s->lk held. */
Model *
srv_find(StyxSrv *s, int id)
{
	int i;

	for(i = 0; i < s->nmodels; i++)
		if(s->models[i].id == id)
			return &s->models[i];
	return NULL;
}

static void
dropmodel(StyxSrv *s, Model *m)
{
	*m = s->models[--s->nmodels];
}

static Model *
addmodel(StyxSrv *s, int id)
{
	Model *m;

	if(s->nmodels == s->amodels){
		int na = s->amodels ? 2 * s->amodels : 16;
		Model *nm = realloc(s->models, (size_t)na * sizeof *nm);

		if(nm == NULL)
			return NULL;
		s->models = nm;
		s->amodels = na;
	}
	m = &s->models[s->nmodels++];
	memset(m, 0, sizeof *m);
	m->id = id;
	m->serial = s->nextserial++;
	return m;
}

Model *
srv_model(StyxSrv *s, int id)
{
	llambo_status st;
	Model *m = srv_find(s, id);

	if(llambo_model_status(id, &st) < 0){
		if(m != NULL && !m->loading && !m->clone_open)
			dropmodel(s, m);
		return NULL;
	}
	if(m == NULL)
		m = addmodel(s, id);
	return m;
}

uint32_t
srv_serial(StyxSrv *s, int id)
{
	Model *m;
	uint32_t serial;

	pthread_mutex_lock(&s->lk);
	m = srv_model(s, id);
	serial = m != NULL ? m->serial : 0;
	pthread_mutex_unlock(&s->lk);
	return serial;
}

int
srv_reserve(StyxSrv *s, uint32_t *serial)
{
	char why[256];
	Model *m;
	int id = llambo_reserve_id();

	if(id < 0){
		snprintf(why, sizeof why, "%s", llambo_last_error());
		return lb_err("no model id free: %s", why);
	}
	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	if(m != NULL)
		dropmodel(s, m);
	m = addmodel(s, id);
	if(m != NULL)
		*serial = m->serial;
	pthread_mutex_unlock(&s->lk);
	if(m == NULL){
		llambo_free_model(id);
		return lb_err("out of memory");
	}
	return id;
}

void
srv_forget(StyxSrv *s, int id)
{
	Model *m;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	if(m != NULL)
		dropmodel(s, m);
	pthread_mutex_unlock(&s->lk);
}

void
srv_session(StyxSrv *s, int id, uint32_t serial, int delta)
{
	Model *m;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	if(m != NULL && m->serial == serial)
		m->sessions += delta;
	pthread_mutex_unlock(&s->lk);
}

/* 1 while a load into id runs (the library may not have begun it yet). */
int
srv_loading(StyxSrv *s, int id)
{
	Model *m;
	int loading;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	loading = m != NULL && m->loading;
	pthread_mutex_unlock(&s->lk);
	return loading;
}

/* With s->lk held: one generation more or less on the server and on its model; its status changed. */
static void
running(StyxSrv *s, int id, uint32_t serial, int delta)
{
	Model *m = srv_find(s, id);

	s->running += delta;
	if(m != NULL && m->serial == serial){
		m->running += delta;
		m->events++;
	}
}

int
srv_run(StyxSrv *s, int id, uint32_t serial)
{
	int n, max = s->cfg.lim.max_running;

	pthread_mutex_lock(&s->lk);
	n = s->running;
	if(s->stopping || n >= max){
		pthread_mutex_unlock(&s->lk);
		return lb_err("server busy: %d generations in progress (limit %d); try again later", n, max);
	}
	running(s, id, serial, 1);
	pthread_mutex_unlock(&s->lk);
	return 0;
}

void
srv_ran(StyxSrv *s, int id, uint32_t serial)
{
	pthread_mutex_lock(&s->lk);
	running(s, id, serial, -1);
	pthread_mutex_unlock(&s->lk);
}

void
srv_counts(StyxSrv *s, int id, int *running, int *sessions)
{
	Model *m;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	*running = m != NULL ? m->running : 0;
	*sessions = m != NULL ? m->sessions : 0;
	pthread_mutex_unlock(&s->lk);
}

/* A malloc'd printf; its length in *len.  NULL with lb_err set when out of memory. */
char *
srv_smprint(size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if(n < 0 || (buf = malloc((size_t)n + 1)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*len = (size_t)n;
	return buf;
}

void
srv_touch(StyxSrv *s, int id)
{
	Model *m;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	if(m != NULL)
		m->lastuse = ++s->uses;
	pthread_mutex_unlock(&s->lk);
}

void
srv_bump(StyxSrv *s, int id)
{
	Model *m;

	pthread_mutex_lock(&s->lk);
	m = srv_find(s, id);
	if(m != NULL)
		m->events++;
	pthread_mutex_unlock(&s->lk);
}

typedef struct Start {
	StyxSrv *s;
	void *(*fn)(void *);
	void *arg;
} Start;

static void *
threadmain(void *arg)
{
	Start st = *(Start *)arg;

	free(arg);
	st.fn(st.arg);
	srv_thread_done(st.s);
	return NULL;
}

/* Runs fn(arg) in a detached thread that styx_srv_free waits for. */
int
srv_thread(StyxSrv *s, void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	pthread_t t;
	Start *st = malloc(sizeof *st);
	int err;

	if(st == NULL)
		return lb_err("out of memory");
	st->s = s;
	st->fn = fn;
	st->arg = arg;
	pthread_mutex_lock(&s->lk);
	s->nthreads++;
	pthread_mutex_unlock(&s->lk);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if(stack > 0)
		pthread_attr_setstacksize(&attr, stack);
	err = pthread_create(&t, &attr, threadmain, st);
	pthread_attr_destroy(&attr);
	if(err != 0){
		free(st);
		srv_thread_done(s);
		return lb_err("cannot start a thread: %s", strerror(err));
	}
	return 0;
}

void
srv_thread_done(StyxSrv *s)
{
	pthread_mutex_lock(&s->lk);
	s->nthreads--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lk);
}

void
srv_account(StyxSrv *s, int *counter, long delta)
{
	pthread_mutex_lock(&s->lk);
	*counter += (int)delta;
	if(counter == &s->ngens)
		pthread_cond_broadcast(&s->cond);	/* styx_srv_free waits for the last */
	pthread_mutex_unlock(&s->lk);
}

void
srv_bytes(StyxSrv *s, long delta)
{
	pthread_mutex_lock(&s->lk);
	s->nbytes += (size_t)delta;
	pthread_mutex_unlock(&s->lk);
}

int
styx_srv_port(StyxSrv *s)
{
	return s->port;
}

void
styx_srv_counts(StyxSrv *s, StyxCounts *c)
{
	pthread_mutex_lock(&s->lk);
	c->conns = s->nconns;
	c->fids = s->nfids;
	c->pending = s->npending;
	c->gens = s->ngens;
	c->replies = s->nreplies;
	c->threads = s->nthreads;
	c->bytes = s->nbytes;
	pthread_mutex_unlock(&s->lk);
}

void
styx_srv_wait(StyxSrv *s)
{
	pthread_mutex_lock(&s->lk);
	s->waiters++;
	while(s->nconns > 0 && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lk);
	s->waiters--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lk);
}

void
styx_srv_free(StyxSrv *s)
{
	Conn *c;
	int i;

	if(s == NULL)
		return;
	pthread_mutex_lock(&s->lk);
	s->stopping = 1;
	close(s->wake[1]);	/* every reader's poll wakes */
	for(i = 0; i < s->nlfd; i++)
		shutdown(s->lfd[i], SHUT_RDWR);
	for(c = s->conns; c != NULL; c = c->next)
		if(c->sock)
			shutdown(c->rfd, SHUT_RDWR);
	pthread_cond_broadcast(&s->cond);
	while(s->nthreads > 0 || s->waiters > 0)
		pthread_cond_wait(&s->cond, &s->lk);
	pthread_mutex_unlock(&s->lk);
	sess_freeall(s);	/* no connection is left to reach them */
	pthread_mutex_lock(&s->lk);
	while(s->ngens > 0)	/* generations end at their scheduler's next step */
		pthread_cond_wait(&s->cond, &s->lk);
	pthread_mutex_unlock(&s->lk);
	for(i = 0; i < s->nlfd; i++)
		close(s->lfd[i]);
	close(s->wake[0]);
	for(i = 0; i < 4; i++)
		if(s->unixpaths[i] != NULL){
			unlink(s->unixpaths[i]);
			free(s->unixpaths[i]);
		}
	for(i = 0; i < STYX_MAXDIRS; i++)
		free(s->dirs[i]);
	free(s->models);
	pthread_mutex_destroy(&s->lk);
	pthread_mutex_destroy(&s->autolk);
	pthread_cond_destroy(&s->cond);
	free(s);
}
