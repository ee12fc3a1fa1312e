/*
 * llambo_c.c - the builtin module $Llambo_c (module/llambo_c.m): the
 * glue between Dis and libllambo, compiled into emu as emu/port code.
 *
 * Each function copies its string arguments into C memory, releases
 * the Dis interpreter, calls the engine side (engine.c, gen.c: the
 * engine runs on threads of its own, see llambo_c.h), takes the
 * interpreter back, and only then builds the Dis result.  Nothing here
 * touches the Dis heap, or raises an exception, while released.
 * Failures return -1 or nil and set the error string that %r prints.
 */
#include	"dat.h"
#include	"fns.h"
#include	"error.h"
#include	"interp.h"
#include	<isa.h>
#include	"kernel.h"
#include	"llambo_c_frames.h"
#include	"llambo_c_tab.h"
#include	"llambo_c.h"

enum {
	MAXPATH = 4096
};

typedef struct XGen XGen;
struct XGen {
	Llambo_c_Gen	g;
	Lbcgen	*gen;
};

static uchar	Genmap[] = Llambo_c_Gen_map;
static Type	*TGen;

static void
freegen(Heap *h, int swept)
{
	XGen *x;

	x = H2D(XGen*, h);
	if(x->gen != nil)
		lbc_drop(x->gen);
	x->gen = nil;
	freeheap(h, swept);
}

void
Llambo_cmodinit(void)
{
	builtinmod("$Llambo_c", Llambo_cmodtab, Llambo_cmodlen);
	TGen = dtype(freegen, sizeof(XGen), Genmap, sizeof(Genmap));
}

/* A C copy of a Dis string argument, or nil (and %r) if too long. */
static char*
cstr(String *s, int max, char *what)
{
	char *c;

	c = string2c(s);
	if(strlen(c) > max){
		kwerrstr("llambo: %s longer than %d bytes", what, max);
		return nil;
	}
	c = strdup(c);
	if(c == nil)
		kwerrstr("llambo: %s", Enomem);
	return c;
}

static void
failed(char *err)
{
	kwerrstr("llambo: %s", err);
}

static void
clearstr(String **ret)
{
	void *r;

	r = *ret;
	*ret = H;
	destroy(r);
}

static void
cleararray(Array **ret)
{
	void *r;

	r = *ret;
	*ret = H;
	destroy(r);
}

/* An array of int: a Limbo int is a WORD, 32 bits in inferno-os, 64 in infernode's 64-bit emu. */
static Array*
intarray(int *v, int n)
{
	Heap *h;
	Array *a;
	WORD *w;
	int i;

	h = heaparray(&Tword, n);
	a = H2D(Array*, h);
	w = (WORD*)a->data;
	for(i = 0; i < n; i++)
		w[i] = v[i];
	return a;
}

static int
loadmodel(int id, String *spath, int use_mmap, int ngpu)
{
	char *path, err[LBC_ERRLEN];
	int r;

	path = cstr(spath, MAXPATH, "path");
	if(path == nil)
		return -1;
	release();
	if(id < 0)
		r = lbc_load(path, use_mmap, ngpu, err);
	else
		r = lbc_load_into(id, path, use_mmap, ngpu, err);
	acquire();
	free(path);
	if(r < 0)
		failed(err);
	return r;
}

void
Llambo_c_load_model(void *fp)
{
	F_Llambo_c_load_model *f;

	f = fp;
	*f->ret = loadmodel(-1, f->path, f->use_mmap, f->n_gpu_layers);
}

void
Llambo_c_load_into(void *fp)
{
	F_Llambo_c_load_into *f;

	f = fp;
	*f->ret = loadmodel(f->model_id, f->path, f->use_mmap, f->n_gpu_layers);
	if(*f->ret > 0)
		*f->ret = 0;
}

void
Llambo_c_reserve(void *fp)
{
	F_Llambo_c_reserve *f;
	char err[LBC_ERRLEN];

	f = fp;
	release();
	*f->ret = lbc_reserve(err);
	acquire();
	if(*f->ret < 0)
		failed(err);
}

void
Llambo_c_free_model(void *fp)
{
	F_Llambo_c_free_model *f;
	char err[LBC_ERRLEN];

	f = fp;
	release();
	*f->ret = lbc_free_model(f->model_id, err);
	acquire();
	if(*f->ret < 0)
		failed(err);
}

void
Llambo_c_tokenize(void *fp)
{
	F_Llambo_c_tokenize *f;
	char *text, err[LBC_ERRLEN];
	int *toks, n;

	f = fp;
	cleararray(f->ret);
	text = cstr(f->text, LBC_MAXTEXT, "text");
	if(text == nil)
		return;
	release();
	n = lbc_tokenize(f->model_id, text, &toks, err);
	acquire();
	free(text);
	if(n < 0){
		failed(err);
		return;
	}
	*f->ret = intarray(toks, n);
	lbc_release(toks);
}

