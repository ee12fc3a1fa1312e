/* tokinfo.c - llambo tokenize and llambo info. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
cmd_tokenize(int argc, char **argv)
{
	static const char usage[] = "usage: llambo tokenize [-m MODEL] -p TEXT   (prints the ids, BOS as the model wants it)\n";
	Opts o;
	int32_t *toks;
	int id, n, i;

	cli_parse(&o, argc, argv, usage);
	cli_need_prompt(&o, usage);
	id = cli_load(&o);
	n = llambo_tokenize(id, o.prompt, &toks);
	if(n < 0)
		cli_die("%s", llambo_last_error());
	for(i = 0; i < n; i++)
		printf("%s%d", i ? " " : "", toks[i]);
	printf("\n");
	llambo_free(toks);
	llambo_free_model(id);
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
