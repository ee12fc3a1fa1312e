/* synth.c - writing a random model of any family; see synth.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../quant/quant.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "../util/rng.h"
#include "arch.h"
#include "synth.h"

typedef struct Mix {
	const char *name;
	uint32_t base, attn_v_more, attn_v, attn_out, ffn_down_more, ffn_down, output, qkv;
	uint32_t ftype;	/* general.file_type */
} Mix;

/* llama-quantize's choices; "more" applies to layers use_more_bits() picks; a tied token_embd gets the output's */
static const Mix mixes[] = {
	{ "F32", LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, 0 },
	{ "F16", LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, 1 },
	{ "BF16", LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, 32 },
	{ "Q4_0", LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q6_K, LB_Q4_0, 2 },
	{ "Q4_1", LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q6_K, LB_Q4_1, 3 },
	{ "Q5_0", LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q6_K, LB_Q5_0, 8 },
	{ "Q5_1", LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q6_K, LB_Q5_1, 9 },
	{ "Q8_0", LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, 7 },
	{ "Q2_K", LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, 10 },
	{ "Q3_K", LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, 12 },
	{ "Q4_K", LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, 15 },
	{ "Q5_K", LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, 17 },
	{ "Q6_K", LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, 18 },
	{ "IQ4_NL", LB_IQ4_NL, LB_IQ4_NL, LB_IQ4_NL, LB_IQ4_NL, LB_IQ4_NL, LB_IQ4_NL, LB_Q6_K, LB_IQ4_NL, 25 },
	{ "IQ4_XS", LB_IQ4_XS, LB_IQ4_XS, LB_IQ4_XS, LB_IQ4_XS, LB_IQ4_XS, LB_IQ4_XS, LB_Q6_K, LB_IQ4_XS, 30 },
	{ "Q2_K_M", LB_Q2_K, LB_Q4_K, LB_Q4_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q6_K, LB_Q2_K, 10 },
	{ "Q3_K_M", LB_Q3_K, LB_Q5_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q6_K, LB_Q4_K, 12 },
	{ "Q4_K_M", LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q6_K, LB_Q5_K, 15 },
	{ "Q5_K_M", LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q6_K, LB_Q6_K, 17 },
};

/* What a family's converter writes that its descriptor leaves optional */
enum { S_QKV_BIAS = 1 << 0, S_FUSED_QKV = 1 << 1 };
static const struct { const char *arch; unsigned extras; } family_extras[] = {
	{ "qwen2", S_QKV_BIAS }, { "phi3", S_FUSED_QKV },
};

typedef struct Synth {
	const SynthSpec *s;
	const Arch *a;
	const Mix *mx;
	unsigned extras, groups;	/* S_* and the L_* groups the file has */
	int head_dim;
	GGUFWriter *w;
	uint64_t rng;
	void **bufs;	/* tensor data, kept until the file is written */
	size_t *sizes;
	int nbufs, maxbufs;
} Synth;

void
synth_defaults(SynthSpec *s)
{
	memset(s, 0, sizeof *s);
	s->arch = "llama";
	s->n_embd = 256;
	s->n_layer = 4;
	s->n_head = 8;
	s->n_head_kv = 2;
	s->n_ff = 768;
	s->n_vocab = 512;
	s->n_ctx = 2048;
	s->type = "Q8_0";
	s->seed = 20260824;
}

