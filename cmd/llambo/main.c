/* main.c - llambo: run a prompt, tokenize, info, bench, logits, synth. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "run", cmd_run, "generate text from a prompt" },
	{ "tokenize", cmd_tokenize, "print the token ids of a text" },
	{ "info", cmd_info, "print a model's description as JSON" },
	{ "bench", cmd_bench, "measure prompt processing and generation speed" },
	{ "logits", cmd_logits, "write the teacher-forced logits of every prompt position" },
	{ "synth", cmd_synth, "write a random llama model of any shape and type" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: llambo command [flags]\n\n");
	for(i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\nllambo command -h tells more.  Without -m the default model is used ($LLAMBO_MODEL,\n"
		"../shared/models/aidreams260K.gguf, or a small synthetic model written on first use).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if(argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0){
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for(i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if(strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "llambo: unknown command %s\n", argv[1]);
	usage(stderr);
	return 2;
}
