/* synth.c - writing a random llama model; see synth.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../quant/quant.h"
#include "../util/error.h"
#include "../util/mem.h"
#include "../util/rng.h"
#include "synth.h"

typedef struct Mix {
	const char *name;
	uint32_t base, attn_v_more, attn_v, attn_out, ffn_down_more, ffn_down, output;
	uint32_t ftype;	/* general.file_type */
} Mix;

/* llama-quantize's choices for llama models; "more" applies to layers use_more_bits() picks */
static const Mix mixes[] = {
	{ "F32", LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, LB_F32, 0 },
	{ "F16", LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, LB_F16, 1 },
	{ "BF16", LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, LB_BF16, 32 },
	{ "Q4_0", LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q4_0, LB_Q6_K, 2 },
	{ "Q4_1", LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q4_1, LB_Q6_K, 3 },
	{ "Q5_0", LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q5_0, LB_Q6_K, 8 },
	{ "Q5_1", LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q5_1, LB_Q6_K, 9 },
	{ "Q8_0", LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, LB_Q8_0, 7 },
	{ "Q2_K", LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, LB_Q2_K, 10 },
	{ "Q3_K", LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, 12 },
	{ "Q4_K", LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, 15 },
	{ "Q5_K", LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, LB_Q5_K, 17 },
	{ "Q6_K", LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, LB_Q6_K, 18 },
	{ "Q2_K_M", LB_Q2_K, LB_Q4_K, LB_Q4_K, LB_Q3_K, LB_Q3_K, LB_Q3_K, LB_Q6_K, 10 },
	{ "Q3_K_M", LB_Q3_K, LB_Q5_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q4_K, LB_Q6_K, 12 },
	{ "Q4_K_M", LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q4_K, LB_Q6_K, LB_Q4_K, LB_Q6_K, 15 },
	{ "Q5_K_M", LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q5_K, LB_Q6_K, LB_Q5_K, LB_Q6_K, 17 },
};

typedef struct Synth {
	const SynthSpec *s;
	GGUFWriter *w;
	uint64_t rng;
	void **bufs;	/* tensor data, kept until the file is written */
	size_t *sizes;
	int nbufs;
} Synth;