int
synth_shape(SynthSpec *s, const char *name)
{
	if(strcmp(name, "tinyllama") == 0){
		s->arch = "llama";
		s->n_embd = 2048; s->n_layer = 22; s->n_head = 32; s->n_head_kv = 4;
		s->n_ff = 5632; s->n_vocab = 32000; s->n_ctx = 2048;
	}else if(strcmp(name, "qwen3-1.7b") == 0){
		s->arch = "qwen3";
		s->n_embd = 2048; s->n_layer = 28; s->n_head = 16; s->n_head_kv = 8; s->head_dim = 128;
		s->n_ff = 6144; s->n_vocab = 151936; s->n_ctx = 40960; s->rope_base = 1000000; s->tied = 1;
	}else if(strcmp(name, "gemma3-1b") == 0){
		s->arch = "gemma3";
		s->n_embd = 1152; s->n_layer = 26; s->n_head = 4; s->n_head_kv = 1; s->head_dim = 256;
		s->n_ff = 6912; s->n_vocab = 262144; s->n_ctx = 32768; s->rope_base = 1000000; s->tied = 1;
		s->n_swa = 512; s->swa_pattern = 6;
	}else
		return lb_err("unknown shape %s (tinyllama, qwen3-1.7b, gemma3-1b)", name);
	return 0;
}

/* llama-quantize's use_more_bits: the first and last eighth of the layers, and every third between */
static int
more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

/* uniform in [-1, 1) */
static float
uniform(uint64_t *s)
{
	return (float)(2.0 * lb_rng_uniform(s) - 1.0);
}

/*
 * The type llama-quantize stores a row of ne0 in when type's block does not
 * divide it (tensor_type_fallback: Gemma 3 1B's 1152 columns, say), F16 when
 * the fallback's does not either.
 */
static uint32_t
fallback(uint32_t type, int64_t ne0)
{
	static const uint32_t from[][2] = { { LB_Q2_K, LB_Q4_0 }, { LB_Q3_K, LB_Q4_0 }, { LB_Q4_K, LB_Q5_0 },
		{ LB_Q5_K, LB_Q5_1 }, { LB_Q6_K, LB_Q8_0 }, { LB_IQ4_XS, LB_IQ4_NL } };
	size_t i;

	if(quant_row_size(type, ne0) != 0)
		return type;
	for(i = 0; i < sizeof from / sizeof from[0]; i++)
		if(from[i][0] == type && quant_row_size(from[i][1], ne0) != 0)
			return from[i][1];
	return LB_F16;
}

/* A tensor [ne0, ne1, ne2] (ne1 = 0: a vector) of uniform noise with standard deviation sd around mean, as type. */
static int
add_tensor3(Synth *y, const char *name, uint32_t type, int64_t ne0, int64_t ne1, int64_t ne2, float mean, float sd)
{
	const QuantType *qt = quant_type(type = fallback(type, ne0));
	int64_t ne[3] = { ne0, ne1 ? ne1 : 1, ne2 }, r, i;
	size_t rowsz = quant_row_size(type, ne0), n = lb_mul(lb_mul(rowsz, (size_t)ne[1]), (size_t)ne2);
	float *row;
	uint8_t *data;

	if(qt == NULL || rowsz == 0)
		return lb_err("tensor %s: %lld is not a multiple of %s's block", name, (long long)ne0, qt ? qt->name : "?");
	if(y->nbufs == y->maxbufs)
		return lb_err("too many tensors");
	data = lb_bigalloc(n);
	row = malloc(sizeof(float) * (size_t)ne0);
	if(data == NULL || row == NULL){
		lb_bigfree(data, n);
		free(row);
		return lb_err("out of memory for tensor %s", name);
	}
	for(r = 0; r < ne[1] * ne2; r++){
		for(i = 0; i < ne0; i++)
			row[i] = mean + sd * 1.7320508f * uniform(&y->rng);
		qt->from_float(row, data + (size_t)r * rowsz, ne0);
	}
	free(row);
	y->bufs[y->nbufs] = data;
	y->sizes[y->nbufs++] = n;
	gguf_w_tensor(y->w, name, type, ne2 > 1 ? 3 : ne1 ? 2 : 1, ne, data);
	return 0;
}

static int
add_tensor(Synth *y, const char *name, uint32_t type, int64_t ne0, int64_t ne1, float mean, float sd)
{
	return add_tensor3(y, name, type, ne0, ne1, 1, mean, sd);
}

/* <arch>.key = v */
static void
key_u32(Synth *y, const char *key, uint32_t v)
{
	char k[128];

	snprintf(k, sizeof k, "%s.%s", y->s->arch, key);
	gguf_w_u32(y->w, k, v);
}

