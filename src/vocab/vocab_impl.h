/*
 * vocab_impl.h - what the files of src/vocab share: the Vocab itself,
 * a byte-string hash map, the bigram heap, UTF-8 helpers, the
 * pre-tokenizer, and the two tokenizers.
 *
 * Token texts and pieces are stored as (offset, length) into one blob:
 * they may hold NULs and invalid UTF-8.  Big arrays come from lb_bigalloc
 * (Inferno's emu caps malloc); small per-call ones from malloc.
 */
#ifndef LB_VOCAB_IMPL_H
#define LB_VOCAB_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

enum {
	VOCAB_MAX_TOKENS = 1 << 24,	/* far above any real vocabulary (~260K) */
	VOCAB_MAX_TEXT = 1 << 16,	/* bytes in one token's text */
	VOCAB_MAX_PIECE = 1 << 17,	/* bytes in one token's piece (BPE's [UNK_BYTE_...] grows) */
	VOCAB_MAX_BLOB = 1 << 30,	/* all texts, or all pieces, together */
	VOCAB_MAX_MERGES = 1 << 24,
	VOCAB_MAX_RE = 8,	/* regexes in one pre-tokenizer */
	VOCAB_MAX_INPUT = 1 << 28,	/* bytes of text to tokenize */
};

/* token attributes, as llama.cpp's llama_token_attr bits (EOG is ours) */
enum {
	VA_UNKNOWN = 1 << 0,
	VA_UNUSED = 1 << 1,
	VA_NORMAL = 1 << 2,
	VA_CONTROL = 1 << 3,
	VA_USER = 1 << 4,
	VA_BYTE = 1 << 5,
	VA_EOG = 1 << 6,
	VA_RSTRIP = 1 << 7,	/* partition: whitespace after the token is dropped */
};

/*
 * An array that knows how to give itself back: lb_bigalloc'd, or malloc'd
 * while it is small (per-call work arrays that usually are).
 */
typedef struct VArr {
	void *p;
	size_t n;	/* bytes */
	int big;
} VArr;
void *varr_alloc(VArr *a, size_t nelem, size_t size);	/* lb_bigalloc, zeroed; NULL with lb_err */
int varr_grow(VArr *a, size_t nelem, size_t size);	/* room for nelem, contents kept; -1 with lb_err */
void varr_free(VArr *a);

/*
 * Open addressing map from (bytes, tag) to an int32.  Keys are not copied:
 * they must outlive the map.  Its capacity is fixed when it is made.
 */
typedef struct VEnt {
	const char *key;
	uint32_t len;
	uint32_t tag;	/* merges: the length of the left part */
	uint32_t hash;
	int32_t val;
} VEnt;
typedef struct VMap {
	VArr slots;	/* uint32_t: entry index + 1; 0 is empty */
	VArr ents;	/* VEnt */
	uint32_t mask, n, cap;
} VMap;
int vmap_init(VMap *m, uint32_t cap);
/* 1 added, 0 already there (the old value is kept), -1 full. */
int vmap_put(VMap *m, const char *key, uint32_t len, uint32_t tag, int32_t val);
int32_t vmap_get(const VMap *m, const char *key, size_t len, uint32_t tag);	/* -1 if absent */
void vmap_free(VMap *m);

/*
 * Bigram work queue shared by SPM and BPE: the highest prio first, then
 * the leftmost (llama.cpp's comparators: SPM prio = score, BPE prio = -rank).
 */
typedef struct Bigram {
	double prio;
	int32_t left, right;
	uint32_t size;	/* bytes of left + right when queued: stale entries differ */
} Bigram;
typedef struct BHeap {
	VArr a;
	size_t n;
} BHeap;
int bheap_push(BHeap *h, double prio, int32_t left, int32_t right, uint32_t size);	/* -1: out of memory */
int bheap_pop(BHeap *h, Bigram *out);	/* 0 when empty */
void bheap_free(BHeap *h);

/* A linked run of symbols (UTF-8 characters or merged pieces of a text). */
typedef struct Sym {
	uint32_t off, n;	/* bytes in the text being tokenized; n = 0: merged away */
	int32_t prev, next;
} Sym;
/* Splits text into one Sym per UTF-8 character (length from the lead byte, as llama.cpp). */
int32_t sym_split(const char *text, uint32_t len, Sym *sym);
/* The merge loop over a queue of bigrams of sym (heap.c); addpair queues a new pair or not. */
int bheap_drain(BHeap *h, Sym *sym, int (*addpair)(void *arg, int32_t left, int32_t right), void *arg);

