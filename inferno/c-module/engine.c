/*
 * engine.c - libllambo on threads of its own, for the Inferno glue.
 *
 * emu runs Dis on threads with 32 KiB stacks, leaves the x87 control
 * word of its threads in a garbage state on Linux/386, and installs
 * signal handlers that dereference the current Inferno process, which
 * a foreign thread does not have.  So no libllambo code runs on an emu
 * thread: each call gets a thread with a large stack, every signal
 * blocked and the default floating-point environment, and the engine's
 * own worker threads, created from there, inherit all three.
 *
 * Compiled with the ordinary C library headers, never Inferno's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llambo.h"
#include "llambo_c.h"
#include "engine.h"

enum { STACK = 8 << 20 };

void
lbc_seterr(char *err, const char *msg)
{
	snprintf(err, LBC_ERRLEN, "%s", msg);
}

void
lbc_enginerr(char *err)
{
	const char *e = llambo_last_error();

	lbc_seterr(err, e != NULL && *e != 0 ? e : "unknown error");
}

/* A copy in memory of our own of what the library returned, which it frees. */
static void*
own(void *p, size_t n, char *err)
{
	void *q;

	if(p == NULL)
		return NULL;
	q = malloc(n > 0 ? n : 1);
	if(q == NULL)
		lbc_seterr(err, "out of memory");
	else
		memcpy(q, p, n);
	llambo_free(p);
	return q;
}

/*
 * Run fn(arg) on a new thread and wait for it.  The caller (an emu
 * thread that has released the Dis interpreter) keeps its own
 * floating-point environment untouched.
 */
void
lbc_sanefp(void)
{
	fesetenv(FE_DFL_ENV);
}

static void*
trampoline(void *v)
{
	void **job = v;
	void (*fn)(void*) = (void (*)(void*))job[0];

	lbc_sanefp();
	fn(job[1]);
	feclearexcept(FE_ALL_EXCEPT);
	return NULL;
}

int
lbc_spawn(pthread_t *t, void *(*fn)(void*), void *arg, char *err)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if(r != 0){
		snprintf(err, LBC_ERRLEN, "cannot start an engine thread: %s", strerror(r));
		return -1;
	}
	return 0;
}

int
lbc_run(void (*fn)(void*), void *arg, char *err)
{
	void *job[2] = { (void*)fn, arg };
	pthread_t t;

	if(lbc_spawn(&t, trampoline, job, err) < 0)
		return -1;
	pthread_join(t, NULL);
	return 0;
}

/* One blocking call: its arguments, its result and the reason of a failure. */
typedef struct Call Call;
struct Call {
	int id, a, b;
	const char *s;
	double x;
	int r;
	void *p;
	char *err;
};

static void
doload(void *v)
{
	Call *c = v;

	if(c->id < 0)
		c->r = llambo_load_model(c->s, c->a, c->b);
	else
		c->r = llambo_load_into(c->id, c->s, c->a, c->b);
	if(c->r < 0)
		lbc_enginerr(c->err);
}

int
lbc_load(const char *path, int use_mmap, int n_gpu_layers, char *err)
{
	Call c = { .id = -1, .a = use_mmap, .b = n_gpu_layers, .s = path, .r = -1, .err = err };

	if(lbc_run(doload, &c, err) < 0)
		return -1;
	return c.r;
}

int
lbc_load_into(int id, const char *path, int use_mmap, int n_gpu_layers, char *err)
{
	Call c = { .id = id, .a = use_mmap, .b = n_gpu_layers, .s = path, .r = -1, .err = err };

	if(id < 0){
		lbc_seterr(err, "no such model");
		return -1;
	}
	if(lbc_run(doload, &c, err) < 0)
		return -1;
	return c.r;
}

static void
doreserve(void *v)
{
	Call *c = v;

	c->r = llambo_reserve_id();
	if(c->r < 0)
		lbc_enginerr(c->err);
}

int
lbc_reserve(char *err)
{
	Call c = { .r = -1, .err = err };

	if(lbc_run(doreserve, &c, err) < 0)
		return -1;
	return c.r;
}

static void
dofree(void *v)
{
	Call *c = v;

	c->r = llambo_free_model(c->id);
	if(c->r < 0)
		lbc_enginerr(c->err);
}

