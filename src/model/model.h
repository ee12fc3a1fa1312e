/*
 * model.h - a llama-family model (Llama 1/2/3, Mistral, TinyLlama, SmolLM,
 * TinyStories), bound to the tensors of its GGUF file, and a context: the
 * scratch of a batch with one sequence of its own in a KV pool (ctx_eval);
 * batches of many sequences are batch.h's.
 */
#ifndef LB_MODEL_H
#define LB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../gguf/gguf.h"
#include "../vocab/vocab.h"

enum { MODEL_MAX_LAYERS = 512, MODEL_MAX_BATCH = 512 };

typedef struct HParams {
	int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff;
	int head_dim;	/* n_embd / n_head unless the file says otherwise */
	int n_rot;	/* dimensions RoPE rotates (llama: head_dim) */
	int n_ctx_train;
	float rope_base, rope_freq_scale;	/* freq_scale = 1 / linear scaling factor */
	float norm_eps;
} HParams;

typedef struct Layer {
	float *attn_norm, *ffn_norm;	/* n_embd floats, decoded at load */
	const GGUFTensor *wq, *wk, *wv, *wo, *w_gate, *w_up, *w_down;
} Layer;

typedef struct Model {
	GGUFFile file;
	Vocab *vocab;
	HParams hp;
	Layer *layers;
	const GGUFTensor *tok_embd, *output;	/* output == tok_embd when tied */
	float *out_norm;
	float *rope_freqs;	/* NULL, or n_rot/2 frequency factors (Llama 3.1 scaling) */
	char arch[32];
	char name[128];
	uint32_t file_type;	/* general.file_type, or ~0u */
	uint64_t n_params;
	size_t weight_bytes;
} Model;

Model *model_load(const char *path, int use_mmap);	/* NULL with lb_err set */
void model_free(Model *m);
/* The file type as llama.cpp names it ("Q4_K - Medium"), or the dominant tensor type. */
const char *model_ftype_name(const Model *m);

typedef struct Ctx Ctx;
Ctx *ctx_new(const Model *m, int n_ctx, int n_threads);	/* NULL with lb_err set */
void ctx_free(Ctx *c);
void ctx_reset(Ctx *c);
int ctx_pos(const Ctx *c);
int ctx_n_ctx(const Ctx *c);
void ctx_set_exact(Ctx *c, int exact);
/*
 * Feeds n tokens at the next positions.  logits is NULL, or has room for n rows
 * (all = 1) or one row (all = 0, the last token's).  0, or -1 with lb_err set.
 */
int ctx_eval(Ctx *c, const int32_t *tok, int n, float *logits, int all);

#endif
