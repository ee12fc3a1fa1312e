/*
 * test_repack.c - weight matrices repacked at load (model/repack.c): on a
 * synthetic model of each packable type, the logits of a batch and of single
 * tokens are the bits the file's layout gives, the copy replaces the mapped
 * pages it covers (the mapping's resident size falls), LLAMBO_REPACK=0 and a
 * model read into memory keep the file's layout, and info says which.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llambo.h"
#include "testutil.h"
#include "../src/model/synth.h"
#include "../src/quant/quant.h"

enum { NTOK = 9 };

static const int32_t toks[NTOK] = { 1, 300, 17, 42, 299, 5, 100, 7, 250 };

/* A model 256 wide whose matrices have rows in multiples of sixteen. */
static void
write_model(const char *type, char *path, size_t n)
{
	SynthSpec s;

	synth_defaults(&s);
	s.type = type;
	s.n_ff = 768;
	tmp_path(path, n, type);
	assert_int_equal(synth_write(&s, path), 0);
}

/* The logits of the tokens as one batch, then again one token at a time (the gemv path). */
static void
logits(int id, float *batch, float *single)
{
	const int nv = llambo_n_vocab(id);
	llambo_ctx *c = llambo_ctx_new(id, 64, 2);
	int i;

	assert_non_null(c);
	assert_int_equal(llambo_ctx_eval(c, toks, NTOK, LLAMBO_LOGITS_ALL, batch), 0);
	llambo_ctx_reset(c);
	for(i = 0; i < NTOK; i++)
		assert_int_equal(llambo_ctx_eval(c, &toks[i], 1, LLAMBO_LOGITS_LAST, single + (size_t)i * nv), 0);
	llambo_ctx_free(c);
}

static int
info_int(int id, const char *key)
{
	char *info = llambo_get_model_info(id), *p, pat[64];
	int v = -1;

	assert_non_null(info);
	snprintf(pat, sizeof pat, "\"%s\":", key);
	if((p = strstr(info, pat)) != NULL)
		v = atoi(p + strlen(pat));
	free(info);
	return v;
}

/* The resident kB of this process's mapping of path (/proc/self/smaps), 0 when it has none. */
static long
mapped_kb(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[1024];
	long kb = 0, v;
	int in = 0;

	if(f == NULL)
		return -1;
	while(fgets(line, sizeof line, f) != NULL){
		if(strchr(line, '-') != NULL && strchr(line, ' ') != NULL && strstr(line, "kB") == NULL)
			in = strstr(line, path) != NULL;
		else if(in && sscanf(line, "Rss: %ld kB", &v) == 1)
			kb += v;
	}
	fclose(f);
	return kb;
}

static void
check_type(const char *type, uint32_t id)
{
	char path[512];
	const size_t nv = 512, size = NTOK * nv * sizeof(float);
	float *b0 = malloc(size), *s0 = malloc(size), *b1 = malloc(size), *s1 = malloc(size);
	int plain, packed, packs;
	long kb0, kb1;

	assert_true(b0 && s0 && b1 && s1);
	write_model(type, path, sizeof path);
	setenv("LLAMBO_REPACK", "0", 1);
	plain = llambo_load_model(path, 1, 0);
	assert_true(plain >= 0);
	assert_int_equal(info_int(plain, "repacked_matrices"), 0);
	assert_true((size_t)llambo_n_vocab(plain) == nv);
	logits(plain, b0, s0);
	kb0 = mapped_kb(path);
	assert_int_equal(llambo_free_model(plain), 0);

	unsetenv("LLAMBO_REPACK");
	packed = llambo_load_model(path, 1, 0);
	assert_true(packed >= 0);
	packs = quant_type(id)->packed != 0;	/* the tier in use has a packed layout for the type */
	print_message("%s, %s kernels: %d matrices repacked\n", type, quant_tier_name(quant_tier()),
		info_int(packed, "repacked_matrices"));
	assert_true((info_int(packed, "repacked_matrices") > 0) == packs);
	logits(packed, b1, s1);
	kb1 = mapped_kb(path);
	assert_memory_equal(b1, b0, size);
	assert_memory_equal(s1, s0, size);
	if(packs){	/* nearly every byte of the file is a matrix: the mapping keeps a fraction resident */
		print_message("resident of the mapping: %ld kB in the file's layout, %ld kB repacked\n", kb0, kb1);
		assert_true(kb0 > 0 && kb1 < kb0 / 4);
	}
	assert_int_equal(llambo_free_model(packed), 0);

	packed = llambo_load_model(path, 0, 0);	/* read, not mapped: nothing to fall back on, so no copy */
	assert_true(packed >= 0);
	assert_int_equal(info_int(packed, "repacked_matrices"), 0);
	assert_int_equal(llambo_free_model(packed), 0);
	unlink(path);
	free(b0);
	free(s0);
	free(b1);
	free(s1);
}

static void test_q4_0(void **state) { (void)state; check_type("Q4_0", LB_Q4_0); }
static void test_q8_0(void **state) { (void)state; check_type("Q8_0", LB_Q8_0); }
static void test_q5_1(void **state) { (void)state; check_type("Q5_1", LB_Q5_1); }
static void test_q4_K(void **state) { (void)state; check_type("Q4_K", LB_Q4_K); }
static void test_q6_K(void **state) { (void)state; check_type("Q6_K", LB_Q6_K); }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q4_0),
		cmocka_unit_test(test_q8_0),
		cmocka_unit_test(test_q5_1),
		cmocka_unit_test(test_q4_K),
		cmocka_unit_test(test_q6_K),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
