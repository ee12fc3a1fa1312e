/*
 * bench.c - llambo bench: prompt processing (one batch of -p tokens) and generation
 * (-n tokens one at a time) in tokens per second, the median of -r runs, like llama-bench;
 * with -d N each run starts with N positions already in the cache (llama-bench's depth),
 * filled once per test, untimed, and gone back to before each run; with --membw, first
 * the machine's read bandwidth, and generation's share of it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "cli.h"
#include "../../src/gguf/gguf.h"
#include "../../src/runtime/pool.h"
#include "../../src/util/clock.h"

static const char usage[] =
	"usage: llambo bench [-m MODEL] [-p N_PROMPT] [-n N_GEN] [-d DEPTH] [-t THREADS] [-r REPS]\n"
	"                    [-ctk TYPE] [-ctv TYPE] [--no-mmap] [--exact] [--membw] [-B N_SEQS]\n"
	"ends with one line per test: pp<N> <median> t/s and tg<N> <median> t/s (with -d: pp<N>@d<DEPTH> ...),\n"
	"then the KV cache's types: kv <K type>/<V type>\n"
	"(--membw: first membw <best> GB/s, the threads reading 1 GiB as the kernels read weights; then generation's share of it)\n"
	"-B N: instead of pp and tg, the engine's step of N sequences decoding together (-d tokens each first, 8 if not given;\n"
	"      -n steps of N rows, default 32): B<N>[@d<DEPTH>] step <median> ms <N*1000/median> t/s cpu <median CPU> ms\n";

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One timed run in tokens per second from position depth: n tokens as one batch (pp) or one by one (tg). */
static double
timed(llambo_ctx *c, int depth, int n, int batch, int32_t *toks, float *logits)
{
	double t0, ms;
	int i;

	if(llambo_ctx_rewind(c, depth) < 0)
		cli_die("%s", llambo_last_error());
	t0 = lb_now_ms();
	if(batch){
		if(llambo_ctx_eval(c, toks, n, LLAMBO_LOGITS_LAST, logits) < 0)
			cli_die("%s", llambo_last_error());
	}else
		for(i = 0; i < n; i++)
			if(llambo_ctx_eval(c, &toks[i], 1, LLAMBO_LOGITS_LAST, logits) < 0)
				cli_die("%s", llambo_last_error());
	ms = lb_now_ms() - t0;
	return n * 1e3 / ms;
}

/* The median of o->reps runs of n tokens (0 if n is 0); prints the line. */
static double
test(int id, const Opts *o, const char *name, int n, int batch, int32_t *toks, float *logits)
{
	double *r = malloc(sizeof(double) * (size_t)o->reps), med;
	llambo_ctx *c;
	int i;

	if(n <= 0){
		free(r);
		return 0;
	}
	c = llambo_ctx_new(id, o->depth + n + 1, o->threads);
	if(c == NULL)
		cli_die("%s", llambo_last_error());
	llambo_ctx_set_exact(c, o->exact);
	if(o->depth > 0 && llambo_ctx_eval(c, toks, o->depth, LLAMBO_LOGITS_NONE, NULL) < 0)
		cli_die("depth %d: %s", o->depth, llambo_last_error());
	timed(c, o->depth, n < 16 ? n : 16, batch, toks, logits);	/* warm up: pages, caches, threads */
	for(i = 0; i < o->reps; i++)
		r[i] = timed(c, o->depth, n, batch, toks, logits);
	llambo_ctx_free(c);
	qsort(r, (size_t)o->reps, sizeof r[0], cmp_double);
	fprintf(stderr, "%s%d: min %.2f max %.2f t/s over %d runs\n", name, n, r[0], r[o->reps - 1], o->reps);
	med = r[o->reps / 2];
	if(o->depth > 0)
		printf("%s%d@d%d %.2f t/s\n", name, n, o->depth, med);
	else
		printf("%s%d %.2f t/s\n", name, n, med);
	fflush(stdout);
	free(r);
	return med;
}

/*
 * The read-bandwidth probe: what the machine gives the threads reading as the
 * gemv kernels read weights: 1 GiB, a 4 MiB chunk at a time (each chunk one
 * stream), with the widest loads the CPU has and the lines asked for 8 KiB
 * ahead (src/quant/avx512.h: a core's own prefetchers leave it at a part of
 * the bandwidth); the best of the passes, as a machine shared with others
 * gives a reader less at times, never more.
 */
enum { PROBE_BYTES = 1 << 30, CHUNK = 4 << 20, AHEAD = 8192 };

typedef uint64_t Reader(const uint8_t *p, size_t n);

typedef struct {
	const uint8_t *buf;
	Reader *read;
	atomic_int next;
	uint64_t sink[64];
} Probe;

/* The sum of the 64-bit words of p[0..n), n a multiple of 64. */
static uint64_t
read_words(const uint8_t *p, size_t n)
{
	uint64_t s[8] = { 0 }, w;
	size_t i;
	int k;

	for(i = 0; i < n; i += 64){
		__builtin_prefetch(p + i + AHEAD);
		for(k = 0; k < 8; k++){
			memcpy(&w, p + i + 8*k, sizeof w);
			s[k] += w;
		}
	}
	return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with AVX-512 loads, a line each (n a multiple of 256, p aligned to 64). */
__attribute__((target("avx512f"))) static uint64_t
read_avx512(const uint8_t *p, size_t n)
{
	__m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
	size_t i;

	for(i = 0; i < n; i += 256){
		_mm_prefetch((const char *)p + i + AHEAD, _MM_HINT_T0);
		_mm_prefetch((const char *)p + i + AHEAD + 64, _MM_HINT_T0);
		_mm_prefetch((const char *)p + i + AHEAD + 128, _MM_HINT_T0);
		_mm_prefetch((const char *)p + i + AHEAD + 192, _MM_HINT_T0);
		a = _mm512_add_epi64(a, _mm512_load_si512(p + i));
		b = _mm512_add_epi64(b, _mm512_load_si512(p + i + 64));
		c = _mm512_add_epi64(c, _mm512_load_si512(p + i + 128));
		d = _mm512_add_epi64(d, _mm512_load_si512(p + i + 192));
	}
	return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d)));
}
#endif

