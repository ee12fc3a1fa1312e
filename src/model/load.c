/*
 * load.c - a model from a GGUF file: its family's descriptor (arch.c), the
 * hyperparameters, then every tensor the family has, bound by name and checked
 * against the shape the hyperparameters demand, so the forward pass never
 * reads outside a tensor.  A tensor the family does not use is an error, as in
 * llama.cpp: computing without it would not be what the file means.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "arch.h"
#include "hparams.h"

enum { MAX_DIM = 1 << 20, MAX_CTX = 1 << 24, MAX_HEAD = 1024 };

int
key_int(const Model *m, const char *suffix, int *out, int zero_ok)
{
	char key[128];
	uint32_t v;
	int r;

	snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
	r = gguf_get_u32(&m->file, key, &v);
	if(r <= 0)
		return r;
	if((v == 0 && !zero_ok) || v > 0x7fffffffu)
		return lb_err("key %s: %u is out of range", key, v);
	*out = (int)v;
	return 1;
}

int
key_float(const Model *m, const char *suffix, float *out, int zero_ok)
{
	char key[128];
	float v;
	int r;

	snprintf(key, sizeof key, "%s.%s", m->arch, suffix);
	r = gguf_get_f32(&m->file, key, &v);
	if(r <= 0)
		return r;
	if(!isfinite(v) || v < 0 || (v == 0 && !zero_ok))
		return lb_err("key %s: %g is out of range", key, v);
	*out = v;
	return 1;
}

/* A dimension: required or not, at most MAX_DIM. */
static int
key_dim(const Model *m, const char *suffix, int *out, int required)
{
	int r = key_int(m, suffix, out, 0);

	if(r == 0 && required)
		return lb_err("missing key %s.%s", m->arch, suffix);
	if(r == 1 && *out > MAX_DIM)
		return lb_err("key %s.%s: %d is out of range", m->arch, suffix, *out);
	return r;
}

static int
streq(GGUFStr s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* rope.*: the base, and the scaling (llama_model's load_hparams and llama_context's cparams) */
static int
load_rope(Model *m)
{
	RopeScaling *s = &m->hp.rope;
	static const char *const types[] = { [SCALING_NONE] = "none", [SCALING_LINEAR] = "linear",
		[SCALING_YARN] = "yarn", [SCALING_LONGROPE] = "longrope" };
	GGUFStr type = { "linear", 6 };
	char key[128];
	float factor = 0;
	int r;

	s->base = 10000.0f;
	s->attn_factor = 1.0f;
	s->n_ctx_orig = m->hp.n_ctx_train;
	snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch);
	if(gguf_get_str(&m->file, key, &type) < 0)
		return -1;
	for(s->type = 0; s->type < 4 && !streq(type, types[s->type]); s->type++)
		;
	if(s->type == 4)
		return lb_err("rope scaling %.*s is not supported", (int)(type.len < 32 ? type.len : 32), type.p);
	r = key_float(m, "rope.scaling.factor", &factor, 1);
	if(r == 0)
		r = key_float(m, "rope.scale_linear", &factor, 1);
	if(r < 0 ||
	   key_float(m, "rope.freq_base", &s->base, 0) < 0 ||
	   key_float(m, "rope.scaling.attn_factor", &s->attn_factor, 0) < 0 ||
	   key_int(m, "rope.scaling.original_context_length", &s->n_ctx_orig, 0) < 0)
		return -1;
	s->freq_scale = factor == 0 || s->type == SCALING_NONE ? 1.0f : 1.0f / factor;
	s->base_swa = s->base;
	s->freq_scale_swa = s->freq_scale;
	return 0;
}

