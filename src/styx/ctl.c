/*
 * ctl.c - /ctl and /clone: "load PATH [use_mmap] [n_gpu_layers]" and
 * "free ID", the listing ctl reads, the id an open of clone reserves, and
 * the confinement of model paths to the -m directories.
 *
 * A load runs in a thread of its own; the write that asked for it is
 * answered when it ends, so `echo load ... > ctl` returns with the model
 * ready or with the reason it is not.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

enum { MAXARGS = 8 };

static const char usage_load[] = "usage: load <path> [use_mmap] [n_gpu_layers]";

/* Splits s into words in place; quotes ('...' or "...") keep blanks, a doubled quote is one. */
int
ctl_words(char *s, char **argv, int max)
{
	char *w, q;
	int n = 0;

	for(;;){
		while(*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if(*s == 0 || n == max)
			return *s == 0 ? n : -1;
		argv[n++] = w = s;
		for(q = 0; *s != 0; s++){
			if(q == 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
				break;
			if(q == 0 && (*s == '\'' || *s == '"'))
				q = *s;
			else if(q != 0 && *s == q && s[1] == q)
				*w++ = *s++;
			else if(q != 0 && *s == q)
				q = 0;
			else
				*w++ = *s;
		}
		if(*s != 0)
			s++;
		*w = 0;
	}
}

/* A non-negative id written as a plain decimal number; -1 otherwise. */
static int
parseid(const char *s)
{
	char *end;
	long v;

	if(*s < '0' || *s > '9' || (s[0] == '0' && s[1] != 0))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return *end == 0 && errno == 0 && v <= INT_MAX ? (int)v : -1;
}

static int
inside(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if(strcmp(dir, "/") == 0)
		return 1;
	return strncmp(real, dir, n) == 0 && (real[n] == '/' || real[n] == 0);
}

int
ctl_path(StyxSrv *s, const char *path, char *out, size_t nout)
{
	char join[PATH_MAX], *real = NULL;
	int i;

	if(s->cfg.ndirs == 0 || s->cfg.anypath){
		if(strlen(path) >= nout)
			return lb_err("load refused: path too long");
		strcpy(out, path);
		return 0;
	}
	if(path[0] == '/')
		real = realpath(path, NULL);
	for(i = 0; real == NULL && path[0] != '/' && i < s->cfg.ndirs; i++)
		if(snprintf(join, sizeof join, "%s/%s", s->dirs[i], path) < (int)sizeof join)
			real = realpath(join, NULL);
	if(real == NULL && byname_path(s, path, join, sizeof join) == 0)	/* load qwen3-0.6b */
		real = realpath(join, NULL);
	if(real == NULL)
		return lb_err("load failed: no such file: %s", path);
	for(i = 0; i < s->cfg.ndirs; i++)
		if(inside(real, s->dirs[i]))
			break;
	if(i == s->cfg.ndirs || strlen(real) >= nout){
		free(real);
		return lb_err("load refused: %s is outside the model directories (-m)", path);
	}
	strcpy(out, real);
	free(real);
	return 0;
}

/* The library's reason for a failed load, said once as "load failed: ...". */
static void
loadwhy(char *buf, size_t n)
{
	const char *e = llambo_last_error();

	snprintf(buf, n, "%s%s", strncmp(e, "load failed", 11) == 0 ? "" : "load failed: ", e);
}

/* A load in its thread. */
typedef struct Load {
	Conn *c;
	Req *r;
	int id;
	uint32_t serial;
	int clone;
	int use_mmap, ngl;
	uint32_t count;
	char path[PATH_MAX];
} Load;

/* After a load: a failed one gives its id back unless an open clone still holds it. */
static void
loaded(StyxSrv *s, int id, uint32_t serial, int ok)
{
	Model *m;
	int release = 0;

	pthread_mutex_lock(&s->lk);
	s->loads--;
	m = srv_find(s, id);
	if(m != NULL && m->serial == serial){
		m->loading = 0;
		m->events++;
		release = !ok && !m->clone_open;
	}
	pthread_mutex_unlock(&s->lk);
	if(release){
		llambo_free_model(id);
		srv_forget(s, id);
	}
	srv_serial(s, id);	/* drops the entry if the model was freed while it loaded */
}

static void *
loadmain(void *arg)
{
	Load *ld = arg;
	StyxFcall f = { .type = STYX_RWRITE, .count = ld->count };
	int rc = llambo_load_into(ld->id, ld->path, ld->use_mmap, ld->ngl);
	char why[256];

	if(rc < 0)
		loadwhy(why, sizeof why);
	loaded(ld->c->srv, ld->id, ld->serial, rc == 0);
	if(rc < 0)
		conn_error(ld->c, ld->r, "%s", why);
	else
		conn_reply(ld->c, ld->r, &f);
	conn_unref(ld->c);
	free(ld);
	return NULL;
}

/* The id a load on f goes into: the clone's, or a fresh one; marked loading. */
static int
loadid(StyxSrv *s, Fid *f, uint32_t *serial)
{
	llambo_status st;
	Model *m;
	int id, rc = 0;

	if(f->node.kind != Qclone)
		id = srv_reserve(s, serial);
	else{
		id = f->clone_id;
		*serial = f->clone_serial;
	}
	if(id < 0)
		return -1;
	pthread_mutex_lock(&s->lk);
	m = srv_model(s, id);
	if(m == NULL || m->serial != *serial)
		rc = lb_err("no such model: %d (it was freed)", id);
	else if(m->loading || (llambo_model_status(id, &st) == 0 && st.state != LLAMBO_EMPTY))
		rc = lb_err("model %d is already loaded or loading; open clone again for another", id);
	else
		m->loading = 1;
	pthread_mutex_unlock(&s->lk);
	return rc < 0 ? -1 : id;
}

/* -1 with lb_err when max_models are loaded or loading. */
static int
toomany(StyxSrv *s)
{
	int ids[256], n = llambo_list_models(ids, 256), i, k = 0;
	llambo_status st;

	n = n < 0 ? 0 : n < 256 ? n : 256;
	for(i = 0; i < n; i++)
		if(llambo_model_status(ids[i], &st) == 0 && st.state != LLAMBO_EMPTY)
			k++;
	if(k >= s->cfg.lim.max_models)
		return lb_err("too many models loaded (limit %d): free one first", s->cfg.lim.max_models);
	return 0;
}

static void
load(Conn *c, Req *r, Fid *f, const char *path, int use_mmap, int ngl, uint32_t count)
{
	StyxSrv *s = c->srv;
	Load *ld = calloc(1, sizeof *ld);
	int busy;

	pthread_mutex_lock(&s->lk);
	busy = s->loads >= s->cfg.lim.max_loads;
	if(!busy && ld != NULL)
		s->loads++;
	pthread_mutex_unlock(&s->lk);
	if(ld == NULL || busy){
		free(ld);
		conn_error(c, r, busy ? "server busy: %d loads running; try again later" : "out of memory", s->cfg.lim.max_loads);
		return;
	}
	if(toomany(s) < 0 || ctl_path(s, path, ld->path, sizeof ld->path) < 0 || byname_room(s, ld->path) < 0
	|| (ld->id = loadid(s, f, &ld->serial)) < 0){
		pthread_mutex_lock(&s->lk);
		s->loads--;
		pthread_mutex_unlock(&s->lk);
		free(ld);
		conn_error(c, r, "%s", lb_errstr());
		return;
	}
	ld->c = c;
	ld->r = r;
	ld->clone = f->node.kind == Qclone;
	ld->use_mmap = use_mmap;
	ld->ngl = ngl;
	ld->count = count;
	r->kind = Rwork;
	pthread_mutex_lock(&c->lk);
	c->ref++;
	pthread_mutex_unlock(&c->lk);
	if(srv_thread(s, loadmain, ld, 0) < 0){
		loaded(s, ld->id, ld->serial, 0);
		conn_unref(c);
		conn_error(c, r, "%s", lb_errstr());
		free(ld);
	}
}

static int
flagarg(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if(*s == 0 || *end != 0 || errno != 0 || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static void
ctlload(Conn *c, Req *r, Fid *f, char **argv, int argc, uint32_t count)
{
	int use_mmap = 1, ngl = 0;

	if(argc < 2 || argc > 4 || (argc > 2 && flagarg(argv[2], 0, 1, &use_mmap) < 0)
	|| (argc > 3 && flagarg(argv[3], -1, 100000, &ngl) < 0)){
		conn_error(c, r, "%s", usage_load);
		return;
	}
	load(c, r, f, argv[1], use_mmap, ngl, count);
}

static void
ctlfree(Conn *c, Req *r, char **argv, int argc, uint32_t count)
{
	StyxFcall f = { .type = STYX_RWRITE, .count = count };
	int id;

	if(argc != 2){
		conn_error(c, r, "usage: free <id>");
		return;
	}
	id = parseid(argv[1]);
	if(id < 0 || srv_serial(c->srv, id) == 0){
		conn_error(c, r, "no such model: %s", argv[1]);
		return;
	}
	if(llambo_free_model(id) < 0){
		conn_error(c, r, "free failed: %s", llambo_last_error());
		return;
	}
	srv_forget(c->srv, id);
	sess_model_freed(c->srv, id);
	conn_reply(c, r, &f);
}

void
ctl_write(Conn *c, Req *r, Fid *f, const char *data, size_t n)
{
	char *buf, *argv[MAXARGS];
	int argc;

	if(memchr(data, 0, n) != NULL || (buf = malloc(n + 1)) == NULL){
		conn_error(c, r, "bad command: it contains a NUL byte");
		return;
	}
	memcpy(buf, data, n);
	buf[n] = 0;
	argc = ctl_words(buf, argv, MAXARGS);
	if(argc <= 0)
		conn_error(c, r, "%s, or free <id>", usage_load);
	else if((strcmp(argv[0], "load") == 0 || strcmp(argv[0], "free") == 0) && c->srv->cfg.readonly)
		conn_error(c, r, "read-only server: load and free are disabled (-r)");
	else if(strcmp(argv[0], "load") == 0)
		ctlload(c, r, f, argv, argc, (uint32_t)n);
	else if(strcmp(argv[0], "free") == 0)
		ctlfree(c, r, argv, argc, (uint32_t)n);
	else
		conn_error(c, r, "unknown command: %s", argv[0]);
	free(buf);
}

char *
ctl_listing(StyxSrv *s, size_t *len)
{
	static const char *states[] = { "empty", "loading", "ready" };
	int ids[256], n = llambo_list_models(ids, 256), i, running, sessions;
	size_t max = 64, k = 0;
	llambo_status st;
	char *buf;

	n = n < 0 ? 0 : n < 256 ? n : 256;
	max += (size_t)n * (64 + sizeof st.path);
	if((buf = malloc(max)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	buf[0] = 0;
	for(i = 0; i < n; i++){
		if(llambo_model_status(ids[i], &st) < 0 || st.state < 0 || st.state > LLAMBO_READY)
			continue;
		if(st.state == LLAMBO_EMPTY && srv_loading(s, ids[i]))
			st.state = LLAMBO_LOADING;
		srv_counts(s, ids[i], &running, &sessions);
		k += (size_t)snprintf(buf + k, max - k, "%d %s %.*s\n", ids[i],
			st.state == LLAMBO_READY && running > 0 ? "generating" : states[st.state],
			(int)strnlen(st.path, sizeof st.path), st.path);
	}
	*len = k;
	return buf;
}

int
clone_open(Conn *c, Fid *f)
{
	StyxSrv *s = c->srv;
	Model *m;
	uint32_t serial;
	int id, full;

	if(s->cfg.readonly)
		return lb_err("read-only server: clone is disabled (-r)");
	if(c->nclones >= s->cfg.lim.max_clones)
		return lb_err("too many opens of clone on this connection (limit %d)", s->cfg.lim.max_clones);
	pthread_mutex_lock(&s->lk);
	full = s->reserved >= s->cfg.lim.max_reserved;
	if(!full)
		s->reserved++;
	pthread_mutex_unlock(&s->lk);
	if(full)
		return lb_err("too many ids reserved through clone on this server (limit %d): try again later", s->cfg.lim.max_reserved);
	if((id = srv_reserve(s, &serial)) < 0){
		srv_account(s, &s->reserved, -1);
		return -1;
	}
	c->nclones++;
	pthread_mutex_lock(&s->lk);
	if((m = srv_model(s, id)) != NULL)
		m->clone_open = 1;
	pthread_mutex_unlock(&s->lk);
	f->clone_id = id;
	f->clone_serial = serial;
	f->text = srv_smprint(&f->ntext, "%d\n", id);
	return f->text != NULL ? 0 : -1;
}

/* The clunk of a clone open: an id it reserved and never loaded is given back. */
void
clone_close(Conn *c, Fid *f)
{
	StyxSrv *s = c->srv;
	llambo_status st;
	Model *m;
	int release = 0;

	if(f->clone_id < 0)
		return;
	pthread_mutex_lock(&s->lk);
	m = srv_model(s, f->clone_id);
	if(m != NULL && m->serial == f->clone_serial){
		m->clone_open = 0;
		release = !m->loading && llambo_model_status(f->clone_id, &st) == 0 && st.state == LLAMBO_EMPTY;
	}
	pthread_mutex_unlock(&s->lk);
	if(release){
		llambo_free_model(f->clone_id);
		srv_forget(s, f->clone_id);
	}
	f->clone_id = -1;
	c->nclones--;
	srv_account(s, &s->reserved, -1);
}

int
styx_srv_load(StyxSrv *s, const char *path, int use_mmap, int n_gpu_layers)
{
	char real[PATH_MAX], why[256];
	uint32_t serial;
	int id;

	if(toomany(s) < 0 || ctl_path(s, path, real, sizeof real) < 0 || byname_room(s, real) < 0 || (id = srv_reserve(s, &serial)) < 0)
		return -1;
	if(llambo_load_into(id, real, use_mmap, n_gpu_layers) < 0){
		loadwhy(why, sizeof why);
		lb_err("%s", why);
		llambo_free_model(id);
		srv_forget(s, id);
		return -1;
	}
	srv_bump(s, id);
	return id;
}
