/*
 * synth.h - random llama models of any shape and tensor type, for benchmarks and
 * for tests on machines without real model files.  The tensor types follow
 * llama-quantize's mixes (Q4_K_M keeps attn_v and ffn_down of some layers and the
 * output in Q6_K, ...), so a synthetic file reads like a downloaded one.
 */
#ifndef LB_SYNTH_H
#define LB_SYNTH_H

#include <stdint.h>

typedef struct SynthSpec {
	int n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
	const char *type;	/* F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K (all tensors),
				   or a mix: Q2_K_M Q3_K_M Q4_K_M Q5_K_M (llama-quantize's) */
	int tied;	/* no output.weight: the embeddings are reused */
	uint64_t seed;
} SynthSpec;

void synth_defaults(SynthSpec *s);	/* a small model: 256 wide, 4 layers, 512 tokens, Q8_0 */
int synth_write(const SynthSpec *s, const char *path);	/* 0, or -1 with lb_err set */

/* The vocabulary (synth_vocab.c): words, so that random weights still make text. */
enum { SYNTH_MIN_VOCAB = 300 };
struct GGUFWriter;
int synth_vocab(struct GGUFWriter *w, int n_vocab);	/* 0, or -1 with lb_err set */

#endif
