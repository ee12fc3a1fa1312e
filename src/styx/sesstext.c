/* sesstext.c - a session's messages as the files show them: context (JSON) and history (text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

/* Appends s, JSON-quoted, to the growing text *o (length *n, room *a). */
static int
jquote(char **o, size_t *n, size_t *a, const char *s)
{
	char u[8];
	const char *e;

	for(; ; s++){
		if(*n + 8 >= *a){
			size_t na = 2 * *a + 64;
			char *p = realloc(*o, na);

			if(p == NULL)
				return lb_err("out of memory");
			*o = p;
			*a = na;
		}
		if(*s == 0)
			return 0;
		e = NULL;
		switch(*s){
		case '\\': e = "\\\\"; break;
		case '"': e = "\\\""; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if((unsigned char)*s < 0x20){
				snprintf(u, sizeof u, "\\u%04x", (unsigned char)*s);
				e = u;
			}
		}
		if(e != NULL){
			memcpy(*o + *n, e, strlen(e));
			*n += strlen(e);
		}else
			(*o)[(*n)++] = *s;
	}
}

int
sess_put_text(char **o, size_t *n, size_t *a, const char *s)
{
	size_t k = strlen(s);
	char *p;

	if(*n + k + 1 > *a){
		if((p = realloc(*o, 2 * (*n + k) + 64)) == NULL)
			return lb_err("out of memory");
		*o = p;
		*a = 2 * (*n + k) + 64;
	}
	memcpy(*o + *n, s, k + 1);
	*n += k;
	return 0;
}

char *
sess_json(Sess *ss, size_t *len)
{
	char *o = NULL;
	size_t n = 0, a = 0;
	int i, rc = sess_put_text(&o, &n, &a, "[");

	for(i = 0; rc == 0 && i < ss->nmsgs; i++){
		rc = sess_put_text(&o, &n, &a, i > 0 ? ",{\"role\":\"" : "{\"role\":\"");
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, ss->msgs[i].role);
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, "\",\"content\":\"");
		if(rc == 0)
			rc = jquote(&o, &n, &a, ss->msgs[i].content);
		if(rc == 0)
			rc = sess_put_text(&o, &n, &a, "\"}");
	}
	if(rc == 0)
		rc = sess_put_text(&o, &n, &a, "]\n");
	if(rc < 0){
		free(o);
		return NULL;
	}
	*len = n;
	return o;
}

char *
sess_text(Sess *ss, size_t *len)
{
	char *o = NULL;
	size_t n = 0, a = 0;
	int i, rc = sess_put_text(&o, &n, &a, "");

	if(rc == 0 && ss->system != NULL && *ss->system != 0)
		rc = sess_put_text(&o, &n, &a, "system: ") < 0 || sess_put_text(&o, &n, &a, ss->system) < 0 || sess_put_text(&o, &n, &a, "\n") < 0 ? -1 : 0;
	for(i = 0; rc == 0 && i < ss->nmsgs; i++)
		if(sess_put_text(&o, &n, &a, ss->msgs[i].role) < 0 || sess_put_text(&o, &n, &a, ": ") < 0
		|| sess_put_text(&o, &n, &a, ss->msgs[i].content) < 0 || sess_put_text(&o, &n, &a, "\n") < 0)
			rc = -1;
	if(rc < 0){
		free(o);
		return NULL;
	}
	*len = n;
	return o;
}
