/*
 * request.c - what is written to models/N/data:
 *
 *	prompt|max_tokens|temperature|key=value|...
 *
 * The numbers are optional (defaults 128 and 0.8) and read from the right,
 * so a prompt may itself contain '|'; key=value fields (top_k, top_p, min_p,
 * repeat_penalty, repeat_last_n, seed, stop) may follow.  One trailing
 * newline, the one echo adds, is dropped.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

enum { MAXSTOPS = 8, MAXSTOPLEN = 256 };

/* s without surrounding blanks, in place. */
static char *
trim(char *s)
{
	size_t n;

	while(*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while(n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int
isint(const char *s)
{
	if(*s == '-' || *s == '+')
		s++;
	if(*s == 0)
		return 0;
	for(; *s; s++)
		if(!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* A plain decimal number: digits, one point, an exponent; no inf, nan or hex. */
static int
isnum(const char *s)
{
	int digits = 0;

	if(*s == '-' || *s == '+')
		s++;
	for(; *s; s++){
		if(isdigit((unsigned char)*s))
			digits++;
		else if(*s != '.' && *s != 'e' && *s != 'E' && *s != '-' && *s != '+')
			return 0;
	}
	return digits > 0;
}

static int
getint(const char *name, const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if(!isint(v) || *end != 0 || errno != 0 || x < lo || x > hi)
		return lb_err("bad request: %s must be a whole number from %ld to %ld, not \"%s\"", name, lo, hi, v);
	*out = x;
	return 0;
}

static int
getfloat(const char *name, const char *v, double lo, double hi, float *out)
{
	char *end;
	double x;

	x = strtod(v, &end);
	if(!isnum(v) || *end != 0 || !isfinite(x) || x < lo || x > hi)
		return lb_err("bad request: %s must be a number from %g to %g, not \"%s\"", name, lo, hi, v);
	*out = (float)x;
	return 0;
}

static int
getseed(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if(*v == 0 || !isdigit((unsigned char)*v) || *end != 0 || errno != 0)
		return lb_err("bad request: seed must be a whole number from 0 to 2^64-1, not \"%s\"", v);
	*out = (uint64_t)x;
	return 0;
}

static int
addstop(Gen *g, const char *v)
{
	char **ns;

	if(*v == 0 || strlen(v) > MAXSTOPLEN)
		return lb_err("bad request: stop= needs a string of 1 to %d bytes", MAXSTOPLEN);
	if(g->nstops >= MAXSTOPS)
		return lb_err("bad request: at most %d stop strings", MAXSTOPS);
	ns = realloc(g->stops, (size_t)(g->nstops + 1) * sizeof *ns);
	if(ns == NULL)
		return lb_err("out of memory");
	g->stops = ns;
	if((ns[g->nstops] = strdup(v)) == NULL)
		return lb_err("out of memory");
	g->nstops++;
	return 0;
}

static const char *keys[] = { "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed", "stop" };

/* The index of field's key when it is key=value with a key we know, else -1. */
static int
keyof(const char *field)
{
	const char *eq = strchr(field, '=');
	size_t i;

	if(eq == NULL)
		return -1;
	for(i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if(strlen(keys[i]) == (size_t)(eq - field) && strncmp(field, keys[i], (size_t)(eq - field)) == 0)
			return (int)i;
	return -1;
}

static int
option(Gen *g, int key, char *v)
{
	llambo_params *p = &g->params;
	long x;

	if(key != 6)
		v = trim(v);
	switch(key){
	case 0:
		if(getint("top_k", v, 0, 1000000, &x) < 0)
			return -1;
		p->top_k = (int)x;
		return 0;
	case 1: return getfloat("top_p", v, 0, 1, &p->top_p);
	case 2: return getfloat("min_p", v, 0, 1, &p->min_p);
	case 3: return getfloat("repeat_penalty", v, 0.01, 100, &p->repeat_penalty);
	case 4:
		if(getint("repeat_last_n", v, 0, 1000000, &x) < 0)
			return -1;
		p->repeat_last_n = (int)x;
		return 0;
	case 5: return getseed(v, &p->seed);
	}
	return addstop(g, v);
}

/* Takes key=value fields off the end of buf; the stop strings come out in the order written. */
static int
options(Gen *g, char *buf)
{
	char *bar;
	int key, i;

	while((bar = strrchr(buf, '|')) != NULL && (key = keyof(bar + 1)) >= 0){
		if(option(g, key, strchr(bar + 1, '=') + 1) < 0)
			return -1;
		*bar = 0;
	}
	for(i = 0; i < g->nstops / 2; i++){
		char *t = g->stops[i];

		g->stops[i] = g->stops[g->nstops - 1 - i];
		g->stops[g->nstops - 1 - i] = t;
	}
	return 0;
}

/* The field p (up to the next '|') without blanks, into out; "?" when too long to be a number. */
static char *
field(const char *p, char *out, size_t n)
{
	size_t k = strcspn(p, "|");

	if(k >= n){
		snprintf(out, n, "?");
		return out;
	}
	memcpy(out, p, k);
	out[k] = 0;
	return trim(out);
}

/* prompt|max_tokens|temperature, the numbers optional; cuts buf to the prompt. */
static int
numbers(Gen *g, char *buf, const StyxLimits *lim)
{
	char *b2 = strrchr(buf, '|'), *b1 = NULL, mtbuf[64], tpbuf[64], *mt = NULL, *tp;
	long x;

	if(b2 == NULL)
		return 0;
	tp = field(b2 + 1, tpbuf, sizeof tpbuf);
	*b2 = 0;
	b1 = strrchr(buf, '|');
	*b2 = '|';
	if(b1 != NULL)
		mt = field(b1 + 1, mtbuf, sizeof mtbuf);
	if(b1 != NULL && (*mt == 0 || isint(mt)) && (*tp == 0 || isnum(tp))){
		if(*mt != 0 && getint("max_tokens", mt, 0, lim->max_tokens, &x) < 0)
			return -1;
		if(*mt != 0)
			g->params.max_tokens = (int)x;
		if(*tp != 0 && getfloat("temperature", tp, 0, 100, &g->params.temperature) < 0)
			return -1;
		*b1 = 0;
		return 0;
	}
	if(isint(tp)){
		if(getint("max_tokens", tp, 0, lim->max_tokens, &x) < 0)
			return -1;
		g->params.max_tokens = (int)x;
		*b2 = 0;
	}
	return 0;
}

int
request_parse(const char *text, size_t n, const StyxLimits *lim, Gen *g)
{
	char *buf;

	if(memchr(text, 0, n) != NULL)
		return lb_err("bad request: it contains a NUL byte");
	if(n > 0 && text[n - 1] == '\n')
		n--;
	if((buf = malloc(n + 1)) == NULL)
		return lb_err("out of memory");
	memcpy(buf, text, n);
	buf[n] = 0;
	g->params.max_tokens = 128;
	g->params.temperature = 0.8f;
	g->params.n_threads = lim->gen_threads;
	if(options(g, buf) < 0 || numbers(g, buf, lim) < 0){
		free(buf);
		return -1;
	}
	g->prompt = buf;
	return 0;
}
