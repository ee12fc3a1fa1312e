/*
 * tokenize.c - llama_tokenize: the text is first cut around the texts of
 * special tokens (tokenizer_st_partition), then each piece of plain text goes
 * through the vocabulary's tokenizer, with BOS and EOS around it all.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

int
tokbuf_push(TokBuf *b, int32_t tok)
{
	if(b->n >= INT32_MAX)
		return lb_err("more than %d tokens", INT32_MAX);
	if(varr_grow(&b->a, b->n + 1, sizeof(int32_t)) < 0)
		return -1;
	((int32_t *)b->a.p)[b->n++] = tok;
	return 0;
}

int32_t
vocab_byte_token(const Vocab *v, uint8_t b)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[6] = { '<', '0', 'x', hex[b >> 4], hex[b & 15], '>' };
	int32_t id;

	if((id = vocab_lookup(v, name, 6)) >= 0)
		return id;
	if((id = vocab_lookup(v, (const char *)&b, 1)) >= 0)
		return id;
	return v->unk;	/* llama.cpp throws here; an unknown token is the gentler answer */
}

/* Control, user-defined and unknown tokens, longest text first (then lowest id). */
typedef struct Special {
	uint32_t len;
	int32_t id;
} Special;

static int
bylength(const void *a, const void *b)
{
	const Special *x = a, *y = b;

	if(x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
vocab_make_special_list(Vocab *v)
{
	VArr tmp = { 0 };
	Special *sp;
	int32_t i, n = 0, *out;

	for(i = 0; i < v->n; i++)
		if(vocab_attr(v, i) & (VA_CONTROL | VA_USER | VA_UNKNOWN))
			n++;
	if(varr_alloc(&v->special, n ? n : 1, sizeof(int32_t)) == NULL || varr_alloc(&tmp, n ? n : 1, sizeof(Special)) == NULL){
		varr_free(&tmp);
		return -1;
	}
	sp = tmp.p;
	for(i = 0; i < v->n; i++)
		if(vocab_attr(v, i) & (VA_CONTROL | VA_USER | VA_UNKNOWN)){
			vocab_text(v, i, &sp->len);
			sp->id = i;
			sp++;
		}
	sp = tmp.p;
	qsort(sp, n, sizeof(Special), bylength);
	out = v->special.p;
	for(i = 0; i < n; i++)
		out[i] = sp[i].id;
	v->nspecial = n;
	varr_free(&tmp);
	return 0;
}

typedef struct Frag {
	size_t off, len;
	int32_t tok;	/* -1: text */
} Frag;

static int
addfrag(VArr *a, size_t *n, size_t off, size_t len, int32_t tok)
{
	Frag *f;

	if(varr_grow(a, *n + 1, sizeof(Frag)) < 0)
		return -1;
	f = (Frag *)a->p + (*n)++;
	f->off = off;
	f->len = len;
	f->tok = tok;
	return 0;
}

/* Cuts every text fragment around the occurrences of special token id. */
static int
cut(const Vocab *v, int32_t id, const char *text, VArr *frags, size_t *nfrags)
{
	const Frag *f = frags->p;
	VArr out = { 0 };
	size_t i, pos, end, nout = 0;
	const char *t, *hit;
	uint32_t tl;
	int rc = 0, rstrip;

	t = vocab_text(v, id, &tl);
	rstrip = (vocab_attr(v, id) & VA_RSTRIP) != 0;
	for(i = 0; i < *nfrags && rc == 0; i++){
		if(f[i].tok >= 0 || (hit = memmem(text + f[i].off, f[i].len, t, tl)) == NULL){
			rc = addfrag(&out, &nout, f[i].off, f[i].len, f[i].tok);
			continue;
		}
		pos = f[i].off;
		end = f[i].off + f[i].len;
		for(; hit != NULL && rc == 0; hit = memmem(text + pos, end - pos, t, tl)){
			if((size_t)(hit - text) > pos)
				rc = addfrag(&out, &nout, pos, hit - text - pos, -1);
			if(rc == 0)
				rc = addfrag(&out, &nout, 0, 0, id);
			pos = hit - text + tl;
			while(rstrip && pos < end && strchr(" \t\n\v\f\r", text[pos]) != NULL && text[pos] != 0)
				pos++;
		}
		if(rc == 0 && pos < end)
			rc = addfrag(&out, &nout, pos, end - pos, -1);
	}
	varr_free(frags);
	*frags = out;
	*nfrags = nout;
	return rc;
}

/* tokenizer_st_partition: with parse_special off, only user-defined tokens are cut out. */
static int
partition(const Vocab *v, const char *text, size_t len, int parse_special, VArr *frags, size_t *nfrags)
{
	const int32_t *sp = v->special.p;
	int32_t i;

	*nfrags = 0;
	if(len == 0)
		return 0;
	if(addfrag(frags, nfrags, 0, len, -1) < 0)
		return -1;
	for(i = 0; i < v->nspecial; i++){
		if(!parse_special && (vocab_attr(v, sp[i]) & (VA_CONTROL | VA_UNKNOWN)))
			continue;
		if(cut(v, sp[i], text, frags, nfrags) < 0)
			return -1;
	}
	return 0;
}

/* SPM text: spaces as U+2581, and one more in front after a special token or at the start. */
static int
spm_fragment(const Vocab *v, const char *text, size_t len, int prefix, VArr *esc, TokBuf *out)
{
	char *e;
	size_t i, n = 0;

	if(varr_grow(esc, 3 * len + 3, 1) < 0)
		return -1;
	e = esc->p;
	if(prefix){
		memcpy(e, "\xe2\x96\x81", 3);
		n = 3;
	}
	for(i = 0; i < len; i++){
		if(text[i] == ' '){
			memcpy(e + n, "\xe2\x96\x81", 3);
			n += 3;
		}else
			e[n++] = text[i];
	}
	return spm_tokenize(v, e, n, out);
}

static int
run(const Vocab *v, const char *text, size_t len, int add_special, int parse_special, TokBuf *out)
{
	VArr frags = { 0 }, esc = { 0 };
	size_t i, nfrags;
	const Frag *f;
	int rc, prev_special = 1;

	rc = partition(v, text, len, parse_special, &frags, &nfrags);
	if(rc == 0 && add_special && v->add_bos && v->bos >= 0)
		rc = tokbuf_push(out, v->bos);
	f = frags.p;
	for(i = 0; rc == 0 && i < nfrags; i++){
		if(f[i].tok >= 0){
			rc = tokbuf_push(out, f[i].tok);
			prev_special = 1;
		}else if(v->kind == VOCAB_SPM){
			rc = spm_fragment(v, text + f[i].off, f[i].len, v->add_space_prefix && prev_special, &esc, out);
			prev_special = 0;
		}else
			rc = bpe_tokenize(v, text + f[i].off, f[i].len, out);
	}
	if(rc == 0 && add_special && v->add_eos && v->eos >= 0)
		rc = tokbuf_push(out, v->eos);
	varr_free(&frags);
	varr_free(&esc);
	return rc;
}

int
vocab_tokenize(const Vocab *v, const char *text, size_t len, int add_special, int parse_special, int32_t **out)
{
	TokBuf tb = { 0 };
	int rc;

	*out = NULL;
	if(text == NULL && len > 0)
		return lb_err("tokenize: no text");
	if(len > VOCAB_MAX_INPUT)
		return lb_err("tokenize: text of %zu bytes is too long", len);
	rc = run(v, text, len, add_special, parse_special, &tb);
	if(rc == 0 && (*out = malloc(tb.n ? tb.n * sizeof(int32_t) : 1)) == NULL)
		rc = lb_err("out of memory");
	if(rc == 0 && tb.n > 0)
		memcpy(*out, tb.a.p, tb.n * sizeof(int32_t));
	varr_free(&tb.a);
	return rc < 0 ? -1 : (int)tb.n;
}