static void
key_f32(Synth *y, const char *key, float v)
{
	char k[128];

	snprintf(k, sizeof k, "%s.%s", y->s->arch, key);
	gguf_w_f32(y->w, k, v);
}

/* rope.*: the base, and the scaling the spec asks for */
static void
add_rope_keys(Synth *y)
{
	const SynthSpec *s = y->s;
	char k[128];

	key_u32(y, "rope.dimension_count", (uint32_t)y->head_dim);
	key_f32(y, "rope.freq_base", s->rope_base > 0 ? s->rope_base : 10000.0f);
	if(s->rope_scaling == NULL)
		return;
	snprintf(k, sizeof k, "%s.rope.scaling.type", s->arch);
	gguf_w_str(y->w, k, s->rope_scaling);
	if(strcmp(s->rope_scaling, "longrope") == 0){	/* convert_hf_to_gguf's Phi-3 attention factor */
		double scale = (double)s->n_ctx / s->n_ctx_orig;
		key_f32(y, "rope.scaling.attn_factor", scale <= 1 ? 1.0f : (float)sqrt(1 + log(scale) / log(s->n_ctx_orig)));
	}else
		key_f32(y, "rope.scaling.factor", s->rope_factor);
	if(s->n_ctx_orig > 0)
		key_u32(y, "rope.scaling.original_context_length", (uint32_t)s->n_ctx_orig);
}

/* The tokenizer.* keys of a vocabulary file, as they are (gguf_w_copy keeps f's bytes: f stays open). */
static int
copy_vocab(GGUFWriter *w, const GGUFFile *f)
{
	size_t i;

	for(i = 0; i < f->n_kv; i++)
		if(strncmp(f->kv[i].key, "tokenizer.", 10) == 0)
			gguf_w_copy(w, f, &f->kv[i]);
	return 0;
}

/* s->vocab opened: n_vocab becomes its token count. */
static int
open_vocab(GGUFFile *f, SynthSpec *s)
{
	const GGUFKV *t;

	/* gguf_open's error names the path already */
	if(gguf_open(f, s->vocab, 1) < 0)
		return lb_errprefix("vocabulary");
	if(gguf_get_arr(f, "tokenizer.ggml.tokens", GGUF_STRING, &t) != 1 || t->v.arr.n > 1 << 24){
		gguf_close(f);
		return lb_err("vocabulary %s: no tokenizer.ggml.tokens array of at most 2^24 strings", s->vocab);
	}
	s->n_vocab = (int)t->v.arr.n;
	return 0;
}

static int
add_meta(Synth *y, const GGUFFile *vocab)
{
	const SynthSpec *s = y->s;
	char name[96];

	/* not the family's name: llama.cpp tunes the vocabulary by names like "phi3" */
	snprintf(name, sizeof name, "llambo synthetic %dx%d %s", s->n_layer, s->n_embd, y->mx->name);
	gguf_w_str(y->w, "general.architecture", s->arch);
	gguf_w_str(y->w, "general.type", "model");
	gguf_w_str(y->w, "general.name", name);
	gguf_w_u32(y->w, "general.file_type", y->mx->ftype);
	gguf_w_u32(y->w, "general.quantization_version", 2);
	key_u32(y, "vocab_size", (uint32_t)s->n_vocab);
	key_u32(y, "context_length", (uint32_t)s->n_ctx);
	key_u32(y, "embedding_length", (uint32_t)s->n_embd);
	key_u32(y, "block_count", (uint32_t)s->n_layer);
	key_u32(y, "feed_forward_length", (uint32_t)s->n_ff);
	key_u32(y, "attention.head_count", (uint32_t)s->n_head);
	key_u32(y, "attention.head_count_kv", (uint32_t)s->n_head_kv);
	if(y->head_dim != s->n_embd / s->n_head){
		key_u32(y, "attention.key_length", (uint32_t)y->head_dim);
		key_u32(y, "attention.value_length", (uint32_t)y->head_dim);
	}
	key_f32(y, "attention.layer_norm_rms_epsilon", 1e-5f);
	add_rope_keys(y);
	if(s->n_expert > 0){
		key_u32(y, "expert_count", (uint32_t)s->n_expert);
		key_u32(y, "expert_used_count", (uint32_t)s->n_expert_used);
		if(y->groups & L_MOE && strcmp(s->arch, "llama") != 0)
			key_u32(y, "expert_feed_forward_length", (uint32_t)s->n_ff_exp);
	}
	if(s->n_swa > 0){
		key_u32(y, "attention.sliding_window", (uint32_t)s->n_swa);
		if(s->swa_pattern > 0)
			key_u32(y, "attention.sliding_window_pattern", (uint32_t)s->swa_pattern);
		key_f32(y, "rope.freq_base_swa", 10000.0f);
	}
	if(strcmp(s->arch, "gemma2") == 0){	/* what Gemma 2's converter writes */
		key_f32(y, "attn_logit_softcapping", 50.0f);
		key_f32(y, "final_logit_softcapping", 30.0f);
	}
	return vocab != NULL ? copy_vocab(y->w, vocab) : synth_vocab(y->w, s->n_vocab);
}

