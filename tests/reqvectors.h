/*
 * reqvectors.h - the request vectors (tests/requests.txt): one grammar, one set
 * of cases, read by the C parser's test, the CLI's test and the Limbo test.
 */
#ifndef LB_REQVECTORS_H
#define LB_REQVECTORS_H

#include <stddef.h>

typedef struct ReqVector {
	int line;
	char *text;	/* the request, unescaped (may hold NUL bytes) */
	size_t len;
	char *want;	/* what it reads as (llambo_request_describe), or the error */
} ReqVector;

/* The vectors of path (malloc'd); their number, or -1 with lb_err set.  reqvectors_free frees them. */
int reqvectors_read(const char *path, ReqVector **v);
void reqvectors_free(ReqVector *v, int n);

#endif
