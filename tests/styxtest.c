/* styxtest.c - see styxtest.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../include/llambo.h"
#include "../src/model/synth.h"
#include "../src/util/error.h"
#include "styxtest.h"
#include "testutil.h"

StyxSrv *st_srv;
char st_addr[64];

int
st_setup(void **state)
{
	(void)state;
	st_srv = st_server(NULL, st_addr, sizeof st_addr);
	return 0;
}

static char synthpaths[4][PATH_MAX];	/* synthetic models written, removed by st_teardown */

int
st_teardown(void **state)
{
	int i;

	(void)state;
	styx_srv_free(st_srv);
	for(i = 0; i < 4; i++)
		if(synthpaths[i][0] != 0)
			unlink(synthpaths[i]);
	return 0;
}

/* A synthetic stand-in for a shared model: small and short-context like aidreams, else mini-llama-like. */
static int
synthetic(const char *name, char *path, size_t n)
{
	SynthSpec spec;
	int i;

	synth_defaults(&spec);
	if(strstr(name, "aidreams") != NULL){
		spec.n_embd = 64;
		spec.n_ff = 172;
		spec.n_head = 4;
		spec.n_head_kv = 4;
		spec.n_ctx = 128;
		spec.type = "F32";
	}else
		spec.type = "Q4_0";
	tmp_path(path, n, name);
	if(access(path, R_OK) == 0)
		return 0;
	print_message("no ../shared/models/%s: using a synthetic model %s\n", name, path);
	for(i = 0; i < 4; i++)
		if(synthpaths[i][0] == 0){
			snprintf(synthpaths[i], sizeof synthpaths[i], "%s", path);
			break;
		}
	return synth_write(&spec, path);
}

int
st_model(const char *name, char *path, size_t n)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof rel, "models/%s", name);
	if(shared_path(path, n, rel) == 0)
		return realpath(path, rel) != NULL && strlen(rel) < n ? (strcpy(path, rel), 0) : -1;
	return synthetic(name, path, n);
}

StyxSrv *
st_server(const StyxConfig *cfg, char *addr, size_t n)
{
	StyxConfig def;
	StyxSrv *s;

	if(cfg == NULL){
		styx_default_config(&def);
		cfg = &def;
	}
	s = styx_srv_new(cfg);
	if(s == NULL)
		fail_msg("styx_srv_new: %s", lb_errstr());
	if(styx_srv_listen(s, "tcp!127.0.0.1!0") < 0)
		fail_msg("listen: %s", lb_errstr());
	snprintf(addr, n, "tcp!127.0.0.1!%d", styx_srv_port(s));
	return s;
}

StyxClient *
st_dial(const char *addr)
{
	StyxClient *c = styxc_dial(addr);

	if(c == NULL)
		fail_msg("dial %s: %s", addr, lb_errstr());
	styxc_timeout(c, 60);
	return c;
}

char *
st_cat(StyxClient *c, const char *path)
{
	int fid = styxc_open(c, path, STYX_OREAD);
	char *text, why[256];

	if(fid < 0)
		return NULL;
	text = styxc_readall(c, fid, NULL);
	snprintf(why, sizeof why, "%s", lb_errstr());
	styxc_clunk(c, fid);
	if(text == NULL)
		lb_err("%s", why);
	return text;
}

int
st_echo(StyxClient *c, const char *path, const char *text)
{
	int fid = styxc_open(c, path, STYX_OWRITE | STYX_OTRUNC);
	char why[256];

	if(fid < 0)
		return -1;
	if(styxc_write(c, fid, 0, text, strlen(text)) < 0){
		snprintf(why, sizeof why, "%s", lb_errstr());
		styxc_clunk(c, fid);
		return lb_err("%s", why);
	}
	return styxc_clunk(c, fid);
}

int
st_load(StyxClient *c, const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "load %s 1 0\n", path);
	if(st_echo(c, "ctl", cmd) < 0)
		return -1;
	return st_find(c, path);
}

