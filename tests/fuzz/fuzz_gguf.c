/*
 * fuzz_gguf.c - libFuzzer harness for GGUF files and the models in them: any
 * bytes as a file.  The parser's tables are walked whole (an index or pointer
 * that escapes the buffer shows up under ASan); then the bytes are loaded as a
 * model through a memfd, as llambo_load_model loads any file, and a model that
 * loads is used: its info must be valid JSON, text must tokenize, its chat
 * template (tokenizer.chat_template, any text) must render a conversation or say why not,
 * and two tokens must generate.  Every refusal must come with a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../include/llambo.h"
#include "../../src/gguf/gguf.h"
#include "../../src/util/error.h"
#include "../json.h"

static unsigned sink;

static void
walk(const GGUFFile *f)
{
	const uint8_t *d;
	size_t i;
	uint64_t j, k;

	for(i = 0; i < f->n_kv; i++){
		const GGUFKV *kv = &f->kv[i];
		if(kv->type == GGUF_STRING)
			for(j = 0; j < kv->v.s.len; j++)
				sink += (uint8_t)kv->v.s.p[j];
		if(kv->type == GGUF_ARRAY && kv->v.arr.type == GGUF_STRING)
			for(j = 0; j < kv->v.arr.n; j++){
				GGUFStr s = gguf_arr_str(kv, j);
				for(k = 0; k < s.len; k++)
					sink += (uint8_t)s.p[k];
			}
	}
	for(i = 0; i < f->n_tensors; i++)
		for(d = f->tensors[i].data, j = 0; j < f->tensors[i].nbytes; j++)
			sink += d[j];
}

static void
noreason(const char *what)
{
	if(llambo_last_error()[0] == 0){
		fprintf(stderr, "%s failed without a reason\n", what);
		abort();
	}
}

/* What a client does with a model: info, tokens, a chat in its format, a short generation. */
static void
use(int id)
{
	static const char text[] = "Hello, world! Once upon a time \xe2\x96\x81 \xc3\xa9";
	static const llambo_chat_msg chat[] = { { "system", "Be brief." }, { "user", "Hi" } };
	char why[128], *info, *out;
	int32_t *toks = NULL;
	llambo_params p;

	if((info = llambo_get_model_info(id)) == NULL)
		noreason("info");
	else if(json_check(info, strlen(info), why, sizeof why) < 0){
		fprintf(stderr, "info is not JSON (%s): %s\n", why, info);
		abort();
	}
	llambo_free(info);
	if(llambo_tokenize(id, text, &toks) < 0)
		noreason("tokenize");
	llambo_free(toks);
	lb_errclear();
	if((out = llambo_chat_render(id, NULL, chat, 2, 1)) == NULL)
		noreason("chat");
	llambo_free(out);
	llambo_default_params(&p);
	p.max_tokens = 2;
	p.temperature = 0;
	p.n_threads = 1;
	p.n_ctx = 16;
	if((out = llambo_generate(id, "Once upon", &p, NULL)) == NULL)
		noreason("generate");
	llambo_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	GGUFFile f;
	int fd, id;

	lb_errclear();
	if(gguf_parse(&f, data, size) < 0){
		noreason("gguf_parse");
		return 0;
	}
	walk(&f);
	gguf_close(&f);
	if((fd = memfd_create("fuzz.gguf", MFD_CLOEXEC)) < 0)
		return 0;
	if(write(fd, data, size) == (ssize_t)size){
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		lb_errclear();
		if((id = llambo_load_model(path, size & 1, 0)) < 0)
			noreason("load");
		else{
			use(id);
			llambo_free_model(id);
		}
	}
	close(fd);
	return 0;
}
