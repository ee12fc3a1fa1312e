/*
 * sess.c - conversations.  Reading sessions/new makes one, named by 128
 * random bits: any connection that knows the name reaches it (so a user can
 * come back from another mount), and none can list or guess it.  A session
 * keeps its settings, its messages, and an engine chat session
 * (llambo_chat_*) whose KV cache holds the conversation between turns, so a
 * turn evaluates only its new tokens.  A turn is a Gen (gen.c): ask and
 * stream read its text, and at its end the reply joins the messages.
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

	if(ss->turn == NULL)
		return 0;
	pthread_mutex_lock(&ss->turn->lk);
	r = ss->turn->state == Gqueued || ss->turn->state == Grunning;
	pthread_mutex_unlock(&ss->turn->lk);
	return r;
}

static void
dropturn(Sess *ss)
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
	dropturn(ss);
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

/* Calls fn on every session, with its lock held (the table's lock is not: sessions come before it). */
static void
each(StyxSrv *s, void (*fn)(StyxSrv *, Sess *, void *), void *arg)
{
	Sess *ss, **all;
	int n = 0, i;

	pthread_mutex_lock(&s->lk);
	all = malloc(((size_t)s->nsessions + 1) * sizeof *all);
	for(ss = s->sessions; all != NULL && ss != NULL; ss = ss->next){
		ss->ref++;
		all[n++] = ss;
	}
	pthread_mutex_unlock(&s->lk);
	for(i = 0; i < n; i++){
		pthread_mutex_lock(&all[i]->lk);
		fn(s, all[i], arg);
		pthread_mutex_unlock(&all[i]->lk);
		sess_put(all[i]);
	}
	free(all);
}

static void
closeone(StyxSrv *s, Sess *ss, void *unused)
{
	(void)unused;
	sess_close(s, ss);
}

void
sess_freeall(StyxSrv *s)
{
	each(s, closeone, NULL);
}

/* A session idle past -I gives its cache back (not the one about to take a turn). */
static void
stale(StyxSrv *s, Sess *ss, void *skip)
{
	if(ss != skip && ss->cs != NULL && s->cfg.lim.idle_reclaim > 0 && !sess_running(ss)
	&& conn_now() - ss->lastturn >= s->cfg.lim.idle_reclaim * 1000L)
		sess_uncache(ss);
}

typedef struct Lru {
	Sess *skip;
	int id;
	Sess *oldest;
	long when;
} Lru;

/* The least recently used session on model lru->id that holds a cache and is not in a turn. */
static void
older(StyxSrv *s, Sess *ss, void *arg)
{
	Lru *l = arg;

	(void)s;
	if(ss != l->skip && ss->id == l->id && ss->cs != NULL && !sess_running(ss) && (l->oldest == NULL || ss->lastturn < l->when)){
		l->oldest = ss;
		l->when = ss->lastturn;
	}
}

static void
evict(StyxSrv *s, Sess *ss, void *arg)
{
	(void)s;
	if(ss == ((Lru *)arg)->oldest && ss->cs != NULL && !sess_running(ss))
		sess_uncache(ss);
}

void
sess_reclaim(StyxSrv *s, Sess *ss)
{
	Lru l = { ss, -1, NULL, 0 };
	llambo_status st;
	long long need, given;
	int needs;

	each(s, stale, ss);
	pthread_mutex_lock(&ss->lk);
	needs = ss->pending != NULL && ss->cs == NULL && ss->id >= 0 && !sess_running(ss);
	l.id = ss->id;
	pthread_mutex_unlock(&ss->lk);
	if(!needs || (need = llambo_chat_kv_bytes(l.id, s->cfg.lim.session_ctx)) < 0)
		return;
	/* a cache given back reaches the budget at the scheduler's next step: count it as given */
	for(given = 0; llambo_model_status(l.id, &st) == 0 && st.kv_used - given + need > st.kv_budget; given += need){
		l.oldest = NULL;
		each(s, older, &l);	/* l.oldest is compared with, never used: it may have closed since */
		if(l.oldest == NULL)
			return;	/* the turn waits in the model's queue for running ones to end */
		each(s, evict, &l);
	}
}

