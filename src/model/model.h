/*
 * model.h - a decoder-only transformer from a GGUF file (the families of
 * arch.c: llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, smollm3),
 * bound to the tensors of its file, and a context: the scratch of a batch
 * with one sequence of its own in a KV pool (ctx_eval); batches of many
 * sequences are batch.h's.
 */
#ifndef LB_MODEL_H
#define LB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../gguf/gguf.h"
#include "../vocab/vocab.h"
#include "rope.h"

enum { MODEL_MAX_LAYERS = 512, MODEL_MAX_BATCH = 512, MODEL_MAX_EXPERTS = 512 };

typedef struct Arch Arch;

typedef struct HParams {
	int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff;
	int head_dim;	/* n_embd / n_head unless the file says otherwise */
	int n_rot;	/* dimensions RoPE rotates (head_dim unless the file says otherwise) */
	int n_ctx_train;
	int n_expert, n_expert_used, n_ff_exp;	/* mixture of experts; 0 experts: a dense FFN */
	float expert_weights_scale;	/* 0: none */
	int n_swa;	/* sliding window of the layers that have one; 0: no layer has one */
	int swa_pattern;	/* layer il has it when il % swa_pattern < swa_pattern - 1; 0: every layer */
	int nope_step;	/* every nope_step-th layer has no RoPE (smollm3: 4); 0: all have it */
	float norm_eps;
	float attn_scale;	/* of q . k (before the soft-cap) */
	float attn_softcap, final_softcap;	/* 0: none */
	float embd_scale;	/* 1, or sqrt(n_embd) (gemma) */
	RopeScaling rope;	/* what the file says about RoPE; each layer's Rope derives from it */
} HParams;

typedef struct Layer {
	/* vectors, decoded to floats at load; NULL when the file has none */
	float *attn_norm, *ffn_norm;	/* n_embd */
	float *attn_post_norm, *ffn_post_norm;	/* n_embd (gemma2/3) */
	float *q_norm, *k_norm;	/* head_dim, applied per head (qwen3, gemma3) */
	float *bq, *bk, *bv, *bqkv, *bo;	/* biases (qwen2: q, k, v) */
	float *b_gate, *b_up, *b_down;
	/* matrices, in place in the file */
	const GGUFTensor *wq, *wk, *wv, *wo;
	const GGUFTensor *wqkv;	/* fused [n_embd, q+k+v] instead of wq, wk, wv */
	const GGUFTensor *w_gate, *w_up, *w_down;	/* w_gate NULL + w_up [n_embd, 2 n_ff]: fused (phi3) */
	const GGUFTensor *gate_inp, *gate_exps, *up_exps, *down_exps;	/* experts [.., .., n_expert] */
	/* what the layer does */
	int window;	/* sliding window: keys at most window - 1 positions back; 0 = all */
	Rope rope;	/* rope.kind == ROPE_NONE: the layer has none (smollm3's every fourth) */
} Layer;

typedef struct Model {
	GGUFFile file;
	Vocab *vocab;
	const Arch *arch_desc;
	HParams hp;
	Layer *layers;
	const GGUFTensor *tok_embd, *output;	/* output == tok_embd when tied */
	float *out_norm, *out_bias;
	float *rope_freqs;	/* NULL, or n_rot/2 frequency factors (Llama 3.1 scaling) */
	float *rope_long, *rope_short;	/* NULL, or n_rot/2 LongRoPE factors */
	char arch[32];
	char name[128];
	uint32_t file_type;	/* general.file_type, or ~0u */
	uint64_t n_params;
	size_t weight_bytes;
	int n_packed;	/* matrices repacked at load (repack.c), and their bytes */
	size_t packed_bytes;
	uint32_t kv_type_k, kv_type_v;	/* the KV cache's element types (kv.h): F16 unless set after loading */
} Model;

Model *model_load(const char *path, int use_mmap);	/* NULL with lb_err set */
void model_free(Model *m);
/*
 * repack.c: a mapped model's matrices repacked into the layout of the kernel
 * tier in use, where it has one (LLAMBO_REPACK=0: never, the file's pages
 * stay shared); the mapped pages a copy covers are given back.  model_unpack
 * frees the copies.
 */
void model_repack(Model *m);
void model_unpack(Model *m);
/* The file type as llama.cpp names it ("Q4_K - Medium"), or the dominant tensor type. */
const char *model_ftype_name(const Model *m);
/* The widest intermediate row of a layer: n_ff, 2 n_ff (fused gate+up), q+k+v (fused qkv), an expert's. */
size_t model_wide_row(const Model *m);
/* The RoPE of layer il for a context of n_ctx positions (LongRoPE picks its factors by n_ctx). */
Rope model_rope(const Model *m, int il, int n_ctx);

typedef struct Ctx Ctx;
Ctx *ctx_new(const Model *m, int n_ctx, int n_threads);	/* NULL with lb_err set */
void ctx_free(Ctx *c);
void ctx_reset(Ctx *c);
int ctx_rewind(Ctx *c, int pos);	/* forgets the positions from pos on; 0, or -1 with lb_err set */
int ctx_pos(const Ctx *c);
int ctx_n_ctx(const Ctx *c);
void ctx_set_exact(Ctx *c, int exact);
/* The context's own cache in these types (kv.h; -1: the model's); only while it is empty.  0, or -1 with lb_err set. */
int ctx_set_kv_types(Ctx *c, int type_k, int type_v);
/* 1: the plain two-pass attention, the reference the tiled one is tested against (attn.c). */
void ctx_set_plain_attn(Ctx *c, int plain);
/*
 * Feeds n tokens at the next positions.  logits is NULL, or has room for n rows
 * (all = 1) or one row (all = 0, the last token's).  0, or -1 with lb_err set.
 */
int ctx_eval(Ctx *c, const int32_t *tok, int n, float *logits, int all);

#endif
