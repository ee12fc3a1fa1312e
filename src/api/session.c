/*
 * session.c - a conversation that keeps its KV cache between replies: a
 * sequence of the model's scheduler that outlives each generation (sched.h's
 * Seq, given back to the session at the end of each one).
 *
 * Every reply renders the whole conversation again, as llama.cpp's chat tools
 * do, but evaluates only what the cache does not already hold.  The session
 * remembers the text behind its cached tokens: the prompt pieces it evaluated
 * and the pieces of the tokens the model generated.  The new rendering is
 * compared with that text; the cache is kept up to the last token that ends
 * inside the common prefix (a generated token, or the end of an evaluated
 * prompt piece: inside a piece there is no telling which token holds which
 * byte), and the rest of the rendering is tokenized and evaluated.  So a turn
 * costs its new tokens, and a history the caller edited costs what changed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../chat/chat.h"
#include "../util/error.h"
#include "../vocab/vocab.h"
#include "registry.h"
#include "sched.h"

enum { INSIDE = -1 };	/* ends[i] of a token that ends inside a prompt piece */

struct llambo_chat_session {
	int id;
	const Model *m;
	const Sched *sc;
	const ChatTmpl *t;
	int n_threads;
	Seq seq;	/* its cache: seq.kv.len positions */
	int32_t *toks;	/* the tokens at those positions (room for seq.n_ctx) */
	long *ends;	/* the text's length after each of them, or INSIDE */
	char *text;	/* what they spell, as it was rendered or generated */
	size_t len, cap;
	char *piece;
	int from;	/* a generation started with this many tokens: its reply is recorded before the next (0: none) */
	int known;	/* tokens in toks and ends, their text in text: the cache holds the first seq.kv.len of them */
	uint8_t *saved;	/* a saved cache given to it (llambo_chat_cache_import): seq.load, until the scheduler copied it */
};

static int
put_text(llambo_chat_session *s, const char *p, size_t n)
{
	char *t;

	if(s->len + n + 1 > s->cap){
		if((t = realloc(s->text, 2 * (s->len + n) + 64)) == NULL)
			return lb_err("out of memory");
		s->text = t;
		s->cap = 2 * (s->len + n) + 64;
	}
	memcpy(s->text + s->len, p, n);
	s->len += n;
	s->text[s->len] = 0;
	return 0;
}

/* The session's context: n_ctx, or the default, within the model's and its scheduler's. */
static int
context(Sched *sc, const Model *m, int n_ctx)
{
	int n = n_ctx > 0 ? n_ctx : SCHED_DEFAULT_CTX;

	if(n > m->hp.n_ctx_train)
		n = m->hp.n_ctx_train;
	return n < sched_max_ctx(sc) ? n : sched_max_ctx(sc);
}

llambo_chat_session *
llambo_chat_open(int id, const char *tmpl, int n_ctx, int n_threads)
{
	llambo_chat_session *s = calloc(1, sizeof *s);
	char *own = NULL;
	Sched *sc;
	int n;

	if(s == NULL){
		lb_err("out of memory");
		return NULL;
	}
	if((sc = reg_sched(id)) == NULL){	/* held until the session closes */
		free(s);
		return NULL;
	}
	s->id = id;
	s->sc = sc;
	s->m = sched_model(sc);
	s->n_threads = n_threads;
	if(tmpl == NULL && chat_file_template(&s->m->file, &own) < 0)
		goto fail;
	if((s->t = chat_detect(tmpl != NULL ? tmpl : own != NULL ? own : "chatml")) == NULL)
		goto fail;
	n = context(sc, s->m, n_ctx);
	s->seq.n_ctx = n;
	s->seq.reserved = kv_pages_for(n);
	s->toks = malloc(sizeof *s->toks * (size_t)n);
	s->ends = malloc(sizeof *s->ends * (size_t)n);
	s->piece = malloc((size_t)vocab_max_piece(s->m->vocab) + 1);
	if(s->toks == NULL || s->ends == NULL || s->piece == NULL){
		lb_err("out of memory");
		goto fail;
	}
	free(own);
	return s;
fail:
	free(own);
	llambo_chat_close(s);
	return NULL;
}