/* blk.il.<suffix> */
static int
layer_tensor(Synth *y, int il, const char *suffix, uint32_t type, int64_t ne0, int64_t ne1, int64_t ne2, float mean, float sd)
{
	char nm[GGUF_MAX_NAME];

	snprintf(nm, sizeof nm, "blk.%d.%s", il, suffix);
	return add_tensor3(y, nm, type, ne0, ne1, ne2, mean, sd);
}

static int
add_attn(Synth *y, int il, int more)
{
	const SynthSpec *s = y->s;
	const Mix *mx = y->mx;
	int64_t d = s->n_embd, hd = y->head_dim, q = hd * s->n_head, kv = hd * s->n_head_kv;
	int r = 0;

	r |= layer_tensor(y, il, "attn_norm.weight", LB_F32, d, 0, 1, 1.0f, 0.05f);
	if(y->extras & S_FUSED_QKV)
		r |= layer_tensor(y, il, "attn_qkv.weight", mx->qkv, d, q + 2 * kv, 1, 0, 0.06f);
	else{
		r |= layer_tensor(y, il, "attn_q.weight", mx->base, d, q, 1, 0, 0.06f);
		r |= layer_tensor(y, il, "attn_k.weight", mx->base, d, kv, 1, 0, 0.06f);
		r |= layer_tensor(y, il, "attn_v.weight", more ? mx->attn_v_more : mx->attn_v, d, kv, 1, 0, 0.06f);
	}
	if(y->extras & S_QKV_BIAS){
		r |= layer_tensor(y, il, "attn_q.bias", LB_F32, q, 0, 1, 0, 0.1f);
		r |= layer_tensor(y, il, "attn_k.bias", LB_F32, kv, 0, 1, 0, 0.1f);
		r |= layer_tensor(y, il, "attn_v.bias", LB_F32, kv, 0, 1, 0, 0.1f);
	}
	if(y->groups & L_QK_NORM){
		r |= layer_tensor(y, il, "attn_q_norm.weight", LB_F32, hd, 0, 1, 1.0f, 0.05f);
		r |= layer_tensor(y, il, "attn_k_norm.weight", LB_F32, hd, 0, 1, 1.0f, 0.05f);
	}
	r |= layer_tensor(y, il, "attn_output.weight", mx->attn_out, q, d, 1, 0, 0.06f);
	if(y->groups & L_POST_NORM)
		r |= layer_tensor(y, il, "post_attention_norm.weight", LB_F32, d, 0, 1, 1.0f, 0.05f);
	return r;
}

