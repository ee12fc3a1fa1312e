/*
 * test_arch_load.c - the families' descriptors at load, and synth for every family:
 * a synthetic file of each family and of several tensor types loads, describes
 * itself in info, and evaluates to finite logits with both paths; a file that
 * lacks a tensor its family needs, has one it does not use, has a tensor of the
 * wrong shape or a key out of range is refused with a reason naming it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/gguf/gguf.h"
#include "../src/model/synth.h"
#include "../src/quant/quant.h"
#include "llambo.h"
#include "testutil.h"

static void
small(SynthSpec *s, const char *arch, const char *type)
{
	synth_defaults(s);
	s->arch = arch;
	s->type = type;
	s->n_embd = 256;
	s->n_head = 4;
	s->n_head_kv = 2;
	s->n_ff = 256;
	s->n_layer = 2;
	s->n_vocab = 320;
	s->n_ctx = 256;
	s->tied = 1;
	if(strcmp(arch, "qwen3moe") == 0 || strcmp(arch, "llama") == 0){
		s->n_expert = strcmp(arch, "llama") == 0 ? 0 : 4;
		s->n_expert_used = 2;
		s->n_ff_exp = 256;
	}
	if(strncmp(arch, "gemma", 5) == 0){
		s->n_swa = 4;
		s->swa_pattern = 2;
	}
}

/* Loads path: the model id, or -1 with the reason in err. */
static int
load(const char *path, char *err, size_t n)
{
	int id = llambo_load_model(path, 1, 0);

	if(id < 0)
		snprintf(err, n, "%s", llambo_last_error());
	return id;
}

/* Eight tokens, both paths: finite logits. */
static void
evaluate(int id)
{
	static const int32_t toks[8] = { 1, 260, 270, 300, 290, 5, 100, 2 };
	int nv = llambo_n_vocab(id), exact, i;
	float *logits = malloc(sizeof(float) * 8 * (size_t)nv);

	for(exact = 0; exact < 2; exact++){
		llambo_ctx *c = llambo_ctx_new(id, 64, 2);
		assert_non_null(c);
		llambo_ctx_set_exact(c, exact);
		assert_int_equal(llambo_ctx_eval(c, toks, 8, LLAMBO_LOGITS_ALL, logits), 0);
		for(i = 0; i < 8 * nv; i++)
			assert_true(isfinite(logits[i]));
		llambo_ctx_free(c);
	}
	free(logits);
}

static void
synth_one(const char *path, const char *arch, const char *type)
{
	char err[256], want[64], *info;
	SynthSpec s;
	int id;

	small(&s, arch, type);
	if(synth_write(&s, path) < 0)
		fail_msg("synth %s %s: %s", arch, type, llambo_last_error());
	id = load(path, err, sizeof err);
	if(id < 0)
		fail_msg("%s %s: %s", arch, type, err);
	info = llambo_get_model_info(id);
	snprintf(want, sizeof want, "\"architecture\":\"%s\"", arch);
	assert_non_null(strstr(info, want));
	assert_non_null(strstr(info, strcmp(arch, "qwen3moe") == 0 ? "\"ffn\":\"experts\"" :
		strcmp(arch, "phi3") == 0 ? "\"ffn\":\"fused gate+up\"" : "\"ffn\":\"gated\""));
	llambo_free(info);
	evaluate(id);
	assert_int_equal(llambo_free_model(id), 0);
}

/* Every family in F32 and Q4_K_M, two in the IQ types (slow to quantize): written, loaded, described, evaluated. */
static void
test_synth_every_family(void **state)
{
	static const char *const archs[] = { "llama", "qwen2", "qwen3", "qwen3moe", "gemma2", "gemma3", "phi3", "smollm3" };
	static const char *const more[][2] = { { "qwen3", "IQ4_NL" }, { "gemma3", "IQ4_XS" } };
	enum { NA = sizeof archs / sizeof archs[0], NM = sizeof more / sizeof more[0] };
	char path[256];
	int i;

	(void)state;
	tmp_path(path, sizeof path, "synth.gguf");
	for(i = 0; i < 2 * NA + NM; i++)
		if(i < 2 * NA)
			synth_one(path, archs[i / 2], i % 2 ? "Q4_K_M" : "F32");
		else
			synth_one(path, more[i - 2 * NA][0], more[i - 2 * NA][1]);
	remove(path);
}

/* Changes to a synthetic file: a key's value, a tensor left out, a tensor added or reshaped. */
typedef struct Edit {
	const char *arch;
	const char *key;	/* NULL, or <arch>.<key> set to u32 value (or removed if value < 0) */
	long value;
	const char *key2;	/* NULL, or <arch>.<key2> set to 2 */
	const char *drop;	/* NULL, or a tensor left out */
	const char *add;	/* NULL, or a tensor [ne0, ne1] of F32 zeros added */
	int64_t ne0, ne1;
	const char *reason;	/* what the load error must say */
} Edit;

