/* sample.c - the sampler chain; see sample.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/error.h"
#include "../util/rng.h"
#include "sample.h"

typedef struct Cand {
	int32_t id;
	float logit;
} Cand;

struct Sampler {
	llambo_params p;
	int n_vocab;
	uint64_t rng;
	Cand *cand;
	int32_t *last;	/* ring of the last repeat_last_n tokens */
	int nlast, headlast;
};

int
sampler_check(const llambo_params *p)
{
	if(p->max_tokens < 0)
		return lb_err("max_tokens %d is negative", p->max_tokens);
	if(!isfinite(p->temperature) || p->temperature < 0)
		return lb_err("temperature %g is not a finite number >= 0", p->temperature);
	if(p->top_k < 0)
		return lb_err("top_k %d is negative", p->top_k);
	if(!(p->top_p > 0 && p->top_p <= 1))
		return lb_err("top_p %g is not in (0, 1]", p->top_p);
	if(!(p->min_p >= 0 && p->min_p <= 1))
		return lb_err("min_p %g is not in [0, 1]", p->min_p);
	if(!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0)
		return lb_err("repeat_penalty %g is not a finite number > 0", p->repeat_penalty);
	if(p->repeat_last_n < 0 || p->repeat_last_n > 1 << 20)
		return lb_err("repeat_last_n %d is out of range", p->repeat_last_n);
	return 0;
}

Sampler *
sampler_new(int n_vocab, const llambo_params *p)
{
	Sampler *s;

	if(sampler_check(p) < 0)
		return NULL;
	s = calloc(1, sizeof *s);
	if(s == NULL)
		goto nomem;
	s->p = *p;
	s->n_vocab = n_vocab;
	s->rng = p->seed;
	if(p->seed == LLAMBO_SEED_RANDOM)
		s->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
	s->cand = malloc(sizeof s->cand[0] * (size_t)n_vocab);
	s->last = malloc(sizeof s->last[0] * (size_t)(p->repeat_last_n + 1));
	if(s->cand == NULL || s->last == NULL)
		goto nomem;
	return s;
nomem:
	sampler_free(s);
	lb_err("out of memory");
	return NULL;
}

void
sampler_free(Sampler *s)
{
	if(s == NULL)
		return;
	free(s->cand);
	free(s->last);
	free(s);
}

void
sampler_accept(Sampler *s, int32_t tok)
{
	int n = s->p.repeat_last_n;

	if(n == 0)
		return;
	s->last[s->headlast] = tok;
	s->headlast = (s->headlast + 1) % n;
	if(s->nlast < n)
		s->nlast++;
}

/*
 * The first token of the highest logit (NaNs never win; a NaN first is
 * returned as it was: nothing compares greater).  Two passes: the maximum in
 * LANES running maxima (independent chains, which the compiler may put in
 * one vector; a single "best so far" index made every step wait on the load
 * of the step before, 9 cycles a token of the vocabulary), then the first
 * logit equal to it, which is the token the one-pass loop keeps.
 */
enum { LANES = 16 };

int32_t
sample_argmax(const float *logits, int n)
{
	float m[LANES], best;
	int i, j;

	for(j = 0; j < LANES; j++)
		m[j] = logits[0];
	for(i = 0; i + LANES <= n; i += LANES)
		_Pragma("GCC unroll 16")	/* the maxima in registers */
		for(j = 0; j < LANES; j++)
			m[j] = logits[i + j] > m[j] ? logits[i + j] : m[j];
	for(; i < n; i++)
		m[0] = logits[i] > m[0] ? logits[i] : m[0];
	for(best = m[0], j = 1; j < LANES; j++)
		best = m[j] > best ? m[j] : best;
	for(i = 0; i < n; i++)
		if(logits[i] == best)
			return i;
	return 0;
}

/* llama.cpp's penalty: each distinct recent token's logit is divided (or, if negative, multiplied) once */
static void
apply_penalty(Sampler *s, float *logits)
{
	float pen = s->p.repeat_penalty;
	int i, j;

	if(pen == 1.0f)
		return;
	for(i = 0; i < s->nlast; i++){
		int32_t t = s->last[i];
		for(j = 0; j < i; j++)
			if(s->last[j] == t)
				break;
		if(j < i || t < 0 || t >= s->n_vocab)
			continue;
		logits[t] = logits[t] <= 0 ? logits[t] * pen : logits[t] / pen;
	}
}

/* The order of candidates: higher logit first, then lower id (a total order: ids are distinct). */
static int
before(const Cand *a, const Cand *b)
{
	return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int
by_logit_desc(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a);
}

static void
swap(Cand *a, Cand *b)
{
	Cand t = *a;

	*a = *b;
	*b = t;
}

/*
 * Partial selection: reorders c[0..n) so that its k best (0 < k < n) are in
 * c[0..k), in any order (Hoare's quickselect, median of three; a range that
 * does not shrink fast enough is sorted instead, so no input takes quadratic time).
 */
