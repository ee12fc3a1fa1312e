/* registry.c - model ids and reference counts; see registry.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../util/error.h"
#include "registry.h"
#include "sched.h"

enum { MAXMODELS = LLAMBO_MAX_IDS };

typedef struct Entry {
	int used;	/* the id is taken */
	int state;	/* LLAMBO_EMPTY, LLAMBO_LOADING, LLAMBO_READY */
	int freed;	/* free_model was called; waiting for refs to drop */
	int refs;	/* holders besides the registry */
	Model *m;
	Sched *sched;	/* made at the first generation */
	char path[1024];
	int use_mmap, n_gpu_layers;
} Entry;

static Entry tab[MAXMODELS];
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;

static Entry *
lookup(int id)
{
	if(id < 0 || id >= MAXMODELS || !tab[id].used || tab[id].freed)
		return NULL;
	return &tab[id];
}

int
reg_reserve(void)
{
	int id;

	pthread_mutex_lock(&lk);
	for(id = 0; id < MAXMODELS; id++)
		if(!tab[id].used){
			memset(&tab[id], 0, sizeof tab[id]);
			tab[id].used = 1;
			tab[id].state = LLAMBO_EMPTY;
			pthread_mutex_unlock(&lk);
			return id;
		}
	pthread_mutex_unlock(&lk);
	return lb_err("too many models (%d)", MAXMODELS);
}

int
reg_begin_load(int id, const char *path, int use_mmap, int n_gpu_layers)
{
	Entry *e;

	pthread_mutex_lock(&lk);
	e = lookup(id);
	if(e == NULL || e->state != LLAMBO_EMPTY){
		pthread_mutex_unlock(&lk);
		return lb_err(e == NULL ? "no such model: %d" : "model %d is already loaded", id);
	}
	e->state = LLAMBO_LOADING;
	snprintf(e->path, sizeof e->path, "%s", path);
	e->use_mmap = use_mmap;
	e->n_gpu_layers = n_gpu_layers;
	pthread_mutex_unlock(&lk);
	return 0;
}

typedef struct Dead {
	Model *m;
	Sched *sched;
} Dead;

static void
release_locked(Entry *e, Dead *dead)
{
	if(e->freed && e->refs == 0){
		dead->m = e->m;
		dead->sched = e->sched;
		memset(e, 0, sizeof *e);
	}
}

/* Outside the lock: a model with a scheduler is freed by the scheduler's thread (it may be this one). */
static void
bury(Dead *dead)
{
	if(dead->sched != NULL)
		sched_retire(dead->sched, dead->m);
	else
		model_free(dead->m);
}

void
reg_end_load(int id, Model *m)
{
	Entry *e = &tab[id];
	Dead dead = { 0 };

	pthread_mutex_lock(&lk);
	e->m = m;
	e->state = m != NULL ? LLAMBO_READY : LLAMBO_EMPTY;
	release_locked(e, &dead);	/* freed while it was loading */
	pthread_mutex_unlock(&lk);
	bury(&dead);
}

Model *
reg_hold(int id)
{
	Entry *e;
	Model *m;

	pthread_mutex_lock(&lk);
	e = lookup(id);
	if(e == NULL || e->state != LLAMBO_READY){
		pthread_mutex_unlock(&lk);
		if(e != NULL && e->state == LLAMBO_LOADING)
			lb_err("model %d is still loading", id);
		else
			lb_err("no such model: %d", id);
		return NULL;
	}
	e->refs++;
	m = e->m;
	pthread_mutex_unlock(&lk);
	return m;
}

Sched *
reg_sched(int id)
{
	Sched *s;
	Model *m = reg_hold(id);

	if(m == NULL)
		return NULL;
	pthread_mutex_lock(&lk);
	if(tab[id].sched == NULL)
		tab[id].sched = sched_new(m, id);
	s = tab[id].sched;
	pthread_mutex_unlock(&lk);
	if(s == NULL)
		reg_release(id);
	return s;
}

void
reg_release(int id)
{
	Dead dead = { 0 };

	if(id < 0 || id >= MAXMODELS)
		return;
	pthread_mutex_lock(&lk);
	if(tab[id].used && tab[id].refs > 0){
		tab[id].refs--;
		release_locked(&tab[id], &dead);
	}
	pthread_mutex_unlock(&lk);
	bury(&dead);
}

int
reg_free(int id)
{
	Entry *e;
	Dead dead = { 0 };

	pthread_mutex_lock(&lk);
	e = lookup(id);
	if(e == NULL){
		pthread_mutex_unlock(&lk);
		return lb_err("no such model: %d", id);
	}
	e->freed = 1;
	if(e->state != LLAMBO_LOADING)	/* a load in progress finishes the job in reg_end_load */
		release_locked(e, &dead);
	pthread_mutex_unlock(&lk);
	bury(&dead);
	return 0;
}

int
reg_status(int id, llambo_status *st)
{
	Entry *e;

	pthread_mutex_lock(&lk);
	e = lookup(id);
	if(e == NULL){
		pthread_mutex_unlock(&lk);
		return lb_err("no such model: %d", id);
	}
	memset(st, 0, sizeof *st);
	st->state = e->state;
	snprintf(st->path, sizeof st->path, "%s", e->path);
	if(e->m != NULL && e->state == LLAMBO_READY){
		snprintf(st->kv_type_k, sizeof st->kv_type_k, "%s", kv_type_name(e->m->kv_type_k));
		snprintf(st->kv_type_v, sizeof st->kv_type_v, "%s", kv_type_name(e->m->kv_type_v));
	}
	if(e->sched != NULL)
		sched_status(e->sched, st);
	pthread_mutex_unlock(&lk);
	return 0;
}

int
reg_list(int *ids, int max)
{
	int id, n = 0;

	pthread_mutex_lock(&lk);
	for(id = 0; id < MAXMODELS; id++)
		if(lookup(id) != NULL){
			if(n < max)
				ids[n] = id;
			n++;
		}
	pthread_mutex_unlock(&lk);
	return n;
}

int
reg_load_options(int id, int *use_mmap, int *n_gpu_layers, char *path, int npath)
{
	Entry *e;

	pthread_mutex_lock(&lk);
	e = lookup(id);
	if(e == NULL){
		pthread_mutex_unlock(&lk);
		return lb_err("no such model: %d", id);
	}
	*use_mmap = e->use_mmap;
	*n_gpu_layers = e->n_gpu_layers;
	snprintf(path, (size_t)npath, "%s", e->path);
	pthread_mutex_unlock(&lk);
	return 0;
}