int
st_find(StyxClient *c, const char *path)
{
	char *list, *line;
	int id = -1, k;

	if((list = st_cat(c, "ctl")) == NULL)
		return -1;
	for(line = list; *line != 0; line = strchr(line, '\n') + 1){
		char state[32], p[1100];

		if(sscanf(line, "%d %31s %1099s", &k, state, p) == 3 && strcmp(p, path) == 0)
			id = k;
		if(strchr(line, '\n') == NULL)
			break;
	}
	free(list);
	return id;
}

void
st_free(StyxClient *c, int id)
{
	char cmd[32];

	snprintf(cmd, sizeof cmd, "free %d\n", id);
	if(st_echo(c, "ctl", cmd) < 0)
		fail_msg("free %d: %s", id, lb_errstr());
}

void
st_serves(StyxClient *c)
{
	char *text = st_cat(c, "ctl");

	if(text == NULL)
		fail_msg("reading ctl: %s", lb_errstr());
	free(text);
}

char *
st_reference(int id, const char *prompt, int max_tokens)
{
	llambo_params p;
	char *text;

	llambo_default_params(&p);
	p.max_tokens = max_tokens;
	p.temperature = 0;
	text = llambo_generate(id, prompt, &p, NULL);
	if(text == NULL)
		fail_msg("llambo_generate: %s", llambo_last_error());
	return text;
}

int
st_loadtest(StyxClient *c, const char *name, char *data, size_t n)
{
	char path[PATH_MAX];
	int id;

	if(st_model(name, path, sizeof path) < 0)
		skip();
	id = st_load(c, path);
	assert_true(id >= 0);
	snprintf(data, n, "models/%d/data", id);
	return id;
}

void
st_checkgen(StyxClient *c, const char *data, int id, const char *prompt, int n)
{
	char req[256], *text, *ref;

	snprintf(req, sizeof req, "%s|%d|0\n", prompt, n);
	assert_int_equal(st_echo(c, data, req), 0);
	text = st_cat(c, data);
	assert_non_null(text);
	ref = st_reference(id, prompt, n);
	assert_string_equal(text, ref);
	free(text);
	llambo_free(ref);
}

int
st_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p != NULL ? atoi(p + strlen(key)) : -1;
}

static int
same(const StyxCounts *a, const StyxCounts *b)
{
	return a->conns == b->conns && a->fids == b->fids && a->pending == b->pending
		&& a->gens == b->gens && a->threads == b->threads && a->bytes == b->bytes;
}

int
st_settle(StyxSrv *s, const StyxCounts *base, int seconds)
{
	StyxCounts now;
	int i;

	for(i = 0; i < seconds * 100; i++){
		styx_srv_counts(s, &now);
		if(same(&now, base))
			return 0;
		usleep(10 * 1000);
	}
	print_message("counts: conns %d/%d fids %d/%d pending %d/%d gens %d/%d threads %d/%d bytes %zu/%zu\n",
		now.conns, base->conns, now.fids, base->fids, now.pending, base->pending,
		now.gens, base->gens, now.threads, base->threads, now.bytes, base->bytes);
	return -1;
}

void
st_quiet(StyxSrv *s, StyxCounts *base)
{
	StyxCounts prev;
	int i;

	styx_srv_counts(s, base);
	for(i = 0; i < 500; i++){
		prev = *base;
		usleep(20 * 1000);
		styx_srv_counts(s, base);
		if(same(&prev, base) && base->gens == 0 && base->pending == 0)
			return;
	}
	fail_msg("the server did not come to rest");
}

int
st_expect(StyxClient *c, StyxFcall *t, int want)
{
	StyxFcall r;
	char ename[256];

	t->tag = styxc_tag(c);
	if(styxc_send(c, t) < 0 || styxc_recv(c, &r) < 0)
		return -1;
	if(r.tag != t->tag)
		return lb_err("tag %u for %u", r.tag, t->tag);
	if(r.type == STYX_RERROR && want != STYX_RERROR)
		return lb_err("%s", styx_strcpy(ename, sizeof ename, r.ename));
	if(r.type == STYX_RERROR)
		lb_err("%s", styx_strcpy(ename, sizeof ename, r.ename));
	if(r.type != want)
		return lb_err("reply type %d, want %d", r.type, want);
	return 0;
}