static void
select_best(Cand *c, int n, int k)
{
	int lo = 0, hi = n - 1, budget = 64, i, j, mid;
	Cand pivot;

	while(hi > lo){
		if(--budget == 0){
			qsort(c + lo, (size_t)(hi - lo + 1), sizeof c[0], by_logit_desc);
			return;
		}
		mid = lo + (hi - lo) / 2;
		if(before(&c[mid], &c[lo]))
			swap(&c[mid], &c[lo]);
		if(before(&c[hi], &c[lo]))
			swap(&c[hi], &c[lo]);
		if(before(&c[hi], &c[mid]))
			swap(&c[hi], &c[mid]);
		pivot = c[mid];
		for(i = lo, j = hi; i <= j; ){
			while(before(&c[i], &pivot))
				i++;
			while(before(&pivot, &c[j]))
				j--;
			if(i <= j)
				swap(&c[i++], &c[j--]);
		}
		if(k - 1 <= j)
			hi = j;
		else if(k - 1 >= i)
			lo = i;
		else
			return;
	}
}

/*
 * The k best of the logits (0 < k <= n) into h[0..k), in one pass: a heap of
 * the best so far whose top is the worst of them, the one each logit need
 * only beat (a token's logit is beaten by few; select_best moved every one).
 */
enum { HEAPMAX = 64 };	/* rank_to sorts the first 64 at once: up to there the kept ones end in sorted order, however chosen */

static void
heap_down(Cand *h, int k, int i)
{
	int w, l;

	for(;;){
		w = i;
		l = 2*i + 1;
		if(l < k && before(&h[w], &h[l]))
			w = l;
		if(l + 1 < k && before(&h[w], &h[l + 1]))
			w = l + 1;
		if(w == i)
			return;
		swap(&h[i], &h[w]);
		i = w;
	}
}

static void
heap_best(Cand *h, const float *logits, int n, int k)
{
	Cand c;
	int i;

	for(i = 0; i < k; i++){
		h[i].id = i;
		h[i].logit = logits[i];
	}
	for(i = k / 2 - 1; i >= 0; i--)
		heap_down(h, k, i);
	for(i = k; i < n; i++){
		c.id = i;
		c.logit = logits[i];
		if(before(&c, &h[0])){
			h[0] = c;
			heap_down(h, k, 0);
		}
	}
}

/*
 * The candidates c[0..kept): c[0..sorted) are the best in order.  Sorting
 * goes only as far as a filter or the draw looks, in doubling steps: a
 * 150k-token vocabulary costs a few passes, not a sort, per token.
 */
typedef struct {
	Cand *c;
	int kept, sorted;
} Ranked;

/* Makes c[0..m) sorted (m <= kept). */
static void
rank_to(Ranked *r, int m)
{
	int want;

	if(m <= r->sorted)
		return;
	want = r->sorted + 64 > m ? r->sorted + 64 : m;
	if(want < 2 * r->sorted)
		want = 2 * r->sorted;
	if(want > r->kept)
		want = r->kept;
	if(want < r->kept)
		select_best(r->c + r->sorted, r->kept - r->sorted, want - r->sorted);
	qsort(r->c + r->sorted, (size_t)(want - r->sorted), sizeof r->c[0], by_logit_desc);
	r->sorted = want;
}

/* The sum of exp((logit - best)/temp) over the candidates kept. */
static double
softmax_sum(const Ranked *r, double best, double temp)
{
	double sum = 0;
	int i;

	for(i = 0; i < r->kept; i++)
		sum += exp((r->c[i].logit - best) / temp);
	return sum;
}

int32_t
sampler_sample(Sampler *s, float *logits)
{
	const llambo_params *p = &s->p;
	Ranked r = { s->cand, s->n_vocab, 0 };
	double best, sum, acc, u;
	int i;

	apply_penalty(s, logits);
	if(p->temperature <= 0)
		return sample_argmax(logits, s->n_vocab);
	if(p->top_k > 0 && p->top_k <= HEAPMAX && p->top_k < r.kept){	/* the same kept ones, sorted below: the same draw */
		heap_best(r.c, logits, s->n_vocab, p->top_k);
		r.kept = p->top_k;
	}else{
		for(i = 0; i < s->n_vocab; i++){
			r.c[i].id = i;
			r.c[i].logit = logits[i];
		}
		if(p->top_k > 0 && p->top_k < r.kept){
			select_best(r.c, r.kept, p->top_k);
			r.kept = p->top_k;
		}
	}
	rank_to(&r, 1);
	best = r.c[0].logit;
	if(p->top_p < 1.0f){	/* smallest prefix whose probability reaches top_p (temperature 1, as llama.cpp) */
		sum = softmax_sum(&r, best, 1.0);
		for(acc = 0, i = 0; i < r.kept - 1; i++){
			rank_to(&r, i + 1);
			acc += exp(r.c[i].logit - best) / sum;
			if(acc >= p->top_p)
				break;
		}
		r.kept = i + 1;
	}
	if(p->min_p > 0){	/* keep tokens at least min_p times as likely as the best */
		float cut = (float)best + logf(p->min_p);
		for(i = 1; i < r.kept; i++){
			rank_to(&r, i + 1);
			if(r.c[i].logit < cut)
				break;
		}
		r.kept = i;
	}
	sum = softmax_sum(&r, best, p->temperature);
	u = lb_rng_uniform(&s->rng);
	for(acc = 0, i = 0; i < r.kept; i++){
		rank_to(&r, i + 1);
		acc += exp((r.c[i].logit - best) / p->temperature) / sum;
		if(u < acc)
			return r.c[i].id;
	}
	return r.c[r.kept - 1].id;
}
