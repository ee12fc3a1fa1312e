/* info.c - a model described as JSON, for get_model_info and models/N/info. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../quant/quant.h"
#include "../util/error.h"
#include "../model/arch.h"
#include "../model/kv.h"
#include "registry.h"

enum { MAXNAME = 1024 };	/* bytes of general.name kept: the file's, not a buffer's */

typedef struct Buf {
	char *s;
	size_t len, cap;
	int failed;
} Buf;

static void
put(Buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(b->failed)
		return;
	for(;;){
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if(n < 0){
			b->failed = 1;
			return;
		}
		if((size_t)n < b->cap - b->len){
			b->len += (size_t)n;
			return;
		}
		char *s = realloc(b->s, b->cap * 2 + (size_t)n);
		if(s == NULL){
			b->failed = 1;
			return;
		}
		b->s = s;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* The length of the well-formed UTF-8 character at s[0..n) (shortest form, no surrogate, at most U+10FFFF), or 0. */
static size_t
utf8char(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0, i;
	uint32_t c;

	if(len == 0 || len > n)
		return 0;
	c = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for(i = 1; i < len; i++){
		if((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

/*
 * A JSON string of at most max bytes of s, cut between characters: quotes,
 * backslashes and control bytes escaped, each byte that is not part of a
 * well-formed UTF-8 character written as U+FFFD (names and paths are bytes).
 */
static void
put_str(Buf *b, const char *key, const char *str, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, k;

	put(b, "\"%s\":\"", key);
	for(i = 0; i < n; i += k){
		k = utf8char(s + i, n - i);
		if(i + (k > 0 ? k : 1) > max)
			break;
		if(k == 0){
			put(b, "\\ufffd");
			k = 1;
		}else if(s[i] == '"' || s[i] == '\\')
			put(b, "\\%c", s[i]);
		else if(s[i] < 0x20)
			put(b, "\\u%04x", s[i]);
		else
			put(b, "%.*s", (int)k, (const char *)s + i);
	}
	put(b, "\",");
}

/* What the family does: RoPE, scaling, window, soft-caps, experts, per-layer parts. */
static void
describe_arch(Buf *b, const Model *m)
{
	static const char *const ropes[] = { "none", "normal", "neox" };
	static const char *const scalings[] = { "none", "linear", "yarn", "longrope" };
	const HParams *hp = &m->hp;
	const Layer *l = &m->layers[0];
	int il, nope = 0, swa = 0;

	for(il = 0; il < hp->n_layer; il++){
		nope += m->layers[il].rope.kind == ROPE_NONE;
		swa += m->layers[il].window > 0;
	}
	put(b, "\"rope_type\":\"%s\",\"rope_dimension_count\":%d,\"rope_scaling\":\"%s\",\"rope_original_context\":%d,",
		ropes[m->arch_desc->rope], hp->n_rot, scalings[hp->rope.type], hp->rope.n_ctx_orig);
	put(b, "\"layers_without_rope\":%d,\"sliding_window\":%d,\"sliding_window_layers\":%d,", nope, hp->n_swa, swa);
	put(b, "\"activation\":\"%s\",\"attention_scale\":%g,\"attn_logit_softcapping\":%g,\"final_logit_softcapping\":%g,",
		m->arch_desc->act == ACT_GELU ? "gelu" : "silu", hp->attn_scale, hp->attn_softcap, hp->final_softcap);
	put(b, "\"embedding_scale\":%g,\"qkv\":\"%s\",\"qkv_bias\":%s,\"qk_norm\":%s,\"post_norms\":%s,",
		hp->embd_scale, l->wqkv ? "fused" : "separate", l->bq || l->bqkv ? "true" : "false",
		l->q_norm ? "true" : "false", l->attn_post_norm ? "true" : "false");
	put(b, "\"ffn\":\"%s\",\"expert_count\":%d,\"expert_used_count\":%d,\"expert_feed_forward_length\":%d,",
		l->gate_inp ? "experts" : l->w_gate ? "gated" : "fused gate+up", hp->n_expert, hp->n_expert_used,
		hp->n_expert ? hp->n_ff_exp : 0);
}

static void
describe(Buf *b, int id, const Model *m, int use_mmap, int n_gpu_layers, const char *path)
{
	const HParams *hp = &m->hp;
	GGUFStr name;

	put(b, "{\"id\":%d,", id);
	put_str(b, "architecture", m->arch, strlen(m->arch), SIZE_MAX);
	if(gguf_get_str(&m->file, "general.name", &name) != 1)
		name.len = 0;
	put_str(b, "name", name.p, name.len, MAXNAME);
	put_str(b, "file", path, strlen(path), SIZE_MAX);
	put_str(b, "quantization", model_ftype_name(m), strlen(model_ftype_name(m)), SIZE_MAX);
	put(b, "\"parameters\":%llu,\"size_bytes\":%zu,", (unsigned long long)m->n_params, m->weight_bytes);
	put(b, "\"context_length\":%d,\"embedding_length\":%d,\"block_count\":%d,", hp->n_ctx_train, hp->n_embd, hp->n_layer);
	put(b, "\"head_count\":%d,\"head_count_kv\":%d,\"head_dim\":%d,\"feed_forward_length\":%d,",
		hp->n_head, hp->n_head_kv, hp->head_dim, hp->n_ff);
	put(b, "\"rope_freq_base\":%g,\"rope_freq_scale\":%g,\"rms_norm_eps\":%g,\"tied_output\":%s,",
		hp->rope.base, hp->rope.freq_scale, hp->norm_eps, m->output == m->tok_embd ? "true" : "false");
	describe_arch(b, m);
	put(b, "\"vocab_size\":%d,\"tokenizer\":\"%s\",", hp->n_vocab, vocab_kind(m->vocab) == VOCAB_SPM ? "llama" : "gpt2");
	put_str(b, "pre_tokenizer", vocab_pre_name(m->vocab), strlen(vocab_pre_name(m->vocab)), SIZE_MAX);
	put(b, "\"bos\":%d,\"eos\":%d,", vocab_bos(m->vocab), vocab_eos(m->vocab));
	put(b, "\"gguf_version\":%u,\"mmap\":%s,", m->file.version, use_mmap && m->file.mapped ? "true" : "false");
	put(b, "\"repacked_matrices\":%d,\"repacked_bytes\":%zu,", m->n_packed, m->packed_bytes);
	put(b, "\"backend\":\"cpu\",\"simd\":\"%s\",\"n_gpu_layers\":%d,", quant_tier_name(quant_tier()), n_gpu_layers);
	put(b, "\"kv_cache_type_k\":\"%s\",\"kv_cache_type_v\":\"%s\",\"kv_bytes_per_token\":%zu,", kv_type_name(m->kv_type_k),
		kv_type_name(m->kv_type_v), kv_page_bytes(hp, m->kv_type_k, m->kv_type_v) / KV_PAGE);
	if(n_gpu_layers > 0)
		put(b, "\"note\":\"this build has no GPU backend: %d layers requested on the GPU run on the CPU\",", n_gpu_layers);
	b->len--;	/* the last comma */
	put(b, "}");
}

char *
llambo_get_model_info(int id)
{
	Buf b = { 0 };
	Model *m;
	char path[1024];
	int use_mmap, ngl;

	if(reg_load_options(id, &use_mmap, &ngl, path, sizeof path) < 0)
		return NULL;
	m = reg_hold(id);
	if(m == NULL)
		return NULL;
	b.cap = 1024;
	b.s = malloc(b.cap);
	b.failed = b.s == NULL;
	describe(&b, id, m, use_mmap, ngl, path);
	reg_release(id);
	if(b.failed){
		free(b.s);
		lb_err("out of memory");
		return NULL;
	}
	return b.s;
}
