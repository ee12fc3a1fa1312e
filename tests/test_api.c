/*
 * test_api.c - the public API on a synthetic model (written by the test, so no ../shared
 * needed): ids, errors, generation parameters, streaming, stop strings, threads, and
 * the engine's consistency (batch = token by token, mmap = read, every tensor type runs).
 */
#include <fcntl.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/gguf/gguf.h"
#include "../src/model/synth.h"
#include "json.h"
#include "llambo.h"
#include "testutil.h"

static char model_path[512];

static int
setup(void **state)
{
	SynthSpec s;

	tmp_path(model_path, sizeof model_path, "api.gguf");
	synth_defaults(&s);
	s.n_vocab = 400;
	if(synth_write(&s, model_path) < 0){
		fprintf(stderr, "synth_write: %s\n", llambo_last_error());
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	unlink(model_path);
	return 0;
}

static void
test_load_errors(void **state)
{
	char bad[512];
	FILE *f;

	assert_int_equal(llambo_load_model("/nonexistent/model.gguf", 1, 0), -1);
	assert_non_null(strstr(llambo_last_error(), "no such file"));
	tmp_path(bad, sizeof bad, "notgguf");
	f = fopen(bad, "w");
	fputs("this is not a model file, just some text that is long enough", f);
	fclose(f);
	assert_int_equal(llambo_load_model(bad, 1, 0), -1);
	assert_non_null(strstr(llambo_last_error(), "not a GGUF file"));
	unlink(bad);
	assert_int_equal(llambo_load_model(NULL, 1, 0), -1);
	assert_int_equal(llambo_free_model(12345), -1);
	assert_non_null(strstr(llambo_last_error(), "no such model"));
}

static void
test_ids(void **state)
{
	int a = llambo_load_model(model_path, 1, 0), b = llambo_load_model(model_path, 0, 0), c;
	llambo_ctx *ctx;

	assert_int_equal(a, 0);	/* the seed's examples expect the first load to be model 0 */
	assert_int_equal(b, 1);
	ctx = llambo_ctx_new(a, 16, 1);	/* holds model 0 */
	assert_non_null(ctx);
	assert_int_equal(llambo_free_model(a), 0);
	assert_int_equal(llambo_free_model(a), -1);	/* gone for callers at once */
	c = llambo_load_model(model_path, 1, 0);
	assert_int_equal(c, 2);	/* but 0 is not reused while the context holds it */
	int32_t t = 5;
	float *lg = malloc(sizeof(float) * 400);
	assert_int_equal(llambo_ctx_eval(ctx, &t, 1, LLAMBO_LOGITS_LAST, lg), 0);	/* still usable */
	free(lg);
	llambo_ctx_free(ctx);
	c = llambo_free_model(c);
	assert_int_equal(llambo_load_model(model_path, 1, 0), 0);	/* now 0 is free again */
	assert_int_equal(llambo_free_model(0), 0);
	assert_int_equal(llambo_free_model(b), 0);
}

static void
test_reserve(void **state)
{
	int id = llambo_reserve_id();
	llambo_status st;
	char *s;

	assert_true(id >= 0);
	assert_int_equal(llambo_model_status(id, &st), 0);
	assert_int_equal(st.state, LLAMBO_EMPTY);
	s = llambo_infer(id, "hi", 4, 0);
	assert_string_equal(s, "");
	llambo_free(s);
	assert_int_equal(llambo_load_into(id, "/nonexistent", 1, 0), -1);
	assert_non_null(strstr(llambo_last_error(), "load failed"));
	assert_int_equal(llambo_load_into(id, model_path, 1, 0), 0);
	assert_int_equal(llambo_model_status(id, &st), 0);
	assert_int_equal(st.state, LLAMBO_READY);
	assert_string_equal(st.path, model_path);
	assert_int_equal(llambo_load_into(id, model_path, 1, 0), -1);	/* already loaded */
	assert_int_equal(llambo_free_model(id), 0);
}

static void
test_bad_params(void **state)
{
	int id = llambo_load_model(model_path, 1, 0);
	llambo_params p;
	char *s;

	s = llambo_infer(id, "hello", 4, NAN);
	assert_string_equal(s, "");
	assert_non_null(strstr(llambo_last_error(), "temperature"));
	llambo_free(s);
	s = llambo_infer(id, "hello", -1, 0);
	assert_string_equal(s, "");
	assert_non_null(strstr(llambo_last_error(), "max_tokens"));
	llambo_free(s);
	s = llambo_infer(id, NULL, 4, 0);
	assert_string_equal(s, "");
	llambo_free(s);
	s = llambo_infer(99, "hello", 4, 0);
	assert_string_equal(s, "");
	assert_non_null(strstr(llambo_last_error(), "no such model: 99"));
	llambo_free(s);
	llambo_default_params(&p);
	p.top_p = 0;
	assert_null(llambo_generate(id, "x", &p, NULL));
	llambo_default_params(&p);
	p.n_ctx = 4;
	assert_null(llambo_generate(id, "a rather long prompt that does not fit", &p, NULL));
	assert_non_null(strstr(llambo_last_error(), "context"));
	assert_int_equal(llambo_tokenize(id, NULL, NULL), -1);
	llambo_free_model(id);
}

static void
test_greedy_deterministic(void **state)
{
	int id = llambo_load_model(model_path, 1, 0);
	char *a = llambo_infer(id, "Once upon a time", 24, 0), *b = llambo_infer(id, "Once upon a time", 24, 0);

	assert_true(strlen(a) > 0);
	assert_string_equal(a, b);
	llambo_free(a);
	llambo_free(b);
	llambo_free_model(id);
}

static void
test_seeded(void **state)
{
	int id = llambo_load_model(model_path, 1, 0);
	llambo_params p;
	char *a, *b, *c;

	llambo_default_params(&p);
	p.max_tokens = 32;
	p.temperature = 1.0f;
	p.seed = 42;
	a = llambo_generate(id, "Once", &p, NULL);
	b = llambo_generate(id, "Once", &p, NULL);
	p.seed = 43;
	c = llambo_generate(id, "Once", &p, NULL);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	llambo_free(a);
	llambo_free(b);
	llambo_free(c);
	llambo_free_model(id);
}

typedef struct Acc {
	char buf[8192];
	size_t len;
	int calls, stop_after;
} Acc;

static int
collect(const char *piece, size_t len, void *arg)
{
	Acc *a = arg;

	assert_true(a->len + len < sizeof a->buf);
	memcpy(a->buf + a->len, piece, len);
	a->len += len;
	a->calls++;
	return a->stop_after > 0 && a->calls >= a->stop_after;
}

static void
test_streaming(void **state)
{
	int id = llambo_load_model(model_path, 1, 0);
	llambo_params p;
	llambo_stats st;
	Acc acc = { .len = 0 };
	char *s, *full;

	llambo_default_params(&p);
	p.max_tokens = 20;
	p.temperature = 0;
	p.on_token = collect;
	p.cb_arg = &acc;
	s = llambo_generate(id, "Once upon", &p, &st);
	assert_non_null(s);
	/* the pieces are the text; how many there are is what the scheduler had made at each take (one or more) */
	assert_int_equal(acc.len, strlen(s));
	assert_memory_equal(acc.buf, s, acc.len);
	assert_true(acc.calls >= 1);
	assert_int_equal(st.n_gen, 20);
	assert_int_equal(st.stop_reason, LLAMBO_STOP_LENGTH);
	full = s;
	/* a callback that says stop ends the text with the piece it was given */
	memset(&acc, 0, sizeof acc);
	acc.stop_after = 1;
	s = llambo_generate(id, "Once upon", &p, &st);
	assert_non_null(s);
	assert_int_equal(st.stop_reason, LLAMBO_STOP_CALLBACK);
	assert_int_equal(acc.calls, 1);
	assert_int_equal(strlen(s), acc.len);
	assert_memory_equal(s, full, acc.len);
	llambo_free(s);
	llambo_free(full);
	llambo_free_model(id);
}

static void
test_stop_string(void **state)
{
	int id = llambo_load_model(model_path, 1, 0);
	llambo_params p;
	llambo_stats st;
	char *full, *cut, stop[8];
	const char *stops[1] = { stop };
	size_t at;

	llambo_default_params(&p);
	p.max_tokens = 40;
	p.temperature = 0;
	full = llambo_generate(id, "Once upon", &p, NULL);
	assert_true(strlen(full) > 6);
	at = strlen(full) / 2;
	memcpy(stop, full + at, 3);
	stop[3] = 0;
	p.stop = stops;
	p.n_stop = 1;
	cut = llambo_generate(id, "Once upon", &p, &st);
	assert_int_equal(st.stop_reason, LLAMBO_STOP_STRING);
	assert_true(strlen(cut) <= at);
	assert_memory_equal(cut, full, strlen(cut));
	assert_null(strstr(cut, stop));
	llambo_free(full);
	llambo_free(cut);
	llambo_free_model(id);
}

/* prompt processing in one batch gives the logits of feeding the tokens one by one, and mmap = read */
static void
test_batch_equals_sequential(void **state)
{
	int id = llambo_load_model(model_path, 1, 0), id2 = llambo_load_model(model_path, 0, 0), i, n = 40;
	int32_t toks[40];
	float *all = malloc(sizeof(float) * 400 * n), *one = malloc(sizeof(float) * 400), *all2 = malloc(sizeof(float) * 400 * n);
	llambo_ctx *a = llambo_ctx_new(id, 64, 2), *b = llambo_ctx_new(id, 64, 1), *c = llambo_ctx_new(id2, 64, 2);

	for(i = 0; i < n; i++)
		toks[i] = (i * 37 + 11) % 400;
	assert_int_equal(llambo_ctx_eval(a, toks, n, LLAMBO_LOGITS_ALL, all), 0);
	assert_int_equal(llambo_ctx_eval(c, toks, n, LLAMBO_LOGITS_ALL, all2), 0);
	assert_memory_equal(all, all2, sizeof(float) * 400 * n);
	for(i = 0; i < n; i++){
		assert_int_equal(llambo_ctx_eval(b, &toks[i], 1, LLAMBO_LOGITS_LAST, one), 0);
		assert_memory_equal(one, all + (size_t)i * 400, sizeof(float) * 400);
	}
	assert_int_equal(llambo_ctx_pos(b), n);
	assert_int_equal(llambo_ctx_eval(b, toks, 30, LLAMBO_LOGITS_LAST, one), -1);	/* 70 > 64 */
	toks[0] = 400;
	llambo_ctx_reset(b);
	assert_int_equal(llambo_ctx_eval(b, toks, 1, LLAMBO_LOGITS_LAST, one), -1);	/* out of range token */
	llambo_ctx_free(a);
	llambo_ctx_free(b);
	llambo_ctx_free(c);
	free(all);
	free(all2);
	free(one);
	llambo_free_model(id);
	llambo_free_model(id2);
}

static void
test_info(void **state)
{
	int id = llambo_load_model(model_path, 1, 3);
	char *js = llambo_get_model_info(id);

	assert_non_null(js);
	assert_non_null(strstr(js, "\"architecture\":\"llama\""));
	assert_non_null(strstr(js, "\"quantization\":\"Q8_0\""));
	assert_non_null(strstr(js, "\"vocab_size\":400"));
	assert_non_null(strstr(js, "\"context_length\":2048"));
	assert_non_null(strstr(js, "\"backend\":\"cpu\""));
	assert_non_null(strstr(js, "no GPU backend"));
	assert_non_null(strstr(js, "\"mmap\":true"));
	llambo_free(js);
	llambo_free_model(id);
	assert_null(llambo_get_model_info(id));
}

/* A copy of the file at from, at to, with general.name set to name (any bytes). */
static void
rename_model(const char *from, const char *to, const char *name)
{
	GGUFWriter *w = gguf_writer_new(0);
	GGUFFile f;
	size_t i;

	assert_int_equal(gguf_open(&f, from, 0), 0);
	for(i = 0; i < f.n_kv; i++)
		if(strcmp(f.kv[i].key, "general.name") != 0)
			gguf_w_copy(w, &f, &f.kv[i]);
	gguf_w_str(w, "general.name", name);
	for(i = 0; i < f.n_tensors; i++)
		gguf_w_tensor(w, f.tensors[i].name, f.tensors[i].type, (int)f.tensors[i].n_dims, f.tensors[i].ne, f.tensors[i].data);
	assert_int_equal(gguf_write_file(w, to), 0);
	gguf_writer_free(w);
	gguf_close(&f);
}

/*
 * info is valid JSON whatever bytes the file's name and path hold (issue 7,
 * defect 9): invalid UTF-8 becomes U+FFFD, and a long name is cut between
 * characters, not inside one.
 */
/* A load in a thread of its own, so that a load that blocks cannot block the test. */
typedef struct Load {
	char path[512];
	int rc, done;
	char why[256];
	pthread_mutex_t lk;
	pthread_cond_t cv;
} Load;

static void *
loader(void *arg)
{
	Load *l = arg;
	int rc = llambo_load_model(l->path, 1, 0);

	pthread_mutex_lock(&l->lk);
	l->rc = rc;
	snprintf(l->why, sizeof l->why, "%s", llambo_last_error());
	l->done = 1;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->lk);
	return NULL;
}

