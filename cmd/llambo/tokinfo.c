/* tokinfo.c - llambo tokenize (any GGUF with a vocabulary) and llambo info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/vocab/vocab.h"
#include "cli.h"

/* The text of -p, the first argument, or -f FILE (its bytes as they are); exits with the usage when there is none. */
static char *
text_of(Opts *o, const char *usage, size_t *len)
{
	char *s;
	FILE *f;
	long n;

	if(o->file == NULL){
		cli_need_prompt(o, usage);
		*len = strlen(o->prompt);
		return strdup(o->prompt);
	}
	if((f = fopen(o->file, "rb")) == NULL)
		cli_die("%s: cannot open", o->file);
	if(fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 || (s = malloc((size_t)n + 1)) == NULL)
		cli_die("%s: cannot read", o->file);
	if(fread(s, 1, (size_t)n, f) != (size_t)n)
		cli_die("%s: read error", o->file);
	fclose(f);
	s[n] = 0;
	*len = (size_t)n;
	return s;
}

static void
print_ids(int32_t *toks, int n)
{
	for(int i = 0; i < n; i++)
		printf("%s%d", i ? " " : "", toks[i]);
	printf("\n");
	free(toks);
}

/* No model given and none found: the built-in one's vocabulary (it wants BOS). */
static int
builtin(Opts *o, char *text, size_t len)
{
	int32_t *toks;
	int id = cli_load_builtin(o), n;

	n = llambo_tokenize_ex(id, text, len, !o->no_bos, o->parse_special, &toks);
	if(n < 0)
		cli_die("%s", llambo_last_error());
	print_ids(toks, n);
	free(text);
	llambo_free_model(id);
	return 0;
}

/*
 * Only the file's tokenizer is loaded (llama-tokenize's vocab_only), so any GGUF
 * with tokenizer.* keys will do: a whole model of any architecture, or a
 * vocabulary-only file like llama.cpp's models/ggml-vocab-*.gguf.
 */
int
cmd_tokenize(int argc, char **argv)
{
	static const char usage[] =
		"usage: llambo tokenize [-m MODEL] (-p TEXT | -f TEXTFILE) [--no-bos] [--parse-special]\n"
		"prints the ids on one line; BOS (and EOS) as the vocabulary asks unless --no-bos;\n"
		"--parse-special reads the texts of control tokens (\"<|im_start|>\") as those tokens\n";
	Opts o;
	GGUFFile f;
	Vocab *v;
	int32_t *toks;
	size_t len;
	char *text;
	int n;

	cli_parse(&o, argc, argv, usage);
	text = text_of(&o, usage, &len);
	if(o.model == NULL && (o.model = cli_default_model()) == NULL)
		return builtin(&o, text, len);
	if(gguf_open(&f, o.model, 1) < 0 || (v = vocab_load(&f)) == NULL)
		cli_die("%s: %s", o.model, llambo_last_error());
	n = vocab_tokenize(v, text, len, vocab_add_bos(v) && !o.no_bos, o.parse_special, &toks);
	if(n < 0)
		cli_die("%s", llambo_last_error());
	print_ids(toks, n);
	free(text);
	vocab_free(v);
	gguf_close(&f);
	return 0;
}

int
cmd_info(int argc, char **argv)
{
	static const char usage[] = "usage: llambo info [-m MODEL] [--no-mmap] [-ngl N]\n";
	Opts o;
	char *js;
	int id;

	cli_parse(&o, argc, argv, usage);
	if(o.model == NULL && o.nrest > 0)
		o.model = o.rest[0];
	id = cli_load(&o);
	js = llambo_get_model_info(id);
	if(js == NULL)
		cli_die("%s", llambo_last_error());
	printf("%s\n", js);
	llambo_free(js);
	llambo_free_model(id);
	return 0;
}
