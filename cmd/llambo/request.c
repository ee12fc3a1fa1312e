/* request.c - llambo request: how a request written to a model's data file reads (README.md, "Requests"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo request [TEXT]\n"
	"  prints what TEXT (or standard input), written to models/N/data, asks for: every\n"
	"  sampling parameter and the prompt; or why it is refused (exit 1)\n";

/* All of standard input (malloc'd), its length in *n; NULL if out of memory. */
static char *
slurp(size_t *n)
{
	size_t cap = 4096, k;
	char *buf = malloc(cap), *p;

	*n = 0;
	while(buf != NULL && (k = fread(buf + *n, 1, cap - *n, stdin)) > 0)
		if((*n += k) == cap){
			if((p = realloc(buf, cap *= 2)) == NULL)
				free(buf);
			buf = p;
		}
	return buf;
}

int
cmd_request(int argc, char **argv)
{
	llambo_request *r;
	char *text, *desc;
	size_t n = 0;

	if(argc > 0 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)){
		fputs(usage, stdout);
		return 0;
	}
	if(argc > 1){
		fputs(usage, stderr);
		return 2;
	}
	text = argc == 1 ? strdup(argv[0]) : slurp(&n);
	if(text == NULL)
		cli_die("out of memory");
	if(argc == 1)
		n = strlen(text);
	if((r = llambo_request_new()) == NULL || llambo_request_parse(r, text, n) < 0 || (desc = llambo_request_describe(r)) == NULL)
		cli_die("%s", llambo_last_error());
	puts(desc);
	llambo_free(desc);
	llambo_request_free(r);
	free(text);
	return 0;
}
