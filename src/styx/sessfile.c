/*
 * sessfile.c - a session's files, as infernode's llmsrv(4) defines them
 * (appl/cmd/llmsrv.b), so its tools work on a local model unchanged:
 *
 *	ask	write a user message; a read starts the turn and answers at its end: the reply
 *	stream	a read starts the turn too; reads stream the reply as it is made
 *	model temperature maxtokens system prefill	the settings (system is kept on clunk)
 *	context	the messages as JSON; history: as text
 *	usage	tokens the conversation holds in the cache/the context
 *	compact	a write has the model summarise the conversation in its place
 *	ctl	reset, close, uncache, save, restore, autocompact
 *	thinking reasoning tools	kept and shown: a local model has no use for them
 *	options	the other sampling settings, key=value|... as a request's options
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

enum { MAXSETTING = 4096, MAXPREFILL = 65536 };

static const struct {
	const char *name;
	uint32_t perm;
} files[Qmax - Qask] = {
	{ "ask", 0666 }, { "stream", 0444 }, { "model", 0666 }, { "temperature", 0666 }, { "system", 0666 },
	{ "thinking", 0666 }, { "prefill", 0666 }, { "tools", 0666 }, { "context", 0444 }, { "compact", 0666 },
	{ "ctl", 0666 }, { "usage", 0444 }, { "maxtokens", 0666 }, { "reasoning", 0666 }, { "history", 0444 },
	{ "options", 0666 },
};

const char *
sfile_name(int kind)
{
	return files[kind - Qask].name;
}

uint32_t
sfile_perm(int kind)
{
	return files[kind - Qask].perm;
}

int
sfile_open(Conn *c, Fid *f, uint8_t mode)
{
	Sess *ss = sess_get(c->srv, f->node.serial);

	(void)mode;
	if(ss == NULL)
		return lb_err("session closed");
	sess_put(ss);
	return 0;
}

/* A setting written: its text without the white space around it, NUL-terminated in buf. */
static int
setting(const StyxFcall *t, char *buf, size_t max)
{
	if(t->count >= max)
		return lb_err("setting too large");
	memcpy(buf, t->data, t->count);
	buf[t->count] = 0;
	sess_trim(buf);
	return 0;
}

/* With ss->lk held: the text of a file that reads as one. */
static char *
maketext(Sess *ss, int kind, size_t *n)
{
	const char *nl;
	llambo_params *p = &ss->set->params;
	char *desc, *text;

	switch(kind){
	case Qsmodel:
		return srv_smprint(n, "%s\n", ss->model != NULL ? ss->model : "");
	case Qtemp:
		return srv_smprint(n, "%.2f\n", p->temperature);
	case Qmaxtok:
		return srv_smprint(n, "%d\n", p->max_tokens);
	case Qsystem:
	case Qprefill:
		text = kind == Qsystem ? ss->system : ss->prefill;
		nl = text != NULL && *text != 0 && text[strlen(text) - 1] != '\n' ? "\n" : "";
		return srv_smprint(n, "%s%s", text != NULL ? text : "", nl);
	case Qthinking:
		return srv_smprint(n, "%s\n(kept for infernode's tools: a local model thinks as its chat template has it)\n", ss->thinking);
	case Qreasoning:
		return srv_smprint(n, "%s\n(kept for infernode's tools: a local model has no reasoning effort to set)\n",
			*ss->reasoning != 0 ? ss->reasoning : "(default)");
	case Qtools:
		return srv_smprint(n, "%zu bytes of tool definitions kept; a local model is not given tools: its replies are text\n",
			ss->tools != NULL ? strlen(ss->tools) : 0);
	case Qcompact:
		return srv_smprint(n, "write to compact conversation: the model summarises it, and the summary replaces its"
			" messages (%d messages replaced or dropped so far)\n", ss->dropped);
	case Qsctl:
		return srv_smprint(n, "write: reset (forget the messages, keep the settings), close (end the session),"
			" uncache (give the KV cache back: the next turn evaluates the whole conversation again),"
			" save NAME, restore NAME (its settings, messages and KV cache, in a file of the first model directory;"
			" under -O restore loads the model the file names), autocompact N (after a turn that leaves N tokens"
			" or more in the cache, compact; 0 never)\nautocompact %d\n", ss->autocompact);
	case Qusage:
		return srv_smprint(n, "%d/%d\nlast turn: %d tokens kept in the cache, %d evaluated, %d generated\n"
			"dropped: %d messages\n", ss->cached, ss->n_ctx > 0 ? ss->n_ctx : 4096, ss->kept, ss->evaluated,
			ss->generated, ss->dropped);
	case Qcontext:
		return sess_json(ss, n);
	case Qhistory:
		return sess_text(ss, n);
	case Qoptions:
		if((desc = llambo_request_describe(ss->set)) == NULL)
			return NULL;
		text = srv_smprint(n, "%s\n", desc);
		llambo_free(desc);
		return text;
	}
	lb_err("permission denied");
	return NULL;
}

