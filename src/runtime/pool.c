/* pool.c - the persistent worker threads; see pool.h. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

enum {
	MAXTHREADS = 64,
	IDLE_US = 300,	/* a worker spins this long for the next job before it sleeps */
	CHECK_SPINS = 64,	/* pauses between looks at the clock */
	WAIT_SPINS = 2000,
};

struct Pool {
	int n;	/* threads, the caller included */
	pthread_mutex_t joblock;	/* one job at a time */
	pthread_mutex_t lk;
	pthread_cond_t wake;
	atomic_uint seq;	/* bumped for each job */
	atomic_int open;	/* the current job still takes helpers */
	atomic_int active;	/* workers inside the current job */
	atomic_int nextith;	/* the ith the next joining worker gets */
	pool_fn fn;
	void *arg;
	int nth;
};

static Pool *global;
static pthread_mutex_t globallk = PTHREAD_MUTEX_INITIALIZER;

/* The processors this process may run on (its affinity mask, which taskset and cgroups narrow). */
int
lb_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 && CPU_COUNT(&set) < n)
		n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > MAXTHREADS ? MAXTHREADS : (int)n;
}

static long long
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static inline void
relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * Waits for a job after seen: spins for IDLE_US (timed, not counted: a pause
 * takes 10 to 150 cycles depending on the CPU), then sleeps.  A token's
 * forward pass is hundreds of jobs a few microseconds apart, so the workers
 * spin through it; between tokens, or when idle, they sleep.  While it spins
 * a worker yields its processor now and then: a thread waiting to run there
 * (one that takes the text as it is made, say) runs at once, not after the
 * token's jobs are all done.
 */
static unsigned
await_job(Pool *p, unsigned seen)
{
	long long until = now_us() + IDLE_US;
	unsigned s;
	int spin;

	for(spin = 1;; spin++){
		if((s = atomic_load(&p->seq)) != seen)
			return s;
		relax();
		if(spin % CHECK_SPINS == 0){
			if(now_us() > until)
				break;
			sched_yield();
		}
	}
	pthread_mutex_lock(&p->lk);
	while((s = atomic_load(&p->seq)) == seen)
		pthread_cond_wait(&p->wake, &p->lk);
	pthread_mutex_unlock(&p->lk);
	return s;
}

/* Joins the current job if it is still open (see pool.h for why late workers do not). */
static void
join(Pool *p)
{
	int ith;

	atomic_fetch_add(&p->active, 1);
	if(atomic_load(&p->open)){
		ith = atomic_fetch_add(&p->nextith, 1);
		if(ith < p->nth)
			p->fn(p->arg, ith, p->nth);
	}
	atomic_fetch_sub(&p->active, 1);
}

static void *
worker(void *v)
{
	Pool *p = v;
	unsigned seen = atomic_load(&p->seq);

	for(;;){
		seen = await_job(p, seen);
		join(p);
	}
	return NULL;
}

Pool *
pool_get(void)
{
	Pool *p;
	pthread_t t;
	pthread_attr_t attr;
	int i, n;

	pthread_mutex_lock(&globallk);
	if(global != NULL){
		pthread_mutex_unlock(&globallk);
		return global;
	}
	n = lb_ncpu();	/* more threads than processors would only take turns */
	p = calloc(1, sizeof *p);
	if(p == NULL){
		pthread_mutex_unlock(&globallk);
		return NULL;
	}
	pthread_mutex_init(&p->joblock, NULL);
	pthread_mutex_init(&p->lk, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->n = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for(i = 1; i < n; i++)
		if(pthread_create(&t, &attr, worker, p) == 0)
			p->n++;
	pthread_attr_destroy(&attr);
	global = p;
	pthread_mutex_unlock(&globallk);
	return p;
}

int
pool_size(const Pool *p)
{
	return p->n;
}

void
pool_run(Pool *p, pool_fn fn, void *arg, int nth)
{
	int spin;

	if(nth > p->n)
		nth = p->n;
	if(nth <= 1){
		fn(arg, 0, 1);
		return;
	}
	pthread_mutex_lock(&p->joblock);
	p->fn = fn;
	p->arg = arg;
	p->nth = nth;
	atomic_store(&p->nextith, 1);
	atomic_store(&p->open, 1);
	pthread_mutex_lock(&p->lk);
	atomic_fetch_add(&p->seq, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lk);
	fn(arg, 0, nth);
	/* the work is all taken: close the job, then wait for the workers still inside it */
	atomic_store(&p->open, 0);
	for(spin = 0; atomic_load(&p->active) > 0; spin++)
		if(spin < WAIT_SPINS)
			relax();
		else
			sched_yield();
	pthread_mutex_unlock(&p->joblock);
}
