/*
 * test_ctx.c - a context's size: every product and sum of its layout is
 * checked, so that a model's dimensions can never make a buffer smaller than
 * what is written to it (issue 7, defect 1: in the -m32 build a model with
 * n_ff 1048576 made ctx_layout's size_t sums wrap, and matmul wrote past the
 * mapping).  The model here is only its hyperparameters: nothing is loaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../src/model/ctx.h"
#include "../src/util/error.h"
#include "testutil.h"

static void
shape(Model *m, int n_embd, int n_ff, int n_head, int head_dim, int n_layer, int n_ctx)
{
	memset(m, 0, sizeof *m);
	m->hp.n_embd = n_embd;
	m->hp.n_ff = n_ff;
	m->hp.n_head = m->hp.n_head_kv = n_head;
	m->hp.head_dim = head_dim;
	m->hp.n_layer = n_layer;
	m->hp.n_ctx_train = n_ctx;
}

/* The model: 512 batch rows of n_ff floats are 2 GiB, twice, beyond a 32-bit size_t. */
static void
test_wide_ff(void **state)
{
	Model m;
	Ctx *c;

	(void)state;
	shape(&m, 256, 1 << 20, 8, 32, 1, 2048);
	c = ctx_new(&m, 600, 1);
	if(sizeof(size_t) == 4){
		assert_null(c);
		print_message("%s\n", lb_errstr());
		assert_non_null(strstr(lb_errstr(), "address space"));
		return;
	}
	assert_non_null(c);
	/* g and u (batch x n_ff floats each) and the quantized activations fit in it */
	assert_true(c->memsize >= (size_t)512 * (1 << 20) * (4 + 4 + 2));
	assert_true((uint8_t *)c->u + (size_t)512 * (1 << 20) * 4 <= (uint8_t *)c->mem + c->memsize);
	ctx_free(c);
}

/* A KV cache of 2^69 bytes is refused in every build. */
static void
test_huge_cache(void **state)
{
	Model m;

	(void)state;
	shape(&m, 64, 64, 1 << 15, 1 << 15, 512, 1 << 30);
	assert_null(ctx_new(&m, 1 << 30, 1));
	assert_non_null(strstr(lb_errstr(), "address space"));
}

/* An ordinary model's context holds every buffer it lays out. */
static void
test_small(void **state)
{
	Model m;
	Ctx *c;

	(void)state;
	shape(&m, 64, 172, 4, 16, 2, 128);
	c = ctx_new(&m, 100, 1);
	assert_non_null(c);
	assert_int_equal(c->batch, 100);
	assert_true(c->qbuf + (size_t)100 * 172 * 2 <= (uint8_t *)c->mem + c->memsize);
	ctx_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wide_ff),
		cmocka_unit_test(test_huge_cache),
		cmocka_unit_test(test_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