/* Head sizes and RoPE dimensions. */
static int
load_heads(Model *m)
{
	HParams *hp = &m->hp;
	int v_len;

	if(hp->n_embd % hp->n_head != 0)
		return lb_err("embedding_length %d is not a multiple of head_count %d", hp->n_embd, hp->n_head);
	if(hp->n_head % hp->n_head_kv != 0)
		return lb_err("head_count %d is not a multiple of head_count_kv %d", hp->n_head, hp->n_head_kv);
	hp->head_dim = hp->n_embd / hp->n_head;
	if(key_dim(m, "attention.key_length", &hp->head_dim, 0) < 0)
		return -1;
	v_len = hp->head_dim;
	if(key_dim(m, "attention.value_length", &v_len, 0) < 0)
		return -1;
	if(v_len != hp->head_dim)
		return lb_err("value_length %d differs from key_length %d", v_len, hp->head_dim);
	if(hp->head_dim % 2 != 0 || hp->head_dim > MAX_HEAD || (int64_t)hp->head_dim * hp->n_head > MAX_DIM)
		return lb_err("head size %d is not usable", hp->head_dim);
	hp->n_rot = hp->head_dim;
	if(key_dim(m, "rope.dimension_count", &hp->n_rot, 0) < 0)
		return -1;
	if(hp->n_rot % 2 != 0 || hp->n_rot > hp->head_dim)
		return lb_err("rope.dimension_count %d does not fit the head size %d", hp->n_rot, hp->head_dim);
	if((m->arch_desc->flags & A_FULL_ROPE) && hp->n_rot != hp->head_dim)
		return lb_err("rope.dimension_count %d must equal the head size %d for %s", hp->n_rot, hp->head_dim, m->arch);
	return 0;
}

static int
load_experts(Model *m)
{
	HParams *hp = &m->hp;

	if(key_int(m, "expert_count", &hp->n_expert, 1) < 0 ||
	   key_int(m, "expert_used_count", &hp->n_expert_used, 1) < 0 ||
	   key_float(m, "expert_weights_scale", &hp->expert_weights_scale, 1) < 0)
		return -1;
	if(hp->n_expert > MODEL_MAX_EXPERTS)
		return lb_err("expert_count %d exceeds %d", hp->n_expert, MODEL_MAX_EXPERTS);
	if(hp->n_expert > 0 && (hp->n_expert_used < 1 || hp->n_expert_used > hp->n_expert))
		return lb_err("expert_used_count %d does not fit expert_count %d", hp->n_expert_used, hp->n_expert);
	if(hp->n_expert == 0)
		hp->n_expert_used = 0;
	hp->n_ff_exp = hp->n_ff;
	return 0;
}

static int
load_hparams(Model *m)
{
	HParams *hp = &m->hp;
	GGUFStr s;
	int r;

	r = gguf_get_str(&m->file, "general.architecture", &s);
	if(r <= 0)
		return r < 0 ? -1 : lb_err("missing key general.architecture");
	if(s.len >= sizeof m->arch || memchr(s.p, 0, s.len) != NULL)
		return lb_err("unsupported architecture (name too long)");
	memcpy(m->arch, s.p, s.len);
	m->arch[s.len] = 0;
	m->arch_desc = arch_find(m->arch);
	if(m->arch_desc == NULL)
		return lb_err("unsupported architecture %s", m->arch);
	if(gguf_get_str(&m->file, "general.name", &s) == 1){
		size_t n = s.len < sizeof m->name - 1 ? s.len : sizeof m->name - 1;
		memcpy(m->name, s.p, n);
		m->name[n] = 0;
	}
	m->file_type = ~0u;
	if(gguf_get_u32(&m->file, "general.file_type", &m->file_type) < 0)
		return -1;

	if(key_dim(m, "embedding_length", &hp->n_embd, 1) < 0 ||
	   key_dim(m, "block_count", &hp->n_layer, 1) < 0 ||
	   key_dim(m, "attention.head_count", &hp->n_head, 1) < 0 ||
	   key_dim(m, "feed_forward_length", &hp->n_ff, 1) < 0)
		return -1;
	r = key_int(m, "context_length", &hp->n_ctx_train, 0);
	if(r <= 0)
		return r < 0 ? -1 : lb_err("missing key %s.context_length", m->arch);
	if(hp->n_ctx_train > MAX_CTX)
		hp->n_ctx_train = MAX_CTX;
	hp->n_head_kv = hp->n_head;
	if(key_dim(m, "attention.head_count_kv", &hp->n_head_kv, 0) < 0)
		return -1;
	if(hp->n_layer > MODEL_MAX_LAYERS)
		return lb_err("block_count %d exceeds %d", hp->n_layer, MODEL_MAX_LAYERS);
	if(load_heads(m) < 0 || load_experts(m) < 0 || load_rope(m) < 0)
		return -1;
	hp->norm_eps = 1e-5f;
	if(key_float(m, "attention.layer_norm_rms_epsilon", &hp->norm_eps, 0) < 0)
		return -1;
	hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
	hp->embd_scale = m->arch_desc->flags & A_EMBD_SCALE ? sqrtf((float)hp->n_embd) : 1.0f;
	if(m->arch_desc->hparams != NULL && m->arch_desc->hparams(m) < 0)
		return -1;
	if(hp->n_swa < 0 || hp->swa_pattern < 0 || hp->n_ff_exp <= 0 || hp->n_ff_exp > MAX_DIM)
		return lb_err("sliding window or expert size out of range");
	return 0;
}

