/*
 * byname.c - models by name.  "load qwen3-0.6b" on ctl, and a session's
 * model file, find the file in the -m directories: NAME, NAME.gguf, or the
 * first (in name order) NAME-*.gguf, NAME.*.gguf or NAME_*.gguf, letters of
 * either case.  With -O a session loads the model it names on first use.
 * With -B the files of the models loaded from the -m directories stay within
 * a memory budget: a load that would pass it first unloads the least recently
 * used of them that nothing generates with (their sessions give their caches
 * back, and load them again when they return).
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../util/error.h"
#include "impl.h"

static int
isgguf(const char *file)
{
	size_t n = strlen(file);

	return n > 5 && strcasecmp(file + n - 5, ".gguf") == 0;
}

/* 1 if file (a directory entry) is a GGUF file that name names; 2 if it is name exactly. */
static int
names(const char *file, const char *name)
{
	size_t n = strlen(file), k = strlen(name);

	if(!isgguf(file))
		return strcasecmp(file, name) == 0 ? 2 : 0;
	if(strcasecmp(file, name) == 0 || (n - 5 == k && strncasecmp(file, name, k) == 0))
		return 2;
	return k < n - 5 && strncasecmp(file, name, k) == 0 && strchr("-._", file[k]) != NULL;
}

int
byname_path(StyxSrv *s, const char *name, char *out, size_t nout)
{
	char best[NAME_MAX + 1] = "", path[PATH_MAX];
	int i, how, besthow = 0, bestdir = -1;
	struct dirent *e;
	DIR *d;

	if(*name == 0 || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return lb_err("no such model: %s", name);
	for(i = 0; i < s->cfg.ndirs && besthow < 2; i++){
		if((d = opendir(s->dirs[i])) == NULL)
			continue;
		while((e = readdir(d)) != NULL && besthow < 2){
			how = names(e->d_name, name);
			if(how > besthow || (how == 1 && besthow == 1 && strcmp(e->d_name, best) < 0)){
				snprintf(best, sizeof best, "%s", e->d_name);
				besthow = how;
				bestdir = i;
			}
		}
		closedir(d);
	}
	if(bestdir < 0)
		return lb_err("no such model: %s (no file of that name in the model directories, -m)", name);
	if(snprintf(path, sizeof path, "%s/%s", s->dirs[bestdir], best) >= (int)sizeof path || strlen(path) >= nout)
		return lb_err("no such model: %s (its path is too long)", name);
	strcpy(out, path);
	return 0;
}

/* A loaded model's id from a name: its number, its path, or its file's name with or without ".gguf"; -1 if none. */
int
byname_loaded(const char *name)
{
	llambo_status st;
	int ids[LLAMBO_MAX_IDS], n = llambo_list_models(ids, LLAMBO_MAX_IDS), i;
	const char *base;
	char *end;
	long v = strtol(name, &end, 10);

	if(*name >= '0' && *name <= '9' && *end == 0)
		return v < LLAMBO_MAX_IDS && llambo_model_status((int)v, &st) == 0 && st.state == LLAMBO_READY ? (int)v : -1;
	for(i = 0; i < n; i++){
		if(llambo_model_status(ids[i], &st) < 0 || st.state != LLAMBO_READY)
			continue;
		st.path[sizeof st.path - 1] = 0;
		base = strrchr(st.path, '/') != NULL ? strrchr(st.path, '/') + 1 : st.path;
		if(strcmp(st.path, name) == 0 || names(base, name) == 2)
			return ids[i];
	}
	return -1;
}

static long long
filesize(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* 1 if path is in one of the -m directories: the models the budget governs. */
static int
ours(StyxSrv *s, const char *path)
{
	size_t k;
	int i;

	for(i = 0; i < s->cfg.ndirs; i++){
		k = strlen(s->dirs[i]);
		if(strncmp(path, s->dirs[i], k) == 0 && path[k] == '/')
			return 1;
	}
	return 0;
}

/* With s->lk held: 1 if nothing generates with model id and no load or clone holds it. */
static int
idle(StyxSrv *s, int id, long *lastuse)
{
	Model *m = srv_find(s, id);

	*lastuse = m != NULL ? m->lastuse : 0;
	return m == NULL || (m->running == 0 && !m->loading && !m->clone_open);
}

int
byname_room(StyxSrv *s, const char *path)
{
	long long budget = s->cfg.lim.model_budget, need = filesize(path), total;
	int ids[LLAMBO_MAX_IDS], n, i, victim;
	long use, oldest;
	llambo_status st;

	if(budget <= 0)
		return 0;
	for(;;){
		total = 0;
		victim = -1;
		oldest = LONG_MAX;
		n = llambo_list_models(ids, LLAMBO_MAX_IDS);
		for(i = 0; i < n; i++){
			if(llambo_model_status(ids[i], &st) < 0 || st.state == LLAMBO_EMPTY)
				continue;
			st.path[sizeof st.path - 1] = 0;
			if(!ours(s, st.path))
				continue;
			total += filesize(st.path);
			pthread_mutex_lock(&s->lk);
			if(idle(s, ids[i], &use) && use < oldest){
				oldest = use;
				victim = ids[i];
			}
			pthread_mutex_unlock(&s->lk);
		}
		if(total + need <= budget)
			return 0;
		if(victim < 0)
			return lb_err("the models' memory budget (-B %lld MiB) is taken by models in use; %s needs %lld MiB more",
				budget >> 20, path, (total + need - budget + (1 << 20) - 1) >> 20);
		fprintf(stderr, "llambo-styx: unloading model %d, the least recently used, to make room for %s\n", victim, path);
		if(llambo_free_model(victim) < 0)
			return lb_err("unloading model %d: %s", victim, llambo_last_error());
		srv_forget(s, victim);
		sess_model_freed(s, victim);
	}
}

int
byname_load(StyxSrv *s, const char *name, int load)
{
	char path[PATH_MAX];
	int id;

	if((id = byname_loaded(name)) >= 0)
		return id;
	if(byname_path(s, name, path, sizeof path) < 0)
		return -1;
	if((id = byname_loaded(path)) >= 0)
		return id;
	if(!load || !s->cfg.autoload)
		return lb_err("model %s is not loaded (load it through ctl; llambo-styx -O loads a session's model on first use)", name);
	pthread_mutex_lock(&s->autolk);	/* two sessions naming one model load it once */
	if((id = byname_loaded(path)) < 0)
		id = styx_srv_load(s, path, 1, 0);
	pthread_mutex_unlock(&s->autolk);
	return id;
}

/* Appends "ID NAME\n", NAME without ".gguf"; -1 when out of memory. */
static int
line(char **o, size_t *n, size_t *a, const char *id, const char *file)
{
	char name[NAME_MAX + 1];
	size_t k = strlen(file);

	snprintf(name, sizeof name, "%.*s", (int)(isgguf(file) ? k - 5 : k), file);
	return sess_put_text(o, n, a, id) < 0 || sess_put_text(o, n, a, " ") < 0 || sess_put_text(o, n, a, name) < 0
		|| sess_put_text(o, n, a, "\n") < 0 ? -1 : 0;
}

/* One line per model a session may name: the loaded ones' ids and names, then "-" and the name of each other file of the -m directories. */
char *
byname_list(StyxSrv *s, size_t *len)
{
	llambo_status st;
	int ids[LLAMBO_MAX_IDS], n = llambo_list_models(ids, LLAMBO_MAX_IDS), i, rc;
	char *o = NULL, id[16], path[PATH_MAX];
	const char *base;
	size_t k = 0, a = 0;
	struct dirent *e;
	DIR *d;

	rc = sess_put_text(&o, &k, &a, "");
	for(i = 0; rc == 0 && i < n; i++){
		if(llambo_model_status(ids[i], &st) < 0 || st.state != LLAMBO_READY)
			continue;
		st.path[sizeof st.path - 1] = 0;
		base = strrchr(st.path, '/') != NULL ? strrchr(st.path, '/') + 1 : st.path;
		snprintf(id, sizeof id, "%d", ids[i]);
		rc = line(&o, &k, &a, id, base);
	}
	for(i = 0; rc == 0 && i < s->cfg.ndirs; i++){
		if((d = opendir(s->dirs[i])) == NULL)
			continue;
		while(rc == 0 && (e = readdir(d)) != NULL)
			if(isgguf(e->d_name) && snprintf(path, sizeof path, "%s/%s", s->dirs[i], e->d_name) < (int)sizeof path
			&& byname_loaded(path) < 0)
				rc = line(&o, &k, &a, "-", e->d_name);
		closedir(d);
	}
	if(rc < 0){
		free(o);
		return NULL;
	}
	*len = k;
	return o;
}
