/*
 * vocab.c - the vocabulary from a GGUF file's tokenizer.* keys, checked the
 * way llama.cpp's llama_vocab::impl::load reads them, with every array's
 * type and length checked before use.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

static int
keyis(GGUFStr s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* tokenizer.ggml.model and .pre, and the defaults that follow from them. */
static int
load_kind(Vocab *v, const GGUFFile *f)
{
	GGUFStr model, pre = { "default", 7 };
	int rc;

	if((rc = gguf_get_str(f, "tokenizer.ggml.model", &model)) <= 0)
		return rc < 0 ? -1 : lb_err("tokenizer.ggml.model: missing");
	if(keyis(model, "llama")){
		v->kind = VOCAB_SPM;
		v->bos = 1;
		v->eos = 2;
		v->unk = 0;
		v->add_space_prefix = 1;
		v->add_bos = 1;
		return 0;
	}
	if(!keyis(model, "gpt2"))
		return lb_err("tokenizer.ggml.model: unsupported tokenizer %.*s", (int)(model.len < 32 ? model.len : 32), model.p);
	v->kind = VOCAB_BPE;
	v->bos = v->eos = 11;	/* llama.cpp's defaults for gpt2 */
	if(gguf_get_str(f, "tokenizer.ggml.pre", &pre) < 0)
		return -1;
	if(pre.len == 0)
		pre = (GGUFStr){ "default", 7 };	/* llama.cpp: missing pre-tokenizer, using "default" */
	if((v->predef = pretok_find(pre.p, pre.len)) == NULL)
		return -1;
	v->clean_spaces = predef_clean_spaces(v->predef);
	v->ignore_merges = predef_ignore_merges(v->predef);
	v->add_bos = predef_add_bos(v->predef);
	if(predef_no_bos(v->predef))
		v->bos = -1;
	return 0;
}

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* token_to_byte reads "<0xNN>": anything else typed as a byte token is refused. */
static int
check_byte_token(const char *s, uint32_t n, int32_t id)
{
	if(n != 6 || memcmp(s, "<0x", 3) != 0 || !ishex(s[3]) || !ishex(s[4]) || s[5] != '>')
		return lb_err("tokenizer.ggml.tokens: token %d has type BYTE but is not <0xNN>", id);
	return 0;
}

static uint8_t
attr_of_type(int32_t type)
{
	switch(type){
	case TOK_NORMAL: return VA_NORMAL;
	case TOK_UNKNOWN: return VA_UNKNOWN;
	case TOK_CONTROL: return VA_CONTROL;
	case TOK_USER_DEFINED: return VA_USER;
	case TOK_UNUSED: return VA_UNUSED;
	case TOK_BYTE: return VA_BYTE;
	}
	return 0;	/* undefined, or a type llama.cpp does not know: such a token prints nothing */
}

/* tokenizer.ggml.scores (FLOAT32 or INT32, like llama.cpp) and .token_type, both optional. */
static int
load_scores_types(Vocab *v, const GGUFFile *f)
{
	const GGUFKV *sc = gguf_find(f, "tokenizer.ggml.scores"), *ty = gguf_find(f, "tokenizer.ggml.token_type");
	float *score = v->score.p;
	uint8_t *attr = v->attr.p;
	int32_t i;

	if(sc != NULL && (sc->type != GGUF_ARRAY || (sc->v.arr.type != GGUF_FLOAT32 && sc->v.arr.type != GGUF_INT32)))
		return lb_err("tokenizer.ggml.scores: not an array of FLOAT32 or INT32");
	if(sc != NULL && sc->v.arr.n < (uint64_t)v->n)
		return lb_err("tokenizer.ggml.scores: %llu scores for %d tokens", (unsigned long long)sc->v.arr.n, v->n);
	if(ty != NULL && (ty->type != GGUF_ARRAY || ty->v.arr.type != GGUF_INT32))
		return lb_err("tokenizer.ggml.token_type: not an array of INT32");
	if(ty != NULL && ty->v.arr.n < (uint64_t)v->n)
		return lb_err("tokenizer.ggml.token_type: %llu types for %d tokens", (unsigned long long)ty->v.arr.n, v->n);
	for(i = 0; i < v->n; i++){
		if(sc != NULL)
			score[i] = sc->v.arr.type == GGUF_FLOAT32 ? gguf_arr_f32(sc, i) : (float)gguf_arr_i32(sc, i);
		attr[i] = ty != NULL ? attr_of_type(gguf_arr_i32(ty, i)) : VA_NORMAL;
	}
	return 0;
}

