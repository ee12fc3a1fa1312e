/*
 * pool.h - a persistent pool of worker threads for the matrix work.
 *
 * pool_run(p, fn, arg, nth) calls fn(arg, ith, nth) on the caller (ith 0) and on
 * the workers that join in time, each with its own ith < nth, and returns when
 * all of those are done.  A worker that wakes after the caller has finished
 * does not join, so a busy machine never makes the caller wait for a thread
 * that is not running: fn must therefore take its work items dynamically
 * (pool_next), never by ith alone.  Workers spin briefly between jobs (a
 * forward pass is a few hundred short jobs per token), then sleep.  One job
 * runs at a time: concurrent generations interleave job by job.
 */
#ifndef LB_POOL_H
#define LB_POOL_H

#include <stdatomic.h>

typedef void (*pool_fn)(void *arg, int ith, int nth);
typedef struct Pool Pool;

/* The process-wide pool, one thread per processor the process may use (lb_ncpu), created on first use. */
Pool *pool_get(void);
int pool_size(const Pool *p);
void pool_run(Pool *p, pool_fn fn, void *arg, int nth);
int lb_ncpu(void);	/* the processors the process may run on */

/* The next work item of a job's counter (start it at 0): items < n are handed out once each. */
static inline int
pool_next(atomic_int *counter)
{
	return atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

#endif
