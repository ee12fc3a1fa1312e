/*
 * test_chat.c - chat formats against llama.cpp (tests/data/chat/README.md):
 * every built-in template on three conversations, with and without the
 * assistant prompt, byte for byte; real templates from model repositories
 * recognised as llama.cpp recognises them (or refused where it refuses);
 * the template a GGUF file names; bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records.h"
#include "testutil.h"
#include "../src/chat/chat.h"
#include "../src/gguf/gguf.h"
#include "../src/util/error.h"

/* The conversations of tests/data/chat/conv-{sys,nosys,roles}.json. */
static const llambo_chat_msg conv_sys[] = {
	{ "system", "You are a helpful assistant." },
	{ "user", "Hello!" },
	{ "assistant", "  Hi there. How can I help?  " },
	{ "user", "What's 2+2?\nAnswer briefly." },
	{ "assistant", "4\n" },
	{ "user", "Thanks! \xf0\x9f\xa6\x99 \xc3\xbcn\xc3\xaf" "code" },
};
static const llambo_chat_msg conv_roles[] = {
	{ "system", " Tools may be used. " },
	{ "user", "Weather in Paris?" },
	{ "assistant_tool_call", "{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}" },
	{ "tool", "{\"temperature\": 21}" },
	{ "assistant", "It is 21 \xc2\xb0" "C." },
	{ "user", "\tAnd tomorrow?\n" },
};

static void
expect(const ChatTmpl *t, const llambo_chat_msg *m, size_t n, int add, const Rec *r)
{
	size_t len;
	char *s = chat_render(t, m, n, add, &len);

	assert_non_null(s);
	if(len != r->len || memcmp(s, r->body, len) != 0)
		fail_msg("%s: rendered %zu bytes:\n%s\n--- llama.cpp's %zu bytes:\n%.*s", r->head, len, s, r->len, (int)r->len, r->body);
	free(s);
}

/* builtin.dat: "@@ NAME sys|nosys|roles add|noadd NBYTES" and llama.cpp's rendering */
static void
test_builtin_goldens(void **state)
{
	char name[64], conv[16], add[16];
	const char *p, *end;
	const llambo_chat_msg *m;
	const char *names[128];
	int nrec = 0, nnames = chat_builtin_names(names, 128);
	size_t len, n;
	char *buf = chat_data("builtin.dat", &len);
	Rec r;

	for(p = buf, end = buf + len; next_rec(&p, end, &r, 4); nrec++){
		assert_int_equal(sscanf(r.head, "@@ %63s %15s %15s", name, conv, add), 3);
		m = strcmp(conv, "roles") == 0 ? conv_roles : strcmp(conv, "sys") == 0 ? conv_sys : conv_sys + 1;
		n = strcmp(conv, "nosys") == 0 ? 5 : 6;
		assert_non_null(chat_by_name(name));
		expect(chat_by_name(name), m, n, strcmp(add, "add") == 0, &r);
	}
	assert_int_equal(nnames, 54);	/* llama_chat_builtin_templates at 3f545bec */
	assert_int_equal(nrec, nnames * 3 * 2);
	free(buf);
}

/* templates.dat: "@@ template NBYTES SOURCE" then "@@ render NBYTES" or "@@ unknown 0" */
static void
test_real_templates(void **state)
{
	const char *p, *end;
	size_t len;
	char *buf = chat_data("templates.dat", &len), *text;
	const ChatTmpl *t;
	int ok = 0, refused = 0;
	Rec tr, r;

	for(p = buf, end = buf + len; next_rec(&p, end, &tr, 2); ){
		assert_true(next_rec(&p, end, &r, 2));
		text = strndup(tr.body, tr.len);
		t = chat_detect(text);
		if(strncmp(r.head, "@@ unknown", 10) == 0){
			if(t != NULL)
				fail_msg("%s: llama.cpp refuses it, we took it for %s", tr.head, chat_name(t));
			assert_non_null(strstr(lb_errstr(), "not recognised"));
			refused++;
		}else{
			if(t == NULL)
				fail_msg("%s: %s", tr.head, lb_errstr());
			expect(t, conv_sys, 6, 1, &r);
			ok++;
		}
		free(text);
	}
	print_message("  %d templates recognised as llama.cpp does, %d refused as it refuses\n", ok, refused);
	assert_true(ok >= 60 && refused >= 5);
	free(buf);
}

/* Every format once without messages and once with a single one: no crash, the prompt alone at most. */
static void
test_edges(void **state)
{
	static const llambo_chat_msg one[] = { { "user", "" } }, bad[] = { { "user", NULL } };
	const char *names[128];
	int i, n = chat_builtin_names(names, 128);
	size_t len;
	char *s;

	for(i = 0; i < n; i++){
		s = chat_render(chat_by_name(names[i]), NULL, 0, 1, &len);
		assert_non_null(s);
		assert_int_equal(strlen(s), len);
		free(s);
		s = chat_render(chat_by_name(names[i]), one, 1, 0, &len);
		assert_non_null(s);
		free(s);
	}
	assert_null(chat_render(chat_by_name("chatml"), bad, 1, 1, &len));
	assert_non_null(strstr(lb_errstr(), "content"));
	assert_null(chat_by_name("dots1"));	/* llama.cpp has no name for it */
	assert_null(chat_by_name("mistral"));
	assert_string_equal(chat_name(chat_detect("mistral is not a template")), "llama2");	/* llama.cpp's rule too */
	assert_null(chat_detect("INVALID TEMPLATE"));
	assert_non_null(strstr(lb_errstr(), "INVALID TEMPLATE"));
	assert_null(chat_detect(NULL));
}

/* A keys-only GGUF file with the given template (NULL: none) and tokenizer.ggml.pre / block count. */
static void
write_keys(const char *path, const char *tmpl, const char *pre, uint32_t layers)
{
	GGUFWriter *w = gguf_writer_new(0);

	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_u32(w, "llama.block_count", layers);
	gguf_w_str(w, "tokenizer.ggml.pre", pre);
	if(tmpl != NULL)
		gguf_w_str(w, "tokenizer.chat_template", tmpl);
	assert_int_equal(gguf_write_file(w, path), 0);
	gguf_writer_free(w);
}

static int
file_template(const char *path, char **t)
{
	GGUFFile f;
	int rc;

	assert_int_equal(gguf_open(&f, path, 1), 0);
	rc = chat_file_template(&f, t);
	gguf_close(&f);
	return rc;
}

static void
test_file_template(void **state)
{
	char path[256], *t;

	tmp_path(path, sizeof path, "chat.gguf");
	write_keys(path, "{{ '<|im_start|>' }}", "default", 22);
	assert_int_equal(file_template(path, &t), 1);
	assert_string_equal(t, "{{ '<|im_start|>' }}");
	free(t);
	write_keys(path, NULL, "default", 40);
	assert_int_equal(file_template(path, &t), 0);
	assert_null(t);
	/* Mistral-Small-2503: no template, tekken, 40 layers (llama_model_chat_template's exception) */
	write_keys(path, NULL, "tekken", 40);
	assert_int_equal(file_template(path, &t), 1);
	assert_string_equal(t, "mistral-v7-tekken");
	free(t);
	write_keys(path, NULL, "tekken", 32);
	assert_int_equal(file_template(path, &t), 0);
	unlink(path);
	/* llama.cpp's Phi-3 vocabulary carries its template */
	assert_int_equal(file_template("tests/data/vocab/ggml-vocab-phi-3.gguf", &t), 1);
	assert_string_equal(chat_name(chat_detect(t)), "phi3");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_goldens),
		cmocka_unit_test(test_real_templates),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_file_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
