/*
 * test_request.c - the one request grammar (README.md, "Requests"; issue 7,
 * defect 8) as the library reads it: tests/requests.txt, the vectors the CLI
 * (test_cli) and the Limbo parser (inferno/appl/test-request.b) read too, and
 * the builtin module's key=value options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llambo.h"
#include "testutil.h"
#include "reqvectors.h"

/* What text reads as: its description, or its error (malloc'd). */
static char *
readas(const char *text, size_t len)
{
	llambo_request *r = llambo_request_new();
	char *s;

	assert_non_null(r);
	if(llambo_request_parse(r, text, len) < 0)
		s = strdup(llambo_last_error());
	else
		s = llambo_request_describe(r);
	llambo_request_free(r);
	assert_non_null(s);
	return s;
}

static void
test_vectors(void **state)
{
	ReqVector *v;
	int n = reqvectors_read("tests/requests.txt", &v), i, bad = 0;
	char *got;

	(void)state;
	if(n < 0)
		fail_msg("%s", llambo_last_error());
	assert_true(n >= 50);
	for(i = 0; i < n; i++){
		got = readas(v[i].text, v[i].len);
		if(strcmp(got, v[i].want) != 0){
			print_message("requests.txt:%d\n  want %s\n  got  %s\n", v[i].line, v[i].want, got);
			bad++;
		}
		free(got);
	}
	reqvectors_free(v, n);
	assert_int_equal(bad, 0);
}

/* The builtin module's start takes options alone: every field key=value with a known key. */
static void
test_options(void **state)
{
	static const char *const good[] = { "", "max_tokens=5|temperature=0", "top_k=5||seed=3|stop=a|stop=b" };
	static const char *const bad[] = { "foo=1", "hello", "top_p=0", "max_tokens=5|temperature" };
	llambo_request *r;
	char *d;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof good / sizeof good[0]; i++){
		r = llambo_request_new();
		assert_int_equal(llambo_request_options(r, good[i], strlen(good[i])), 0);
		llambo_request_free(r);
	}
	r = llambo_request_new();
	assert_int_equal(llambo_request_prompt(r, "Hi", 2), 0);
	assert_int_equal(llambo_request_options(r, good[2], strlen(good[2])), 0);
	d = llambo_request_describe(r);
	assert_string_equal(d, "max_tokens=128 temperature=0.8 top_k=5 top_p=0.95 min_p=0.05 repeat_penalty=1 repeat_last_n=64 seed=3 stop=\"a\" stop=\"b\" prompt=\"Hi\"");
	llambo_free(d);
	llambo_request_free(r);
	for(i = 0; i < sizeof bad / sizeof bad[0]; i++){
		r = llambo_request_new();
		assert_int_equal(llambo_request_options(r, bad[i], strlen(bad[i])), -1);
		print_message("%s: %s\n", bad[i], llambo_last_error());
		assert_non_null(strstr(llambo_last_error(), "bad request: "));
		llambo_request_free(r);
	}
}

/* One key at a time, as the CLI's flags set them: top_p 0 is refused here, not later by the sampler. */
static void
test_set(void **state)
{
	llambo_request *r = llambo_request_new();

	(void)state;
	assert_int_equal(llambo_request_set(r, "top_p", "0"), -1);
	assert_string_equal(llambo_last_error(), "bad request: top_p must be a number above 0, at most 1, not \"0\"");
	assert_int_equal(llambo_request_set(r, "nope", "1"), -1);
	assert_string_equal(llambo_last_error(), "bad request: unknown key \"nope\"");
	assert_int_equal(llambo_request_set(r, "top_p", "0.5"), 0);
	assert_true(r->params.top_p == 0.5f);
	assert_int_equal(llambo_request_prompt(r, "a\0b", 3), -1);
	llambo_request_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
