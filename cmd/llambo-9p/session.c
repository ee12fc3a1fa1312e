/*
 * session.c - llambo-9p bench -H: what a session's kept KV cache saves.  A
 * session is given a system prompt of about H tokens and a first turn (which
 * evaluates it all); then the time to the first byte of the next turn's
 * stream, whose history is in the cache, is set beside that of a turn after
 * "ctl uncache", which evaluates the whole history again, and that of the
 * same next turn in a new session restored from "ctl save" (the history's
 * KV cache read from the file, not evaluated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/llambo.h"
#include "../../src/styx/client.h"
#include "bench.h"

/* Writes text to path on one open; dies if refused. */
static void
put(StyxClient *c, const char *dir, const char *file, const char *text)
{
	char path[128];
	int fid;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if((fid = styxc_open(c, path, STYX_OWRITE | STYX_OTRUNC)) < 0 || styxc_write(c, fid, 0, text, strlen(text)) < 0)
		die(path);
	styxc_clunk(c, fid);
}

/* Asks, then reads the stream to its end: the seconds to its first byte. */
static double
turn(StyxClient *c, const char *dir, const char *message)
{
	char path[128], buf[4096];
	uint64_t off = 0;
	double t0, first = 0;
	long n;
	int fid;

	put(c, dir, "ask", message);
	snprintf(path, sizeof path, "%s/stream", dir);
	t0 = now();
	if((fid = styxc_open(c, path, STYX_OREAD)) < 0)
		die(path);
	while((n = styxc_read(c, fid, off, buf, sizeof buf)) > 0){
		if(first == 0)
			first = now();
		off += (uint64_t)n;
	}
	if(n < 0)
		die(path);
	styxc_clunk(c, fid);
	return (first > 0 ? first : now()) - t0;
}

/* A file's text (malloc'd); dies if it cannot be read. */
static char *
cat(StyxClient *c, const char *path)
{
	int fid = styxc_open(c, path, STYX_OREAD);
	char *t;

	if(fid < 0 || (t = styxc_readall(c, fid, NULL)) == NULL)
		die(path);
	styxc_clunk(c, fid);
	return t;
}

/* The first number of a file (usage's tokens in the cache). */
static int
number(StyxClient *c, const char *dir, const char *file)
{
	char path[128], *t;
	int v = -1;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	t = cat(c, path);
	sscanf(t, "%d", &v);
	free(t);
	return v;
}

/* A system prompt of about history tokens of model id (malloc'd): a sentence, as often as that takes. */
static char *
sysprompt(int id, int history)
{
	static const char sentence[] = "The quick brown fox jumps over the lazy dog. ";
	int32_t *toks;
	int n = llambo_tokenize(id, sentence, &toks), times, i;
	char *sys;

	if(n <= 0)
		die("tokenize");
	llambo_free(toks);
	times = history / n + 1;
	if((sys = malloc((size_t)times * (sizeof sentence - 1) + 1)) == NULL)
		die("out of memory");
	for(i = 0; i < times; i++)
		memcpy(sys + (size_t)i * (sizeof sentence - 1), sentence, sizeof sentence - 1);
	sys[(size_t)times * (sizeof sentence - 1)] = 0;
	return sys;
}

void
session_bench(StyxClient *c, int id, int history, int ntok, int runs)
{
	double kept[100], again[100], restored[100];
	char dir[64], *sys = sysprompt(id, history), *name, n[16];
	int r, tokens = 0;

	snprintf(n, sizeof n, "%d", ntok);
	for(r = 0; r < runs; r++){
		name = cat(c, "sessions/new");
		snprintf(dir, sizeof dir, "sessions/%.32s", name);
		free(name);
		put(c, dir, "temperature", "0");
		put(c, dir, "maxtokens", n);
		put(c, dir, "options", "ignore_eos=1");
		put(c, dir, "system", sys);
		turn(c, dir, "Hello.");	/* evaluates the system prompt */
		put(c, dir, "ctl", "save bench-history");
		kept[r] = turn(c, dir, "Tell me more.");
		tokens = number(c, dir, "usage");
		put(c, dir, "ctl", "uncache");
		again[r] = turn(c, dir, "And then?");
		put(c, dir, "ctl", "close");
		name = cat(c, "sessions/new");	/* a new session, the first one's history and cache restored */
		snprintf(dir, sizeof dir, "sessions/%.32s", name);
		free(name);
		put(c, dir, "ctl", "restore bench-history");
		restored[r] = turn(c, dir, "Tell me more.");
		put(c, dir, "ctl", "close");
	}
	free(sys);
	printf("session: a history of %d tokens; the next turn's first byte: %.1f ms with its cache kept, "
		"%.1f ms evaluating the history again (%.1fx), %.1f ms restored from ctl save in a new session (%.1fx; "
		"medians of %d)\n", tokens, percentile(kept, runs, 50) * 1e3, percentile(again, runs, 50) * 1e3,
		percentile(again, runs, 50) / percentile(kept, runs, 50), percentile(restored, runs, 50) * 1e3,
		percentile(again, runs, 50) / percentile(restored, runs, 50), runs);
}
