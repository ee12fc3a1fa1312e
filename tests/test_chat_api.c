/*
 * test_chat_api.c - the chat calls of the API on a synthetic model (no
 * template in its file, so chatml): rendering with the model's template, one
 * reply to a message list, and sessions that keep the KV cache between turns
 * and evaluate only the tokens a turn adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/model/synth.h"
#include "llambo.h"
#include "testutil.h"

static char model_path[512];
static int id = -1;

static int
setup(void **state)
{
	SynthSpec s;

	tmp_path(model_path, sizeof model_path, "chatapi.gguf");
	synth_defaults(&s);
	s.n_layer = 2;
	if(synth_write(&s, model_path) < 0 || (id = llambo_load_model(model_path, 1, 0)) < 0){
		fprintf(stderr, "%s\n", llambo_last_error());
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	llambo_free_model(id);
	unlink(model_path);
	return 0;
}

static llambo_params
greedy(int n)
{
	llambo_params p;

	llambo_default_params(&p);
	p.temperature = 0;
	p.max_tokens = n;
	p.n_threads = 2;
	return p;
}

/* The tokens of what the model's template makes of msgs, as a chat prompt is tokenized. */
static int
prompt_tokens(const llambo_chat_msg *m, int n)
{
	char *s = llambo_chat_render(id, NULL, m, n, 1);
	int32_t *t;
	int k;

	assert_non_null(s);
	k = llambo_tokenize_ex(id, s, strlen(s), 1, 1, &t);
	assert_true(k > 0);
	llambo_free(t);
	llambo_free(s);
	return k;
}