static int
add_ffn(Synth *y, int il, int more)
{
	const SynthSpec *s = y->s;
	const Mix *mx = y->mx;
	int64_t d = s->n_embd, ff = s->n_ff, fe = s->n_ff_exp, nx = s->n_expert;
	uint32_t down = more ? mx->ffn_down_more : mx->ffn_down;
	int r = 0;

	r |= layer_tensor(y, il, "ffn_norm.weight", LB_F32, d, 0, 1, 1.0f, 0.05f);
	if(y->groups & L_MOE){
		r |= layer_tensor(y, il, "ffn_gate_inp.weight", LB_F32, d, nx, 1, 0, 0.1f);
		r |= layer_tensor(y, il, "ffn_gate_exps.weight", mx->base, d, fe, nx, 0, 0.06f);
		r |= layer_tensor(y, il, "ffn_up_exps.weight", mx->base, d, fe, nx, 0, 0.06f);
		r |= layer_tensor(y, il, "ffn_down_exps.weight", down, fe, d, nx, 0, 0.06f);
	}else if(y->groups & L_FUSED){
		r |= layer_tensor(y, il, "ffn_up.weight", mx->base, d, 2 * ff, 1, 0, 0.06f);
		r |= layer_tensor(y, il, "ffn_down.weight", down, ff, d, 1, 0, 0.06f);
	}else{
		r |= layer_tensor(y, il, "ffn_gate.weight", mx->base, d, ff, 1, 0, 0.06f);
		r |= layer_tensor(y, il, "ffn_up.weight", mx->base, d, ff, 1, 0, 0.06f);
		r |= layer_tensor(y, il, "ffn_down.weight", down, ff, d, 1, 0, 0.06f);
	}
	if(y->groups & L_POST_NORM)
		r |= layer_tensor(y, il, "post_ffw_norm.weight", LB_F32, d, 0, 1, 1.0f, 0.05f);
	return r;
}

/* The tied flag: no output.weight, the embeddings make the logits */
static int
tied(const Synth *y)
{
	return y->s->tied || (y->a->flags & A_TIED);
}

/* token_embd */
static int
add_embd(Synth *y)
{
	const SynthSpec *s = y->s;
	/*
	 * Tied embeddings also make the logits: large ones would make every token
	 * predict itself.  Gemma multiplies them by sqrt(n_embd): stored that much smaller.
	 */
	float sd = (tied(y) ? 0.25f : 1.0f) / (y->a->flags & A_EMBD_SCALE ? sqrtf((float)s->n_embd) : 1.0f);

	return add_tensor(y, "token_embd.weight", tied(y) ? y->mx->output : y->mx->base, s->n_embd, s->n_vocab, 0, sd);
}

/* output_norm, output, and LongRoPE's factors (after the layers: the order of the random numbers is the file's) */
static int
add_head(Synth *y)
{
	const SynthSpec *s = y->s;
	int r = 0;

	r |= add_tensor(y, "output_norm.weight", LB_F32, s->n_embd, 0, 1.0f, 0.05f);
	if(!tied(y))
		r |= add_tensor(y, "output.weight", y->mx->output, s->n_embd, s->n_vocab, 0, 0.25f);
	if(s->rope_scaling != NULL && strcmp(s->rope_scaling, "longrope") == 0){
		r |= add_tensor(y, "rope_factors_long.weight", LB_F32, y->head_dim / 2, 0, 2.5f, 0.8f);
		r |= add_tensor(y, "rope_factors_short.weight", LB_F32, y->head_dim / 2, 0, 1.1f, 0.05f);
	}
	return r;
}

static const Mix *
find_mix(const char *name)
{
	size_t i;

	for(i = 0; i < sizeof mixes / sizeof mixes[0]; i++)
		if(strcmp(mixes[i].name, name) == 0)
			return &mixes[i];
	return NULL;
}

