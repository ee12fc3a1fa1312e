/*
 * defmodel.c - the model used when none is given with -m: $LLAMBO_MODEL, or
 * ../shared/models/aidreams260K.gguf (a source tree beside the project's test
 * data), or else the built-in one.  The built-in model is a small synthetic
 * llama with random weights and a vocabulary of words (synth_vocab.c), so that
 * `llambo run` works on a bare machine and prints text, but says plainly that
 * the text means nothing and how to get a real model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char notice[] =
	"llambo: no model given (-m FILE, or $LLAMBO_MODEL) and none found: using the built-in\n"
	"llambo: demonstration model.  Its weights are random, so it prints random words, not\n"
	"llambo: language.  For real text, download a GGUF model and name it with -m, for example:\n"
	"\n"
	"  curl -LO https://huggingface.co/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/resolve/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf\n"
	"  llambo run -m tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf -p 'Once upon a time' -n 64\n"
	"\n";

const char *
cli_default_model(void)
{
	const char *env = getenv("LLAMBO_MODEL");
	struct stat st;

	if(env != NULL && env[0] != 0)
		return env;
	if(stat("../shared/models/aidreams260K.gguf", &st) == 0)
		return "../shared/models/aidreams260K.gguf";
	return NULL;
}

/*
 * Writes the built-in model to a new private file in $TMPDIR (or /tmp) and loads
 * it; the file is removed at once (the loaded model keeps its mapping).
 */
int
cli_load_builtin(Opts *o)
{
	const char *dir = getenv("TMPDIR");
	char path[1024];
	SynthSpec s;
	int fd, id;

	fputs(notice, stderr);
	snprintf(path, sizeof path, "%s/llambo-builtin-XXXXXX", dir != NULL && dir[0] != 0 ? dir : "/tmp");
	if((fd = mkstemp(path)) < 0)
		cli_die("cannot make a temporary file for the built-in model in %s: set TMPDIR", path);
	close(fd);
	synth_defaults(&s);
	if(synth_write(&s, path) < 0){
		unlink(path);
		cli_die("cannot write the built-in model to %s: %s", path, llambo_last_error());
	}
	id = llambo_load_model(path, o->use_mmap, o->n_gpu_layers);
	unlink(path);
	if(id < 0)
		cli_die("the built-in model: %s", llambo_last_error());
	o->model = "(the built-in model)";
	return id;
}
