/*
 * load.c - a llama model from a GGUF file: hyperparameters, then every tensor
 * bound by name and checked against the shape the hyperparameters demand,
 * so the forward pass never reads outside a tensor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../quant/quant.h"
#include "../util/error.h"
#include "model.h"

enum { MAX_DIM = 1 << 20, MAX_CTX = 1 << 24 };

static int
get_dim(const GGUFFile *f, const char *arch, const char *suffix, int *out, int required)
{
	char key[128];
	uint32_t v;
	int r;

	snprintf(key, sizeof key, "%s.%s", arch, suffix);
	r = gguf_get_u32(f, key, &v);
	if(r < 0)
		return -1;
	if(r == 0)
		return required ? lb_err("missing key %s", key) : 0;
	if(v == 0 || v > MAX_DIM)
		return lb_err("key %s: %u is out of range", key, v);
	*out = (int)v;
	return 1;
}

static int
get_float(const GGUFFile *f, const char *arch, const char *suffix, float *out)
{
	char key[128];
	float v;
	int r;

	snprintf(key, sizeof key, "%s.%s", arch, suffix);
	r = gguf_get_f32(f, key, &v);
	if(r <= 0)
		return r;
	if(!isfinite(v) || v <= 0)
		return lb_err("key %s: %g is out of range", key, v);
	*out = v;
	return 1;
}

static int
streq(GGUFStr s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* Linear scaling (rope.scaling.type "linear", or the older rope.scale_linear) divides positions by the factor. */
static int
load_rope_scaling(Model *m)
{
	const GGUFFile *f = &m->file;
	GGUFStr type = { "linear", 6 };
	char key[128];
	float factor;
	int r;

	m->hp.rope_freq_scale = 1.0f;
	snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch);
	if(gguf_get_str(f, key, &type) < 0)
		return -1;
	if(streq(type, "none"))
		return 0;
	if(!streq(type, "linear"))
		return lb_err("rope scaling %.*s is not supported", (int)(type.len < 32 ? type.len : 32), type.p);
	r = get_float(f, m->arch, "rope.scaling.factor", &factor);
	if(r == 0)
		r = get_float(f, m->arch, "rope.scale_linear", &factor);
	if(r < 0)
		return -1;
	if(r == 1)
		m->hp.rope_freq_scale = 1.0f / factor;
	return 0;
}

