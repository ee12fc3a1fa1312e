/*
 * engine.h - what engine.c and gen.c share: threads for libllambo calls
 * and the error buffer.
 */
#include <pthread.h>

void	lbc_seterr(char *err, const char *msg);
void	lbc_enginerr(char *err);	/* llambo_last_error() of this thread */
void	lbc_sanefp(void);	/* the default floating-point environment */
int	lbc_spawn(pthread_t *t, void *(*fn)(void*), void *arg, char *err);
int	lbc_run(void (*fn)(void*), void *arg, char *err);	/* fn(arg) on an engine thread */
