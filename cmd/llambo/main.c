/* main.c - llambo: run a prompt, chat, tokenize, info, bench, logits, template, synth, serve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "run", cmd_run, "generate text from a prompt" },
	{ "chat", cmd_chat, "talk with a model in its chat format" },
	{ "tokenize", cmd_tokenize, "print the token ids of a text" },
	{ "info", cmd_info, "print a model's description as JSON" },
	{ "bench", cmd_bench, "measure prompt processing and generation speed" },
	{ "logits", cmd_logits, "write the teacher-forced logits of every prompt position" },
	{ "template", cmd_template, "print messages in a model's chat format" },
	{ "synth", cmd_synth, "write a random llama model of any shape and type" },
	{ "request", cmd_request, "how a request written to a model's data file reads" },
	{ "serve", NULL, "serve models over 9P (llambo-styx; llambo serve -h tells more)" },
	{ "help", NULL, "this list; llambo help COMMAND tells more of one" },
};

/* llambo serve: the 9P server is its own program (hosted Inferno runs it with os); run the one beside us */
static int
serve(char *argv0, char **argv)
{
	char path[4096];
	const char *slash = strrchr(argv0, '/');

	if(slash != NULL)
		snprintf(path, sizeof path, "%.*s/llambo-styx", (int)(slash - argv0), argv0);
	else
		snprintf(path, sizeof path, "llambo-styx");
	argv[0] = path;
	execvp(path, argv);
	fprintf(stderr, "llambo: cannot run %s: the 9P server is built as llambo-styx next to llambo\n", path);
	return 1;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: llambo command [flags]\n\n");
	for(i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\nllambo command -h tells more; llambo --version the version.  Without -m the default\n"
		"model is used: $LLAMBO_MODEL, ../shared/models/aidreams260K.gguf, or else a built-in one\n"
		"with random weights (it says so).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if(argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0){
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if(strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0){
		printf("llambo %s\n", llambo_version());
		return 0;
	}
	if(strcmp(argv[1], "help") == 0 && argc == 2){
		usage(stdout);
		return 0;
	}
	if(strcmp(argv[1], "help") == 0){	/* llambo help CMD is llambo CMD -h */
		argv[1] = argv[2];
		argv[2] = "-h";
		argc = 3;
	}
	if(strcmp(argv[1], "serve") == 0)
		return serve(argv[0], argv + 1);
	for(i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if(strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "llambo: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