void
Llambo_c_infer(void *fp)
{
	F_Llambo_c_infer *f;
	char *prompt, *s, err[LBC_ERRLEN];

	f = fp;
	clearstr(f->ret);
	prompt = cstr(f->prompt, LBC_MAXTEXT, "prompt");
	if(prompt == nil)
		return;
	release();
	s = lbc_infer(f->model_id, prompt, f->max_tokens, f->temperature, err);
	acquire();
	free(prompt);
	if(s == nil){
		failed(err);
		return;
	}
	retstr(s, f->ret);
	lbc_release(s);
}

/* The functions that return text made by the engine and take only an id. */
static void
idtext(String **ret, int id, char *(*fn)(int, char*))
{
	char *s, err[LBC_ERRLEN];

	clearstr(ret);
	release();
	s = fn(id, err);
	acquire();
	if(s == nil){
		failed(err);
		return;
	}
	retstr(s, ret);
	lbc_release(s);
}

void
Llambo_c_get_model_info(void *fp)
{
	F_Llambo_c_get_model_info *f;

	f = fp;
	idtext(f->ret, f->model_id, lbc_info);
}

void
Llambo_c_status(void *fp)
{
	F_Llambo_c_status *f;

	f = fp;
	idtext(f->ret, f->model_id, lbc_status);
}

void
Llambo_c_models(void *fp)
{
	F_Llambo_c_models *f;
	char err[LBC_ERRLEN];
	int *ids, n;

	f = fp;
	cleararray(f->ret);
	release();
	n = lbc_models(&ids, err);
	acquire();
	if(n < 0){
		failed(err);
		return;
	}
	*f->ret = intarray(ids, n);
	lbc_release(ids);
}

void
Llambo_c_start(void *fp)
{
	F_Llambo_c_start *f;
	char *prompt, *opts, err[LBC_ERRLEN];
	Lbcgen *gen;
	Heap *h;
	XGen *x;
	void *r;

	f = fp;
	r = *f->ret;
	*f->ret = H;
	destroy(r);
	prompt = cstr(f->prompt, LBC_MAXTEXT, "prompt");
	opts = cstr(f->opts, LBC_MAXTEXT, "options");
	if(prompt == nil || opts == nil){
		free(prompt);
		free(opts);
		return;
	}
	release();
	gen = lbc_start(f->model_id, prompt, opts, err);
	acquire();
	free(prompt);
	free(opts);
	if(gen == nil){
		failed(err);
		return;
	}
	h = heap(TGen);
	x = H2D(XGen*, h);
	x->g.model = f->model_id;
	x->gen = gen;
	*f->ret = &x->g;
}

/* The engine side of a Gen argument, or nil (and %r) for nil or a forgery. */
static Lbcgen*
genof(Llambo_c_Gen *g)
{
	if(g == H || D2H(g)->t != TGen){
		kwerrstr("llambo: not a generation made by start");
		return nil;
	}
	return ((XGen*)g)->gen;
}

void
Llambo_c_next(void *fp)
{
	F_Llambo_c_next *f;
	Lbcgen *gen;
	char *s;
	int n;

	f = fp;
	clearstr(f->ret);
	gen = genof(f->g);
	if(gen == nil)
		return;
	release();
	s = lbc_next(gen, &n);
	acquire();
	if(n < 0){
		kwerrstr("llambo: another thread is waiting on this generation");
		return;
	}
	if(s != nil){
		retnstr(s, n, f->ret);
		lbc_release(s);
	}
}

void
Llambo_c_cancel(void *fp)
{
	F_Llambo_c_cancel *f;
	Lbcgen *gen;

	f = fp;
	gen = genof(f->g);
	if(gen != nil)
		lbc_cancel(gen);
}

void
Llambo_c_finish(void *fp)
{
	F_Llambo_c_finish *f;
	Lbcgen *gen;
	const char *why;
	char err[LBC_ERRLEN];
	int n;

	f = fp;
	clearstr(&f->ret->t0);
	clearstr(&f->ret->t1);
	f->ret->t2 = 0;
	gen = genof(f->g);
	if(gen == nil){
		retstr("not a generation made by start", &f->ret->t0);
		return;
	}
	release();
	n = lbc_finish(gen, err, &why);
	acquire();
	if(err[0] != 0)
		retstr(err, &f->ret->t0);
	retstr((char*)why, &f->ret->t1);
	f->ret->t2 = n;
}
