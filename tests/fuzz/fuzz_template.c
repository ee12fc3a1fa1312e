/*
 * fuzz_template.c - libFuzzer harness for the chat formats (src/chat): any
 * text as a chat template (a built-in name or a tokenizer.chat_template) and
 * any messages.  Detection gives a format that is in the table or refuses
 * with a reason; rendering, with the detected format and with a built-in one
 * the input picks, gives a NUL-terminated text whose length is bounded by the
 * messages (every role and content at most once, plus each format's fixed
 * markers); a message without role or content is refused with a reason.
 *
 * Input: a flags byte (bit 0: the assistant's prompt; bit 1: the last
 * message has no content; the rest: which built-in), the template up to the
 * first NUL, then messages as "role\0content\0" pairs (up to MAXMSG).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/chat/chat_impl.h"
#include "../../src/util/error.h"

enum {
	MAXMSG = 64,
	MARKS = 256,	/* a format's markers around one message, at most (gpt-oss's are the longest, under 100) */
};

static void
refused(const char *what)
{
	const char *why = lb_errstr();

	if(why == NULL || why[0] == 0){
		fprintf(stderr, "%s refused without a reason\n", what);
		abort();
	}
}

static void
render(const ChatTmpl *t, const llambo_chat_msg *m, size_t n, int add_ass, size_t bytes, int holed)
{
	size_t len;
	char *s;

	lb_errclear();
	s = chat_render(t, m, n, add_ass, &len);
	if(s == NULL){
		refused(chat_name(t));
		if(!holed && strcmp(lb_errstr(), "out of memory") != 0){
			fprintf(stderr, "%s refused whole messages: %s\n", chat_name(t), lb_errstr());
			abort();
		}
		return;
	}
	if(holed){
		fprintf(stderr, "%s rendered a message without content\n", chat_name(t));
		abort();
	}
	if(strlen(s) != len || len > MARKS * (n + 1) + bytes){
		fprintf(stderr, "%s: %zu bytes (strlen %zu) from %zu messages of %zu bytes\n", chat_name(t), len, strlen(s), n, bytes);
		abort();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	llambo_chat_msg m[MAXMSG];
	const char *names[128];
	const ChatTmpl *t;
	char *buf, *p, *end, *tmpl;
	size_t n = 0, bytes = 0;
	int flags, holed, nnames;

	if(size < 1)
		return 0;
	flags = data[0];
	if((buf = malloc(size)) == NULL)	/* the rest, and a NUL after it */
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = 0;
	end = buf + size - 1;
	tmpl = buf;
	for(p = tmpl + strlen(tmpl) + 1; p < end && n < MAXMSG; n++){
		m[n].role = p;
		p += strlen(p) + 1;
		m[n].content = p < end ? p : "";
		p += p < end ? strlen(p) + 1 : 0;
		bytes += strlen(m[n].role) + strlen(m[n].content);
	}
	holed = (flags & 2) && n > 0;
	if(holed)
		m[n - 1].content = NULL;

	lb_errclear();
	if((t = chat_detect(tmpl)) == NULL)
		refused("the template");
	else{
		if(chat_lookup(chat_name(t)) != t)
			abort();	/* detected, but not in the table */
		render(t, m, n, flags & 1, bytes, holed);
	}
	nnames = chat_builtin_names(names, 128);
	if(nnames < 1 || nnames > 128)
		abort();
	render(chat_by_name(names[(flags >> 2) % nnames]), m, n, flags & 1, bytes, holed);
	free(buf);
	return 0;
}