void
llambo_chat_close(llambo_chat_session *s)
{
	if(s == NULL)
		return;
	if((s->seq.counted > 0 || s->seq.kv.npages > 0) && lgen_release(s->id, &s->seq) < 0)
		free(s->seq.kv.pages);	/* the model was freed: its scheduler's pool goes with it, pages and all */
	free(s->saved);
	free(s->text);
	free(s->toks);
	free(s->ends);
	free(s->piece);
	reg_release(s->id);
	free(s);
}

/* How many cached tokens the rendering r keeps: the last cut inside the common prefix, and never all of r. */
static int
reusable(const llambo_chat_session *s, const char *r, size_t rlen)
{
	size_t common = 0;
	int k;

	while(common < s->len && common < rlen && s->text[common] == r[common])
		common++;
	for(k = s->known; k > 0; k--)
		if(s->ends[k - 1] != INSIDE && (size_t)s->ends[k - 1] <= common && (size_t)s->ends[k - 1] < rlen)
			return k;
	return 0;
}

/* The rendering and the prefill after it (the reply's beginning, evaluated, not generated); malloc'd, or NULL. */
static char *
render(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill, size_t *rlen)
{
	size_t k = prefill != NULL ? strlen(prefill) : 0;
	char *r = chat_render(s->t, msgs, (size_t)n, 1, rlen), *p;

	if(r == NULL || k == 0)
		return r;
	if((p = realloc(r, *rlen + k + 1)) == NULL){
		free(r);
		lb_err("out of memory");
		return NULL;
	}
	memcpy(p + *rlen, prefill, k + 1);
	*rlen += k;
	return p;
}

int
llambo_chat_count(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill, int *n_ctx)
{
	int32_t *t = NULL;
	size_t rlen;
	char *r;
	int nt;

	if(s == NULL || n <= 0 || msgs == NULL)
		return lb_err("chat: no messages");
	if((r = render(s, msgs, n, prefill, &rlen)) == NULL)
		return -1;
	nt = vocab_tokenize(s->m->vocab, r, rlen, 1, 1, &t);
	free(t);
	free(r);
	if(n_ctx != NULL)
		*n_ctx = s->seq.n_ctx;
	return nt;
}

/* Renders, keeps what the cache has of it, puts the rest's tokens after; returns the tokens in all, or -1. */
static int
prompt(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill)
{
	int32_t *t = NULL;
	size_t rlen, from;
	char *r;
	int nt, keep, i;

	if(n <= 0 || msgs == NULL)
		return lb_err("chat: no messages");
	if((r = render(s, msgs, n, prefill, &rlen)) == NULL)
		return -1;
	keep = reusable(s, r, rlen);
	from = keep > 0 ? (size_t)s->ends[keep - 1] : 0;
	nt = vocab_tokenize(s->m->vocab, r + from, rlen - from, keep == 0, 1, &t);
	if(nt == 0)
		nt = lb_err("chat: nothing to evaluate");
	else if(nt > 0 && keep + nt > s->seq.n_ctx)
		nt = lb_err("the conversation needs %d tokens; the context holds %d", keep + nt, s->seq.n_ctx);
	if(nt > 0){
		if(keep < s->seq.kv.len)
			s->seq.kv.len = keep;	/* the pages beyond stay, to be written over */
		if(keep < s->seq.nload)
			s->seq.nload = keep;
		s->known = keep + nt;	/* those past kv.len (a restored record) are evaluated with the new ones */
		s->len = from;
		if(put_text(s, r + from, rlen - from) < 0)
			nt = -1;
		for(i = 0; nt > 0 && i < nt; i++){
			s->toks[keep + i] = t[i];
			s->ends[keep + i] = i == nt - 1 ? (long)s->len : INSIDE;
		}
	}
	free(t);
	free(r);
	return nt > 0 ? keep + nt : -1;
}

/* A saved cache the scheduler has copied in (or that will not be) is let go. */
static void
drop_saved(llambo_chat_session *s)
{
	if(s->seq.nload == 0){
		free(s->saved);
		s->saved = NULL;
		s->seq.load = NULL;
	}
}

/* The cache is not known now: the next reply starts afresh. */
static void
forget(llambo_chat_session *s)
{
	s->seq.nload = 0;
	drop_saved(s);
	s->seq.kv.len = 0;
	s->len = 0;
	s->from = 0;
	s->known = 0;
}

