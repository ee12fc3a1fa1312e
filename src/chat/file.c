/* file.c - the chat template a GGUF file names, as llama_model_chat_template finds it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "chat_impl.h"

static int
copy(const char *s, size_t n, char **out)
{
	if((*out = malloc(n + 1)) == NULL)
		return lb_err("out of memory");
	memcpy(*out, s, n);
	(*out)[n] = 0;
	return 1;
}

/* Mistral-Small-2503: the tekken pre-tokenizer and 40 layers, no template in the file. */
static int
mistral_small(const GGUFFile *f)
{
	GGUFStr pre, arch;
	char key[96];
	uint32_t n;

	if(gguf_get_str(f, "tokenizer.ggml.pre", &pre) != 1 || pre.len != 6 || memcmp(pre.p, "tekken", 6) != 0)
		return 0;
	if(gguf_get_str(f, "general.architecture", &arch) != 1 || arch.len > 64)
		return 0;
	snprintf(key, sizeof key, "%.*s.block_count", (int)arch.len, arch.p);
	return gguf_get_u32(f, key, &n) == 1 && n == 40;
}

int
chat_file_template(const GGUFFile *f, char **out)
{
	GGUFStr s;
	int rc;

	*out = NULL;
	if((rc = gguf_get_str(f, "tokenizer.chat_template", &s)) < 0)
		return lb_errprefix("tokenizer.chat_template");
	if(rc == 1)
		return copy(s.p, s.len, out);
	if(mistral_small(f))
		return copy("mistral-v7-tekken", 17, out);
	return 0;
}
