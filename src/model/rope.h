/*
 * rope.h - rotary position embeddings as ggml computes them: "normal" (rotate
 * adjacent pairs, llama) and NeoX (rotate dimension i with i + n_rot/2: qwen,
 * gemma, phi3), with linear, YaRN and LongRoPE scaling and per-dimension
 * frequency factors (Llama 3.1's rope_freqs, Phi-3's long and short factors).
 */
#ifndef LB_ROPE_H
#define LB_ROPE_H

enum { ROPE_NONE, ROPE_NORM, ROPE_NEOX };
enum { SCALING_NONE, SCALING_LINEAR, SCALING_YARN, SCALING_LONGROPE };

/* What a file says about RoPE (keys <arch>.rope.*). */
typedef struct RopeScaling {
	int type;	/* SCALING_*: rope.scaling.type, "linear" when absent */
	float freq_scale;	/* 1 / rope.scaling.factor (or rope.scale_linear); 1 when absent or type none */
	float attn_factor;	/* rope.scaling.attn_factor, 1 when absent */
	int n_ctx_orig;	/* rope.scaling.original_context_length, else the training context */
	float base;	/* rope.freq_base, 10000 when absent */
	float base_swa, freq_scale_swa;	/* of sliding-window layers (gemma2/3) */
} RopeScaling;

/* The rotation of one layer. */
typedef struct Rope {
	int kind;	/* ROPE_NONE, ROPE_NORM, ROPE_NEOX */
	int n_rot;	/* dimensions rotated, from the first; the rest of the head is left as it is */
	float base, freq_scale;
	float ext_factor;	/* YaRN: 1 (blend interpolation and extrapolation per dimension); else 0 */
	float attn_factor;	/* cos and sin are multiplied by it */
	float corr[2];	/* YaRN: the dimensions between which the blend ramps */
	const float *factors;	/* NULL, or n_rot/2 divisors of the frequencies */
} Rope;

/* A layer's rotation: kind and n_rot, its base and scale, the file's scaling, and factors (or NULL). */
void rope_init(Rope *r, int kind, int n_rot, float base, float freq_scale, const RopeScaling *s, const float *factors);
/* Rotates each of nh heads of size hd at x by position pos. */
void rope_apply(const Rope *r, float *x, int nh, int hd, int pos);

#endif
