/*
 * bpe.c - byte-level BPE (tokenizer.ggml.model "gpt2"), as llama.cpp's
 * llm_tokenizer_bpe_session: the pre-tokenizer cuts the text into words, each
 * word's bytes are spelled with GPT-2's byte-to-unicode table, and then the
 * adjacent pair of lowest merge rank is merged until no pair has a rank.
 * A priority queue of candidate pairs keeps a word of n characters at
 * O(n log n).
 */
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

/*
 * tokenizer.ggml.merges: "left right", rank = index.  Like llama.cpp, an entry
 * without a space (after the first byte) is ignored, a repeated pair keeps its
 * first rank, and parts that are not tokens are allowed (they never match
 * anything harmful: a merge only ever joins text the word holds).
 */
int
vocab_load_merges(Vocab *v, const GGUFFile *f)
{
	const GGUFKV *kv = gguf_find(f, "tokenizer.ggml.merges");
	uint64_t i, total = 0;
	GGUFStr s;
	const char *sp;
	char *blob;
	size_t o = 0, left;

	if(kv == NULL)
		return lb_err("tokenizer.ggml.merges: missing (a BPE vocabulary needs it)");
	if(kv->type != GGUF_ARRAY || kv->v.arr.type != GGUF_STRING)
		return lb_err("tokenizer.ggml.merges: not an array of strings");
	if(kv->v.arr.n > VOCAB_MAX_MERGES)
		return lb_err("tokenizer.ggml.merges: %llu entries, more than %d", (unsigned long long)kv->v.arr.n, VOCAB_MAX_MERGES);
	for(i = 0; i < kv->v.arr.n; i++)
		total += gguf_arr_str(kv, i).len;
	if(total > VOCAB_MAX_BLOB)
		return lb_err("tokenizer.ggml.merges: %llu bytes of text, too many", (unsigned long long)total);
	if(varr_alloc(&v->mtext, total + 1, 1) == NULL || vmap_init(&v->merges, (uint32_t)kv->v.arr.n) < 0)
		return -1;
	blob = v->mtext.p;
	for(i = 0; i < kv->v.arr.n; i++){
		s = gguf_arr_str(kv, i);
		if(s.len < 2 || (sp = memchr(s.p + 1, ' ', s.len - 1)) == NULL)
			continue;
		left = sp - s.p;
		memcpy(blob + o, s.p, left);
		memcpy(blob + o + left, sp + 1, s.len - left - 1);
		if(vmap_put(&v->merges, blob + o, (uint32_t)(s.len - 1), (uint32_t)left, (int32_t)i) < 0)
			return lb_err("tokenizer.ggml.merges: map full");
		o += s.len - 1;
	}
	return 0;
}

typedef struct Word {
	const Vocab *v;
	const char *s;	/* the word, byte-encoded */
	Sym *sym;
	BHeap heap;
} Word;

static int
add_pair(void *arg, int32_t left, int32_t right)
{
	Word *w = arg;
	const Sym *l, *r;
	int32_t rank;

	if(left < 0 || right < 0)
		return 0;
	l = &w->sym[left];
	r = &w->sym[right];
	rank = vmap_get(&w->v->merges, w->s + l->off, l->n + r->n, l->n);
	if(rank < 0)
		return 0;
	return bheap_push(&w->heap, -(double)rank, left, right, l->n + r->n);
}

static int
merge_word(Word *w, int32_t nsym)
{
	int32_t i;

	w->heap.n = 0;
	for(i = 1; i < nsym; i++)
		if(add_pair(w, i - 1, i) < 0)
			return -1;
	return bheap_drain(&w->heap, w->sym, add_pair, w);
}

/* A symbol that is no token falls apart into its bytes; bytes that are no token are dropped (llama.cpp). */
static int
emit_sym(const Vocab *v, const char *s, uint32_t n, TokBuf *out)
{
	int32_t id = vocab_lookup(v, s, n);
	uint32_t i;

	if(id >= 0)
		return tokbuf_push(out, id);
	for(i = 0; i < n; i++)
		if((id = vocab_lookup(v, s + i, 1)) >= 0 && tokbuf_push(out, id) < 0)
			return -1;
	return 0;
}

static int
bpe_word(Word *w, const char *raw, size_t n, char *enc, TokBuf *out)
{
	size_t i, len = 0;
	int32_t nsym, id, k;

	for(i = 0; i < n; i++)
		len += bytemap_encode((uint8_t)raw[i], enc + len);
	if(w->v->ignore_merges && (id = vocab_lookup(w->v, enc, len)) >= 0)
		return tokbuf_push(out, id);
	w->s = enc;
	nsym = sym_split(enc, (uint32_t)len, w->sym);
	if(merge_word(w, nsym) < 0)
		return -1;
	for(k = 0; k < nsym; k++)
		if(w->sym[k].n > 0 && emit_sym(w->v, enc + w->sym[k].off, w->sym[k].n, out) < 0)
			return -1;
	return 0;
}

int
bpe_tokenize(const Vocab *v, const char *text, size_t len, TokBuf *out)
{
	VArr canon = { 0 }, words = { 0 }, enc = { 0 }, sym = { 0 };
	Word w = { .v = v };
	size_t i, maxw = 0, *wd;
	int64_t nw;
	int rc = 0;

	nw = pretok_split(v->pre, text, len, &canon, &words);
	wd = words.p;
	for(i = 0; i < (size_t)(nw > 0 ? nw : 0); i++)
		if(wd[2 * i + 1] > maxw)
			maxw = wd[2 * i + 1];
	if(nw < 0)
		rc = -1;
	else if(maxw > UINT32_MAX / 2)
		rc = lb_err("text too long");
	else if(nw > 0 && (varr_grow(&enc, 2 * maxw, 1) < 0 || varr_grow(&sym, 2 * maxw, sizeof(Sym)) < 0))
		rc = -1;
	w.sym = sym.p;
	for(i = 0; rc == 0 && i < (size_t)nw; i++)
		rc = bpe_word(&w, (const char *)canon.p + wd[2 * i], wd[2 * i + 1], enc.p, out);
	bheap_free(&w.heap);
	varr_free(&canon);
	varr_free(&words);
	varr_free(&enc);
	varr_free(&sym);
	return rc;
}
