/* pool.c - the persistent worker threads; see pool.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

enum { MAXTHREADS = 64, SPINS = 20000 };

struct Pool {
	int n;	/* threads, the caller included */
	pthread_mutex_t joblock;	/* one job at a time */
	pthread_mutex_t lk;
	pthread_cond_t wake;
	atomic_uint seq;	/* bumped for each job */
	atomic_int pending;	/* workers still running the current job */
	pool_fn fn;
	void *arg;
	int nth;
};

static Pool *global;
static pthread_mutex_t globallk = PTHREAD_MUTEX_INITIALIZER;

int
lb_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAXTHREADS ? MAXTHREADS : (int)n;
}

static inline void
relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *
worker(void *v)
{
	Pool *p = v;
	int me;
	unsigned seen, s;

	pthread_mutex_lock(&p->lk);
	me = p->nth++;	/* nth counts the workers started so far while creating */
	pthread_mutex_unlock(&p->lk);
	seen = atomic_load(&p->seq);
	for(;;){
		int spin;

		for(spin = 0; spin < SPINS && (s = atomic_load(&p->seq)) == seen; spin++)
			relax();
		if(s == seen){
			pthread_mutex_lock(&p->lk);
			while((s = atomic_load(&p->seq)) == seen)
				pthread_cond_wait(&p->wake, &p->lk);
			pthread_mutex_unlock(&p->lk);
		}
		seen = s;
		if(me < p->nth)
			p->fn(p->arg, me, p->nth);
		atomic_fetch_sub(&p->pending, 1);
	}
	return NULL;
}

Pool *
pool_get(int n)
{
	Pool *p;
	pthread_t t;
	pthread_attr_t attr;
	int i;

	pthread_mutex_lock(&globallk);
	if(global != NULL){
		pthread_mutex_unlock(&globallk);
		return global;
	}
	if(n <= 0)
		n = lb_ncpu();
	if(n > MAXTHREADS)
		n = MAXTHREADS;
	if(n < lb_ncpu())
		n = lb_ncpu();
	p = calloc(1, sizeof *p);
	if(p == NULL){
		pthread_mutex_unlock(&globallk);
		return NULL;
	}
	pthread_mutex_init(&p->joblock, NULL);
	pthread_mutex_init(&p->lk, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->n = 1;
	p->nth = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for(i = 1; i < n; i++){
		if(pthread_create(&t, &attr, worker, p) != 0)
			break;
		p->n++;
	}
	pthread_attr_destroy(&attr);
	/* wait until every worker has its index */
	for(;;){
		pthread_mutex_lock(&p->lk);
		i = p->nth;
		pthread_mutex_unlock(&p->lk);
		if(i == p->n)
			break;
		usleep(100);
	}
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
	atomic_store(&p->pending, p->n - 1);
	pthread_mutex_lock(&p->lk);
	atomic_fetch_add(&p->seq, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lk);
	fn(arg, 0, nth);
	while(atomic_load(&p->pending) > 0)
		relax();
	pthread_mutex_unlock(&p->joblock);
}