/* A read of new: a session, made by the open's first read (its name is what the open reads). */
static void
newread(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	Sess *ss;

	if(f->text == NULL){
		if((ss = sess_new(c)) == NULL){
			conn_error(c, r, "%s", lb_errstr());
			return;
		}
		f->text = srv_smprint(&f->ntext, "%s\n", ss->name);
		sess_put(ss);
		if(f->text == NULL){
			conn_error(c, r, "out of memory");
			return;
		}
	}
	file_readbuf(c, r, t, f->text, f->ntext);
}

/* ask and stream: the turn a written message starts, then its text (ask: when it is whole). */
static void
turnread(Conn *c, Req *r, Fid *f, StyxFcall *t, Sess *ss)
{
	if(sess_turn(c, ss) < 0){
		conn_error(c, r, "%s", lb_errstr());
		return;
	}
	if(ss->turn == NULL){
		file_readbuf(c, r, t, "", 0);
		return;
	}
	r->whole = f->node.kind == Qask;
	r->offset = t->offset;
	r->count = t->count;
	r->fid = f->fid;
	gen_read(ss->turn, c, r);
}

void
sfile_read(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	Sess *ss;
	char *text = NULL;
	size_t n = 0;

	if(f->node.kind == Qnew){
		newread(c, r, f, t);
		return;
	}
	if((ss = sess_get(c->srv, f->node.serial)) == NULL){
		conn_error(c, r, "session closed");
		return;
	}
	if(f->node.kind == Qask || f->node.kind == Qstream)
		sess_reclaim(c->srv, ss);
	pthread_mutex_lock(&ss->lk);
	if(f->node.kind == Qask || f->node.kind == Qstream)
		turnread(c, r, f, t, ss);
	else if(t->offset > 0 && f->text != NULL)
		file_readbuf(c, r, t, f->text, f->ntext);
	else if((text = maketext(ss, f->node.kind, &n)) == NULL)
		conn_error(c, r, "%s", lb_errstr());
	else{
		free(f->text);
		f->text = text;
		f->ntext = n;
		file_readbuf(c, r, t, f->text, f->ntext);
	}
	pthread_mutex_unlock(&ss->lk);
	sess_put(ss);
}

/* What ask holds until a read starts the turn: everything written, from any open (clients split large writes). */
static int
askwrite(Sess *ss, const StyxFcall *t)
{
	size_t max = ss->srv->cfg.lim.max_request;
	char *p;

	if(ss->npending + t->count > max)
		return lb_err("write too large: limit %zu bytes", max);
	if((p = realloc(ss->pending, ss->npending + t->count + 1)) == NULL)
		return lb_err("out of memory");
	memcpy(p + ss->npending, t->data, t->count);
	ss->pending = p;
	ss->npending += t->count;
	p[ss->npending] = 0;
	srv_bytes(ss->srv, (long)t->count);
	return 0;
}

static int
ctlwrite(StyxSrv *s, Sess *ss, char *cmd)
{
	char *arg = strchr(cmd, ' ');

	if(arg != NULL){
		*arg++ = 0;
		sess_trim(arg);
	}
	if((strcmp(cmd, "save") == 0 || strcmp(cmd, "restore") == 0) && (arg == NULL || *arg == 0))
		return lb_err("usage: %s NAME (a file in the first model directory)", cmd);
	if(strcmp(cmd, "save") == 0)
		return sess_save(s, ss, arg);
	if(strcmp(cmd, "restore") == 0)
		return sess_restore(s, ss, arg);
	if(strcmp(cmd, "autocompact") == 0)
		return sess_setautocompact(ss, arg != NULL ? arg : "");
	if(arg != NULL)
		return lb_err("unknown command: %s %s", cmd, arg);
	if(strcmp(cmd, "reset") == 0)
		sess_reset(ss);
	else if(strcmp(cmd, "close") == 0)
		sess_close(s, ss);
	else if(strcmp(cmd, "uncache") == 0)
		return sess_uncache(ss);
	else
		return lb_err("unknown command: %s", cmd);
	return 0;
}