static int
load_hparams(Model *m)
{
	const GGUFFile *f = &m->file;
	HParams *hp = &m->hp;
	GGUFStr s;
	int r, key_len = 0;

	r = gguf_get_str(f, "general.architecture", &s);
	if(r <= 0)
		return r < 0 ? -1 : lb_err("missing key general.architecture");
	if(s.len >= sizeof m->arch || memchr(s.p, 0, s.len) != NULL)
		return lb_err("unsupported architecture (name too long)");
	memcpy(m->arch, s.p, s.len);
	m->arch[s.len] = 0;
	if(strcmp(m->arch, "llama") != 0)
		return lb_err("unsupported architecture %s", m->arch);
	if(gguf_get_str(f, "general.name", &s) == 1){
		size_t n = s.len < sizeof m->name - 1 ? s.len : sizeof m->name - 1;
		memcpy(m->name, s.p, n);
		m->name[n] = 0;
	}
	m->file_type = ~0u;
	if(gguf_get_u32(f, "general.file_type", &m->file_type) < 0)
		return -1;

	if(get_dim(f, m->arch, "embedding_length", &hp->n_embd, 1) < 0 ||
	   get_dim(f, m->arch, "block_count", &hp->n_layer, 1) < 0 ||
	   get_dim(f, m->arch, "attention.head_count", &hp->n_head, 1) < 0 ||
	   get_dim(f, m->arch, "feed_forward_length", &hp->n_ff, 1) < 0 ||
	   get_dim(f, m->arch, "context_length", &hp->n_ctx_train, 1) < 0)
		return -1;
	hp->n_head_kv = hp->n_head;
	if(get_dim(f, m->arch, "attention.head_count_kv", &hp->n_head_kv, 0) < 0)
		return -1;
	if(hp->n_layer > MODEL_MAX_LAYERS)
		return lb_err("block_count %d exceeds %d", hp->n_layer, MODEL_MAX_LAYERS);
	if(hp->n_ctx_train > MAX_CTX)
		hp->n_ctx_train = MAX_CTX;
	if(hp->n_embd % hp->n_head != 0)
		return lb_err("embedding_length %d is not a multiple of head_count %d", hp->n_embd, hp->n_head);
	if(hp->n_head % hp->n_head_kv != 0)
		return lb_err("head_count %d is not a multiple of head_count_kv %d", hp->n_head, hp->n_head_kv);
	hp->head_dim = hp->n_embd / hp->n_head;
	if(get_dim(f, m->arch, "attention.key_length", &key_len, 0) < 0)
		return -1;
	if(key_len != 0)
		hp->head_dim = key_len;
	key_len = hp->head_dim;
	if(get_dim(f, m->arch, "attention.value_length", &key_len, 0) < 0)
		return -1;
	if(key_len != hp->head_dim)
		return lb_err("value_length %d differs from key_length %d", key_len, hp->head_dim);
	if(hp->head_dim % 2 != 0 || (int64_t)hp->head_dim * hp->n_head > MAX_DIM)
		return lb_err("head size %d is not usable", hp->head_dim);
	hp->n_rot = hp->head_dim;
	if(get_dim(f, m->arch, "rope.dimension_count", &hp->n_rot, 0) < 0)
		return -1;
	if(hp->head_dim > 1024)
		return lb_err("head size %d exceeds 1024", hp->head_dim);
	if(hp->n_rot != hp->head_dim)
		return lb_err("rope.dimension_count %d must equal the head size %d for llama", hp->n_rot, hp->head_dim);
	hp->rope_base = 10000.0f;
	if(get_float(f, m->arch, "rope.freq_base", &hp->rope_base) < 0)
		return -1;
	hp->norm_eps = 1e-5f;
	if(get_float(f, m->arch, "attention.layer_norm_rms_epsilon", &hp->norm_eps) < 0)
		return -1;
	return load_rope_scaling(m);
}

