/*
 * pool.h - a persistent pool of worker threads for the matrix work.
 *
 * pool_run(p, fn, arg, n) calls fn(arg, i, n) for i in 0..n-1, one call per
 * thread (the caller runs i = 0), and returns when all are done.  Workers spin
 * briefly between jobs (a forward pass is a few hundred short jobs per token),
 * then sleep.  One job runs at a time: concurrent generations interleave job
 * by job, which is what 2 cores can do anyway.
 */
#ifndef LB_POOL_H
#define LB_POOL_H

typedef void (*pool_fn)(void *arg, int ith, int nth);
typedef struct Pool Pool;

/* The process-wide pool, with at least n threads (created on first use; n <= 0: one per core). */
Pool *pool_get(int n);
int pool_size(const Pool *p);
void pool_run(Pool *p, pool_fn fn, void *arg, int nth);
int lb_ncpu(void);

#endif