int
lbc_free_model(int id, char *err)
{
	Call c = { .id = id, .r = -1, .err = err };

	if(lbc_run(dofree, &c, err) < 0)
		return -1;
	return c.r;
}

static void
dotokenize(void *v)
{
	Call *c = v;
	int32_t *toks = NULL;

	c->r = llambo_tokenize(c->id, c->s, &toks);
	if(c->r < 0){
		lbc_enginerr(c->err);
		return;
	}
	c->p = own(toks, (size_t)c->r * sizeof *toks, c->err);
	if(c->p == NULL && toks != NULL)
		c->r = -1;
}

/* int and int32_t are the same on every target of emu; the glue sees int. */
_Static_assert(sizeof(int) == sizeof(int32_t), "int is not 32 bits");

int
lbc_tokenize(int id, const char *text, int **tokens, char *err)
{
	Call c = { .id = id, .s = text, .r = -1, .err = err };

	*tokens = NULL;
	if(lbc_run(dotokenize, &c, err) < 0)
		return -1;
	*tokens = c.p;
	return c.r;
}

static void
doinfer(void *v)
{
	Call *c = v;
	llambo_params p;

	llambo_default_params(&p);
	p.max_tokens = c->a;
	p.temperature = (float)c->x;
	c->p = llambo_generate(c->id, c->s, &p, NULL);
	if(c->p == NULL)
		lbc_enginerr(c->err);
	else
		c->p = own(c->p, strlen(c->p) + 1, c->err);
}

char*
lbc_infer(int id, const char *prompt, int max_tokens, double temperature, char *err)
{
	Call c = { .id = id, .s = prompt, .a = max_tokens, .x = temperature, .err = err };

	if(!isfinite(temperature) || temperature < 0){
		lbc_seterr(err, "temperature must be a finite number >= 0");
		return NULL;
	}
	if(max_tokens < 0){
		lbc_seterr(err, "max_tokens must be >= 0");
		return NULL;
	}
	if(lbc_run(doinfer, &c, err) < 0)
		return NULL;
	return c.p;
}

static void
doinfo(void *v)
{
	Call *c = v;

	c->p = llambo_get_model_info(c->id);
	if(c->p == NULL)
		lbc_enginerr(c->err);
	else
		c->p = own(c->p, strlen(c->p) + 1, c->err);
}

char*
lbc_info(int id, char *err)
{
	Call c = { .id = id, .err = err };

	if(lbc_run(doinfo, &c, err) < 0)
		return NULL;
	return c.p;
}

static const char*
statename(int state)
{
	switch(state){
	case LLAMBO_EMPTY:	return "empty";
	case LLAMBO_LOADING:	return "loading";
	case LLAMBO_READY:	return "ready";
	}
	return "unknown";
}

static void
dostatus(void *v)
{
	Call *c = v;
	llambo_status st;
	char *s;

	if(llambo_model_status(c->id, &st) < 0){
		snprintf(c->err, LBC_ERRLEN, "no such model: %d", c->id);
		return;
	}
	if(asprintf(&s, "state %s generations %d tokens %lld tok/s %.2f path %s",
	    statename(st.state), st.generations, st.tokens_generated,
	    st.last_tok_per_s, st.path) < 0){
		lbc_seterr(c->err, "out of memory");
		return;
	}
	c->p = s;
}

char*
lbc_status(int id, char *err)
{
	Call c = { .id = id, .err = err };

	if(lbc_run(dostatus, &c, err) < 0)
		return NULL;
	return c.p;
}

enum { MAXMODELS = 4096 };

static void
domodels(void *v)
{
	Call *c = v;
	int *ids;

	ids = malloc(MAXMODELS * sizeof *ids);
	if(ids == NULL){
		lbc_seterr(c->err, "out of memory");
		c->r = -1;
		return;
	}
	c->r = llambo_list_models(ids, MAXMODELS);
	c->p = ids;
}

int
lbc_models(int **ids, char *err)
{
	Call c = { .r = -1, .err = err };

	*ids = NULL;
	if(lbc_run(domodels, &c, err) < 0)
		return -1;
	*ids = c.p;
	return c.r;
}

void
lbc_release(void *p)
{
	free(p);
}
