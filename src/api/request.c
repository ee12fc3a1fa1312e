/*
 * request.c - the one request grammar (README.md, "Requests"): what a
 * model's data file takes, what `llambo request` reads, and the options of
 * the builtin module's start, all read here:
 *
 *	prompt|max_tokens|temperature|key=value|...
 *
 * Read from the right: fields key=value with a known key are options; before
 * them max_tokens and temperature, each optional; the rest, '|' and all, is
 * the prompt.  One trailing newline (echo's) is dropped.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "llambo.h"

enum { Kint, Kreal, Kseed, Kstop };

typedef struct Key {
	const char *name;
	int kind;
	double lo, hi;
	int above;	/* lo itself is out of range */
	const char *range;	/* what the error says it must be */
	size_t off;	/* where in llambo_params */
} Key;

#define P(f) offsetof(llambo_params, f)
static const Key keys[] = {
	{ "max_tokens", Kint, 0, 16777216, 0, "a whole number from 0 to 16777216", P(max_tokens) },
	{ "temperature", Kreal, 0, 100, 0, "a number from 0 to 100", P(temperature) },
	{ "top_k", Kint, 0, 1000000, 0, "a whole number from 0 to 1000000", P(top_k) },
	{ "top_p", Kreal, 0, 1, 1, "a number above 0, at most 1", P(top_p) },
	{ "min_p", Kreal, 0, 1, 0, "a number from 0 to 1", P(min_p) },
	{ "repeat_penalty", Kreal, 0, 100, 1, "a number above 0, at most 100", P(repeat_penalty) },
	{ "repeat_last_n", Kint, 0, 1048576, 0, "a whole number from 0 to 1048576", P(repeat_last_n) },
	{ "seed", Kseed, 0, 0, 0, "a whole number from 0 to 18446744073709551615", P(seed) },
	{ "stop", Kstop, 1, LLAMBO_MAX_STOP_BYTES, 0, "1 to 256 bytes", 0 },
	{ "ignore_eos", Kint, 0, 1, 0, "0 or 1", P(ignore_eos) },
};
#undef P