static void
test_render_model_template(void **state)
{
	static const llambo_chat_msg m[] = { { "system", "Be brief." }, { "user", "Hi" } };
	char *a = llambo_chat_render(id, NULL, m, 2, 1), *b = llambo_chat_apply("chatml", m, 2, 1), *c;

	assert_non_null(a);
	assert_string_equal(a, b);	/* no template in the file: chatml, as llama.cpp */
	c = llambo_chat_render(id, "gemma", m, 2, 0);
	assert_string_equal(c, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n");
	llambo_free(a);
	llambo_free(b);
	llambo_free(c);
	assert_null(llambo_chat_render(id, "{{ nothing known }}", m, 2, 1));
	assert_non_null(strstr(llambo_last_error(), "not recognised"));
	assert_null(llambo_chat_render(99, NULL, m, 2, 1));
	assert_null(llambo_chat_apply("chatml", NULL, 2, 1));
}

/* One reply: the rendered prompt, special tokens parsed, then a generation like llambo_generate's. */
static void
test_chat_reply(void **state)
{
	static const llambo_chat_msg m[] = { { "user", "Tell me a story." } };
	llambo_params p = greedy(8);
	llambo_stats st;
	char *a, *b;

	a = llambo_chat(id, NULL, m, 1, &p, &st);
	assert_non_null(a);
	assert_int_equal(st.n_prompt, prompt_tokens(m, 1));
	assert_true(st.n_gen > 0);
	b = llambo_chat(id, NULL, m, 1, &p, &st);	/* greedy: the same again */
	assert_string_equal(a, b);
	llambo_free(a);
	llambo_free(b);
}

/*
 * A session: the second turn keeps the first turn's prompt and the reply tokens that
 * went into the cache, and evaluates only the rest; asking the first question again
 * (an edited history) evaluates it again and gives the first answer again.
 */
static void
test_session_turns(void **state)
{
	llambo_chat_msg m[4] = { { "system", "Be brief." }, { "user", "Hello there" } };
	llambo_params p = greedy(6);
	llambo_stats s1, s2, s3;
	llambo_chat_session *s = llambo_chat_open(id, NULL, 0, 2);
	char *r1, *r2, *r3, *one;

	assert_non_null(s);
	r1 = llambo_chat_reply(s, m, 2, &p, &s1);
	assert_non_null(r1);
	assert_int_equal(s1.n_reused, 0);
	assert_int_equal(s1.n_prompt, prompt_tokens(m, 2));
	one = llambo_chat(id, NULL, m, 2, &p, NULL);	/* the same prompt, the same tokens: the same reply */
	assert_string_equal(r1, one);
	llambo_free(one);

	m[2] = (llambo_chat_msg){ "assistant", r1 };
	m[3] = (llambo_chat_msg){ "user", "And then?" };
	r2 = llambo_chat_reply(s, m, 4, &p, &s2);
	assert_non_null(r2);
	/* kept: the first prompt and every generated token but the last (a length stop) or all (an end of turn) */
	assert_true(s2.n_reused == s1.n_prompt + s1.n_gen - 1 || (s1.stop_reason == LLAMBO_STOP_EOG && s2.n_reused == s1.n_prompt + s1.n_gen));
	assert_true(s2.n_prompt > 0 && s2.n_prompt < prompt_tokens(m, 4) - s1.n_prompt);

	/* another session takes a detour first: the cache it keeps after cutting back gives the same second reply */
	{
		llambo_chat_session *t = llambo_chat_open(id, NULL, 0, 2);
		llambo_chat_msg d[4] = { m[0], m[1], m[2], { "user", "Something else entirely, and longer." } };
		llambo_stats sd;
		char *a = llambo_chat_reply(t, m, 2, &p, NULL), *b = llambo_chat_reply(t, d, 4, &p, NULL), *c;
		assert_string_equal(a, r1);
		c = llambo_chat_reply(t, m, 4, &p, &sd);
		assert_non_null(b);
		assert_int_equal(sd.n_reused, s2.n_reused);
		assert_string_equal(c, r2);
		llambo_free(a);
		llambo_free(b);
		llambo_free(c);
		llambo_chat_close(t);
	}
	r3 = llambo_chat_reply(s, m, 2, &p, &s3);	/* back to the first question */
	assert_non_null(r3);
	assert_int_equal(s3.n_reused, 0);	/* the whole of it is one evaluated piece: evaluated again */
	assert_int_equal(s3.n_prompt, s1.n_prompt);
	assert_string_equal(r3, r1);
	llambo_free(r1);
	llambo_free(r2);
	llambo_free(r3);
	llambo_chat_close(s);
}

/* A conversation larger than the context fails with a reason, and the session still works. */
static void
test_session_full(void **state)
{
	static const llambo_chat_msg big[] = { { "user", "one two three four five six seven eight nine ten eleven twelve "
		"thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three" } },
		small[] = { { "user", "Hi" } };	/* some 50 tokens of chatml's marks spelt in words */
	llambo_params p = greedy(4);
	llambo_chat_session *s = llambo_chat_open(id, NULL, 80, 2);
	char *r;

	assert_non_null(s);
	assert_null(llambo_chat_reply(s, big, 1, &p, NULL));
	assert_non_null(strstr(llambo_last_error(), "context holds 80"));
	r = llambo_chat_reply(s, small, 1, &p, NULL);
	assert_non_null(r);
	llambo_free(r);
	assert_null(llambo_chat_reply(s, NULL, 0, &p, NULL));
	llambo_chat_close(s);
	assert_null(llambo_chat_open(id, "{{ nothing known }}", 0, 2));
	assert_null(llambo_chat_open(99, NULL, 0, 2));
	llambo_chat_close(NULL);
}

/* A session's cache counts against the model's KV budget until it is closed, and no longer. */
static void
test_session_budget(void **state)
{
	static const llambo_chat_msg m[] = { { "user", "Hi" } };
	llambo_params p = greedy(2);
	llambo_chat_session *s = llambo_chat_open(id, NULL, 128, 2);
	llambo_status st;
	char *r;
	int i;

	assert_non_null(s);
	r = llambo_chat_reply(s, m, 1, &p, NULL);
	assert_non_null(r);
	llambo_free(r);
	assert_int_equal(llambo_model_status(id, &st), 0);
	assert_int_equal(st.generations, 0);
	assert_true(st.kv_used > 0);	/* the session's pages, between its turns */
	llambo_chat_close(s);
	for(i = 0; i < 10000; i++){	/* the scheduler's thread gives them back: wait for it, with a bound */
		assert_int_equal(llambo_model_status(id, &st), 0);
		if(st.kv_used == 0)
			break;
		usleep(1000);
	}
	assert_int_equal(st.kv_used, 0);
}

/* A session holds its model: freed under it, a reply fails with the reason and closing still frees all (ASan). */
static void
test_session_model_freed(void **state)
{
	static const llambo_chat_msg m[] = { { "user", "Hi" } };
	llambo_params p = greedy(2);
	llambo_chat_session *s;
	int id2 = llambo_load_model(model_path, 1, 0);
	char *r;

	assert_true(id2 >= 0);
	s = llambo_chat_open(id2, NULL, 128, 2);
	assert_non_null(s);
	r = llambo_chat_reply(s, m, 1, &p, NULL);
	assert_non_null(r);
	llambo_free(r);
	assert_int_equal(llambo_free_model(id2), 0);
	assert_null(llambo_chat_reply(s, m, 1, &p, NULL));
	assert_non_null(strstr(llambo_last_error(), "no such model"));
	llambo_chat_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_model_template),
		cmocka_unit_test(test_chat_reply),
		cmocka_unit_test(test_session_turns),
		cmocka_unit_test(test_session_full),
		cmocka_unit_test(test_session_budget),
		cmocka_unit_test(test_session_model_freed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