/* Symbolic dimensions of the tensor table. */
enum { D_1, D_E, D_Q, D_KV, D_QKV, D_HD, D_F, D_F2, D_FE, D_X, D_V, D_ROT2 };

static int64_t
dim(const HParams *hp, int d)
{
	int64_t q = (int64_t)hp->n_head * hp->head_dim, kv = (int64_t)hp->n_head_kv * hp->head_dim;

	switch(d){
	case D_E: return hp->n_embd;
	case D_Q: return q;
	case D_KV: return kv;
	case D_QKV: return q + 2 * kv;
	case D_HD: return hp->head_dim;
	case D_F: return hp->n_ff;
	case D_F2: return 2 * (int64_t)hp->n_ff;
	case D_FE: return hp->n_ff_exp;
	case D_X: return hp->n_expert;
	case D_V: return hp->n_vocab;
	case D_ROT2: return hp->n_rot / 2;
	}
	return 1;
}

enum {	/* how a tensor of a group the file has is looked for */
	REQ,	/* required */
	SEP,	/* required unless the layer has a fused attn_qkv */
	SEP_OPT,	/* optional unless the layer has a fused attn_qkv (then not used) */
	FUSED,	/* optional with a fused attn_qkv (else not used) */
	OPT,	/* optional */
};

typedef struct Spec {
	const char *name;	/* after "blk.N." */
	unsigned groups;	/* L_* it belongs to */
	int how;
	size_t field;	/* offset in Layer */
	int vec;	/* a vector, decoded to floats; else a matrix used in place */
	int d[3];	/* shape: D_* (D_1 for the unused) */
} Spec;

