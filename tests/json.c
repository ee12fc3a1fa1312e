/*
 * json.c - a strict JSON checker (RFC 8259, with strings of valid UTF-8) for
 * the tests and fuzzers that hold the library's JSON to it: see json.h.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"

typedef struct J {
	const unsigned char *start, *p, *end;
	int depth;
	char *why;
	size_t nwhy;
} J;

static int value(J *j);

static int
bad(J *j, const char *what)
{
	if(j->nwhy > 0)
		snprintf(j->why, j->nwhy, "%s at byte %zu", what, (size_t)(j->p - j->start));
	return -1;
}

static void
ws(J *j)
{
	while(j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
lit(J *j, const char *word)
{
	size_t n = strlen(word);

	if((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return bad(j, "unknown word");
	j->p += n;
	return 0;
}

static int
digits(J *j)
{
	const unsigned char *p = j->p;

	while(j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > p ? 0 : bad(j, "digit expected");
}

static int
number(J *j)
{
	if(j->p < j->end && *j->p == '-')
		j->p++;
	if(j->p < j->end && *j->p == '0')
		j->p++;
	else if(digits(j) < 0)
		return -1;
	if(j->p < j->end && *j->p == '.'){
		j->p++;
		if(digits(j) < 0)
			return -1;
	}
	if(j->p < j->end && (*j->p == 'e' || *j->p == 'E')){
		j->p++;
		if(j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if(digits(j) < 0)
			return -1;
	}
	return 0;
}

/* One UTF-8 character at j->p: shortest form, no surrogate, at most U+10FFFF. */
static int
utf8(J *j)
{
	const unsigned char *p = j->p;
	unsigned long c;
	int n, i;

	if(p[0] < 0x80){
		j->p++;
		return 0;
	}
	n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
	if(n == 0 || p[0] > 0xF4 || j->end - p < n)
		return bad(j, "invalid UTF-8");
	c = p[0] & (0x7F >> n);
	for(i = 1; i < n; i++){
		if((p[i] & 0xC0) != 0x80)
			return bad(j, "invalid UTF-8");
		c = c << 6 | (p[i] & 0x3F);
	}
	if((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		return bad(j, "overlong UTF-8");
	if((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
		return bad(j, "UTF-8 of no character");
	j->p += n;
	return 0;
}

static int
string(J *j)
{
	int i;

	j->p++;	/* the opening quote */
	for(;;){
		if(j->p >= j->end)
			return bad(j, "unterminated string");
		if(*j->p == '"'){
			j->p++;
			return 0;
		}
		if(*j->p < 0x20)
			return bad(j, "control byte in a string");
		if(*j->p != '\\'){
			if(utf8(j) < 0)
				return -1;
			continue;
		}
		j->p++;
		if(j->p >= j->end)
			return bad(j, "unterminated escape");
		if(strchr("\"\\/bfnrt", *j->p) != NULL && *j->p != 0){
			j->p++;
			continue;
		}
		if(*j->p != 'u' || j->end - j->p < 5)
			return bad(j, "bad escape");
		for(i = 1; i <= 4; i++)
			if(strchr("0123456789abcdefABCDEF", j->p[i]) == NULL || j->p[i] == 0)
				return bad(j, "bad \\u escape");
		j->p += 5;
	}
}

/* The members of an object (close '}') or the elements of an array (close ']'). */
static int
members(J *j, int close)
{
	if(++j->depth > 64)
		return bad(j, "nested too deep");
	j->p++;
	ws(j);
	if(j->p < j->end && *j->p == close){
		j->p++;
		j->depth--;
		return 0;
	}
	for(;;){
		ws(j);
		if(close == '}'){
			if(j->p >= j->end || *j->p != '"')
				return bad(j, "name expected");
			if(string(j) < 0)
				return -1;
			ws(j);
			if(j->p >= j->end || *j->p != ':')
				return bad(j, "':' expected");
			j->p++;
		}
		if(value(j) < 0)
			return -1;
		ws(j);
		if(j->p < j->end && *j->p == ','){
			j->p++;
			continue;
		}
		if(j->p < j->end && *j->p == close){
			j->p++;
			j->depth--;
			return 0;
		}
		return bad(j, "',' or the end expected");
	}
}

static int
value(J *j)
{
	ws(j);
	if(j->p >= j->end)
		return bad(j, "value expected");
	switch(*j->p){
	case '{': return members(j, '}');
	case '[': return members(j, ']');
	case '"': return string(j);
	case 't': return lit(j, "true");
	case 'f': return lit(j, "false");
	case 'n': return lit(j, "null");
	}
	return number(j);
}

int
json_check(const char *s, size_t n, char *why, size_t nwhy)
{
	J j = { (const unsigned char *)s, (const unsigned char *)s, (const unsigned char *)s + n, 0, why, nwhy };

	if(value(&j) < 0)
		return -1;
	ws(&j);
	return j.p == j.end ? 0 : bad(&j, "bytes after the value");
}
