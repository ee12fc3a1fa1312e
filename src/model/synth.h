/*
 * synth.h - random models of any family, shape and tensor type, for benchmarks
 * and for tests on machines without real model files.  The tensor types follow
 * llama-quantize's mixes (Q4_K_M keeps attn_v and ffn_down of some layers and the
 * output in Q6_K, ...), and each family gets the tensors and keys its converter
 * writes, so a synthetic file reads like a downloaded one.
 */
#ifndef LB_SYNTH_H
#define LB_SYNTH_H

#include <stdint.h>

typedef struct SynthSpec {
	const char *arch;	/* a family of arch.c: llama qwen2 qwen3 qwen3moe gemma2 gemma3 phi3 smollm3 */
	int n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
	int head_dim;	/* 0: n_embd / n_head */
	int n_expert, n_expert_used, n_ff_exp;	/* experts (qwen3moe; llama: Mixtral); 0 experts: dense */
	int n_swa, swa_pattern;	/* sliding window and its pattern (gemma); 0: none / the family's default */
	float rope_base;	/* 0: 10000 */
	const char *rope_scaling;	/* NULL, "linear", "yarn" or "longrope" */
	float rope_factor;	/* linear and yarn */
	int n_ctx_orig;	/* yarn and longrope: the original context */
	const char *type;	/* F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS
				   (every matrix; the output Q6_K for the 4- and 5-bit block and IQ types), or a mix:
				   Q2_K_M Q3_K_M Q4_K_M Q5_K_M (llama-quantize's); where a type's block does
				   not divide a row, llama-quantize's fallback type (Q4_K: Q5_0, Q6_K: Q8_0, ...) */
	int tied;	/* no output.weight: the embeddings are reused (always for gemma2) */
	const char *vocab;	/* NULL: synth_vocab's words; else a GGUF file whose tokenizer.* keys (and so its
				   chat template) are copied, n_vocab becoming its token count */
	uint64_t seed;
} SynthSpec;

void synth_defaults(SynthSpec *s);	/* a small llama: 256 wide, 4 layers, 512 tokens, Q8_0 */
/* The dimensions of a named model ("tinyllama", "qwen3-1.7b", "gemma3-1b"); 0, or -1 if unknown. */
int synth_shape(SynthSpec *s, const char *name);
int synth_write(const SynthSpec *s, const char *path);	/* 0, or -1 with lb_err set */

/* The vocabulary (synth_vocab.c): words, so that random weights still make text. */
enum { SYNTH_MIN_VOCAB = 300 };
struct GGUFWriter;
int synth_vocab(struct GGUFWriter *w, int n_vocab);	/* 0, or -1 with lb_err set */

#endif
