/* reqvectors.c - see reqvectors.h. */
#include <stdlib.h>
#include <string.h>

#include "../src/util/error.h"
#include "testutil.h"
#include "reqvectors.h"

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s unescaped in place (\n \r \t \\ \xNN); its length. */
static size_t
unescape(char *s)
{
	char *o = s, *start = s;

	for(; *s != 0; s++){
		if(*s != '\\' || s[1] == 0){
			*o++ = *s;
			continue;
		}
		s++;
		if(*s == 'x' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0){
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		}else
			*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
	}
	*o = 0;
	return (size_t)(o - start);
}

int
reqvectors_read(const char *path, ReqVector **vp)
{
	char *text = read_file(path, NULL), *line, *next, *tab;
	ReqVector *v;
	int n = 0, lineno = 0;

	if(text == NULL)
		return lb_err("%s: cannot read it", path);
	for(line = text; *line != 0; line++)
		n += *line == '\n';
	if((v = calloc((size_t)n + 1, sizeof *v)) == NULL){
		free(text);
		return lb_err("out of memory");
	}
	n = 0;
	for(line = text; *line != 0; line = next){
		next = strchr(line, '\n');
		next = next != NULL ? (*next = 0, next + 1) : line + strlen(line);
		lineno++;
		if(line[0] == '#' || line[0] == 0)
			continue;
		if((tab = strchr(line, '\t')) == NULL){
			free(v);
			free(text);
			return lb_err("%s:%d: no tab between the request and the result", path, lineno);
		}
		*tab = 0;
		v[n].line = lineno;
		v[n].text = line;
		v[n].len = unescape(line);
		v[n].want = tab + 1;
		n++;
	}
	*vp = v;
	v[n].text = text;	/* the vectors point into it: kept after the last one, for reqvectors_free */
	return n;
}

void
reqvectors_free(ReqVector *v, int n)
{
	free(v[n].text);
	free(v);
}