#define F(x) offsetof(Layer, x)
static const Spec layer_specs[] = {
	{ "attn_norm.weight", L_ATTN, REQ, F(attn_norm), 1, { D_E } },
	{ "attn_qkv.weight", L_ATTN, OPT, F(wqkv), 0, { D_E, D_QKV } },	/* before q, k, v */
	{ "attn_q.weight", L_ATTN, SEP, F(wq), 0, { D_E, D_Q } },
	{ "attn_k.weight", L_ATTN, SEP, F(wk), 0, { D_E, D_KV } },
	{ "attn_v.weight", L_ATTN, SEP, F(wv), 0, { D_E, D_KV } },
	{ "attn_qkv.bias", L_ATTN_BIAS, FUSED, F(bqkv), 1, { D_QKV } },
	{ "attn_q.bias", L_ATTN_BIAS, SEP_OPT, F(bq), 1, { D_Q } },
	{ "attn_k.bias", L_ATTN_BIAS, SEP_OPT, F(bk), 1, { D_KV } },
	{ "attn_v.bias", L_ATTN_BIAS, SEP_OPT, F(bv), 1, { D_KV } },
	{ "attn_output.weight", L_ATTN, REQ, F(wo), 0, { D_Q, D_E } },
	{ "attn_output.bias", L_O_BIAS, REQ, F(bo), 1, { D_E } },
	{ "attn_q_norm.weight", L_QK_NORM, REQ, F(q_norm), 1, { D_HD } },
	{ "attn_k_norm.weight", L_QK_NORM, REQ, F(k_norm), 1, { D_HD } },
	{ "post_attention_norm.weight", L_POST_NORM, REQ, F(attn_post_norm), 1, { D_E } },
	{ "ffn_norm.weight", L_DENSE | L_FUSED | L_MOE, REQ, F(ffn_norm), 1, { D_E } },
	{ "ffn_gate.weight", L_DENSE, REQ, F(w_gate), 0, { D_E, D_F } },
	{ "ffn_up.weight", L_DENSE, REQ, F(w_up), 0, { D_E, D_F } },
	{ "ffn_up.weight", L_FUSED, REQ, F(w_up), 0, { D_E, D_F2 } },
	{ "ffn_down.weight", L_DENSE | L_FUSED, REQ, F(w_down), 0, { D_F, D_E } },
	{ "ffn_gate.bias", L_FFN_BIAS, REQ, F(b_gate), 1, { D_F } },
	{ "ffn_up.bias", L_FFN_BIAS, REQ, F(b_up), 1, { D_F } },
	{ "ffn_down.bias", L_FFN_BIAS, REQ, F(b_down), 1, { D_E } },
	{ "post_ffw_norm.weight", L_POST_NORM, REQ, F(ffn_post_norm), 1, { D_E } },
	{ "ffn_gate_inp.weight", L_MOE, REQ, F(gate_inp), 0, { D_E, D_X } },
	{ "ffn_gate_exps.weight", L_MOE, REQ, F(gate_exps), 0, { D_E, D_FE, D_X } },
	{ "ffn_up_exps.weight", L_MOE, REQ, F(up_exps), 0, { D_E, D_FE, D_X } },
	{ "ffn_down_exps.weight", L_MOE, REQ, F(down_exps), 0, { D_FE, D_E, D_X } },
};
#undef F
enum { N_SPECS = sizeof layer_specs / sizeof layer_specs[0] };

typedef struct Binder {
	Model *m;
	unsigned need, may;	/* groups, after the choice between dense and experts */
	uint8_t *used;	/* per file tensor */
} Binder;