/* An empty token is renamed "[EMPTY_<id>]", as llama.cpp does. */
static uint32_t
token_text(const GGUFKV *kv, int32_t i, char *empty, GGUFStr *s)
{
	*s = gguf_arr_str(kv, i);
	if(s->len == 0){
		s->len = sprintf(empty, "[EMPTY_%d]", i);
		s->p = empty;
	}
	return (uint32_t)s->len;
}

/* tokenizer.ggml.tokens: the texts, copied, and the text -> id map. */
static int
load_tokens(Vocab *v, const GGUFFile *f)
{
	const GGUFKV *kv = gguf_find(f, "tokenizer.ggml.tokens");
	uint64_t total = 0;
	uint32_t *off, len;
	char empty[32], *text;
	GGUFStr s;
	int32_t i;

	if(kv == NULL)
		return lb_err("tokenizer.ggml.tokens: missing");
	if(kv->type != GGUF_ARRAY || kv->v.arr.type != GGUF_STRING)
		return lb_err("tokenizer.ggml.tokens: not an array of strings");
	if(kv->v.arr.n < 1 || kv->v.arr.n > VOCAB_MAX_TOKENS)
		return lb_err("tokenizer.ggml.tokens: %llu tokens (1 to %d allowed)", (unsigned long long)kv->v.arr.n, VOCAB_MAX_TOKENS);
	v->n = (int32_t)kv->v.arr.n;
	for(i = 0; i < v->n; i++){
		if(gguf_arr_str(kv, i).len > VOCAB_MAX_TEXT)
			return lb_err("tokenizer.ggml.tokens: token %d is %llu bytes long", i, (unsigned long long)gguf_arr_str(kv, i).len);
		total += token_text(kv, i, empty, &s);
	}
	if(total > VOCAB_MAX_BLOB)
		return lb_err("tokenizer.ggml.tokens: %llu bytes of text, too many", (unsigned long long)total);
	if(varr_alloc(&v->text, total + 1, 1) == NULL || varr_alloc(&v->toff, v->n + 1, sizeof(uint32_t)) == NULL ||
	   varr_alloc(&v->score, v->n, sizeof(float)) == NULL || varr_alloc(&v->attr, v->n, 1) == NULL ||
	   vmap_init(&v->bytext, v->n) < 0)
		return -1;
	off = v->toff.p;
	text = v->text.p;
	for(i = 0; i < v->n; i++){
		len = token_text(kv, i, empty, &s);
		memcpy(text + off[i], s.p, len);
		off[i + 1] = off[i] + len;
		if(vmap_put(&v->bytext, text + off[i], len, 0, i) != 1)
			return lb_err("tokenizer.ggml.tokens: token %d repeats the text of token %d", i, vocab_lookup(v, s.p, len));
	}
	return 0;
}

/* Checks the byte tokens, and finds the bytes that only stand alone (see spm.c). */
static int
scan_tokens(Vocab *v)
{
	uint32_t len, k;
	const char *s;
	int32_t i;

	memset(v->solo, 1, sizeof v->solo);
	for(i = 0; i < v->n; i++){
		s = vocab_text(v, i, &len);
		if((vocab_attr(v, i) & VA_BYTE) && check_byte_token(s, len, i) < 0)
			return -1;
		for(k = 0; len >= 2 && k < len; k++)
			v->solo[(uint8_t)s[k]] = 0;
	}
	return 0;
}

/*
 * Special ids: a default out of range is dropped; a key whose value is out of
 * range (0xFFFFFFFF in many files means "none") leaves the default in place,
 * as llama.cpp does.  The deprecated FIM keys come last and win.
 */
