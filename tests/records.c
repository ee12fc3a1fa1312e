/* records.c - see records.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "testutil.h"

int
next_rec(const char **p, const char *end, Rec *r, int nwords)
{
	const char *nl, *w;
	int k;

	if(*p >= end)
		return 0;
	nl = memchr(*p, '\n', end - *p);
	assert_non_null(nl);
	assert_true(nl - *p < (long)sizeof r->head);
	memcpy(r->head, *p, nl - *p);
	r->head[nl - *p] = 0;
	for(w = r->head, k = 0; k < nwords && (w = strchr(w, ' ')) != NULL; k++)
		w++;
	assert_non_null(w);
	r->len = strtoul(w, NULL, 10);
	r->body = nl + 1;
	assert_true(r->body + r->len < end && r->body[r->len] == '\n');
	*p = r->body + r->len + 1;
	return 1;
}

char *
chat_data(const char *name, size_t *len)
{
	char path[256], *s;

	snprintf(path, sizeof path, "tests/data/chat/%s", name);
	s = read_file(path, len);
	if(s == NULL)
		fail_msg("%s: cannot read (tests run from the repository's root)", path);
	return s;
}

