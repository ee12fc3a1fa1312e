/* api.c - the seed's functions and the rest of include/llambo.h, over the registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"
#include "../util/error.h"
#include "registry.h"
#include "llambo.h"

struct llambo_ctx {
	int id;
	Ctx *c;
};

const char *
llambo_last_error(void)
{
	return lb_errstr();
}

void
llambo_free(void *p)
{
	free(p);
}

const char *
llambo_version(void)
{
	return LLAMBO_VERSION;
}

int
llambo_reserve_id(void)
{
	return reg_reserve();
}

int
llambo_load_into(int id, const char *path, int use_mmap, int n_gpu_layers)
{
	Model *m;

	if(path == NULL)
		return lb_err("load failed: path is nil");
	if(reg_begin_load(id, path, use_mmap, n_gpu_layers) < 0)
		return -1;
	m = model_load(path, use_mmap);
	reg_end_load(id, m);
	if(m == NULL)
		return lb_errprefix("load failed");
	if(n_gpu_layers > 0)
		fprintf(stderr, "llambo: model %d: no GPU backend in this build; %d GPU layers run on the CPU\n", id, n_gpu_layers);
	return 0;
}

int
llambo_load_model(const char *path, int use_mmap, int n_gpu_layers)
{
	char why[512];
	int id = reg_reserve();

	if(id < 0)
		return -1;
	if(llambo_load_into(id, path, use_mmap, n_gpu_layers) < 0){
		snprintf(why, sizeof why, "%s", lb_errstr());
		reg_free(id);
		lb_err("%s", why);
		return -1;
	}
	return id;
}

int
llambo_model_hold(int id)
{
	return reg_hold(id) != NULL ? 0 : -1;
}

void
llambo_model_release(int id)
{
	reg_release(id);
}

int
llambo_free_model(int id)
{
	return reg_free(id);
}

char *
llambo_infer(int id, const char *prompt, int max_tokens, float temperature)
{
	llambo_params p;
	char *s;

	llambo_default_params(&p);
	p.max_tokens = max_tokens;
	p.temperature = temperature;
	s = llambo_generate(id, prompt, &p, NULL);
	return s != NULL ? s : calloc(1, 1);
}

int
llambo_tokenize_ex(int id, const char *text, size_t len, int add_special, int parse_special, int32_t **tokens)
{
	Model *m;
	int n;

	if(text == NULL || tokens == NULL)
		return lb_err("text is nil");
	m = reg_hold(id);
	if(m == NULL)
		return -1;
	n = vocab_tokenize(m->vocab, text, len, add_special, parse_special, tokens);
	reg_release(id);
	return n;
}

int
llambo_tokenize(int id, const char *text, int32_t **tokens)
{
	if(text == NULL)
		return lb_err("text is nil");
	return llambo_tokenize_ex(id, text, strlen(text), 1, 0, tokens);
}

int
llambo_token_to_piece(int id, int32_t token, char *buf, int size)
{
	Model *m = reg_hold(id);
	int n;

	if(m == NULL)
		return 0;
	n = vocab_piece(m->vocab, token, buf, size, 0);
	reg_release(id);
	return n;
}

int
llambo_n_vocab(int id)
{
	Model *m = reg_hold(id);
	int n;

	if(m == NULL)
		return -1;
	n = m->hp.n_vocab;
	reg_release(id);
	return n;
}

int
llambo_model_status(int id, llambo_status *st)
{
	return reg_status(id, st);
}

int
llambo_list_models(int *ids, int max)
{
	return reg_list(ids, max);
}

llambo_ctx *
llambo_ctx_new(int id, int n_ctx, int n_threads)
{
	llambo_ctx *c;
	Model *m = reg_hold(id);

	if(m == NULL)
		return NULL;
	c = calloc(1, sizeof *c);
	if(c == NULL || (c->c = ctx_new(m, n_ctx, n_threads)) == NULL){
		if(c == NULL)
			lb_err("out of memory");
		free(c);
		reg_release(id);
		return NULL;
	}
	c->id = id;
	return c;
}

void
llambo_ctx_free(llambo_ctx *c)
{
	if(c == NULL)
		return;
	ctx_free(c->c);
	reg_release(c->id);
	free(c);
}

void
llambo_ctx_reset(llambo_ctx *c)
{
	ctx_reset(c->c);
}

int
llambo_ctx_eval(llambo_ctx *c, const int32_t *tokens, int n, int which, float *logits)
{
	if(which != LLAMBO_LOGITS_NONE && logits == NULL)
		return lb_err("logits is nil");
	return ctx_eval(c->c, tokens, n, which == LLAMBO_LOGITS_NONE ? NULL : logits, which == LLAMBO_LOGITS_ALL);
}

int
llambo_ctx_pos(const llambo_ctx *c)
{
	return ctx_pos(c->c);
}

void
llambo_ctx_set_exact(llambo_ctx *c, int exact)
{
	ctx_set_exact(c->c, exact);
}
