/*
 * test_kquants_model.c - the K-quant kernels on the real tensors of the
 * shared mini-llama files (made by llama-quantize from mini-llama-F32, with
 * no importance matrix, so by ggml's reference quantizers):
 *  - decoding each K-quant tensor lands within the type's error of the F32 one;
 *  - our quantizers, fed the F32 tensor, give the file's bytes exactly;
 *  - the dot products of its rows in every kernel tier agree with a double reference.
 * Skips when ../shared is absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../src/gguf/gguf.h"
#include "../src/quant/blocks.h"
#include "../src/quant/quant.h"
#include "../src/util/error.h"

/* Relative RMS error bounds, a little above what ggml's quantizers give on these weights. */
static double
error_bound(uint32_t type)
{
	switch(type){
	case LB_Q2_K: return 0.31;
	case LB_Q3_K: return 0.16;
	case LB_Q4_K: return 0.076;
	case LB_Q5_K: return 0.038;
	case LB_Q6_K: return 0.019;
	}
	return 0;
}

static int
is_kquant(uint32_t type)
{
	return type >= LB_Q2_K && type <= LB_Q6_K;
}

static void
open_model(GGUFFile *f, const char *rel)
{
	char path[512];

	SHARED_OR_SKIP(path, rel);
	if(gguf_open(f, path, 1) < 0){
		print_error("%s: %s\n", path, lb_errstr());
		fail();
	}
}

/* The first rows of w (type t, rows of k) dotted with random activations: every tier against double. */
static void
check_rows(const GGUFTensor *w, int k, int rows)
{
	const QuantType *qt = quant_type(w->type);
	size_t rsize = quant_row_size(w->type, k);
	float *a = malloc(k * sizeof *a), *x = malloc(k * sizeof *x);
	block_q8_K *q8 = malloc(k/QK_K * sizeof *q8);
	double want, mag;
	float got;

	assert_true(a != NULL && x != NULL && q8 != NULL);
	for(int i = 0; i < k; i++)
		a[i] = sinf(0.7f*i) + 0.25f*cosf(3.1f*i);
	quant_type(LB_Q8_K)->from_float(a, q8, k);
	quant_type(LB_Q8_K)->to_float(q8, a, k);
	for(int r = 0; r < rows; r++){
		const uint8_t *row = (const uint8_t *)w->data + r*rsize;

		qt->to_float(row, x, k);
		want = mag = 0;
		for(int i = 0; i < k; i++){
			want += (double)x[i]*a[i];
			mag += fabs((double)x[i]*a[i]);
		}
		for(int tier = 0; tier < quant_ntiers(); tier++){
			quant_use_tier(tier);
			quant_type(w->type)->vec_dot(k, &got, row, q8);
			if(fabs(got - want) > 2e-6*mag){
				print_error("%s row %d %s: %.9g, want %.9g\n", w->name, r, quant_tier_name(tier), got, want);
				fail();
			}
		}
		quant_use_tier(quant_ntiers() - 1);
	}
	free(a);
	free(x);
	free(q8);
}

/* Every K-quant tensor of the file against the F32 file's tensor of the same name. */
static void
check_model(const char *rel)
{
	GGUFFile f32, q;
	int checked = 0;

	open_model(&f32, "models/mini-llama-F32.gguf");
	open_model(&q, rel);
	for(size_t t = 0; t < q.n_tensors; t++){
		const GGUFTensor *w = &q.tensors[t], *ref = gguf_tensor(&f32, w->name);
		int64_t k = w->ne[0], n = w->ne[0]*w->ne[1]*w->ne[2]*w->ne[3];
		float *y;
		uint8_t *mine;
		double e = 0, s = 0;

		if(!is_kquant(w->type))
			continue;
		assert_non_null(ref);
		assert_int_equal(ref->type, LB_F32);
		assert_memory_equal(ref->ne, w->ne, sizeof w->ne);
		assert_int_equal(w->nbytes, quant_row_size(w->type, n));
		y = malloc(n * sizeof *y);
		mine = malloc(w->nbytes);
		assert_true(y != NULL && mine != NULL);
		quant_type(w->type)->to_float(w->data, y, n);
		for(int64_t i = 0; i < n; i++){
			const float x = ((const float *)ref->data)[i];

			e += (double)(x - y[i])*(x - y[i]);
			s += (double)x*x;
		}
		if(sqrt(e/s) > error_bound(w->type)){
			print_error("%s (%s): relative error %.4f\n", w->name, gguf_type_name(w->type), sqrt(e/s));
			fail();
		}
		quant_type(w->type)->from_float(ref->data, mine, n);
		if(memcmp(mine, w->data, w->nbytes) != 0){
			print_error("%s (%s): our quantization differs from the file's\n", w->name, gguf_type_name(w->type));
			fail();
		}
		check_rows(w, (int)k, 4);
		free(y);
		free(mine);
		checked++;
	}
	print_message("%s: %d K-quant tensors\n", rel, checked);
	assert_true(checked == 30);
	gguf_close(&q);
	gguf_close(&f32);
}

static void test_pure_q2_K(void **state) { (void)state; check_model("models/mini-llama-pure-Q2_K.gguf"); }
static void test_pure_q3_K(void **state) { (void)state; check_model("models/mini-llama-pure-Q3_K.gguf"); }
static void test_pure_q4_K(void **state) { (void)state; check_model("models/mini-llama-pure-Q4_K.gguf"); }
static void test_pure_q5_K(void **state) { (void)state; check_model("models/mini-llama-pure-Q5_K.gguf"); }
static void test_q6_K(void **state) { (void)state; check_model("models/mini-llama-Q6_K.gguf"); }
static void test_q4_K_M(void **state) { (void)state; check_model("models/mini-llama-Q4_K_M.gguf"); }
static void test_q3_K_M(void **state) { (void)state; check_model("models/mini-llama-Q3_K_M.gguf"); }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure_q2_K),
		cmocka_unit_test(test_pure_q3_K),
		cmocka_unit_test(test_pure_q4_K),
		cmocka_unit_test(test_pure_q5_K),
		cmocka_unit_test(test_q6_K),
		cmocka_unit_test(test_q4_K_M),
		cmocka_unit_test(test_q3_K_M),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
