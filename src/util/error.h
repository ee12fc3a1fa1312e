/*
 * error.h - the thread-local reason of the last failure.
 * Every layer sets it where the failure is found; llambo_last_error() reads it.
 */
#ifndef LB_ERROR_H
#define LB_ERROR_H

/* Sets this thread's reason (printf-style) and returns -1, so "return lb_err(...)" reads well. */
int lb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefixes the current reason: lb_errprefix("load failed") gives "load failed: <old reason>". */
int lb_errprefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *lb_errstr(void);
void lb_errclear(void);

#endif
