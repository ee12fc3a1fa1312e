/*
 * hello.c - a program of someone else's, built against an installed libllambo
 * with pkg-config by tests/install.sh: the header and the library agree on the
 * version, a missing file gives the reason, and a model generates greedily.
 *	hello MODEL PROMPT N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llambo.h>

int
main(int argc, char **argv)
{
	char *text;
	int id;

	if(argc != 4){
		fprintf(stderr, "usage: hello MODEL PROMPT N\n");
		return 2;
	}
	if(strcmp(llambo_version(), LLAMBO_VERSION) != 0){
		fprintf(stderr, "hello: library %s, header %s\n", llambo_version(), LLAMBO_VERSION);
		return 1;
	}
	if(llambo_load_model("/nonexistent.gguf", 1, 0) != -1 || strstr(llambo_last_error(), "no such file") == NULL){
		fprintf(stderr, "hello: a missing file loaded, or gave no reason\n");
		return 1;
	}
	if((id = llambo_load_model(argv[1], 1, 0)) < 0){
		fprintf(stderr, "hello: %s: %s\n", argv[1], llambo_last_error());
		return 1;
	}
	text = llambo_infer(id, argv[2], atoi(argv[3]), 0.0f);
	printf("%s\n", text);
	llambo_free(text);
	return llambo_free_model(id) == 0 ? 0 : 1;
}