static void
load_special_ids(Vocab *v, const GGUFFile *f)
{
	static const struct { const char *key; size_t field; } keys[] = {
		{ "bos_token_id", offsetof(Vocab, bos) }, { "eos_token_id", offsetof(Vocab, eos) },
		{ "eot_token_id", offsetof(Vocab, eot) }, { "eom_token_id", offsetof(Vocab, eom) },
		{ "unknown_token_id", offsetof(Vocab, unk) }, { "seperator_token_id", offsetof(Vocab, sep) },
		{ "padding_token_id", offsetof(Vocab, pad) }, { "mask_token_id", offsetof(Vocab, mask) },
		{ "fim_pre_token_id", offsetof(Vocab, fim_pre) }, { "fim_suf_token_id", offsetof(Vocab, fim_suf) },
		{ "fim_mid_token_id", offsetof(Vocab, fim_mid) }, { "fim_pad_token_id", offsetof(Vocab, fim_pad) },
		{ "fim_rep_token_id", offsetof(Vocab, fim_rep) }, { "fim_sep_token_id", offsetof(Vocab, fim_sep) },
		{ "prefix_token_id", offsetof(Vocab, fim_pre) }, { "suffix_token_id", offsetof(Vocab, fim_suf) },
		{ "middle_token_id", offsetof(Vocab, fim_mid) },
	};
	char key[64];
	uint32_t id;
	int32_t *field;
	size_t i;

	for(i = 0; i < sizeof keys / sizeof keys[0]; i++){
		field = (int32_t *)((char *)v + keys[i].field);
		if(*field >= v->n)
			*field = -1;
		snprintf(key, sizeof key, "tokenizer.ggml.%s", keys[i].key);
		if(gguf_get_u32(f, key, &id) == 1 && id < (uint32_t)v->n)
			*field = (int32_t)id;
	}
}

static void
load_flags(Vocab *v, const GGUFFile *f)
{
	int b;

	if(gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &b) == 1)
		v->add_space_prefix = b;
	if(gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &b) == 1)
		v->add_bos = b;
	if(gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &b) == 1)
		v->add_eos = b;
}

static Vocab *
vocab_new(void)
{
	Vocab *v = calloc(1, sizeof *v);

	if(v == NULL){
		lb_err("out of memory");
		return NULL;
	}
	v->bos = v->eos = v->eot = v->eom = v->unk = v->sep = v->pad = v->mask = -1;
	v->fim_pre = v->fim_suf = v->fim_mid = v->fim_pad = v->fim_rep = v->fim_sep = -1;
	return v;
}

Vocab *
vocab_load(const GGUFFile *f)
{
	Vocab *v = vocab_new();

	if(v == NULL)
		return NULL;
	if(load_kind(v, f) < 0 || load_tokens(v, f) < 0 || load_scores_types(v, f) < 0 || scan_tokens(v) < 0 ||
	   (v->kind == VOCAB_BPE && vocab_load_merges(v, f) < 0)){
		vocab_free(v);
		return NULL;
	}
	load_special_ids(v, f);
	load_flags(v, f);
	vocab_find_specials(v);
	if(vocab_make_pieces(v) < 0 || vocab_make_special_list(v) < 0 ||
	   (v->kind == VOCAB_BPE && (v->pre = pretok_new(v->predef)) == NULL)){
		vocab_free(v);
		return NULL;
	}
	vocab_name_attrs(v, f);
	return v;
}

void
vocab_free(Vocab *v)
{
	if(v == NULL)
		return;
	varr_free(&v->text);
	varr_free(&v->toff);
	varr_free(&v->score);
	varr_free(&v->attr);
	vmap_free(&v->bytext);
	varr_free(&v->piece);
	varr_free(&v->poff);
	varr_free(&v->special);
	varr_free(&v->mtext);
	vmap_free(&v->merges);
	pretok_free(v->pre);
	free(v);
}

int
vocab_kind(const Vocab *v)
{
	return v->kind;
}

int32_t
vocab_n_tokens(const Vocab *v)
{
	return v->n;
}

int32_t
vocab_bos(const Vocab *v)
{
	return v->bos;
}

int32_t
vocab_eos(const Vocab *v)
{
	return v->eos;
}

int
vocab_add_bos(const Vocab *v)
{
	return v->add_bos && v->bos >= 0;
}

int
vocab_is_eog(const Vocab *v, int32_t tok)
{
	return tok >= 0 && tok < v->n && (vocab_attr(v, tok) & VA_EOG) != 0;
}

int
vocab_is_control(const Vocab *v, int32_t tok)
{
	return tok >= 0 && tok < v->n && (vocab_attr(v, tok) & VA_CONTROL) != 0;
}

const char *
vocab_pre_name(const Vocab *v)
{
	return v->predef != NULL ? predef_name(v->predef) : "default";
}