/* The tensor called name of exactly shape ne (a vector when vec), or NULL (lb_err set unless absent and optional). */
static const GGUFTensor *
bind(Binder *b, const char *name, const int64_t ne[3], int vec, int optional)
{
	Model *m = b->m;
	const GGUFTensor *t = gguf_tensor(&m->file, name);
	int64_t n;

	if(t == NULL){
		if(!optional)
			lb_err("missing tensor %s", name);
		return NULL;
	}
	if(t->ne[0] != ne[0] || t->ne[1] != ne[1] || t->ne[2] != ne[2] || t->ne[3] != 1){
		lb_err("tensor %s: shape [%lld, %lld, %lld, %lld], expected [%lld, %lld, %lld]", name,
			(long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
			(long long)ne[0], (long long)ne[1], (long long)ne[2]);
		return NULL;
	}
	if(!vec && quant_type(t->type)->vec_dot == NULL){
		lb_err("tensor %s: type %s cannot be a weight matrix", name, quant_type(t->type)->name);
		return NULL;
	}
	n = ne[0] * ne[1] * ne[2];
	m->n_params += (uint64_t)n;
	m->weight_bytes += t->nbytes;
	b->used[t - m->file.tensors] = 1;
	return t;
}

/* A vector tensor decoded to floats (norms, biases, factors are small; any type is accepted). */
static float *
bind_vec(Binder *b, const char *name, int64_t n, int optional, int *failed)
{
	const int64_t ne[3] = { n, 1, 1 };
	const GGUFTensor *t = bind(b, name, ne, 1, optional);
	float *v;

	if(t == NULL){
		*failed |= gguf_tensor(&b->m->file, name) != NULL || !optional;
		return NULL;
	}
	v = malloc(sizeof(float) * (size_t)n);
	if(v == NULL){
		*failed = 1;
		lb_err("out of memory");
		return NULL;
	}
	quant_type(t->type)->to_float(t->data, v, n);
	return v;
}

static int
bind_layer(Binder *b, int il)
{
	const HParams *hp = &b->m->hp;
	Layer *l = &b->m->layers[il];
	char nm[GGUF_MAX_NAME];
	int i, failed = 0;

	for(i = 0; i < N_SPECS && !failed; i++){
		const Spec *s = &layer_specs[i];
		int fused = l->wqkv != NULL, optional;
		int64_t ne[3] = { dim(hp, s->d[0]), dim(hp, s->d[1]), dim(hp, s->d[2]) };
		void *field = (char *)l + s->field;
		if(b->need & s->groups)
			optional = s->how != REQ && s->how != SEP;
		else if(b->may & s->groups)
			optional = 1;
		else
			continue;
		if((fused && (s->how == SEP || s->how == SEP_OPT)) || (!fused && s->how == FUSED))
			continue;
		if(s->how == SEP && (b->may & s->groups))
			optional = 1;
		snprintf(nm, sizeof nm, "blk.%d.%s", il, s->name);
		if(s->vec)
			*(float **)field = bind_vec(b, nm, ne[0], optional, &failed);
		else{
			*(const GGUFTensor **)field = bind(b, nm, ne, 0, optional);
			failed = *(const GGUFTensor **)field == NULL && (!optional || gguf_tensor(&b->m->file, nm) != NULL);
		}
	}
	return failed ? -1 : 0;
}

/* token_embd, output_norm, output (or tied), output.bias, RoPE factors */
static int
bind_globals(Binder *b)
{
	Model *m = b->m;
	const HParams *hp = &m->hp;
	const int64_t embd[3] = { hp->n_embd, hp->n_vocab, 1 };
	int failed = 0, longrope = hp->rope.type == SCALING_LONGROPE;

	m->tok_embd = bind(b, "token_embd.weight", embd, 0, 0);
	if(m->tok_embd == NULL)
		return -1;
	m->out_norm = bind_vec(b, "output_norm.weight", hp->n_embd, 0, &failed);
	if(!(m->arch_desc->flags & A_TIED)){
		m->output = bind(b, "output.weight", embd, 0, 1);
		if(m->output == NULL && gguf_tensor(&m->file, "output.weight") != NULL)
			return -1;
	}
	if(m->output == NULL)
		m->output = m->tok_embd;	/* tied */
	if(b->may & G_OUT_BIAS)
		m->out_bias = bind_vec(b, "output.bias", hp->n_vocab, 1, &failed);
	if((b->may & G_ROPE_FREQS) && !longrope)
		m->rope_freqs = bind_vec(b, "rope_freqs.weight", hp->n_rot / 2, 1, &failed);
	if((b->may & G_ROPE_FACTORS) || ((b->may & G_ROPE_FREQS) && longrope)){
		m->rope_long = bind_vec(b, "rope_factors_long.weight", hp->n_rot / 2, 1, &failed);
		m->rope_short = bind_vec(b, "rope_factors_short.weight", hp->n_rot / 2, 1, &failed);
	}
	return failed ? -1 : 0;
}

/* The groups this file must have: the family's, with experts instead of a dense FFN when it has experts. */
static int
choose_groups(Binder *b)
{
	const Arch *a = b->m->arch_desc;

	b->need = a->need;
	b->may = a->may & ~L_MOE;
	if(b->m->hp.n_expert > 0){
		if(!(a->need & L_MOE) && !(a->may & L_MOE))
			return lb_err("%s has no mixture of experts, but the file has expert_count", a->name);
		b->need = (b->need & ~(L_DENSE | L_FUSED)) | L_MOE;
	}else if(a->need & L_MOE)
		return lb_err("%s needs expert_count", a->name);
	return 0;
}

static int
check_all_used(Binder *b)
{
	size_t i;

	for(i = 0; i < b->m->file.n_tensors; i++)
		if(!b->used[i])
			return lb_err("tensor %s is not used by architecture %s", b->m->file.tensors[i].name, b->m->arch);
	return 0;
}

static int
bind_tensors(Model *m)
{
	Binder b = { m, 0, 0, NULL };
	int il, rc = -1;

	if(choose_groups(&b) < 0)
		return -1;
	b.used = calloc(m->file.n_tensors + 1, 1);
	m->layers = calloc((size_t)m->hp.n_layer, sizeof m->layers[0]);
	if(b.used == NULL || m->layers == NULL){
		free(b.used);
		return lb_err("out of memory");
	}
	if(bind_globals(&b) < 0)
		goto done;
	for(il = 0; il < m->hp.n_layer; il++)
		if(bind_layer(&b, il) < 0)
			goto done;
	rc = check_all_used(&b);
done:
	free(b.used);
	return rc;
}

/* Each layer's window and RoPE (llama_hparams::set_swa_pattern, get_rope_freq_base/scale, n_no_rope_layer_step). */
static void
setup_layers(Model *m)
{
	const HParams *hp = &m->hp;
	const RopeScaling *s = &hp->rope;
	int il;

	for(il = 0; il < hp->n_layer; il++){
		Layer *l = &m->layers[il];
		int swa = hp->n_swa > 0 && (hp->swa_pattern == 0 || il % hp->swa_pattern < hp->swa_pattern - 1);
		int kind = hp->nope_step > 0 && (il + 1) % hp->nope_step == 0 ? ROPE_NONE : m->arch_desc->rope;
		l->window = swa ? hp->n_swa : 0;
		rope_init(&l->rope, kind, hp->n_rot, swa ? s->base_swa : s->base, swa ? s->freq_scale_swa : s->freq_scale,
			s, m->rope_freqs != NULL ? m->rope_freqs : m->rope_short);
	}
}

size_t
model_wide_row(const Model *m)
{
	const HParams *hp = &m->hp;
	size_t w = (size_t)hp->n_ff, qkv = lb_mul((size_t)(hp->n_head + 2 * hp->n_head_kv), (size_t)hp->head_dim);

	if(m->arch_desc != NULL && (m->arch_desc->need & L_FUSED))
		w = lb_mul(w, 2);
	if(qkv > w)
		w = qkv;
	if((size_t)hp->n_ff_exp > w)
		w = (size_t)hp->n_ff_exp;
	return w;
}

Rope
model_rope(const Model *m, int il, int n_ctx)
{
	Rope r = m->layers[il].rope;

	/* LongRoPE: the long factors when the context exceeds the original one (llama_model::get_rope_factors) */
	if(m->rope_freqs == NULL && m->rope_long != NULL && n_ctx > m->hp.rope.n_ctx_orig)
		r.factors = m->rope_long;
	return r;
}

Model *
model_load(const char *path, int use_mmap)
{
	Model *m = calloc(1, sizeof *m);

	if(m == NULL){
		lb_err("out of memory");
		return NULL;
	}
	if(gguf_open(&m->file, path, use_mmap) < 0){
		free(m);
		return NULL;
	}
	if(load_hparams(m) < 0)
		goto fail;
	m->vocab = vocab_load(&m->file);
	if(m->vocab == NULL)
		goto fail;
	m->hp.n_vocab = vocab_n_tokens(m->vocab);
	if(bind_tensors(m) < 0)
		goto fail;
	setup_layers(m);
	model_repack(m);
	m->kv_type_k = m->kv_type_v = LB_F16;	/* llama.cpp's default cache */
	return m;
fail:
	model_free(m);
	return NULL;
}

void
model_free(Model *m)
{
	int il, i;

	if(m == NULL)
		return;
	for(il = 0; m->layers != NULL && il < m->hp.n_layer; il++)
		for(i = 0; i < N_SPECS; i++)
			if(layer_specs[i].vec)
				free(*(float **)((char *)&m->layers[il] + layer_specs[i].field));
	free(m->layers);
	free(m->out_norm);
	free(m->out_bias);
	free(m->rope_freqs);
	free(m->rope_long);
	free(m->rope_short);
	vocab_free(m->vocab);
	model_unpack(m);
	gguf_close(&m->file);
	free(m);
}

const char *
model_ftype_name(const Model *m)
{
	static const char *names[] = {
		[0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0",
		[9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L",
		[14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K",
		[25] = "IQ4_NL", [30] = "IQ4_XS", [32] = "BF16",
	};

	if(m->file_type < sizeof names / sizeof names[0] && names[m->file_type] != NULL)
		return names[m->file_type];
	/* no general.file_type: name it after the output matrix's type */
	return quant_type(m->layers[0].wo->type)->name;
}