static const Edit edits[] = {
	{ "qwen3", NULL, 0, NULL, "blk.1.attn_q_norm.weight", NULL, 0, 0, "missing tensor blk.1.attn_q_norm.weight" },
	{ "qwen3", NULL, 0, NULL, NULL, "blk.0.ffn_gate_inp.weight", 256, 4, "blk.0.ffn_gate_inp.weight is not used by architecture qwen3" },
	{ "gemma2", NULL, 0, NULL, NULL, "output.weight", 256, 320, "output.weight is not used by architecture gemma2" },
	{ "gemma3", NULL, 0, NULL, "blk.0.post_ffw_norm.weight", NULL, 0, 0, "missing tensor blk.0.post_ffw_norm.weight" },
	{ "phi3", NULL, 0, NULL, "blk.0.ffn_up.weight", "blk.0.ffn_up.weight", 256, 256, "tensor blk.0.ffn_up.weight: shape [256, 256" },
	{ "qwen3moe", "expert_used_count", 5, NULL, NULL, NULL, 0, 0, "expert_used_count 5" },
	{ "qwen3moe", "expert_count", -1, NULL, NULL, NULL, 0, 0, "qwen3moe needs expert_count" },
	{ "qwen2", "expert_count", 4, "expert_used_count", NULL, NULL, 0, 0, "qwen2 has no mixture of experts" },
	{ "llama", "rope.dimension_count", 32, NULL, NULL, NULL, 0, 0, "must equal the head size 64 for llama" },
	{ "qwen2", NULL, 0, NULL, "blk.0.attn_q.bias", "blk.0.attn_q.bias", 128, 0, "tensor blk.0.attn_q.bias: shape [128" },
	{ "smollm3", NULL, 0, NULL, NULL, "rope_freqs.weight", 32, 0, "rope_freqs.weight is not used by architecture smollm3" },
};

static void
write_edited(const char *src, const char *dst, const Edit *e)
{
	GGUFFile f;
	GGUFWriter *w = gguf_writer_new(32);
	char key[128], key2[128];
	float *zeros = NULL;
	size_t i;

	assert_int_equal(gguf_open(&f, src, 0), 0);
	snprintf(key, sizeof key, "%s.%s", e->arch, e->key ? e->key : "");
	snprintf(key2, sizeof key2, "%s.%s", e->arch, e->key2 ? e->key2 : "");
	for(i = 0; i < f.n_kv; i++)
		if((e->key == NULL || strcmp(f.kv[i].key, key) != 0) && (e->key2 == NULL || strcmp(f.kv[i].key, key2) != 0))
			gguf_w_copy(w, &f, &f.kv[i]);
	if(e->key != NULL && e->value >= 0)
		gguf_w_u32(w, key, (uint32_t)e->value);
	if(e->key2 != NULL)
		gguf_w_u32(w, key2, 2);
	for(i = 0; i < f.n_tensors; i++)
		if(e->drop == NULL || strcmp(f.tensors[i].name, e->drop) != 0)
			gguf_w_tensor(w, f.tensors[i].name, f.tensors[i].type, (int)f.tensors[i].n_dims, f.tensors[i].ne,
				f.tensors[i].data);
	if(e->add != NULL){
		int64_t ne[2] = { e->ne0, e->ne1 ? e->ne1 : 1 };
		zeros = calloc((size_t)(ne[0] * ne[1]), sizeof(float));
		gguf_w_tensor(w, e->add, LB_F32, e->ne1 ? 2 : 1, ne, zeros);
	}
	assert_int_equal(gguf_write_file(w, dst), 0);
	gguf_writer_free(w);
	gguf_close(&f);
	free(zeros);
}

static void
test_refusals(void **state)
{
	char src[256], dst[256], err[256];
	size_t i;

	(void)state;
	tmp_path(src, sizeof src, "arch-src.gguf");
	tmp_path(dst, sizeof dst, "arch-edit.gguf");
	for(i = 0; i < sizeof edits / sizeof edits[0]; i++){
		const Edit *e = &edits[i];
		SynthSpec s;
		small(&s, e->arch, "F32");
		s.tied = strcmp(e->arch, "gemma2") == 0;
		assert_int_equal(synth_write(&s, src), 0);
		write_edited(src, dst, e);
		assert_true(load(dst, err, sizeof err) < 0);
		if(strstr(err, e->reason) == NULL)
			fail_msg("%s: \"%s\", wanted \"%s\"", e->arch, err, e->reason);
	}
	remove(src);
	remove(dst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synth_every_family),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
