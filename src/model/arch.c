/*
 * arch.c - the model families: llama.cpp's src/models/<arch>.cpp, as table
 * entries.  What a family reads beyond the common keys is its hook.
 */
#include <math.h>
#include <string.h>

#include "../util/error.h"
#include "arch.h"
#include "hparams.h"

/* gemma2: every other layer has a sliding window; soft-capped attention and logits */
static int
gemma2(Model *m)
{
	HParams *hp = &m->hp;

	hp->n_swa = 4096;
	hp->swa_pattern = 2;
	hp->attn_softcap = 50.0f;
	hp->final_softcap = 30.0f;
	hp->rope.base_swa = hp->rope.base;
	hp->rope.freq_scale_swa = hp->rope.freq_scale;
	if(key_int(m, "attention.sliding_window_pattern", &hp->swa_pattern, 1) < 0 ||
	   key_float(m, "rope.freq_base_swa", &hp->rope.base_swa, 0) < 0 ||
	   key_int(m, "attention.sliding_window", &hp->n_swa, 1) < 0 ||
	   key_float(m, "attn_logit_softcapping", &hp->attn_softcap, 0) < 0 ||
	   key_float(m, "final_logit_softcapping", &hp->final_softcap, 1) < 0)
		return -1;
	/* gemma_pytorch's query_pre_attn_scalar: n_embd / n_head for the 27B model (46 layers) */
	if(hp->n_layer == 46)
		hp->attn_scale = 1.0f / sqrtf((float)(hp->n_embd / hp->n_head));
	return 0;
}

/* gemma3: five of every six layers have a sliding window (when the file gives one), with their own RoPE base */
static int
gemma3(Model *m)
{
	HParams *hp = &m->hp;
	int r;

	r = key_int(m, "attention.sliding_window", &hp->n_swa, 1);
	if(r < 0)
		return -1;
	if(r == 1 && hp->n_swa > 0){
		hp->swa_pattern = 6;
		hp->rope.base_swa = 10000.0f;
		hp->rope.freq_scale_swa = 1.0f;
		if(key_int(m, "attention.sliding_window_pattern", &hp->swa_pattern, 1) < 0 ||
		   key_float(m, "rope.freq_base_swa", &hp->rope.base_swa, 0) < 0)
			return -1;
	}else
		hp->n_swa = 0;
	hp->final_softcap = 0;
	if(key_float(m, "final_logit_softcapping", &hp->final_softcap, 1) < 0)
		return -1;
	if(hp->n_layer == 62)	/* the 27B model */
		hp->attn_scale = 1.0f / sqrtf((float)(hp->n_embd / hp->n_head));
	return 0;
}

/* qwen3moe: the experts' width has its own key */
static int
qwen3moe(Model *m)
{
	HParams *hp = &m->hp;

	if(hp->n_expert == 0)
		return lb_err("qwen3moe needs expert_count and expert_used_count");
	hp->n_ff_exp = hp->n_ff / hp->n_expert_used;
	return key_int(m, "expert_feed_forward_length", &hp->n_ff_exp, 0) < 0 ? -1 : 0;
}

/* smollm3: every fourth layer has no RoPE */
static int
smollm3(Model *m)
{
	m->hp.nope_step = 4;
	return 0;
}

#define ATTN (L_ATTN | L_ATTN_BIAS)	/* every family: separate or fused q/k/v, optional biases (create_tensor_qkv) */

static const Arch llama = { "llama", ROPE_NORM, ACT_SILU, ATTN | L_DENSE,
	L_O_BIAS | L_FFN_BIAS | L_MOE | G_ROPE_FREQS, A_FULL_ROPE, NULL };
static const Arch qwen2 = { "qwen2", ROPE_NEOX, ACT_SILU, ATTN | L_DENSE, G_OUT_BIAS, A_FULL_ROPE, NULL };
static const Arch qwen3 = { "qwen3", ROPE_NEOX, ACT_SILU, ATTN | L_QK_NORM | L_DENSE, 0, A_FULL_ROPE, NULL };
static const Arch qwen3moe_ = { "qwen3moe", ROPE_NEOX, ACT_SILU, ATTN | L_QK_NORM | L_MOE, 0, A_FULL_ROPE, qwen3moe };
static const Arch gemma2_ = { "gemma2", ROPE_NEOX, ACT_GELU, ATTN | L_POST_NORM | L_DENSE, 0,
	A_TIED | A_EMBD_SCALE, gemma2 };
static const Arch gemma3_ = { "gemma3", ROPE_NEOX, ACT_GELU, ATTN | L_QK_NORM | L_POST_NORM | L_DENSE, 0,
	A_EMBD_SCALE, gemma3 };
static const Arch phi3 = { "phi3", ROPE_NEOX, ACT_SILU, ATTN | L_FUSED, G_ROPE_FACTORS, 0, NULL };
static const Arch smollm3_ = { "smollm3", ROPE_NORM, ACT_SILU, ATTN | L_DENSE, 0, A_FULL_ROPE, smollm3 };

const Arch *const arch_all[] = { &llama, &qwen2, &qwen3, &qwen3moe_, &gemma2_, &gemma3_, &phi3, &smollm3_, NULL };

const Arch *
arch_find(const char *name)
{
	int i;

	for(i = 0; arch_all[i] != NULL; i++)
		if(strcmp(arch_all[i]->name, name) == 0)
			return arch_all[i];
	return NULL;
}
