/*
 * tree.c - the names, qids and stat entries of the tree:
 *
 *	/ctl /clone /models/ /models/N/{data,info,status}
 *
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

static const char *names[Qmax] = { "/", "ctl", "clone", "models", NULL, "data", "info", "status" };

int
tree_isdir(const Node *n)
{
	return n->kind == Qroot || n->kind == Qmodels || n->kind == Qmodel;
}

uint32_t
tree_perm(const Node *n)
{
	switch(n->kind){
	case Qctl: case Qclone: case Qdata: return 0666;
	case Qinfo: case Qstatus: return 0444;
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

/* 1 while the model below n is still the load n was made for. */
static int
alive(StyxSrv *s, const Node *n)
{
	if(n->kind < Qmodel)
		return 1;
	return n->serial != 0 && srv_serial(s, n->id) == n->serial;
}

int
tree_walk1(StyxSrv *s, const Node *from, StyxStr name, Node *to)
{
	int k;

	*to = *from;
	if(styx_streq(name, "..")){
		to->kind = from->kind == Qmodel ? Qmodels : Qroot;
		to->id = -1;
		to->serial = 0;
		return 0;
	}
	switch(from->kind){
	case Qroot:
		for(k = Qctl; k <= Qmodels; k++)
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
	char num[16];

	memset(&d, 0, sizeof d);
	if(tree_qid(s, n, &d.qid) < 0)
		return -1;
	d.mode = tree_perm(n) | (tree_isdir(n) ? STYX_DMDIR : 0);
	d.atime = d.mtime = (uint32_t)s->start;
	if(n->kind == Qmodel){
		snprintf(num, sizeof num, "%d", n->id);
		d.name = styx_str(num);
	}else
		d.name = styx_str(names[n->kind]);
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
		if(i >= 3)
			return -1;
		child->kind = Qctl + i;
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
