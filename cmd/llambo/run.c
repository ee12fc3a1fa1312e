/*
 * run.c - llambo run: the generated text on standard output as it comes, statistics on
 * standard error; with --chat the prompt is one user message in the model's chat format.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo run [-m MODEL] -p PROMPT [-n N] [--temp T] [--seed S] [-t THREADS] [-c CTX]\n"
	"                  [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--stop STR]...\n"
	"                  [--no-mmap] [-ctk TYPE] [-ctv TYPE] [--chat [-sys TEXT] [--template NAME]]\n"
	"  --chat: the prompt is a user message (after -sys's system message) in the model's chat format\n"
	"  -n and the sampling flags take what the request keys of README.md's \"Requests\" take\n"
	"  -ctk, -ctv: the KV cache's K and V types: f16 (default) f32 bf16 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1\n";

static int
emit(const char *piece, size_t len, void *arg)
{
	fwrite(piece, 1, len, stdout);
	fflush(stdout);
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	Opts o;
	llambo_stats st;
	char *text;
	int id;

	cli_parse(&o, argc, argv, usage);
	cli_need_prompt(&o, usage);
	if(o.tmpl != NULL)
		cli_need_builtin(o.tmpl);
	id = cli_load(&o);
	o.req->params.on_token = emit;
	if(o.chat){
		llambo_chat_msg m[2] = { { "system", o.sys }, { "user", o.prompt } };
		text = llambo_chat(id, o.tmpl, o.sys != NULL ? m : m + 1, o.sys != NULL ? 2 : 1, &o.req->params, &st);
	}else
		text = llambo_generate(id, o.prompt, &o.req->params, &st);
	if(text == NULL)
		cli_die("%s", llambo_last_error());
	llambo_free(text);
	fputc('\n', stdout);
	fprintf(stderr, "\nllambo: prompt %d tokens in %.1f ms (%.2f t/s); generated %d tokens in %.1f ms (%.2f t/s)\n",
		st.n_prompt, st.prompt_ms, st.prompt_ms > 0 ? st.n_prompt * 1e3 / st.prompt_ms : 0,
		st.n_gen, st.gen_ms, st.gen_ms > 0 ? st.n_gen * 1e3 / st.gen_ms : 0);
	llambo_free_model(id);
	return 0;
}
