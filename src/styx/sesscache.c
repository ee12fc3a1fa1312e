/*
 * sesscache.c - the sessions together: closing them all, letting go of a
 * model that was freed, and the KV caches they give back: a cache idle past
 * -I, and, when a turn needs a cache its model's KV budget has no room for,
 * the least recently used idle one (the session evaluates its messages
 * again when it returns).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

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

void
sess_touch(Sess *ss)
{
	static atomic_ulong clock;

	ss->lastturn = conn_now();
	ss->used = atomic_fetch_add(&clock, 1) + 1;
}

typedef struct Lru {
	Sess *skip;
	int id;
	Sess *oldest;
	unsigned long when;
} Lru;

/* The least recently used session on model lru->id that holds a cache and is not in a turn. */
static void
older(StyxSrv *s, Sess *ss, void *arg)
{
	Lru *l = arg;

	(void)s;
	if(ss != l->skip && ss->id == l->id && ss->cs != NULL && !sess_running(ss) && (l->oldest == NULL || ss->used < l->when)){
		l->oldest = ss;
		l->when = ss->used;
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
	if(ss->id != id || ss->cs == NULL || ss->compacting)
		return;	/* a summary being made holds the model to its end; the next turn lets go */
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
