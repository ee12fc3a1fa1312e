/*
 * arch.h - what makes each model family different, as data: which tensors its
 * layers have (required or optional), which RoPE, which activation, and a hook
 * for the few hyperparameters only that family reads.  The loader binds
 * tensors by these bits and the forward pass follows the tensors it finds
 * (a bias is added where the file has one), so a new family is a table entry
 * plus whatever it truly adds.
 */
#ifndef LB_ARCH_H
#define LB_ARCH_H

#include "model.h"

enum {	/* groups of layer tensors (bits of Arch.need and Arch.may) */
	L_ATTN = 1 << 0,	/* attn_norm, attn_q/k/v or a fused attn_qkv, attn_output */
	L_ATTN_BIAS = 1 << 1,	/* attn_q/k/v.bias or attn_qkv.bias */
	L_O_BIAS = 1 << 2,	/* attn_output.bias */
	L_QK_NORM = 1 << 3,	/* attn_q_norm, attn_k_norm: RMS norm of each head of q and k */
	L_POST_NORM = 1 << 4,	/* post_attention_norm, post_ffw_norm: RMS norm of each block's output */
	L_DENSE = 1 << 5,	/* ffn_norm, ffn_gate, ffn_up, ffn_down */
	L_FUSED = 1 << 6,	/* ffn_norm, ffn_up holding gate and up, ffn_down (phi3) */
	L_FFN_BIAS = 1 << 7,	/* ffn_gate/up/down.bias */
	L_MOE = 1 << 8,	/* ffn_norm, ffn_gate_inp (the router), ffn_{gate,up,down}_exps */
	/* tensors outside the layers */
	G_OUT_BIAS = 1 << 9,	/* output.bias */
	G_ROPE_FREQS = 1 << 10,	/* rope_freqs (Llama 3.1), or with LongRoPE scaling rope_factors_long/short */
	G_ROPE_FACTORS = 1 << 11,	/* rope_factors_long/short whatever the scaling (phi3) */
};

enum {	/* Arch.flags */
	A_TIED = 1 << 0,	/* the output is always token_embd (gemma2): an output.weight is not used */
	A_EMBD_SCALE = 1 << 1,	/* embeddings are multiplied by sqrt(n_embd) (gemma) */
	A_FULL_ROPE = 1 << 2,	/* RoPE rotates the whole head (llama.cpp refuses or asserts otherwise) */
};

enum { ACT_SILU, ACT_GELU };	/* of the gate: act(gate) * up */

struct Arch {
	const char *name;	/* general.architecture */
	int rope;	/* ROPE_NORM or ROPE_NEOX */
	int act;	/* ACT_* */
	unsigned need, may;	/* L_* and G_* groups the file must have, and may have */
	unsigned flags;	/* A_* */
	int (*hparams)(Model *m);	/* what the family reads beyond the common keys, or NULL; -1 with lb_err */
};

/* The descriptor of general.architecture name, or NULL. */
const Arch *arch_find(const char *name);
/* Every family, for messages and synth: NULL-terminated. */
extern const Arch *const arch_all[];

#endif