/* The model's memory goes when its last holder lets go: a session not in a turn lets go now, one in a turn at its end. */
static void
letgo(StyxSrv *s, Sess *ss, void *arg)
{
	int id = *(int *)arg;

	(void)s;
	if(ss->id != id || ss->cs == NULL)
		return;
	if(sess_running(ss))
		gen_cancel(ss->turn, Cfreed);
	else{
		llambo_chat_close(ss->cs);
		ss->cs = NULL;
	}
}

void
sess_model_freed(StyxSrv *s, int id)
{
	each(s, letgo, &id);
}

int
sess_bind(StyxSrv *s, Sess *ss, const char *name)
{
	llambo_status st;
	uint32_t serial;
	char *copy;
	int id;

	if(sess_running(ss))
		return lb_err("a turn is in progress: change the model when it ends");
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
	if(*v == 0 || *end != 0 || d != (int)d || d < 0 || d > 65536 || d > max)
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

int
sess_addmsg(Sess *ss, const char *role, char *content)
{
	size_t n = strlen(content);
	llambo_chat_msg *m;

	if(ss->histbytes + n > ss->srv->cfg.lim.max_history){
		free(content);
		return lb_err("the conversation would pass %zu bytes (this server's limit): write to compact, or reset to ctl",
			ss->srv->cfg.lim.max_history);
	}
	if(ss->nmsgs == ss->amsgs){
		int na = ss->amsgs ? 2 * ss->amsgs : 16;

		if((m = realloc(ss->msgs, (size_t)na * sizeof *m)) == NULL){
			free(content);
			return lb_err("out of memory");
		}
		ss->msgs = m;
		ss->amsgs = na;
	}
	ss->msgs[ss->nmsgs].role = role;
	ss->msgs[ss->nmsgs].content = content;
	ss->nmsgs++;
	ss->histbytes += n;
	return 0;
}

/* With ss->lk held: forgets messages [from, from+n). */
static void
dropmsgs(Sess *ss, int from, int n)
{
	int i;

	for(i = from; i < from + n; i++){
		ss->histbytes -= strlen(ss->msgs[i].content);
		free((char *)ss->msgs[i].content);
	}
	memmove(ss->msgs + from, ss->msgs + from + n, (size_t)(ss->nmsgs - from - n) * sizeof *ss->msgs);
	ss->nmsgs -= n;
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

/* The prompt written to ask, without the white space around it (as llmsrv strips it); NULL if blank. */
static char *
takeprompt(Sess *ss)
{
	char *p = ss->pending;

	if(p == NULL)
		return NULL;
	srv_bytes(ss->srv, -(long)ss->npending);
	ss->pending = NULL;
	ss->npending = 0;
	if(*sess_trim(p) == 0){
		free(p);
		return NULL;
	}
	return p;
}

int
sess_turn(Conn *c, Sess *ss)
{
	StyxSrv *s = c->srv;
	char *prompt, why[256];
	Gen *g;

	if(ss->pending == NULL || sess_running(ss))
		return 0;	/* a prompt written during a turn waits for a read after it */
	if((prompt = takeprompt(ss)) == NULL)
		return 0;
	if(ss->id >= 0 && srv_serial(s, ss->id) != ss->mserial && ss->model != NULL)
		sess_bind(s, ss, ss->model);	/* unloaded (-B) and loaded again (-O): the model of that name */
	if(ss->id < 0 || srv_serial(s, ss->id) != ss->mserial){
		llambo_chat_close(ss->cs);
		ss->cs = NULL;
		free(prompt);
		return lb_err(ss->id < 0 ? "no model: write a loaded model's id or name to model"
			: "the session's model was freed: write a loaded model's id or name to model");
	}
	if(sess_addmsg(ss, "user", prompt) < 0)
		return -1;
	if(ss->cs == NULL && (ss->cs = llambo_chat_open(ss->id, NULL, s->cfg.lim.session_ctx, s->cfg.lim.gen_threads)) == NULL){
		snprintf(why, sizeof why, "%s", llambo_last_error());
		dropmsgs(ss, ss->nmsgs - 1, 1);
		return lb_err("%s", why);
	}
	if((g = gen_new(c, ss->id, ss->mserial)) == NULL){
		dropmsgs(ss, ss->nmsgs - 1, 1);
		return -1;
	}
	pthread_mutex_lock(&s->lk);
	ss->ref++;
	pthread_mutex_unlock(&s->lk);
	g->sess = ss;
	dropturn(ss);
	ss->turn = g;
	ss->lastturn = conn_now();
	if(gen_hold(g) < 0 || gen_start(g) < 0){	/* the reads of this turn report why */
		snprintf(why, sizeof why, "%s", lb_errstr());
		gen_fail(g, why);
		dropmsgs(ss, ss->nmsgs - 1, 1);
	}
	return 0;
}

/* With ss->lk held: the system prompt, then the messages; malloc'd, its count in *n. */
static llambo_chat_msg *
conversation(Sess *ss, int *n)
{
	llambo_chat_msg *m = malloc((size_t)(ss->nmsgs + 1) * sizeof *m);
	int k = 0;

	if(m == NULL)
		return NULL;
	if(ss->system != NULL && *ss->system != 0){
		m[k].role = "system";
		m[k++].content = ss->system;
	}
	memcpy(m + k, ss->msgs, (size_t)ss->nmsgs * sizeof *m);
	*n = k + ss->nmsgs;
	return m;
}

/* The prefill is the reply's beginning: what reads of the turn get first, as llmsrv gives it. */
static int
seedtext(Gen *g, const char *prefill)
{
	size_t n = strlen(prefill);

	if(n == 0)
		return 0;
	if((g->out = malloc(n + 256)) == NULL)
		return lb_err("out of memory");
	memcpy(g->out, prefill, n);
	g->nout = n;
	g->aout = n + 256;
	srv_bytes(g->conn->srv, (long)g->aout);
	return 0;
}

/*
 * With ss->lk held: when the conversation and room for max_tokens (a quarter
 * of the context at most) do not fit the context, the oldest exchanges after
 * the system prompt go until they fit in half of it (or only the last message
 * is left), so the turns after keep their cache for a while; usage counts them.
 * The cache keeps what the new rendering begins with, and evaluates the rest.
 */
static void
fit(Sess *ss, int max_tokens)
{
	llambo_chat_msg *m;
	int n, need, n_ctx, drop, room, limit = 0;

	while(ss->nmsgs > 1 && (m = conversation(ss, &n)) != NULL){
		need = llambo_chat_count(ss->cs, m, n, ss->prefill, &n_ctx);
		free(m);
		room = max_tokens < n_ctx / 4 ? max_tokens : n_ctx / 4;
		if(limit == 0)
			limit = n_ctx;
		if(need < 0 || need + room <= limit)
			return;
		limit = n_ctx / 2;
		drop = ss->nmsgs > 2 ? 2 : 1;	/* a user message and its reply */
		dropmsgs(ss, 0, drop);
		ss->dropped += drop;
	}
}

llambo_gen *
sess_launch(Gen *g, llambo_notify_fn notify)
{
	Sess *ss = g->sess;
	llambo_params p = ss->set->params;
	llambo_chat_msg *m;
	llambo_gen *lg;
	int n;

	p.n_threads = g->conn->srv->cfg.lim.gen_threads;
	g->req->params.max_tokens = p.max_tokens;	/* for status */
	fit(ss, p.max_tokens);
	if((m = conversation(ss, &n)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	lg = NULL;
	if(seedtext(g, ss->prefill != NULL ? ss->prefill : "") == 0)
		lg = llambo_chat_start(ss->cs, m, n, ss->prefill, &p, notify, g);
	free(m);
	return lg;
}

void
sess_ended(Gen *g)
{
	Sess *ss = g->sess;
	char *reply = NULL;

	pthread_mutex_lock(&ss->lk);
	pthread_mutex_lock(&g->lk);
	if(g->state == Gdone && (reply = malloc(g->nout + 1)) != NULL){
		memcpy(reply, g->out, g->nout);
		reply[g->nout] = 0;
	}
	if(ss->turn == g){
		ss->lastturn = conn_now();
		ss->kept = g->nreused;
		ss->evaluated = g->nprompt;
		ss->generated = g->ntok;
	}
	pthread_mutex_unlock(&g->lk);
	if(ss->turn == g && !ss->closed){
		if(reply == NULL || sess_addmsg(ss, "assistant", reply) < 0)
			dropmsgs(ss, ss->nmsgs - 1, 1);	/* the user's message goes with its failed turn */
		ss->cached = llambo_chat_usage(ss->cs, &ss->n_ctx);
	}else
		free(reply);
	pthread_mutex_unlock(&ss->lk);
}

/* Appends s, JSON-quoted, to the growing text *o (length *n, room *a). */
static int
jquote(char **o, size_t *n, size_t *a, const char *s)
{
	char u[8];
	const char *e;

	for(; ; s++){
		if(*n + 8 >= *a){
			size_t na = 2 * *a + 64;
			char *p = realloc(*o, na);

			if(p == NULL)
				return lb_err("out of memory");
			*o = p;
			*a = na;
		}
		if(*s == 0)
			return 0;
		e = NULL;
		switch(*s){
		case '\\': e = "\\\\"; break;
		case '"': e = "\\\""; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if((unsigned char)*s < 0x20){
				snprintf(u, sizeof u, "\\u%04x", (unsigned char)*s);
				e = u;
			}
		}
		if(e != NULL){
			memcpy(*o + *n, e, strlen(e));
			*n += strlen(e);
		}else
			(*o)[(*n)++] = *s;
	}
}

int
sess_put_text(char **o, size_t *n, size_t *a, const char *s)
{
	size_t k = strlen(s);
	char *p;

	if(*n + k + 1 > *a){
		if((p = realloc(*o, 2 * (*n + k) + 64)) == NULL)
			return lb_err("out of memory");
		*o = p;
		*a = 2 * (*n + k) + 64;
	}
	memcpy(*o + *n, s, k + 1);
	*n += k;
	return 0;
}

char *
sess_json(Sess *ss, size_t *len)
{
	char *o = NULL;
	size_t n = 0, a = 0;
	int i, rc = sess_put_text(&o, &n, &a, "[");

	for(i = 0; rc == 0 && i < ss->nmsgs; i++){
		rc = sess_put_text(&o, &n, &a, i > 0 ? ",{\"role\":\"" : "{\"role\":\"");
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, ss->msgs[i].role);
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, "\",\"content\":\"");
		if(rc == 0)
			rc = jquote(&o, &n, &a, ss->msgs[i].content);
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, "\"}");
	}
	if(rc == 0)
		rc = sess_put_text(&o, &n, &a, "]\n");
	if(rc < 0){
		free(o);
		return NULL;
	}
	*len = n;
	return o;
}

char *
sess_text(Sess *ss, size_t *len)
{
	char *o = NULL;
	size_t n = 0, a = 0;
	int i, rc = sess_put_text(&o, &n, &a, "");

	if(rc == 0 && ss->system != NULL && *ss->system != 0)
		rc = sess_put_text(&o, &n, &a, "system: ") < 0 || sess_put_text(&o, &n, &a, ss->system) < 0 || sess_put_text(&o, &n, &a, "\n") < 0 ? -1 : 0;
	for(i = 0; rc == 0 && i < ss->nmsgs; i++)
		if(sess_put_text(&o, &n, &a, ss->msgs[i].role) < 0 || sess_put_text(&o, &n, &a, ": ") < 0
		|| sess_put_text(&o, &n, &a, ss->msgs[i].content) < 0 || sess_put_text(&o, &n, &a, "\n") < 0)
			rc = -1;
	if(rc < 0){
		free(o);
		return NULL;
	}
	*len = n;
	return o;
}

int
sess_compact(Sess *ss)
{
	int keep = ss->nmsgs >= 2 ? 2 : ss->nmsgs;

	if(sess_running(ss))
		return lb_err("compact: generation in progress, retry");
	ss->dropped += ss->nmsgs - keep;
	dropmsgs(ss, 0, ss->nmsgs - keep);
	return 0;
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

void
sess_reset(Sess *ss)
{
	dropturn(ss);
	dropmsgs(ss, 0, ss->nmsgs);
	ss->dropped = 0;
}