static const Key *
findkey(const char *name, size_t n)
{
	size_t i;

	for(i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if(strlen(keys[i].name) == n && memcmp(keys[i].name, name, n) == 0)
			return &keys[i];
	return NULL;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* s[0..n) without blanks around it: its start, and its length in *n. */
static const char *
trim(const char *s, size_t *n)
{
	while(*n > 0 && blank(*s)){
		s++;
		(*n)--;
	}
	while(*n > 0 && blank(s[*n - 1]))
		(*n)--;
	return s;
}

static size_t
span(const char *s, size_t n, const char *set)
{
	size_t i;

	for(i = 0; i < n && s[i] != 0 && strchr(set, s[i]) != NULL; i++)
		;
	return i;
}

/* A whole number: a sign, digits. */
static int
isint(const char *s, size_t n)
{
	size_t i = n > 0 && (s[0] == '+' || s[0] == '-');

	return i < n && span(s + i, n - i, "0123456789") == n - i;
}

/* A plain decimal number: a sign, digits with at most one point, an exponent; no inf, nan or hex. */
static int
isreal(const char *s, size_t n)
{
	size_t i = n > 0 && (s[0] == '+' || s[0] == '-'), d, f = 0;

	d = span(s + i, n - i, "0123456789");
	i += d;
	if(i < n && s[i] == '.'){
		f = span(s + i + 1, n - i - 1, "0123456789");
		i += 1 + f;
	}
	if(d + f == 0)
		return 0;
	if(i < n && (s[i] == 'e' || s[i] == 'E')){
		i++;
		i += i < n && (s[i] == '+' || s[i] == '-');
		d = span(s + i, n - i, "0123456789");
		if(d == 0)
			return 0;
		i += d;
	}
	return i == n;
}

static int
badvalue(const Key *k, const char *v, size_t n)
{
	return lb_err("bad request: %s must be %s, not \"%.*s\"", k->name, k->range, n < 64 ? (int)n : 64, v);
}

static int
addstop(llambo_request *r, const Key *k, const char *v, size_t n)
{
	char *s;

	if(n < 1 || n > LLAMBO_MAX_STOP_BYTES)
		return badvalue(k, v, n);
	if(r->params.n_stop == LLAMBO_MAX_STOPS)
		return lb_err("bad request: at most %d stop strings", LLAMBO_MAX_STOPS);
	if((s = malloc(n + 1)) == NULL)
		return lb_err("out of memory");
	memcpy(s, v, n);
	s[n] = 0;
	r->stops[r->params.n_stop++] = s;
	r->params.stop = (const char *const *)r->stops;
	return 0;
}

/* The number in v[0..n) (syntax checked): 0, or -1 if out of k's range. */
static int
number(const Key *k, const char *v, size_t n, void *field)
{
	char *num = malloc(n + 1);
	unsigned long long seed;
	double x;
	int ok;

	if(num == NULL)
		return lb_err("out of memory");
	memcpy(num, v, n);
	num[n] = 0;
	errno = 0;
	if(k->kind == Kseed){
		seed = strtoull(num, NULL, 10);
		if((ok = num[0] != '-' && errno == 0))
			*(uint64_t *)field = (uint64_t)seed;
	}else{
		/* in range both as written and as the float the engine keeps: 1e-50 is 0 there */
		x = strtod(num, NULL);
		ok = isfinite(x) && x >= k->lo && x <= k->hi && !(k->above && (float)x == (float)k->lo);
		if(ok && k->kind == Kint)
			*(int *)field = (int)x;
		else if(ok)
			*(float *)field = (float)x;
	}
	free(num);
	return ok ? 0 : badvalue(k, v, n);
}

/* Key k set from v[0..n): blanks around a number are dropped. */
static int
setkey(llambo_request *r, const Key *k, const char *v, size_t n)
{
	if(memchr(v, 0, n) != NULL)
		return lb_err("bad request: it contains a NUL byte");
	if(k->kind == Kstop)
		return addstop(r, k, v, n);
	v = trim(v, &n);
	if(!(k->kind == Kreal ? isreal(v, n) : isint(v, n)))
		return badvalue(k, v, n);
	return number(k, v, n, (uint8_t *)&r->params + k->off);
}

llambo_request *
llambo_request_new(void)
{
	llambo_request *r = calloc(1, sizeof *r);

	if(r == NULL || (r->prompt = calloc(1, 1)) == NULL){
		free(r);
		lb_err("out of memory");
		return NULL;
	}
	llambo_default_params(&r->params);
	return r;
}

void
llambo_request_free(llambo_request *r)
{
	int i;

	if(r == NULL)
		return;
	for(i = 0; i < r->params.n_stop; i++)
		free(r->stops[i]);
	free(r->prompt);
	free(r);
}

int
llambo_request_prompt(llambo_request *r, const char *text, size_t len)
{
	char *p;

	if(memchr(text, 0, len) != NULL)
		return lb_err("bad request: it contains a NUL byte");
	if((p = malloc(len + 1)) == NULL)
		return lb_err("out of memory");
	memcpy(p, text, len);
	p[len] = 0;
	free(r->prompt);
	r->prompt = p;
	return 0;
}

int
llambo_request_set(llambo_request *r, const char *key, const char *value)
{
	const Key *k = findkey(key, strlen(key));

	if(k == NULL)
		return lb_err("bad request: unknown key \"%s\"", key);
	return setkey(r, k, value, strlen(value));
}

/* The known key of a field key=value, or NULL. */
static const Key *
optkey(const char *f, size_t n)
{
	const char *eq = memchr(f, '=', n);

	return eq != NULL ? findkey(f, (size_t)(eq - f)) : NULL;
}

/* The field f[0..n) as an option. */
static int
setoption(llambo_request *r, const char *f, size_t n)
{
	const Key *k = optkey(f, n);
	size_t klen = strlen(k->name) + 1;

	return setkey(r, k, f + klen, n - klen);
}

/* The fields of text split at '|': starts and lengths (malloc'd), their number in *nf. */
static int
fields(const char *text, size_t len, const char ***start, size_t **flen, size_t *nf)
{
	size_t i, n = 1, k = 0;
	const char *p = text;

	for(i = 0; i < len; i++)
		n += text[i] == '|';
	*start = malloc(n * sizeof **start);
	*flen = malloc(n * sizeof **flen);
	if(*start == NULL || *flen == NULL){
		free(*start);
		free(*flen);
		return lb_err("out of memory");
	}
	for(i = 0; i <= len; i++)
		if(i == len || text[i] == '|'){
			(*start)[k] = p;
			(*flen)[k++] = (size_t)(text + i - p);
			p = text + i + 1;
		}
	*nf = n;
	return 0;
}

/* Is f[0..n), blanks dropped, empty, or a number of the kind (Kint, Kreal)? */
static int
numberor(const char *f, size_t n, int kind, int emptyok)
{
	f = trim(f, &n);
	if(n == 0)
		return emptyok;
	return kind == Kint ? isint(f, n) : isreal(f, n);
}

/* max_tokens or temperature from a field, unless it is empty. */
static int
setnumber(llambo_request *r, const char *name, const char *f, size_t n)
{
	size_t k = n;

	trim(f, &k);
	return k == 0 ? 0 : setkey(r, findkey(name, strlen(name)), f, n);
}

/* Fields nopt.. are options; fields before them, max_tokens and temperature if they are numbers; the rest the prompt. */
static int
parsefields(llambo_request *r, const char *text, const char **f, const size_t *fl, size_t nf)
{
	size_t nopt = nf, n, i;

	while(nopt > 1 && optkey(f[nopt - 1], fl[nopt - 1]) != NULL)
		nopt--;
	n = nopt;
	if(n >= 3 && numberor(f[n - 2], fl[n - 2], Kint, 1) && numberor(f[n - 1], fl[n - 1], Kreal, 1)){
		if(setnumber(r, "max_tokens", f[n - 2], fl[n - 2]) < 0 || setnumber(r, "temperature", f[n - 1], fl[n - 1]) < 0)
			return -1;
		n -= 2;
	}else if(n >= 2 && numberor(f[n - 1], fl[n - 1], Kint, 0)){
		if(setnumber(r, "max_tokens", f[n - 1], fl[n - 1]) < 0)
			return -1;
		n--;
	}
	for(i = nopt; i < nf; i++)	/* in the order written: the last of a key wins, stop strings keep their order */
		if(setoption(r, f[i], fl[i]) < 0)
			return -1;
	return llambo_request_prompt(r, text, (size_t)(f[n - 1] + fl[n - 1] - text));
}

int
llambo_request_parse(llambo_request *r, const char *text, size_t len)
{
	const char **f;
	size_t *fl, nf;
	int rc;

	if(memchr(text, 0, len) != NULL)
		return lb_err("bad request: it contains a NUL byte");
	if(len > 0 && text[len - 1] == '\n')
		len--;
	if(fields(text, len, &f, &fl, &nf) < 0)
		return -1;
	rc = parsefields(r, text, f, fl, nf);
	free(f);
	free(fl);
	return rc;
}

int
llambo_request_options(llambo_request *r, const char *text, size_t len)
{
	const char **f;
	size_t *fl, nf, i;
	int rc = 0;

	if(memchr(text, 0, len) != NULL)
		return lb_err("bad request: it contains a NUL byte");
	if(len == 0)
		return 0;
	if(fields(text, len, &f, &fl, &nf) < 0)
		return -1;
	for(i = 0; i < nf && rc == 0; i++)
		if(fl[i] == 0)
			continue;	/* "a=1||b=2" and a trailing '|' */
		else if(optkey(f[i], fl[i]) != NULL)
			rc = setoption(r, f[i], fl[i]);
		else
			rc = lb_err("bad request: \"%.*s\" is not key=value with a known key", fl[i] < 64 ? (int)fl[i] : 64, f[i]);
	free(f);
	free(fl);
	return rc;
}

/* Appends s quoted: \" \\ \n \r \t, other control bytes \xNN (at most 4 bytes for each of s). */
static char *
quote(char *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '"';
	for(; *s != 0; s++){
		unsigned char c = (unsigned char)*s;

		if(c == '"' || c == '\\'){
			*o++ = '\\';
			*o++ = (char)c;
		}else if(c == '\n' || c == '\r' || c == '\t'){
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		}else if(c < 0x20 || c == 0x7F){
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}else
			*o++ = (char)c;
	}
	*o++ = '"';
	*o = 0;
	return o;
}

char *
llambo_request_describe(const llambo_request *r)
{
	const llambo_params *p = &r->params;
	size_t max = 300 + 4 * strlen(r->prompt);
	char *buf, *o;
	int i;

	for(i = 0; i < p->n_stop; i++)
		max += 8 + 4 * strlen(r->stops[i]);
	if((buf = malloc(max)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	o = buf + snprintf(buf, max, "max_tokens=%d temperature=%g top_k=%d top_p=%g min_p=%g repeat_penalty=%g repeat_last_n=%d",
		p->max_tokens, p->temperature, p->top_k, p->top_p, p->min_p, p->repeat_penalty, p->repeat_last_n);
	if(p->seed == LLAMBO_SEED_RANDOM)
		o += sprintf(o, " seed=random");
	else
		o += sprintf(o, " seed=%llu", (unsigned long long)p->seed);
	if(p->ignore_eos)
		o += sprintf(o, " ignore_eos=1");
	for(i = 0; i < p->n_stop; i++)
		o = quote(o + sprintf(o, " stop="), r->stops[i]);
	quote(o + sprintf(o, " prompt="), r->prompt);
	return buf;
}