/*
 * After a generation (the scheduler gave the sequence back before it said the
 * end): the generated tokens that went into the cache, written into toks by
 * the generation, with their text.
 */
static void
record_reply(llambo_chat_session *s)
{
	const Vocab *v = s->m->vocab;
	int i, n;

	for(i = s->from; s->from > 0 && i < s->seq.kv.len; i++){
		n = vocab_piece(v, s->toks[i], s->piece, vocab_max_piece(v) + 1, 1);
		if(n < 0 || put_text(s, s->piece, (size_t)n) < 0){
			forget(s);
			return;
		}
		s->ends[i] = (long)s->len;
	}
	if(s->from > 0)
		s->known = s->seq.kv.len > s->from ? s->seq.kv.len : s->from;
	s->from = 0;
	drop_saved(s);
}

llambo_gen *
llambo_chat_start(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill,
	const llambo_params *pin, llambo_notify_fn notify, void *arg)
{
	llambo_params p = lgen_params(pin, NULL);
	llambo_gen *g = NULL;
	int nt;

	if(s == NULL){
		lb_err("chat: no session");
		return NULL;
	}
	record_reply(s);
	if(p.n_threads == 0)
		p.n_threads = s->n_threads;
	if((nt = prompt(s, msgs, n, prefill)) > 0 && (g = lgen_start(s->id, s->toks, nt, &p, &s->seq, 0, notify, arg)) != NULL)
		s->from = nt;
	else
		forget(s);
	return g;
}

char *
llambo_chat_reply(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const llambo_params *pin, llambo_stats *st)
{
	llambo_params p = lgen_params(pin, st);
	llambo_gen *g;
	char *text;

	if((g = llambo_chat_start(s, msgs, n, NULL, &p, NULL, NULL)) == NULL)
		return NULL;
	text = lgen_collect(g, &p, st);
	record_reply(s);
	if(text == NULL)
		forget(s);
	return text;
}

long long
llambo_chat_kv_bytes(int id, int n_ctx)
{
	Sched *sc = reg_sched(id);
	const Model *m;
	long long bytes;

	if(sc == NULL)
		return -1;
	m = sched_model(sc);
	bytes = (long long)kv_pages_for(context(sc, m, n_ctx)) * (long long)kv_page_bytes(&m->hp, m->kv_type_k, m->kv_type_v);
	reg_release(id);
	return bytes;
}

int
llambo_chat_usage(llambo_chat_session *s, int *n_ctx)
{
	if(n_ctx != NULL)
		*n_ctx = s != NULL ? s->seq.n_ctx : 0;
	return s != NULL ? s->seq.kv.len + s->seq.nload : 0;
}

int
llambo_chat_export(llambo_chat_session *s, int32_t **toks, long **ends, char **text, size_t *len)
{
	int n;

	if(s == NULL)
		return lb_err("chat: no session");
	record_reply(s);
	n = s->known;
	*toks = malloc(sizeof **toks * (size_t)(n > 0 ? n : 1));
	*ends = malloc(sizeof **ends * (size_t)(n > 0 ? n : 1));
	*text = malloc(s->len + 1);
	if(*toks == NULL || *ends == NULL || *text == NULL){
		free(*toks);
		free(*ends);
		free(*text);
		return lb_err("out of memory");
	}
	memcpy(*toks, s->toks, sizeof **toks * (size_t)n);
	memcpy(*ends, s->ends, sizeof **ends * (size_t)n);
	memcpy(*text, s->text != NULL ? s->text : "", s->len);
	(*text)[s->len] = 0;
	*len = s->len;
	return n;
}

int
llambo_chat_import(llambo_chat_session *s, const int32_t *toks, const long *ends, int n, const char *text, size_t len)
{
	long last = 0;
	int i;

	if(s == NULL)
		return lb_err("chat: no session");
	if(n < 0 || n > s->seq.n_ctx)
		return lb_err("chat: a record of %d tokens; the context holds %d", n, s->seq.n_ctx);
	for(i = 0; i < n; i++){
		if(toks[i] < 0 || toks[i] >= s->m->hp.n_vocab)
			return lb_err("chat: token %d is not in the vocabulary", toks[i]);
		if(ends[i] != INSIDE && (ends[i] < last || (size_t)ends[i] > len))
			return lb_err("chat: the text of token %d ends at %ld, out of order", i, ends[i]);
		if(ends[i] != INSIDE)
			last = ends[i];
	}
	record_reply(s);
	forget(s);	/* the record is evaluated at the next reply */
	s->len = 0;
	if(put_text(s, text, len) < 0){
		forget(s);
		return -1;
	}
	memcpy(s->toks, toks, sizeof *toks * (size_t)n);
	memcpy(s->ends, ends, sizeof *ends * (size_t)n);
	s->known = n;
	return 0;
}

