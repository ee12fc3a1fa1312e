/*
 * sesscompact.c - a write to a session's compact file, as infernode's llmsrv
 * has it: the model summarises the conversation, and the summary replaces
 * it (a user message "Context from earlier in this session:" and the summary,
 * then the assistant's "Understood..."), so the turns after carry what was
 * said at the cost of a few tokens.  Fewer than four messages are left as they
 * are; a session in a turn is refused ("retry"); the write is answered when the
 * summary is made, at temperature 0.3 and at most 2048 tokens (llmsrv's).
 *
 * Unlike llmsrv, which sends the conversation to the model again as one
 * message, the request to summarise is put after the conversation in the
 * session's own cache: only its few tokens are evaluated.  The generation runs
 * on a thread of its own, so the connection's other requests go on; the
 * session meanwhile counts as in a turn (sess_running), and a reset or restore
 * that comes in between wins: the summary is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

enum { SUMMARY_TOKENS = 2048 };

static const char ask[] = "Summarize this conversation concisely, preserving key facts, decisions, file paths, "
	"code snippets, and all context needed to continue the work.";
static const char context[] = "Context from earlier in this session:\n";
static const char understood[] = "Understood. I have the context from our previous work and will continue from there.";

typedef struct Compact {
	Conn *c;
	Req *r;
	Sess *ss;
	uint32_t count;
	llambo_chat_msg *msgs;	/* the system prompt, the messages and the request; contents the session's own copies */
	int n, nsummed;	/* how many, and how many of the session's messages they replace */
	int epoch;	/* the session's when it began */
	llambo_params p;
} Compact;

static void
freecompact(Compact *w)
{
	int i;

	for(i = 0; w->msgs != NULL && i < w->n - 1; i++)
		free((char *)w->msgs[i].content);
	free(w->msgs);
	free(w);
}

/* With ss->lk held: the conversation copied (a reset may free its messages meanwhile) and the request after it. */
static int
copyconv(Compact *w, Sess *ss)
{
	int k = 0, i;

	if((w->msgs = calloc((size_t)ss->nmsgs + 2, sizeof *w->msgs)) == NULL)
		return lb_err("out of memory");
	if(ss->system != NULL && *ss->system != 0){
		w->msgs[k].role = "system";
		w->msgs[k++].content = strdup(ss->system);
	}
	for(i = 0; i < ss->nmsgs; i++){
		w->msgs[k].role = ss->msgs[i].role;
		w->msgs[k++].content = strdup(ss->msgs[i].content);
	}
	w->n = k + 1;
	for(i = 0; i < k; i++)
		if(w->msgs[i].content == NULL)
			return lb_err("out of memory");
	w->msgs[k].role = "user";
	w->msgs[k].content = ask;
	w->nsummed = ss->nmsgs;
	return 0;
}

/* With ss->lk held: the summary in place of the messages it was made from; 0, or -1 with lb_err. */
static int
replace(Sess *ss, const Compact *w, const char *summary)
{
	char *user = malloc(sizeof context + strlen(summary)), *reply = strdup(understood);

	if(user == NULL || reply == NULL){
		free(user);
		free(reply);
		return lb_err("out of memory");
	}
	strcpy(user, context);
	strcat(user, summary);
	sess_dropmsgs(ss, 0, w->nsummed);
	ss->dropped += w->nsummed;
	if(sess_addmsg(ss, "user", user) < 0 || sess_addmsg(ss, "assistant", reply) < 0)
		return -1;	/* past the history limit: only if the summary is longer than all it replaced */
	return 0;
}

static void *
compactmain(void *arg)
{
	Compact *w = arg;
	Sess *ss = w->ss;
	StyxFcall rf = { .type = STYX_RWRITE, .count = w->count };
	char why[256] = "";
	char *summary = llambo_chat_reply(ss->cs, w->msgs, w->n, &w->p, NULL);

	if(summary == NULL)
		snprintf(why, sizeof why, "compact: %s", llambo_last_error());
	pthread_mutex_lock(&ss->lk);
	ss->compacting = 0;
	if(summary != NULL && ss->epoch != w->epoch)
		snprintf(why, sizeof why, "compact: the conversation was reset or restored meanwhile; it is as that left it");
	else if(summary != NULL && replace(ss, w, summary) < 0)
		snprintf(why, sizeof why, "compact: %s", lb_errstr());
	pthread_mutex_unlock(&ss->lk);
	llambo_free(summary);
	if(*why != 0)
		conn_error(w->c, w->r, "%s", why);
	else
		conn_reply(w->c, w->r, &rf);
	conn_unref(w->c);
	sess_put(ss);
	freecompact(w);
	return NULL;
}

/* With ss->lk held: the summary's generation started on a thread; 1 if it was, 0 if there is nothing to do, -1 with lb_err. */
static int
start(Conn *c, Req *r, Sess *ss, uint32_t count)
{
	StyxSrv *s = c->srv;
	Compact *w;

	if(sess_running(ss))
		return lb_err("compact: generation in progress, retry");
	if(ss->nmsgs < 4)
		return 0;
	if(ss->id < 0 || srv_serial(s, ss->id) != ss->mserial)
		return lb_err("compact: the session's model is not loaded: write a loaded model's id or name to model");
	if(ss->cs == NULL && (ss->cs = llambo_chat_open(ss->id, NULL, s->cfg.lim.session_ctx, s->cfg.lim.gen_threads)) == NULL)
		return -1;
	if((w = calloc(1, sizeof *w)) == NULL)
		return lb_err("out of memory");
	if(copyconv(w, ss) < 0){
		freecompact(w);
		return -1;
	}
	w->c = c;
	w->r = r;
	w->ss = ss;
	w->count = count;
	w->epoch = ss->epoch;
	w->p = ss->set->params;	/* the session's seed and sampling options, at llmsrv's temperature and length */
	w->p.temperature = 0.3f;
	w->p.max_tokens = SUMMARY_TOKENS < s->cfg.lim.max_tokens ? SUMMARY_TOKENS : s->cfg.lim.max_tokens;
	w->p.n_threads = s->cfg.lim.gen_threads;
	r->kind = Rwork;
	pthread_mutex_lock(&c->lk);
	c->ref++;
	pthread_mutex_unlock(&c->lk);
	pthread_mutex_lock(&s->lk);
	ss->ref++;
	pthread_mutex_unlock(&s->lk);
	ss->compacting = 1;
	if(srv_thread(s, compactmain, w, 0) < 0){
		ss->compacting = 0;
		pthread_mutex_lock(&s->lk);
		ss->ref--;	/* the caller holds one still */
		pthread_mutex_unlock(&s->lk);
		conn_unref(c);
		freecompact(w);
		r->kind = Rinline;
		return -1;
	}
	return 1;
}

void
sess_compact(Conn *c, Req *r, Sess *ss, uint32_t count)
{
	StyxFcall rf = { .type = STYX_RWRITE, .count = count };
	int rc;

	pthread_mutex_lock(&ss->lk);
	rc = ss->closed ? lb_err("session closed") : start(c, r, ss, count);
	pthread_mutex_unlock(&ss->lk);
	if(rc < 0)
		conn_error(c, r, "%s", lb_errstr());
	else if(rc == 0)
		conn_reply(c, r, &rf);
}