/* Growing token output. */
typedef struct TokBuf {
	VArr a;
	size_t n;
} TokBuf;
int tokbuf_push(TokBuf *b, int32_t tok);	/* -1 with lb_err: out of memory, or more than INT32_MAX tokens */

/* UTF-8 as llama.cpp reads it (unicode_cpt_from_utf8 + its fallback to U+FFFD). */
int utf8_len(uint8_t lead);
uint32_t utf8_decode(const uint8_t *s, size_t n, size_t *used);	/* a code point, or 0xFFFD using 1 byte */
int utf8_encode(uint32_t cp, char *out);	/* 1..4 bytes; cp must be <= 0x10FFFF */
/* GPT-2's byte-to-unicode table: the UTF-8 of byte b's code point (1 or 2 bytes). */
int bytemap_encode(uint8_t b, char *out);
int bytemap_decode(uint32_t cp);	/* the byte, or -1 */

typedef struct PreDef PreDef;
typedef struct Pretok Pretok;
/* Looks name up in llama.cpp's table; NULL with lb_err when unknown or unsupported. */
const PreDef *pretok_find(const char *name, size_t len);
const char *pretok_name(int i);	/* the i-th known pre-tokenizer's name, or NULL */
const char *predef_name(const PreDef *d);
const char *const *predef_regexes(const PreDef *d);	/* NULL-terminated */
int predef_clean_spaces(const PreDef *d);
int predef_ignore_merges(const PreDef *d);
int predef_add_bos(const PreDef *d);	/* 1: llama.cpp turns add_bos on for it (before add_bos_token) */
int predef_no_bos(const PreDef *d);	/* 1: llama.cpp clears the default BOS id (glm4) */
Pretok *pretok_new(const PreDef *d);
void pretok_free(Pretok *p);
/*
 * Splits text into words as unicode_regex_split does.  Broken UTF-8 becomes
 * U+FFFD first, so the words are cut from canon (char[]), not from text;
 * words gets size_t pairs (offset, length).  Returns the word count, or -1
 * with lb_err.  The caller frees both arrays (varr_free).
 */
int64_t pretok_split(const Pretok *p, const char *text, size_t len, VArr *canon, VArr *words);

struct Vocab {
	int kind;
	int32_t n;
	VArr text;	/* token texts, back to back */
	VArr toff;	/* uint32_t[n + 1] */
	VArr score;	/* float[n] */
	VArr attr;	/* uint8_t[n]: VA_* */
	VMap bytext;	/* text -> id */
	VArr piece;	/* pieces (special = 1), back to back */
	VArr poff;	/* uint32_t[n + 1] */
	int max_piece;
	VArr special;	/* int32_t[nspecial]: control, user-defined, unknown; longest text first */
	int32_t nspecial;
	uint8_t solo[256];	/* bytes that no token of two bytes or more holds */

	/* BPE */
	VArr mtext;	/* merge texts without the separating space */
	VMap merges;	/* (left right, len(left)) -> rank */
	Pretok *pre;
	const PreDef *predef;

	int32_t bos, eos, eot, eom, unk, sep, pad, mask;
	int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
	int add_bos, add_eos, add_space_prefix, clean_spaces, ignore_merges;
};

static inline const char *
vocab_text(const Vocab *v, int32_t id, uint32_t *len)
{
	const uint32_t *off = v->toff.p;

	*len = off[id + 1] - off[id];
	return (const char *)v->text.p + off[id];
}

static inline uint8_t
vocab_attr(const Vocab *v, int32_t id)
{
	return ((const uint8_t *)v->attr.p)[id];
}

static inline int32_t
vocab_lookup(const Vocab *v, const char *s, size_t len)
{
	return vmap_get(&v->bytext, s, len, 0);
}

/* load steps (vocab.c calls them in this order) */
int vocab_load_merges(Vocab *v, const GGUFFile *f);	/* bpe.c */
void vocab_find_specials(Vocab *v);	/* eog.c: EOT/EOM/FIM by text, the EOG set */
void vocab_name_attrs(Vocab *v, const GGUFFile *f);	/* eog.c: per-model attributes (Phi-3) */
int vocab_make_pieces(Vocab *v);	/* detok.c */
int vocab_make_special_list(Vocab *v);	/* tokenize.c */
int32_t vocab_byte_token(const Vocab *v, uint8_t b);	/* SPM byte fallback: <0xNN>, the byte itself, or UNK; -1 */

/* the tokenizers: append the tokens of one fragment of text to out */
int spm_tokenize(const Vocab *v, const char *text, size_t len, TokBuf *out);
int bpe_tokenize(const Vocab *v, const char *text, size_t len, TokBuf *out);

#endif