static int
check_spec(const SynthSpec *s, const Arch *a)
{
	int hd = s->head_dim ? s->head_dim : s->n_head > 0 ? s->n_embd / s->n_head : 0;

	if(a == NULL)
		return lb_err("unknown architecture %s", s->arch);
	if(s->n_embd <= 0 || s->n_layer <= 0 || s->n_head <= 0 || s->n_head_kv <= 0 || s->n_ff <= 0 || s->n_ctx <= 0)
		return lb_err("every dimension must be positive");
	if((s->head_dim == 0 && s->n_embd % s->n_head != 0) || s->n_head % s->n_head_kv != 0 || hd <= 0 || hd % 2 != 0)
		return lb_err("n_embd must be a multiple of n_head (with an even head size), n_head of n_head_kv");
	if(s->n_expert > 0 && (s->n_expert_used <= 0 || s->n_expert_used > s->n_expert || s->n_ff_exp <= 0))
		return lb_err("experts need 0 < n_expert_used <= n_expert and n_ff_exp");
	if(s->n_expert > 0 && !((a->need | a->may) & L_MOE))
		return lb_err("%s has no experts", s->arch);
	if((a->need & L_MOE) && s->n_expert == 0)
		return lb_err("%s needs experts (n_expert, n_expert_used, n_ff_exp)", s->arch);
	if(s->rope_scaling != NULL && strcmp(s->rope_scaling, "linear") != 0 && strcmp(s->rope_scaling, "yarn") != 0 &&
	   strcmp(s->rope_scaling, "longrope") != 0)
		return lb_err("rope scaling %s: linear, yarn or longrope", s->rope_scaling);
	if(s->rope_scaling != NULL && strcmp(s->rope_scaling, "longrope") == 0 && s->n_ctx_orig <= 0)
		return lb_err("longrope needs the original context");
	if(s->rope_scaling != NULL && strcmp(s->rope_scaling, "longrope") != 0 && !(s->rope_factor > 0))
		return lb_err("%s scaling needs a factor", s->rope_scaling);
	return 0;
}

/* The Synth for spec s: the family's groups and extras. */
static int
synth_init(Synth *y, const SynthSpec *s)
{
	size_t i;

	memset(y, 0, sizeof *y);
	y->s = s;
	y->a = arch_find(s->arch ? s->arch : "");
	y->mx = find_mix(s->type);
	y->rng = s->seed;
	if(y->mx == NULL)
		return lb_err("unknown type %s", s->type);
	if(check_spec(s, y->a) < 0)
		return -1;
	y->head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
	y->groups = y->a->need;
	if(s->n_expert > 0)
		y->groups = (y->groups & ~(L_DENSE | L_FUSED)) | L_MOE;
	for(i = 0; i < sizeof family_extras / sizeof family_extras[0]; i++)
		if(strcmp(family_extras[i].arch, s->arch) == 0)
			y->extras = family_extras[i].extras;
	y->maxbufs = 8 + 16 * s->n_layer;
	y->w = gguf_writer_new(32);
	y->bufs = calloc((size_t)y->maxbufs, sizeof y->bufs[0]);
	y->sizes = calloc((size_t)y->maxbufs, sizeof y->sizes[0]);
	if(y->w == NULL || y->bufs == NULL || y->sizes == NULL)
		return lb_err("out of memory");
	return 0;
}

int
synth_write(const SynthSpec *in, const char *path)
{
	SynthSpec s = *in;
	GGUFFile vocab;
	Synth y;
	int il, rc = -1;

	if(s.vocab != NULL && open_vocab(&vocab, &s) < 0)
		return -1;
	if(synth_init(&y, &s) < 0 || add_meta(&y, s.vocab != NULL ? &vocab : NULL) < 0 || add_embd(&y) < 0)
		goto done;
	for(il = 0; il < s.n_layer; il++){
		int more = more_bits(il, s.n_layer);
		if(add_attn(&y, il, more) < 0 || add_ffn(&y, il, more) < 0)
			goto done;
	}
	if(add_head(&y) < 0)
		goto done;
	rc = gguf_write_file(y.w, path);
done:
	for(il = 0; il < y.nbufs; il++)
		lb_bigfree(y.bufs[il], y.sizes[il]);
	free(y.bufs);
	free(y.sizes);
	gguf_writer_free(y.w);
	if(s.vocab != NULL)
		gguf_close(&vocab);
	return rc;
}
