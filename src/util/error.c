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
	char old[ERRMAX];
	va_list ap;
	int n;

	memcpy(old, errbuf, sizeof old);
	va_start(ap, fmt);
	n = vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	if(n >= 0 && (size_t)n < sizeof errbuf - 2){
		memcpy(errbuf + n, ": ", 2);
		strncpy(errbuf + n + 2, old, sizeof errbuf - n - 3);
		errbuf[sizeof errbuf - 1] = 0;
	}
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
