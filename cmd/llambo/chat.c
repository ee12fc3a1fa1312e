/*
 * chat.c - llambo chat: a conversation on the terminal in the model's chat
 * format, one line a user message, the reply streamed on standard output.
 * The conversation stays in one session's KV cache, so a turn evaluates only
 * its own tokens; standard error says how many for each turn.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo chat [-m MODEL] [-sys TEXT] [--template NAME] [-n N] [--temp T] [--seed S] [-c CTX] [-t THREADS]\n"
	"                   [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--stop STR]...\n"
	"each line of standard input is a user message; the reply ends at the model's end of turn,\n"
	"after -n tokens, or at the end of the context (-c); end of input ends the conversation\n";

typedef struct Conv {
	llambo_chat_msg *m;
	int n, cap, keep;	/* keep: the messages a full context does not drop (the system one) */
} Conv;

static void
add(Conv *c, const char *role, const char *content)
{
	if(c->n == c->cap){
		c->cap = c->cap ? 2 * c->cap : 16;
		if((c->m = realloc(c->m, sizeof *c->m * (size_t)c->cap)) == NULL)
			cli_die("out of memory");
	}
	c->m[c->n].role = role;
	if((c->m[c->n].content = strdup(content)) == NULL)
		cli_die("out of memory");
	c->n++;
}

static void
forget(Conv *c, int from)
{
	while(c->n > from)
		free((char *)c->m[--c->n].content);
}

static int
emit(const char *piece, size_t len, void *arg)
{
	fwrite(piece, 1, len, stdout);
	fflush(stdout);
	return 0;
}

static void
stats(int turn, const llambo_stats *st)
{
	fprintf(stderr, "llambo: turn %d: %d tokens kept in the cache, %d new evaluated in %.1f ms (%.2f t/s); "
		"generated %d in %.1f ms (%.2f t/s)\n", turn, st->n_reused, st->n_prompt, st->prompt_ms,
		st->prompt_ms > 0 ? st->n_prompt * 1e3 / st->prompt_ms : 0, st->n_gen, st->gen_ms,
		st->gen_ms > 0 ? st->n_gen * 1e3 / st->gen_ms : 0);
}

int
cmd_chat(int argc, char **argv)
{
	Opts o;
	Conv c = { 0 };
	llambo_chat_session *s;
	llambo_stats st;
	char *line = NULL, *reply;
	size_t cap = 0;
	ssize_t n;
	int id, turn = 0, tty = isatty(0);

	cli_parse(&o, argc, argv, usage);
	if(o.tmpl != NULL)
		cli_need_builtin(o.tmpl);
	o.req->params.max_tokens = o.n_predict >= 0 ? o.n_predict : INT_MAX;	/* else the turn's end, or the context's */
	o.req->params.on_token = emit;
	id = cli_load(&o);
	if((s = llambo_chat_open(id, o.tmpl, o.n_ctx, o.threads)) == NULL)
		cli_die("%s%s", llambo_last_error(), o.tmpl == NULL ? " (--template NAME chooses a built-in format)" : "");
	if(o.sys != NULL)
		add(&c, "system", o.sys);
	c.keep = c.n;
	for(;;){
		if(tty)
			fputs("> ", stderr);
		if((n = getline(&line, &cap, stdin)) < 0)
			break;
		if(n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		if(n == 0)
			continue;
		add(&c, "user", line);
		reply = llambo_chat_reply(s, c.m, c.n, &o.req->params, &st);
		if(reply == NULL){
			fprintf(stderr, "llambo: %s; the conversation starts again\n", llambo_last_error());
			forget(&c, c.keep);
			continue;
		}
		fputc('\n', stdout);
		fflush(stdout);
		add(&c, "assistant", reply);
		llambo_free(reply);
		stats(++turn, &st);
	}
	free(line);
	forget(&c, 0);
	free(c.m);
	llambo_chat_close(s);
	llambo_free_model(id);
	return 0;
}