/* FNV-1a, 64 bits: the model's header told apart from another's. */
static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while(n-- > 0)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

/* What a saved cache fits (see llambo.h): "SIZE HASH TYPE_K TYPE_V N_CTX POS_BYTES NAME". */
static void
fit(const llambo_chat_session *s, char *out, size_t n)
{
	const GGUFFile *f = &s->m->file;
	const KVPool *p = sched_kv(s->sc);
	char path[1024], *base, *c;
	int mmap, gpu;

	if(reg_load_options(s->id, &mmap, &gpu, path, sizeof path) < 0)
		snprintf(path, sizeof path, "?");
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	for(c = base; *c != 0; c++)
		if(*c < ' ' || *c == 0x7f)
			*c = '?';	/* one line */
	snprintf(out, n, "%zu %016llx %s %s %d %zu %s", f->size, (unsigned long long)fnv(f->base, f->data_offset),
		kv_type_name(p->type_k), kv_type_name(p->type_v), s->seq.n_ctx, kv_pos_bytes(p), base);
}

int
llambo_chat_cache_export(llambo_chat_session *s, void **rows, size_t *pos_bytes, char *fits, size_t nfits)
{
	const KVPool *p;
	int n;

	*rows = NULL;
	if(s == NULL)
		return lb_err("chat: no session");
	record_reply(s);
	p = sched_kv(s->sc);
	*pos_bytes = kv_pos_bytes(p);
	fit(s, fits, nfits);
	n = s->seq.nload > 0 ? s->seq.nload : s->seq.kv.len;
	if(n == 0)
		return 0;
	if((size_t)n > SIZE_MAX / *pos_bytes)	/* a 32-bit build, a long context of a large model */
		return lb_err("chat: a cache of %d positions of %zu bytes is more than memory holds", n, *pos_bytes);
	if((*rows = malloc(*pos_bytes * (size_t)n)) == NULL)
		return lb_err("out of memory");
	if(s->seq.nload > 0)
		memcpy(*rows, s->saved, *pos_bytes * (size_t)n);
	else
		kv_seq_save(p, &s->seq.kv, n, *rows);
	return n;
}

int
llambo_chat_cache_import(llambo_chat_session *s, void *rows, int n, size_t pos_bytes, const char *fits)
{
	char mine[1200], a[6][24], b[6][24];
	int rc = 0;

	if(s == NULL){
		free(rows);
		return lb_err("chat: no session");
	}
	fit(s, mine, sizeof mine);
	if(sscanf(fits, "%23s %23s %23s %23s %23s %23s", a[0], a[1], a[2], a[3], a[4], a[5]) != 6
	|| sscanf(mine, "%23s %23s %23s %23s %23s %23s", b[0], b[1], b[2], b[3], b[4], b[5]) != 6)
		rc = lb_err("chat: a saved cache without what it fits (model size and hash, KV types, context)");
	else if(strcmp(a[0], b[0]) != 0 || strcmp(a[1], b[1]) != 0)
		rc = lb_err("chat: the saved cache is another model's (%.200s); this session's is %.200s", fits, mine);
	else if(n < 0 || n > s->known || n > s->seq.n_ctx || (n > 0 && rows == NULL))
		rc = lb_err("chat: a saved cache of %d positions for a record of %d tokens", n, s->known);
	else if(strcmp(a[2], b[2]) != 0 || strcmp(a[3], b[3]) != 0 || strcmp(a[4], b[4]) != 0 || strcmp(a[5], b[5]) != 0
	|| pos_bytes != kv_pos_bytes(sched_kv(s->sc)) || n == 0)
		rc = 0;	/* another context or KV types (the file's name may differ): the record is evaluated */
	else{
		free(s->saved);
		s->saved = rows;
		s->seq.load = rows;
		s->seq.nload = n;
		return 1;
	}
	free(rows);
	return rc;
}
