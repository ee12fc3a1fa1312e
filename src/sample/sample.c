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

int32_t
sample_argmax(const float *logits, int n)
{
	int32_t best = 0;
	int i;

	for(i = 1; i < n; i++)
		if(logits[i] > logits[best])
			best = i;
	return best;
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

static int
by_logit_desc(const void *a, const void *b)
{
	const Cand *x = a, *y = b;

	if(x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Softmax of n sorted candidates (logits scaled by 1/temp) into probs. */
static void
softmax_cands(const Cand *c, int n, float temp, double *probs)
{
	double sum = 0;
	int i;

	for(i = 0; i < n; i++){
		probs[i] = exp((double)(c[i].logit - c[0].logit) / temp);
		sum += probs[i];
	}
	for(i = 0; i < n; i++)
		probs[i] /= sum;
}

int32_t
sampler_sample(Sampler *s, float *logits)
{
	const llambo_params *p = &s->p;
	Cand *c = s->cand;
	double *probs, r, acc;
	int32_t pick;
	int n = s->n_vocab, i;

	apply_penalty(s, logits);
	if(p->temperature <= 0)
		return sample_argmax(logits, n);
	for(i = 0; i < n; i++){
		c[i].id = i;
		c[i].logit = logits[i];
	}
	qsort(c, (size_t)n, sizeof c[0], by_logit_desc);
	if(p->top_k > 0 && p->top_k < n)
		n = p->top_k;
	probs = malloc(sizeof probs[0] * (size_t)n);
	if(probs == NULL)
		return c[0].id;
	if(p->top_p < 1.0f){	/* smallest prefix whose probability reaches top_p (temperature 1, as llama.cpp) */
		softmax_cands(c, n, 1.0, probs);
		for(acc = 0, i = 0; i < n - 1; i++){
			acc += probs[i];
			if(acc >= p->top_p)
				break;
		}
		n = i + 1;
	}
	if(p->min_p > 0){	/* keep tokens at least min_p times as likely as the best */
		float cut = c[0].logit + logf(p->min_p);
		for(i = 1; i < n && c[i].logit >= cut; i++)
			;
		n = i;
	}
	softmax_cands(c, n, p->temperature, probs);
	r = lb_rng_uniform(&s->rng);
	pick = c[n - 1].id;
	for(acc = 0, i = 0; i < n; i++){
		acc += probs[i];
		if(r < acc){
			pick = c[i].id;
			break;
		}
	}
	free(probs);
	return pick;
}