/* The tensor called name, of exactly shape [ne0, ne1] (ne1 = 0: a vector). */
static const GGUFTensor *
bind(Model *m, const char *name, int64_t ne0, int64_t ne1, int optional)
{
	const GGUFTensor *t = gguf_tensor(&m->file, name);
	int64_t want1 = ne1 ? ne1 : 1;

	if(t == NULL){
		if(!optional)
			lb_err("missing tensor %s", name);
		return NULL;
	}
	if(t->ne[0] != ne0 || t->ne[1] != want1 || t->ne[2] != 1 || t->ne[3] != 1){
		lb_err("tensor %s: shape [%lld, %lld, %lld, %lld], expected [%lld, %lld]", name,
			(long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
			(long long)ne0, (long long)want1);
		return NULL;
	}
	if(ne1 != 0 && quant_type(t->type)->vec_dot == NULL){
		lb_err("tensor %s: type %s cannot be a weight matrix", name, quant_type(t->type)->name);
		return NULL;
	}
	m->n_params += (uint64_t)ne0 * (uint64_t)want1;
	m->weight_bytes += t->nbytes;
	return t;
}

/* A vector tensor decoded to floats (norm weights are tiny; any type is accepted). */
static float *
bind_vec(Model *m, const char *name, int64_t n, int optional)
{
	const GGUFTensor *t = bind(m, name, n, 0, optional);
	float *v;

	if(t == NULL)
		return NULL;
	v = malloc(sizeof(float) * (size_t)n);
	if(v == NULL){
		lb_err("out of memory");
		return NULL;
	}
	quant_type(t->type)->to_float(t->data, v, n);
	return v;
}

static int
bind_layer(Model *m, int il)
{
	HParams *hp = &m->hp;
	Layer *l = &m->layers[il];
	int64_t q = (int64_t)hp->n_head * hp->head_dim, kv = (int64_t)hp->n_head_kv * hp->head_dim;
	char nm[GGUF_MAX_NAME];

#define B(field, suffix, ne0, ne1) \
	snprintf(nm, sizeof nm, "blk.%d." suffix, il); \
	if((l->field = bind(m, nm, ne0, ne1, 0)) == NULL) return -1;
#define V(field, suffix) \
	snprintf(nm, sizeof nm, "blk.%d." suffix, il); \
	if((l->field = bind_vec(m, nm, hp->n_embd, 0)) == NULL) return -1;
	V(attn_norm, "attn_norm.weight")
	B(wq, "attn_q.weight", hp->n_embd, q)
	B(wk, "attn_k.weight", hp->n_embd, kv)
	B(wv, "attn_v.weight", hp->n_embd, kv)
	B(wo, "attn_output.weight", q, hp->n_embd)
	V(ffn_norm, "ffn_norm.weight")
	B(w_gate, "ffn_gate.weight", hp->n_embd, hp->n_ff)
	B(w_up, "ffn_up.weight", hp->n_embd, hp->n_ff)
	B(w_down, "ffn_down.weight", hp->n_ff, hp->n_embd)
#undef B
#undef V
	return 0;
}

static int
bind_tensors(Model *m)
{
	HParams *hp = &m->hp;
	int il;

	m->tok_embd = bind(m, "token_embd.weight", hp->n_embd, hp->n_vocab, 0);
	if(m->tok_embd == NULL)
		return -1;
	m->out_norm = bind_vec(m, "output_norm.weight", hp->n_embd, 0);
	if(m->out_norm == NULL)
		return -1;
	m->output = bind(m, "output.weight", hp->n_embd, hp->n_vocab, 1);
	if(m->output == NULL){
		if(gguf_tensor(&m->file, "output.weight") != NULL)
			return -1;
		m->output = m->tok_embd;	/* tied */
	}
	m->rope_freqs = bind_vec(m, "rope_freqs.weight", hp->n_rot / 2, 1);
	if(m->rope_freqs == NULL && gguf_tensor(&m->file, "rope_freqs.weight") != NULL)
		return -1;
	m->layers = calloc((size_t)hp->n_layer, sizeof m->layers[0]);
	if(m->layers == NULL)
		return lb_err("out of memory");
	for(il = 0; il < hp->n_layer; il++)
		if(bind_layer(m, il) < 0)
			return -1;
	return 0;
}

Model *
model_load(const char *path, int use_mmap)
{
	Model *m = calloc(1, sizeof *m);

	if(m == NULL){
		lb_err("out of memory");
		return NULL;
	}
	if(gguf_open(&m->file, path, use_mmap) < 0){
		free(m);
		return NULL;
	}
	if(load_hparams(m) < 0)
		goto fail;
	m->vocab = vocab_load(&m->file);
	if(m->vocab == NULL)
		goto fail;
	m->hp.n_vocab = vocab_n_tokens(m->vocab);
	if(bind_tensors(m) < 0)
		goto fail;
	return m;
fail:
	model_free(m);
	return NULL;
}

void
model_free(Model *m)
{
	int il;

	if(m == NULL)
		return;
	if(m->layers != NULL)
		for(il = 0; il < m->hp.n_layer; il++){
			free(m->layers[il].attn_norm);
			free(m->layers[il].ffn_norm);
		}
	free(m->layers);
	free(m->out_norm);
	free(m->rope_freqs);
	vocab_free(m->vocab);
	gguf_close(&m->file);
	free(m);
}

const char *
model_ftype_name(const Model *m)
{
	static const char *names[] = {
		[0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0",
		[9] = "Q5_1", [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L",
		[14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K",
		[32] = "BF16",
	};

	if(m->file_type < sizeof names / sizeof names[0] && names[m->file_type] != NULL)
		return names[m->file_type];
	/* no general.file_type: name it after the largest matrix's type */
	return quant_type(m->layers[0].wq->type)->name;
}
