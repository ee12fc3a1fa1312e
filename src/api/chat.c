/*
 * chat.c - the chat calls of include/llambo.h: a conversation rendered in a
 * model's format, and a reply to it (session.c keeps a conversation going).
 */
#include <stdlib.h>
#include <string.h>

#include "../chat/chat.h"
#include "../util/error.h"
#include "registry.h"
#include "sched.h"

static char *
apply(const char *tmpl, const llambo_chat_msg *msgs, int n, int add_ass)
{
	const ChatTmpl *t;

	if(n < 0 || (n > 0 && msgs == NULL)){
		lb_err("chat: %d messages at %s", n, msgs ? "an address" : "nil");
		return NULL;
	}
	if((t = chat_detect(tmpl != NULL ? tmpl : "chatml")) == NULL)
		return NULL;
	return chat_render(t, msgs, (size_t)n, add_ass, NULL);
}

char *
llambo_chat_apply(const char *tmpl, const llambo_chat_msg *msgs, int n, int add_assistant)
{
	return apply(tmpl, msgs, n, add_assistant);
}

char *
llambo_chat_render(int id, const char *tmpl, const llambo_chat_msg *msgs, int n, int add_assistant)
{
	Model *m;
	char *own = NULL, *s = NULL;

	if(tmpl != NULL)
		return apply(tmpl, msgs, n, add_assistant);
	if((m = reg_hold(id)) == NULL)
		return NULL;
	if(chat_file_template(&m->file, &own) >= 0)
		s = apply(own, msgs, n, add_assistant);
	reg_release(id);
	free(own);
	return s;
}

int
llambo_chat_builtin_templates(const char **names, int max)
{
	return chat_builtin_names(names, max < 0 ? 0 : max);
}


/* The reply is decoded as a session's is (no leading space dropped): it follows its prompt. */
char *
llambo_chat(int id, const char *tmpl, const llambo_chat_msg *msgs, int n, const llambo_params *pin, llambo_stats *st)
{
	llambo_params p = lgen_params(pin, st);
	llambo_gen *g;
	int32_t *toks;
	char *prompt;
	Model *m;
	int nt;

	p.parse_special = 1;
	if((prompt = llambo_chat_render(id, tmpl, msgs, n, 1)) == NULL || (m = reg_hold(id)) == NULL){
		free(prompt);
		return NULL;
	}
	nt = lgen_tokens(m, prompt, &p, &toks);
	reg_release(id);
	free(prompt);
	if(nt < 0 || (g = lgen_start(id, toks, nt, &p, NULL, 0, NULL, NULL)) == NULL)
		return NULL;
	return lgen_collect(g, &p, st);
}