int
sfile_set(Conn *c, Sess *ss, int kind, const StyxFcall *t)
{
	char v[MAXSETTING], *pf;
	size_t n;

	if(kind == Qask)
		return askwrite(ss, t);
	if(kind == Qprefill){	/* kept as written, but for the newline echo adds */
		if(t->count > MAXPREFILL)
			return lb_err("prefill too large");
		n = t->count > 0 && t->data[t->count - 1] == '\n' ? t->count - 1 : t->count;
		if((pf = malloc(n + 1)) == NULL)
			return lb_err("out of memory");
		memcpy(pf, t->data, n);
		pf[n] = 0;
		free(ss->prefill);
		ss->prefill = pf;
		return 0;
	}
	if(setting(t, v, sizeof v) < 0)
		return -1;
	switch(kind){
	case Qsmodel: return *v != 0 ? sess_bind(c->srv, ss, v) : 0;
	case Qtemp: case Qmaxtok: return sess_number(ss, kind, v);
	case Qsctl: return ctlwrite(c->srv, ss, v);
	case Qthinking:
		if((strcmp(v, "max") != 0 && strcmp(v, "disabled") != 0 && strcmp(v, "off") != 0 && strspn(v, "0123456789") != strlen(v))
		|| strlen(v) >= sizeof ss->thinking)
			return lb_err("invalid thinking budget");
		snprintf(ss->thinking, sizeof ss->thinking, "%.*s", (int)sizeof ss->thinking - 1, v);
		return 0;
	case Qreasoning:
		if(*v != 0 && strcmp(v, "low") != 0 && strcmp(v, "medium") != 0 && strcmp(v, "high") != 0)
			return lb_err("reasoning must be ''|low|medium|high");
		snprintf(ss->reasoning, sizeof ss->reasoning, "%.*s", (int)sizeof ss->reasoning - 1, v);
		return 0;
	case Qoptions:
		if(sess_running(ss))
			return lb_err("a turn is in progress: set options when it ends");
		if(llambo_request_options(ss->set, v, strlen(v)) < 0)
			return -1;
		return sess_keepopts(ss, v);
	}
	return lb_err("permission denied");
}

/* Under -O, the model a write names when it must be loaded first (malloc'd): written to model, or named by the file ctl's "restore FILE" reads. */
static char *
loadwanted(StyxSrv *s, int kind, const StyxFcall *t)
{
	char v[MAXSETTING], *want = NULL;

	if(!s->cfg.autoload || (kind != Qsmodel && kind != Qsctl) || setting(t, v, sizeof v) < 0)
		return NULL;
	if(kind == Qsctl && strncmp(v, "restore ", 8) == 0)
		want = sess_saved_model(s, sess_trim(v + 8));
	else if(kind == Qsmodel && *v != 0)
		want = strdup(v);
	if(want != NULL && byname_load(s, want, 0) >= 0){	/* loaded already */
		free(want);
		want = NULL;
	}
	return want;
}

void
sfile_write(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	StyxFcall rf = { .type = STYX_RWRITE, .count = t->count };
	char *want;
	Sess *ss;
	int rc;

	if(f->node.kind == Qsystem || f->node.kind == Qtools){	/* whole documents: kept on clunk */
		file_append(c, r, f, t);
		return;
	}
	if((ss = sess_get(c->srv, f->node.serial)) == NULL){
		conn_error(c, r, "session closed");
		return;
	}
	if(f->node.kind == Qcompact){
		sess_compact(c, r, ss, t->count);
		sess_put(ss);
		return;
	}
	if((want = loadwanted(c->srv, f->node.kind, t)) != NULL){	/* -O, and not loaded: on a thread (sessload.c) */
		if(sess_loadwrite(c, r, ss, f->node.kind, t, want) < 0)
			conn_error(c, r, "%s", lb_errstr());
		sess_put(ss);
		return;
	}
	pthread_mutex_lock(&ss->lk);
	rc = ss->closed ? lb_err("session closed") : sfile_set(c, ss, f->node.kind, t);
	pthread_mutex_unlock(&ss->lk);
	sess_put(ss);
	if(rc < 0)
		conn_error(c, r, "%s", lb_errstr());
	else
		conn_reply(c, r, &rf);
}

/* Tclunk: system and tools keep what their open wrote, without the white space around it. */
int
sfile_clunk(Conn *c, Fid *f)
{
	Sess *ss;
	char *v;
	int rc = 0;

	if((f->node.kind != Qsystem && f->node.kind != Qtools) || f->req == NULL)
		return 0;
	if((ss = sess_get(c->srv, f->node.serial)) == NULL)
		return lb_err("session closed");
	if((v = malloc(f->nreq + 1)) == NULL)
		rc = lb_err("out of memory");
	else{
		memcpy(v, f->req, f->nreq);
		v[f->nreq] = 0;
		sess_trim(v);
		pthread_mutex_lock(&ss->lk);
		free(f->node.kind == Qsystem ? ss->system : ss->tools);
		*(f->node.kind == Qsystem ? &ss->system : &ss->tools) = v;
		pthread_mutex_unlock(&ss->lk);
	}
	sess_put(ss);
	return rc;
}