static Reader *
best_reader(const char **name)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if(__builtin_cpu_supports("avx512f")){
		*name = "AVX-512";
		return read_avx512;
	}
#endif
	*name = "64-bit";
	return read_words;
}

static void
probe_task(void *arg, int ith, int nth)
{
	Probe *p = arg;
	uint64_t s = 0;
	int c;

	while((c = pool_next(&p->next)) < PROBE_BYTES / CHUNK)
		s += p->read(p->buf + (size_t)c * CHUNK, CHUNK);
	p->sink[ith % 64] = s;
}

/* GB/s, the best of o->reps reads of the buffer; prints the line. */
static double
membw(const Opts *o)
{
	double *r = malloc(sizeof(double) * (size_t)o->reps), t0, best;
	const char *how;
	Probe p;
	void *buf = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i, nth = o->threads > 0 ? o->threads : lb_ncpu();

	if(buf == MAP_FAILED || r == NULL)
		cli_die("membw: no memory for the 1 GiB probe");
	memset(buf, 1, PROBE_BYTES);	/* pages of its own, not the shared zero page */
	p.buf = buf;
	p.read = best_reader(&how);
	for(i = -1; i < o->reps; i++){	/* a run to warm up, then the timed ones */
		atomic_init(&p.next, 0);
		t0 = lb_now_ms();
		pool_run(pool_get(), probe_task, &p, nth);
		if(i >= 0)
			r[i] = PROBE_BYTES / ((lb_now_ms() - t0) * 1e6);
	}
	qsort(r, (size_t)o->reps, sizeof r[0], cmp_double);
	fprintf(stderr, "membw: %d threads reading 1 GiB (%s loads, prefetched): min %.2f median %.2f max %.2f GB/s over %d runs\n",
		nth, how, r[0], r[o->reps / 2], r[o->reps - 1], o->reps);
	best = r[o->reps - 1];
	printf("membw %.2f GB/s\n", best);
	fflush(stdout);
	munmap(buf, PROBE_BYTES);
	free(r);
	return best;
}

/*
 * The bytes of weights a generated token reads: every matrix but the token
 * embeddings, of which it reads one row (all of them where the output is tied
 * to them).  For a mixture of experts this counts every expert: more than a
 * token reads.
 */
static double
token_bytes(const char *path)
{
	GGUFFile f;
	double sum = 0, embd = 0;
	int tied = 1;
	size_t i;

	if(gguf_open(&f, path, 1) < 0)
		return 0;
	for(i = 0; i < f.n_tensors; i++){
		if(strcmp(f.tensors[i].name, "token_embd.weight") == 0)
			embd = (double)f.tensors[i].nbytes;
		else if(f.tensors[i].n_dims >= 2)
			sum += (double)f.tensors[i].nbytes;
		if(strcmp(f.tensors[i].name, "output.weight") == 0)
			tied = 0;
	}
	gguf_close(&f);
	return tied ? sum + embd : sum;
}

int
cmd_bench(int argc, char **argv)
{
	Opts o;
	double t0, load_ms, bw, tg, bytes;
	int32_t *toks;
	float *logits;
	int id, nv, i, np, ng, nt;

	cli_parse(&o, argc, argv, usage);
	bw = o.membw ? membw(&o) : 0;
	if(o.membw && o.model == NULL)
		return 0;
	/* -p is a number here, as in llama-bench */
	np = o.prompt != NULL ? atoi(o.prompt) : 512;
	ng = o.n_predict >= 0 ? o.n_predict : 128;
	nt = o.depth > np ? o.depth : np > ng ? np : ng;
	t0 = lb_now_ms();
	id = cli_load(&o);
	load_ms = lb_now_ms() - t0;
	nv = llambo_n_vocab(id);
	toks = malloc(sizeof(int32_t) * (size_t)nt + 64);
	logits = malloc(sizeof(float) * (size_t)nv);
	srand(1);
	for(i = 0; i < nt; i++)
		toks[i] = rand() % nv;
	fprintf(stderr, "llambo bench: %s, %d threads, mmap %s, KV cache %s/%s, depth %d, load %.1f ms\n", o.model,
		o.threads ? o.threads : 0, o.use_mmap ? "on" : "off", o.type_k, o.type_v, o.depth, load_ms);
	if(o.nseq > 0){	/* the step mode (stepbench.c) */
		bench_steps(id, &o, o.nseq);
		ng = tg = 0;
	}else{
		test(id, &o, "pp", np, 1, toks, logits);
		tg = test(id, &o, "tg", ng, 0, toks, logits);
	}
	if(bw > 0 && tg > 0 && (bytes = token_bytes(o.model)) > 0)
		printf("tg%d reads %.0f MiB a token: %.2f GB/s, %.0f%% of membw\n", ng, bytes / 1048576, tg * bytes / 1e9,
			100 * tg * bytes / 1e9 / bw);
	printf("kv %s/%s\n", o.type_k, o.type_v);
	fprintf(stderr, "peak RSS %ld KiB\n", cli_peak_rss_kb());
	free(toks);
	free(logits);
	llambo_free_model(id);
	return 0;
}
