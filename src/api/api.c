/* api.c - the seed's functions and the rest of include/llambo.h, over the registry. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/kv.h"
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

/* The KV cache types of the models loaded from now on (llambo_set_kv_types); -1: the model's default. */
static atomic_int kv_type_k = -1, kv_type_v = -1;

/* Both types named, or -1 with lb_err set; NULL leaves one as it is. */
static int
kv_types_named(const char *k, const char *v, int *tk, int *tv)
{
	if(k != NULL && (*tk = kv_type_named(k)) < 0)
		return lb_err("unknown KV cache type %s (f32 f16 bf16 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1)", k);
	if(v != NULL && (*tv = kv_type_named(v)) < 0)
		return lb_err("unknown KV cache type %s (f32 f16 bf16 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1)", v);
	return 0;
}

int
llambo_set_kv_types(const char *type_k, const char *type_v)
{
	int tk = atomic_load(&kv_type_k), tv = atomic_load(&kv_type_v);

	if(kv_types_named(type_k, type_v, &tk, &tv) < 0)
		return -1;
	atomic_store(&kv_type_k, tk);
	atomic_store(&kv_type_v, tv);
	return 0;
}

/* The model as loaded, with the KV cache types asked for if its heads fit them; NULL with lb_err set. */
static Model *
load_with_kv_types(const char *path, int use_mmap)
{
	Model *m = model_load(path, use_mmap);
	int tk = atomic_load(&kv_type_k), tv = atomic_load(&kv_type_v);

	if(m == NULL)
		return NULL;
	if(tk >= 0)
		m->kv_type_k = (uint32_t)tk;
	if(tv >= 0)
		m->kv_type_v = (uint32_t)tv;
	if(kv_types_check(&m->hp, m->kv_type_k, m->kv_type_v) < 0){
		model_free(m);
		return NULL;
	}
	return m;
}

int
llambo_load_into(int id, const char *path, int use_mmap, int n_gpu_layers)
{
	Model *m;

	if(path == NULL)
		return lb_err("load failed: path is nil");
	if(reg_begin_load(id, path, use_mmap, n_gpu_layers) < 0)
		return -1;
	m = load_with_kv_types(path, use_mmap);
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
llambo_ctx_rewind(llambo_ctx *c, int pos)
{
	return ctx_rewind(c->c, pos);
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

int
llambo_ctx_set_kv_types(llambo_ctx *c, const char *type_k, const char *type_v)
{
	int tk = -1, tv = -1;

	if(kv_types_named(type_k, type_v, &tk, &tv) < 0)
		return -1;
	return ctx_set_kv_types(c->c, tk, tv);
}
