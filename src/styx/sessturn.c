/*
 * sessturn.c - a session's messages and its turns.  A message written to ask
 * joins the messages when a read starts its turn: a Gen (gen.c) on the
 * model's scheduler, started through the engine's chat session
 * (llambo_chat_start) so the cache keeps what it already holds; at the end
 * the reply joins them too, or the user's message goes with a failed turn.
 * A conversation that outgrows its context drops its oldest exchanges.
 * A turn begun while a summary is made (sesscompact.c) waits for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

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

void
sess_dropmsgs(Sess *ss, int from, int n)
{
	int i;

	if(n <= 0)
		return;
	for(i = from; i < from + n; i++){
		ss->histbytes -= strlen(ss->msgs[i].content);
		free((char *)ss->msgs[i].content);
	}
	memmove(ss->msgs + from, ss->msgs + from + n, (size_t)(ss->nmsgs - from - n) * sizeof *ss->msgs);
	ss->nmsgs -= n;
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
	char *prompt, *want;
	Gen *g;

	if(ss->pending == NULL || ss->parked != NULL || (sess_running(ss) && !ss->compacting))
		return 0;	/* a prompt written during a turn waits for a read after it */
	want = sess_wants(ss);	/* -O: its model, to load first when no load of it is there */
	if((prompt = takeprompt(ss)) == NULL || sess_addmsg(ss, "user", prompt) < 0){
		free(want);
		return prompt == NULL ? 0 : -1;
	}
	if((g = gen_new(c, ss->id, ss->mserial)) == NULL){
		free(want);
		sess_dropmsgs(ss, ss->nmsgs - 1, 1);
		return -1;
	}
	pthread_mutex_lock(&s->lk);
	ss->ref++;
	pthread_mutex_unlock(&s->lk);
	g->sess = ss;
	sess_dropturn(ss);
	ss->turn = g;
	sess_touch(ss);
	if(ss->compacting){	/* sesscompact.c runs it when the summary is made */
		free(want);
		gen_ref(g);
		ss->parked = g;
	}else if(want != NULL && byname_load(s, want, 0) < 0)
		sess_loadturn(ss, g, want);	/* sessload.c: the turn runs once the model is loaded */
	else{
		free(want);
		sess_runturn(ss, g);
	}
	return 0;
}

void
sess_runturn(Sess *ss, Gen *g)
{
	StyxSrv *s = ss->srv;
	char why[256];

	if(ss->id >= 0 && srv_serial(s, ss->id) != ss->mserial && ss->model != NULL)
		sess_rebind(s, ss, ss->model);	/* unloaded (-B) and loaded again (-O): the model of that name */
	if(ss->id < 0 || srv_serial(s, ss->id) != ss->mserial){
		llambo_chat_close(ss->cs);
		ss->cs = NULL;
		lb_err(ss->id < 0 ? "no model: write a loaded model's id or name to model"
			: "the session's model was freed: write a loaded model's id or name to model");
	}else if(ss->cs != NULL || (ss->cs = llambo_chat_open(ss->id, NULL, s->cfg.lim.session_ctx, s->cfg.lim.gen_threads)) != NULL){
		g->id = ss->id;
		g->serial = ss->mserial;
		if(gen_hold(g) == 0 && gen_start(g) == 0)
			return;
	}
	snprintf(why, sizeof why, "%s", lb_errstr());	/* the reads of this turn report why */
	gen_fail(g, why);
	sess_dropmsgs(ss, ss->nmsgs - 1, 1);
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
		sess_dropmsgs(ss, 0, drop);
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
		sess_touch(ss);
		ss->kept = g->nreused;
		ss->evaluated = g->nprompt;
		ss->generated = g->ntok;
	}
	pthread_mutex_unlock(&g->lk);
	if(ss->turn == g && !ss->closed){
		if(reply == NULL || sess_addmsg(ss, "assistant", reply) < 0)
			sess_dropmsgs(ss, ss->nmsgs - 1, 1);	/* the user's message goes with its failed turn */
		ss->cached = llambo_chat_usage(ss->cs, &ss->n_ctx);
		if(reply != NULL)
			sess_autocompact(ss);
	}else
		free(reply);
	pthread_mutex_unlock(&ss->lk);
}

void
sess_reset(Sess *ss)
{
	sess_dropturn(ss);
	sess_dropmsgs(ss, 0, ss->nmsgs);
	ss->dropped = 0;
	ss->epoch++;	/* a summary being made is for messages no longer there */
}
