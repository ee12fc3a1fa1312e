/*
 * tree.c - the names, qids and stat entries of the tree:
 *
 *	/ctl /clone /models/ /models/N/{data,info,status}
 *	/sessions/{new,models} /sessions/NAME/{ask,stream,model,...} (sessfile.c)
 *
 * An attach to "llm" has sessions/ for its root: infernode's llmsrv layout.
 * A qid path is (serial << 8 | kind): the serial tells loads of the same id
 * apart, so a qid never comes back after its model is freed.  The version of
 * status changes when the model's state does.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/error.h"
#include "impl.h"

static const char *names[Qsess] = { "/", "ctl", "clone", "models", "sessions", NULL, "data", "info", "status", "new", "models" };

int
tree_isdir(const Node *n)
{
	return n->kind == Qroot || n->kind == Qmodels || n->kind == Qmodel || n->kind == Qsessions || n->kind == Qsess;
}

uint32_t
tree_perm(const Node *n)
{
	if(n->kind > Qsess)
		return sfile_perm(n->kind);
	switch(n->kind){
	case Qctl: case Qclone: case Qdata: return 0666;
	case Qinfo: case Qstatus: case Qnew: case Qlist: return 0444;
	}
	return 0555;
}

/* The id a decimal name gives, written the one way a number is (no sign, no leading 0); else -1. */
static int
nameid(StyxStr name)
{
	long v = 0;
	int i;

	if(name.len == 0 || name.len > 9 || (name.len > 1 && name.p[0] == '0'))
		return -1;
	for(i = 0; i < name.len; i++){
		if(name.p[i] < '0' || name.p[i] > '9')
			return -1;
		v = v * 10 + (name.p[i] - '0');
	}
	return v <= INT_MAX ? (int)v : -1;
}

/* 1 while the model below n is still the load n was made for, or its session is open. */
static int
alive(StyxSrv *s, const Node *n)
{
	Sess *ss;

	if(INSESS(n->kind)){
		if((ss = sess_get(s, n->serial)) == NULL)
			return 0;
		sess_put(ss);
		return 1;
	}
	if(!INMODEL(n->kind))
		return 1;
	return n->serial != 0 && srv_serial(s, n->id) == n->serial;
}

/* Where ".." leads from n. */
static void
parent(const Node *from, Node *to)
{
	to->id = -1;
	to->serial = 0;
	switch(from->kind){
	case Qmodel: to->kind = Qmodels; break;
	case Qsess: to->kind = Qsessions; break;
	case Qsessions: to->kind = from->llm ? Qsessions : Qroot; break;
	default: to->kind = Qroot;
	}
}

int
tree_walk1(StyxSrv *s, const Node *from, StyxStr name, Node *to)
{
	int k;

	Sess *ss;

	*to = *from;
	if(styx_streq(name, "..")){
		parent(from, to);
		return 0;
	}
	switch(from->kind){
	case Qroot:
		for(k = Qctl; k <= Qsessions; k++)
			if(styx_streq(name, names[k])){
				to->kind = k;
				return 0;
			}
		break;
	case Qmodels:
		if((to->id = nameid(name)) >= 0 && (to->serial = srv_serial(s, to->id)) != 0){
			to->kind = Qmodel;
			return 0;
		}
		break;
	case Qmodel:
		if(!alive(s, from))
			break;
		for(k = Qdata; k <= Qstatus; k++)
			if(styx_streq(name, names[k])){
				to->kind = k;
				return 0;
			}
		break;
	case Qsessions:
		for(k = Qnew; k <= Qlist; k++)
			if(styx_streq(name, names[k])){
				to->kind = k;
				return 0;
			}
		if((ss = sess_byname(s, name)) != NULL){	/* only by its name: sessions are not listed */
			to->kind = Qsess;
			to->serial = ss->serial;
			sess_put(ss);
			return 0;
		}
		break;
	case Qsess:
		if(!alive(s, from))
			break;
		for(k = Qask; k < Qmax; k++)
			if(styx_streq(name, sfile_name(k))){
				to->kind = k;
				return 0;
			}
		break;
	}
	return lb_err("file does not exist");
}

/* The version of status: it changes with the model's state and its token count. */
static uint32_t
statusvers(StyxSrv *s, const Node *n)
{
	llambo_status st;
	uint32_t v = 0;
	Model *m;

	if(llambo_model_status(n->id, &st) == 0)
		v = (uint32_t)st.state + (uint32_t)st.tokens_generated * 4 + (uint32_t)st.generations * 65536;
	pthread_mutex_lock(&s->lk);
	m = srv_model(s, n->id);
	if(m != NULL)
		v += m->events * 7919u;
	pthread_mutex_unlock(&s->lk);
	return v;
}

int
tree_qid(StyxSrv *s, const Node *n, StyxQid *q)
{
	if(!alive(s, n))
		return -1;
	q->type = tree_isdir(n) ? STYX_QTDIR : STYX_QTFILE;
	q->vers = n->kind == Qstatus ? statusvers(s, n) : 0;
	q->path = (uint64_t)n->serial << 8 | (uint64_t)n->kind;
	return 0;
}

long
tree_stat(StyxSrv *s, const Node *n, uint8_t *buf, size_t max)
{
	StyxDir d;
	char num[33];
	Sess *ss;

	memset(&d, 0, sizeof d);
	if(tree_qid(s, n, &d.qid) < 0)
		return -1;
	d.mode = tree_perm(n) | (tree_isdir(n) ? STYX_DMDIR : 0);
	d.atime = d.mtime = (uint32_t)s->start;
	if(n->kind == Qmodel){
		snprintf(num, sizeof num, "%d", n->id);
		d.name = styx_str(num);
	}else if(n->kind == Qsess && (ss = sess_get(s, n->serial)) != NULL){
		memcpy(num, ss->name, sizeof num);
		sess_put(ss);
		d.name = styx_str(num);
	}else if(n->kind > Qsess)
		d.name = styx_str(sfile_name(n->kind));
	else
		d.name = styx_str(n->kind == Qsessions && n->llm ? "/" : names[n->kind]);
	d.uid = d.gid = d.muid = styx_str("llambo");
	return (long)styx_packdir(&d, buf, max);
}

static int
modelchild(StyxSrv *s, int i, Node *child)
{
	int ids[256], n = llambo_list_models(ids, 256);

	if(i >= n || i >= 256)
		return -1;
	child->kind = Qmodel;
	child->id = ids[i];
	child->serial = srv_serial(s, ids[i]);
	return 0;
}

int
tree_child(StyxSrv *s, const Node *n, int i, Node *child)
{
	*child = *n;
	switch(n->kind){
	case Qroot:
		if(i >= 4)
			return -1;
		child->kind = Qctl + i;
		return 0;
	case Qsessions:	/* new and models; the sessions only to those who know their names */
		if(i >= 2)
			return -1;
		child->kind = Qnew + i;
		return 0;
	case Qsess:
		if(i >= Qmax - Qask || !alive(s, n))
			return -1;
		child->kind = Qask + i;
		return 0;
	case Qmodels:
		return modelchild(s, i, child);
	case Qmodel:
		if(i >= 3 || !alive(s, n))
			return -1;
		child->kind = Qdata + i;
		return 0;
	}
	return -1;
}