/* Loading a FIFO fails at once, saying why (issue 7, defect 3: open() blocked until a writer came). */
static void
test_load_fifo(void **state)
{
	static Load l = { .lk = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct timespec until;
	pthread_t th;
	int fd, done;

	tmp_path(l.path, sizeof l.path, "fifo.gguf");
	assert_int_equal(mkfifo(l.path, 0600), 0);
	assert_int_equal(pthread_create(&th, NULL, loader, &l), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&l.lk);
	while(!l.done && pthread_cond_timedwait(&l.cv, &l.lk, &until) == 0)
		;
	done = l.done;
	pthread_mutex_unlock(&l.lk);
	if(!done && (fd = open(l.path, O_WRONLY | O_NONBLOCK)) >= 0)	/* the blocked open returns */
		close(fd);
	pthread_join(th, NULL);
	unlink(l.path);
	if(!done)
		fail_msg("loading a FIFO blocked for 10 s");
	assert_int_equal(l.rc, -1);
	assert_non_null(strstr(l.why, "not a regular file"));
}

static void
test_info_json(void **state)
{
	static const char *const names[] = {
		"caf\xc3\xa9 \xff\xfe \xc3 \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \x7f\x01 \"quoted\" back\\slash",
		NULL,	/* 600 two-byte characters: 1200 bytes, more than any name is kept */
	};
	char path[512], name[1300], why[128], *js, *p;
	size_t i;
	int id;

	for(i = 0; i < 600; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[1200] = 0;
	tmp_path(path, sizeof path, "info-\xff\xc3.gguf");	/* the path is not UTF-8 either */
	for(i = 0; i < 2; i++){
		rename_model(model_path, path, names[i] != NULL ? names[i] : name);
		id = llambo_load_model(path, 1, 0);
		assert_true(id >= 0);
		js = llambo_get_model_info(id);
		assert_non_null(js);
		if(json_check(js, strlen(js), why, sizeof why) < 0)
			fail_msg("info is not JSON (%s): %s", why, js);
		p = strstr(js, "\"name\":\"");
		assert_non_null(p);
		if(i == 0)
			assert_non_null(strstr(p, "caf\xc3\xa9 \\ufffd\\ufffd \\ufffd \\ufffd\\ufffd\\ufffd"));
		else
			assert_non_null(strstr(p, "\xc3\xa9\xc3\xa9\",\""));	/* ends on a whole character */
		assert_non_null(strstr(js, "info-\\ufffd\\ufffd.gguf"));
		llambo_free(js);
		llambo_free_model(id);
	}
	unlink(path);
}

/* Generations in threads; each says when its first piece has come (it holds the model by then). */
typedef struct Worker {
	int id;
	char *out;
	int started;
	pthread_mutex_t *lk;
	pthread_cond_t *cv;
} Worker;

static int
first_piece(const char *piece, size_t len, void *arg)
{
	Worker *w = arg;

	pthread_mutex_lock(w->lk);
	w->started = 1;
	pthread_cond_broadcast(w->cv);
	pthread_mutex_unlock(w->lk);
	return 0;
}

static void *
gen_thread(void *v)
{
	Worker *w = v;
	llambo_params p;

	llambo_default_params(&p);
	p.max_tokens = 16;
	p.temperature = 0;
	p.on_token = first_piece;
	p.cb_arg = w;
	w->out = llambo_generate(w->id, "Once upon a time", &p, NULL);
	return NULL;
}

/*
 * Several generations on one model at once, and free_model while they run:
 * each has its first piece before the free (issue 7, defect 12: the free
 * could land first, and then the test compared nothing), so each must finish
 * with the text one generation alone gives; a generation after the free fails.
 */
static void
test_threads(void **state)
{
	static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
	static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int id = llambo_load_model(model_path, 1, 0), i, all = 0;
	char *want = llambo_infer(id, "Once upon a time", 16, 0);
	struct timespec until;
	pthread_t th[4];
	Worker w[4];

	assert_true(strlen(want) > 0);
	for(i = 0; i < 4; i++){
		memset(&w[i], 0, sizeof w[i]);
		w[i].id = id;
		w[i].lk = &lk;
		w[i].cv = &cv;
		assert_int_equal(pthread_create(&th[i], NULL, gen_thread, &w[i]), 0);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	pthread_mutex_lock(&lk);
	while(!(all = w[0].started && w[1].started && w[2].started && w[3].started)
	&& pthread_cond_timedwait(&cv, &lk, &until) == 0)
		;
	pthread_mutex_unlock(&lk);
	assert_int_equal(llambo_free_model(id), 0);
	for(i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_true(all);
	for(i = 0; i < 4; i++){
		assert_non_null(w[i].out);
		assert_string_equal(w[i].out, want);
		llambo_free(w[i].out);
	}
	assert_null(llambo_generate(id, "Once", NULL, NULL));
	assert_non_null(strstr(llambo_last_error(), "no such model"));
	llambo_free(want);
	assert_int_equal(llambo_list_models(NULL, 0), 0);
}

/* every tensor type and mix runs and gives finite logits */
static void
test_types(void **state)
{
	static const char *types[] = { "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
		"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q2_K_M", "Q3_K_M", "Q4_K_M", "Q5_K_M" };
	char path[512];
	size_t i;

	tmp_path(path, sizeof path, "types.gguf");
	for(i = 0; i < sizeof types / sizeof types[0]; i++){
		SynthSpec s;
		float lg[300];
		int32_t toks[3] = { 1, 100, 200 };
		llambo_ctx *c;
		int id, j;

		synth_defaults(&s);
		s.n_vocab = 300;
		s.n_layer = 2;
		s.type = types[i];
		s.tied = i % 2;
		assert_int_equal(synth_write(&s, path), 0);
		id = llambo_load_model(path, 1, 0);
		if(id < 0)
			fail_msg("%s: %s", types[i], llambo_last_error());
		c = llambo_ctx_new(id, 8, 2);
		assert_int_equal(llambo_ctx_eval(c, toks, 3, LLAMBO_LOGITS_LAST, lg), 0);
		for(j = 0; j < 300; j++)
			assert_true(isfinite(lg[j]));
		llambo_ctx_free(c);
		llambo_free_model(id);
	}
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_fifo),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_greedy_deterministic),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_stop_string),
		cmocka_unit_test(test_batch_equals_sequential),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_info_json),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_types),
	};

	return cmocka_run_group_tests(t, setup, teardown);
}