void
synth_defaults(SynthSpec *s)
{
	memset(s, 0, sizeof *s);
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

/* A tensor of uniform noise with standard deviation sd around mean, stored as type; ne1 = 0: a vector. */
static int
add_tensor(Synth *y, const char *name, uint32_t type, int64_t ne0, int64_t ne1, float mean, float sd)
{
	const QuantType *qt = quant_type(type);
	int64_t ne[2] = { ne0, ne1 ? ne1 : 1 }, r, i;
	size_t rowsz = quant_row_size(type, ne0), n = lb_mul(rowsz, (size_t)ne[1]);
	float *row;
	uint8_t *data;

	if(qt == NULL || rowsz == 0)
		return lb_err("tensor %s: %lld is not a multiple of %s's block", name, (long long)ne0, qt ? qt->name : "?");
	data = lb_bigalloc(n);
	row = malloc(sizeof(float) * (size_t)ne0);
	if(data == NULL || row == NULL){
		lb_bigfree(data, n);
		free(row);
		return lb_err("out of memory for tensor %s", name);
	}
	for(r = 0; r < ne[1]; r++){
		for(i = 0; i < ne0; i++)
			row[i] = mean + sd * 1.7320508f * uniform(&y->rng);
		qt->from_float(row, data + (size_t)r * rowsz, ne0);
	}
	free(row);
	y->bufs[y->nbufs] = data;
	y->sizes[y->nbufs++] = n;
	gguf_w_tensor(y->w, name, type, ne1 ? 2 : 1, ne, data);
	return 0;
}

static int
add_meta(Synth *y, const Mix *mx)
{
	const SynthSpec *s = y->s;
	char name[96];

	snprintf(name, sizeof name, "synthetic llama %dx%d %s", s->n_layer, s->n_embd, mx->name);
	gguf_w_str(y->w, "general.architecture", "llama");
	gguf_w_str(y->w, "general.type", "model");
	gguf_w_str(y->w, "general.name", name);
	gguf_w_u32(y->w, "general.file_type", mx->ftype);
	gguf_w_u32(y->w, "general.quantization_version", 2);
	gguf_w_u32(y->w, "llama.vocab_size", (uint32_t)s->n_vocab);
	gguf_w_u32(y->w, "llama.context_length", (uint32_t)s->n_ctx);
	gguf_w_u32(y->w, "llama.embedding_length", (uint32_t)s->n_embd);
	gguf_w_u32(y->w, "llama.block_count", (uint32_t)s->n_layer);
	gguf_w_u32(y->w, "llama.feed_forward_length", (uint32_t)s->n_ff);
	gguf_w_u32(y->w, "llama.attention.head_count", (uint32_t)s->n_head);
	gguf_w_u32(y->w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv);
	gguf_w_u32(y->w, "llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head));
	gguf_w_f32(y->w, "llama.rope.freq_base", 10000.0f);
	gguf_w_f32(y->w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	return synth_vocab(y->w, s->n_vocab);
}

static int
add_layer(Synth *y, const Mix *mx, int il)
{
	const SynthSpec *s = y->s;
	int64_t d = s->n_embd, hd = d / s->n_head, kv = hd * s->n_head_kv;
	int more = more_bits(il, s->n_layer);
	char nm[GGUF_MAX_NAME];

#define T(suffix, type, ne0, ne1, mean, sd) \
	snprintf(nm, sizeof nm, "blk.%d." suffix, il); \
	if(add_tensor(y, nm, type, ne0, ne1, mean, sd) < 0) return -1;
	T("attn_norm.weight", LB_F32, d, 0, 1.0f, 0.05f)
	T("attn_q.weight", mx->base, d, d, 0, 0.06f)
	T("attn_k.weight", mx->base, d, kv, 0, 0.06f)
	T("attn_v.weight", more ? mx->attn_v_more : mx->attn_v, d, kv, 0, 0.06f)
	T("attn_output.weight", mx->attn_out, d, d, 0, 0.06f)
	T("ffn_norm.weight", LB_F32, d, 0, 1.0f, 0.05f)
	T("ffn_gate.weight", mx->base, d, s->n_ff, 0, 0.06f)
	T("ffn_up.weight", mx->base, d, s->n_ff, 0, 0.06f)
	T("ffn_down.weight", more ? mx->ffn_down_more : mx->ffn_down, s->n_ff, d, 0, 0.06f)
#undef T
	return 0;
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
check_spec(const SynthSpec *s)
{
	if(s->n_embd <= 0 || s->n_layer <= 0 || s->n_head <= 0 || s->n_head_kv <= 0 || s->n_ff <= 0 || s->n_ctx <= 0)
		return lb_err("every dimension must be positive");
	if(s->n_embd % s->n_head != 0 || s->n_head % s->n_head_kv != 0 || (s->n_embd / s->n_head) % 2 != 0)
		return lb_err("n_embd must be a multiple of n_head (with an even head size), n_head of n_head_kv");
	return 0;
}

int
synth_write(const SynthSpec *s, const char *path)
{
	const Mix *mx = find_mix(s->type);
	Synth y = { s, NULL, s->seed, NULL, NULL, 0 };
	int il, rc = -1, ntensors = 3 + 9 * s->n_layer;

	if(mx == NULL)
		return lb_err("unknown type %s", s->type);
	if(check_spec(s) < 0)
		return -1;
	y.w = gguf_writer_new(32);
	y.bufs = calloc((size_t)ntensors, sizeof y.bufs[0]);
	y.sizes = calloc((size_t)ntensors, sizeof y.sizes[0]);
	if(y.w == NULL || y.bufs == NULL || y.sizes == NULL){
		lb_err("out of memory");
		goto done;
	}
	if(add_meta(&y, mx) < 0 ||
	   add_tensor(&y, "token_embd.weight", mx->base, s->n_embd, s->n_vocab, 0, 1.0f) < 0)
		goto done;
	for(il = 0; il < s->n_layer; il++)
		if(add_layer(&y, mx, il) < 0)
			goto done;
	if(add_tensor(&y, "output_norm.weight", LB_F32, s->n_embd, 0, 1.0f, 0.05f) < 0)
		goto done;
	if(!s->tied && add_tensor(&y, "output.weight", mx->output, s->n_embd, s->n_vocab, 0, 0.25f) < 0)
		goto done;
	rc = gguf_write_file(y.w, path);
done:
	for(il = 0; il < y.nbufs; il++)
		lb_bigfree(y.bufs[il], y.sizes[il]);
	free(y.bufs);
	free(y.sizes);
	gguf_writer_free(y.w);
	return rc;
}
