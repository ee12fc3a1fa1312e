/*
 * sesscompact.c - a write to a session's compact file, as infernode's llmsrv
 * has it: the model summarises the conversation, and the summary replaces
 * it (a user message "Context from earlier in this session:" and the summary,
 * then the assistant's "Understood..."), so the turns after carry what was
 * said at the cost of a few tokens.  Fewer than four messages are left as they
 * are; a session in a turn is refused ("retry"); the write is answered when the
 * summary is made, at temperature 0.3 and at most 2048 tokens (llmsrv's).
 *
 * ctl's "autocompact N" makes the summary follow, unasked, any turn that
 * leaves N tokens or more in the cache (llmsrv's auto-compaction; 0, the
 * default, never): for clients that do not watch usage themselves.  A turn
 * begun while a summary is made waits for it, then runs on the summary.
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
	Conn *c;	/* the write's (held) and its request; NULL for autocompact's */
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

/* The last two of m[0..n) first: the summary goes before a message a waiting turn added after it was begun. */
static void
tofront(llambo_chat_msg *m, int n)
{
	llambo_chat_msg last[2] = { m[n - 2], m[n - 1] };

	memmove(m + 2, m, (size_t)(n - 2) * sizeof *m);
	m[0] = last[0];
	m[1] = last[1];
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
	tofront(ss->msgs, ss->nmsgs);
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
	Gen *g;

	if(summary == NULL)
		snprintf(why, sizeof why, "compact: %s", llambo_last_error());
	pthread_mutex_lock(&ss->lk);
	ss->compacting = 0;
	if(summary != NULL && ss->epoch != w->epoch)
		snprintf(why, sizeof why, "compact: the conversation was reset or restored meanwhile; it is as that left it");
	else if(summary != NULL && replace(ss, w, summary) < 0)
		snprintf(why, sizeof why, "compact: %s", lb_errstr());
	if((g = ss->parked) != NULL){
		ss->parked = NULL;
		sess_resume(ss, g, 0, NULL);	/* on the summary, or on the conversation as it was */
	}
	pthread_mutex_unlock(&ss->lk);
	if(g != NULL)
		gen_unref(g);
	llambo_free(summary);
	if(w->c == NULL){
		if(*why != 0)
			fprintf(stderr, "llambo-styx: session %.8s: auto%s\n", ss->name, why);
	}else if(*why != 0)
		conn_error(w->c, w->r, "%s", why);
	else
		conn_reply(w->c, w->r, &rf);
	if(w->c != NULL)
		conn_unref(w->c);
	sess_put(ss);
	freecompact(w);
	return NULL;
}

/*
 * With ss->lk held: the summary's generation started on a thread, to answer r
 * of c (or no one: c NULL); 1 if it was, 0 if there is nothing to do, -1 with lb_err.
 */
static int
start(Conn *c, Req *r, Sess *ss, uint32_t count)
{
	StyxSrv *s = ss->srv;
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
	if(c != NULL){
		r->kind = Rwork;
		pthread_mutex_lock(&c->lk);
		c->ref++;
		pthread_mutex_unlock(&c->lk);
	}
	pthread_mutex_lock(&s->lk);
	ss->ref++;
	pthread_mutex_unlock(&s->lk);
	ss->compacting = 1;
	if(srv_thread(s, compactmain, w, 0) < 0){
		ss->compacting = 0;
		pthread_mutex_lock(&s->lk);
		ss->ref--;	/* the caller holds one still */
		pthread_mutex_unlock(&s->lk);
		if(c != NULL){
			conn_unref(c);
			r->kind = Rinline;
		}
		freecompact(w);
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

void
sess_autocompact(Sess *ss)
{
	if(ss->autocompact > 0 && ss->cached >= ss->autocompact && !ss->closed && start(NULL, NULL, ss, 0) < 0)
		fprintf(stderr, "llambo-styx: session %.8s: autocompact: %s\n", ss->name, lb_errstr());
}

int
sess_setautocompact(Sess *ss, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	if(*v == 0 || *end != 0 || n < 0 || n > 1L << 30)
		return lb_err("autocompact needs a non-negative integer (0 disables)");
	ss->autocompact = (int)n;
	return 0;
}
