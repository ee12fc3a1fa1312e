/* test_sample.c - the sampler chain: greedy, filters, penalty, temperature, seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sample/sample.h"
#include "../src/util/rng.h"
#include "testutil.h"

enum { NV = 64 };

static void
logits_fill(float *l)
{
	int i;

	for(i = 0; i < NV; i++)
		l[i] = (float)((i * 37) % NV) / 8.0f;	/* a permutation: the best is id 19 (63/8: 19*37 = 11*64 + 63) */
}

static llambo_params
params(float temp)
{
	llambo_params p;

	llambo_default_params(&p);
	p.temperature = temp;
	p.seed = 7;
	return p;
}

static int32_t
draw(const llambo_params *p)
{
	Sampler *s = sampler_new(NV, p);
	float l[NV];
	int32_t t;

	assert_non_null(s);
	logits_fill(l);
	t = sampler_sample(s, l);
	sampler_free(s);
	return t;
}

static void
test_greedy(void **state)
{
	float l[NV];
	llambo_params p = params(0);

	logits_fill(l);
	assert_int_equal(sample_argmax(l, NV), 19);
	assert_int_equal(draw(&p), 19);
	l[3] = l[19];	/* a tie: the lowest id wins, as in llama.cpp's goldens */
	assert_int_equal(sample_argmax(l, NV), 3);
}

static void
test_filters_collapse_to_greedy(void **state)
{
	llambo_params p = params(5.0f);
	int i;

	p.top_k = 1;
	for(i = 0; i < 20; i++){
		p.seed = i;
		assert_int_equal(draw(&p), 19);
	}
	p = params(5.0f);
	p.top_k = 0;
	p.top_p = 1.0f;
	p.min_p = 1.0f;	/* only tokens as likely as the best */
	for(i = 0; i < 20; i++){
		p.seed = i;
		assert_int_equal(draw(&p), 19);
	}
}

/* With top_k = 3 only the three best ids (those with logits 63/8, 62/8, 61/8) ever come out */
static void
test_top_k(void **state)
{
	llambo_params p = params(100.0f);
	int seen[NV] = { 0 }, i, n = 0;
	float l[NV];

	p.top_k = 3;
	p.top_p = 1.0f;
	p.min_p = 0;
	logits_fill(l);
	for(i = 0; i < 300; i++){
		p.seed = i;
		seen[draw(&p)]++;
	}
	for(i = 0; i < NV; i++)
		if(seen[i]){
			n++;
			assert_true(l[i] >= 61.0f / 8);
		}
	assert_int_equal(n, 3);	/* at temperature 100 all three are about equally likely */
}

static void
test_seed_reproducible(void **state)
{
	llambo_params p = params(1.5f);
	int32_t a[32], b[32];
	int i, differ = 0;

	p.top_k = 0;
	p.top_p = 1.0f;
	p.min_p = 0;
	for(i = 0; i < 32; i++){
		p.seed = 1000 + i;
		a[i] = draw(&p);
		b[i] = draw(&p);
		assert_int_equal(a[i], b[i]);
		differ += a[i] != a[0];
	}
	assert_true(differ > 0);	/* different seeds do give different draws */
}

static void
test_repeat_penalty(void **state)
{
	llambo_params p = params(0);
	Sampler *s;
	float l[NV];

	p.repeat_penalty = 100.0f;
	s = sampler_new(NV, &p);
	sampler_accept(s, 19);
	logits_fill(l);
	assert_int_not_equal(sampler_sample(s, l), 19);	/* the recent best is pushed down */
	assert_true(fabsf(l[19] - 63.0f / 8 / 100) < 1e-6f);
	sampler_free(s);
}

static void
test_bad_params(void **state)
{
	llambo_params p = params(NAN);

	assert_int_equal(sampler_check(&p), -1);
	p = params(-1);
	assert_int_equal(sampler_check(&p), -1);
	p = params(1);
	p.top_p = 1.5f;
	assert_int_equal(sampler_check(&p), -1);
	p = params(1);
	p.min_p = -0.1f;
	assert_int_equal(sampler_check(&p), -1);
	p = params(1);
	p.repeat_penalty = INFINITY;
	assert_int_equal(sampler_check(&p), -1);
	p = params(1);
	p.top_k = -2;
	assert_int_equal(sampler_check(&p), -1);
	p = params(1);
	assert_int_equal(sampler_check(&p), 0);
}

/* The chain done the plain way, sorting the whole vocabulary: what the partial selection must pick. */
typedef struct {
	int32_t id;
	float logit;
} RefCand;

static int
ref_desc(const void *a, const void *b)
{
	const RefCand *x = a, *y = b;

	if(x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int32_t
ref_sample(const llambo_params *p, const float *logits, int nv, RefCand *c)
{
	uint64_t rng = p->seed;
	double sum, acc, r;
	int n = nv, i;

	for(i = 0; i < nv; i++){
		c[i].id = i;
		c[i].logit = logits[i];
	}
	qsort(c, (size_t)nv, sizeof c[0], ref_desc);
	if(p->top_k > 0 && p->top_k < n)
		n = p->top_k;
	if(p->top_p < 1.0f){
		for(sum = 0, i = 0; i < n; i++)
			sum += exp((double)(c[i].logit - c[0].logit));
		for(acc = 0, i = 0; i < n - 1; i++){
			acc += exp((double)(c[i].logit - c[0].logit)) / sum;
			if(acc >= p->top_p)
				break;
		}
		n = i + 1;
	}
	if(p->min_p > 0){
		for(i = 1; i < n && c[i].logit >= c[0].logit + logf(p->min_p); i++)
			;
		n = i;
	}
	for(sum = 0, i = 0; i < n; i++)
		sum += exp((double)(c[i].logit - c[0].logit) / p->temperature);
	r = lb_rng_uniform(&rng);
	for(acc = 0, i = 0; i < n; i++){
		acc += exp((double)(c[i].logit - c[0].logit) / p->temperature) / sum;
		if(r < acc)
			return c[i].id;
	}
	return c[n - 1].id;
}

/* Many vocabularies (with ties) and parameter sets: the same token as sorting everything would give. */
static void
test_partial_selection(void **state)
{
	enum { V = 5000 };
	static const int topk[] = { 0, 1, 5, 40, 300, V - 1, V };
	static const float topp[] = { 1.0f, 0.95f, 0.5f, 0.05f }, minp[] = { 0, 0.05f, 0.5f }, temps[] = { 0.3f, 0.8f, 2.0f };
	static float l[V], l2[V];
	static RefCand c[V];
	uint64_t g = 42;
	llambo_params p;
	Sampler *s;
	int it, i;

	for(it = 0; it < 300; it++){
		for(i = 0; i < V; i++)	/* coarse values, so that many logits tie */
			l[i] = (float)(int)(lb_rng_uniform(&g) * (it % 3 == 0 ? 20 : 2000)) / 64.0f;
		p = params(temps[it % 3]);
		p.seed = (uint64_t)it;
		p.top_k = topk[it % 7];
		p.top_p = topp[(it / 7) % 4];
		p.min_p = minp[(it / 28) % 3];
		memcpy(l2, l, sizeof l);
		s = sampler_new(V, &p);
		assert_non_null(s);
		assert_int_equal(sampler_sample(s, l2), ref_sample(&p, l, V, c));
		sampler_free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_greedy),
		cmocka_unit_test(test_filters_collapse_to_greedy),
		cmocka_unit_test(test_top_k),
		cmocka_unit_test(test_seed_reproducible),
		cmocka_unit_test(test_repeat_penalty),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_partial_selection),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
