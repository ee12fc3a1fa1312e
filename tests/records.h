/*
 * records.h - the .dat files of tests/data/chat: records "@@ word... NBYTES\n",
 * then NBYTES bytes, then "\n".
 */
#ifndef LB_RECORDS_H
#define LB_RECORDS_H

#include <stddef.h>

typedef struct Rec {
	char head[256];	/* the header line without "\n" */
	const char *body;
	size_t len;
} Rec;

/* The next record from *p (before end), whose byte count is the header's word nwords (from 0); 0 at the end. */
int next_rec(const char **p, const char *end, Rec *r, int nwords);
/* tests/data/chat/NAME, read whole (malloc'd); the test fails without it. */
char *chat_data(const char *name, size_t *len);

#endif
