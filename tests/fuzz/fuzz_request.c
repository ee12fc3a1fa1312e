/*
 * fuzz_request.c - libFuzzer harness for the request grammar (src/api/request.c)
 * and ctl's command words (src/styx/ctl.c): any bytes as a request written to
 * a data file, as the builtin module's options, and as a command written to
 * ctl.  A refusal must say why ("bad request: ..."); an accepted request
 * must describe itself, hold its sampling parameters in the ranges the
 * sampler takes (what the grammar accepts must never be refused later), and
 * its prompt must be a prefix of the text; a command's words must lie in it.
 * (fuzz_conn sends commands to ctl through the whole server.)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/llambo.h"
#include "../../src/sample/sample.h"
#include "../../src/styx/impl.h"
#include "../../src/util/error.h"

static void
check(llambo_request *r, int rc, const uint8_t *data, size_t size, int whole)
{
	char *d;

	if(rc < 0){
		if(strncmp(llambo_last_error(), "bad request: ", 13) != 0 && strcmp(llambo_last_error(), "out of memory") != 0){
			fprintf(stderr, "refused without a reason: %s\n", llambo_last_error());
			abort();
		}
		return;
	}
	if(sampler_check(&r->params) < 0){
		fprintf(stderr, "accepted, then refused by the sampler: %s\n", llambo_last_error());
		abort();
	}
	if(r->params.n_stop < 0 || r->params.n_stop > LLAMBO_MAX_STOPS)
		abort();
	if(whole && (strlen(r->prompt) > size || memcmp(r->prompt, data, strlen(r->prompt)) != 0))
		abort();	/* the prompt is the text's beginning */
	if((d = llambo_request_describe(r)) == NULL)
		abort();
	free(d);
}

/* ctl's words: each inside the command, as many as it says, never more than asked for. */
static void
words(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[8];
	int n, i;

	if(buf == NULL || memchr(data, 0, size) != NULL){	/* ctl refuses a NUL before splitting */
		free(buf);
		return;
	}
	memcpy(buf, data, size);
	buf[size] = 0;
	n = ctl_words(buf, argv, 8);
	if(n > 8)
		abort();
	for(i = 0; i < n; i++)
		if(argv[i] < buf || argv[i] + strlen(argv[i]) > buf + size)
			abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	llambo_request *r;

	if((r = llambo_request_new()) == NULL)
		return 0;
	check(r, llambo_request_parse(r, (const char *)data, size), data, size, 1);
	llambo_request_free(r);
	if((r = llambo_request_new()) == NULL)
		return 0;
	check(r, llambo_request_options(r, (const char *)data, size), data, size, 0);
	llambo_request_free(r);
	words(data, size);
	return 0;
}
