/* error.c - the thread-local reason of the last failure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

enum { ERRMAX = 512 };

static _Thread_local char errbuf[ERRMAX];

int
lb_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return -1;
}

int
lb_errprefix(const char *fmt, ...)
{
	char old[ERRMAX], pre[ERRMAX];
	va_list ap;

	memcpy(old, errbuf, sizeof old);
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	snprintf(errbuf, sizeof errbuf, "%s: %s", pre, old);
	return -1;
}

const char *
lb_errstr(void)
{
	return errbuf;
}

void
lb_errclear(void)
{
	errbuf[0] = 0;
}
