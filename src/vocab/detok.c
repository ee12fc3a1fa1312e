/*
 * detok.c - from tokens back to bytes: each token's piece (llama.cpp's
 * token_to_piece, computed once at load like its cache), the streaming
 * detokenizer that never splits a UTF-8 character, and llama_detokenize.
 */
#include <stdio.h>
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

static const char ESC[] = "\xe2\x96\x81";	/* U+2581, SentencePiece's space */

/* SPM: the text with U+2581 as spaces.  Writes to out unless it is NULL; returns the length. */
static size_t
unescape(const char *s, uint32_t n, char *out)
{
	size_t o = 0;
	uint32_t i = 0;

	while(i < n){
		if(n - i >= 3 && memcmp(s + i, ESC, 3) == 0){
			if(out != NULL)
				out[o] = ' ';
			o++;
			i += 3;
			continue;
		}
		if(out != NULL)
			out[o] = s[i];
		o++;
		i++;
	}
	return o;
}

/*
 * BPE: llama_decode_text undoes the byte-to-unicode table; a character outside
 * it gives "[UNK_BYTE_0x<its utf-8 in hex><the whole token>]".  Stops counting
 * past VOCAB_MAX_PIECE (such a token is refused).
 */
static size_t
decode_bpe(const char *s, uint32_t n, char *out)
{
	size_t i = 0, o = 0, used;
	char u[4], hex[3];
	uint32_t cp;
	int b, k, ulen;

	while(i < n && o <= VOCAB_MAX_PIECE){
		cp = utf8_decode((const uint8_t *)s + i, n - i, &used);
		i += used;
		if((b = bytemap_decode(cp)) >= 0){
			if(out != NULL)
				out[o] = (char)b;
			o++;
			continue;
		}
		ulen = utf8_encode(cp, u);
		if(out != NULL){
			memcpy(out + o, "[UNK_BYTE_0x", 12);
			for(k = 0; k < ulen; k++){
				snprintf(hex, sizeof hex, "%02x", (uint8_t)u[k]);
				memcpy(out + o + 12 + 2 * k, hex, 2);
			}
			memcpy(out + o + 12 + 2 * ulen, s, n);
			out[o + 12 + 2 * ulen + n] = ']';
		}
		o += 12 + 2 * ulen + n + 1;
	}
	return o;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The piece of id with special = 1; out may be NULL to measure it. */
static size_t
make_piece(const Vocab *v, int32_t id, char *out)
{
	uint8_t attr = vocab_attr(v, id);
	uint32_t n;
	const char *s = vocab_text(v, id, &n);

	if(attr & (VA_UNKNOWN | VA_CONTROL | VA_USER)){
		if(out != NULL)
			memcpy(out, s, n);
		return n;
	}
	if(attr & VA_NORMAL)
		return v->kind == VOCAB_SPM ? unescape(s, n, out) : decode_bpe(s, n, out);
	if(attr & VA_BYTE){
		if(out != NULL)
			out[0] = (char)(hexval(s[3]) << 4 | hexval(s[4]));
		return 1;
	}
	return 0;	/* undefined or unused: nothing */
}

int
vocab_make_pieces(Vocab *v)
{
	uint64_t total = 0;
	uint32_t *off;
	size_t n;
	int32_t i;

	for(i = 0; i < v->n; i++){
		if((n = make_piece(v, i, NULL)) > VOCAB_MAX_PIECE)
			return lb_err("token %d: its text decodes to more than %d bytes", i, VOCAB_MAX_PIECE);
		total += n;
	}
	if(total > VOCAB_MAX_BLOB)
		return lb_err("tokens decode to %llu bytes, too many", (unsigned long long)total);
	if(varr_alloc(&v->piece, total + 1, 1) == NULL || varr_alloc(&v->poff, v->n + 1, sizeof(uint32_t)) == NULL)
		return -1;
	off = v->poff.p;
	for(i = 0; i < v->n; i++){
		n = make_piece(v, i, (char *)v->piece.p + off[i]);
		off[i + 1] = off[i] + (uint32_t)n;
		if((int)n > v->max_piece)
			v->max_piece = (int)n;
	}
	return 0;
}

/* The piece as llama_token_to_piece gives it, lstrip leading spaces removed; NULL if it gives nothing. */
static const char *
piece(const Vocab *v, int32_t tok, int special, int lstrip, int *len)
{
	const uint32_t *off = v->poff.p;
	const char *p;

	*len = 0;
	if(tok < 0 || tok >= v->n)
		return NULL;
	if(!special && (vocab_attr(v, tok) & (VA_UNKNOWN | VA_CONTROL)))
		return NULL;
	p = (const char *)v->piece.p + off[tok];
	*len = (int)(off[tok + 1] - off[tok]);
	for(; lstrip > 0 && *len > 0 && *p == ' '; lstrip--){
		p++;
		(*len)--;
	}
	return p;
}

int
vocab_piece(const Vocab *v, int32_t tok, char *buf, int size, int special)
{
	int len;
	const char *p = piece(v, tok, special, 0, &len);

	if(len > size)
		return -len;
	if(len > 0)
		memcpy(buf, p, len);
	return len;
}

int
vocab_max_piece(const Vocab *v)
{
	return v->max_piece;
}

/* Bytes at the end of s[0..n) that begin a UTF-8 character still waiting for its continuation bytes. */
static int
incomplete_tail(const uint8_t *s, int n)
{
	int i, need;

	for(i = n - 1; i >= 0 && i >= n - 3; i--){
		if((s[i] & 0xC0) == 0x80)
			continue;	/* a continuation byte: look further back for its lead */
		need = s[i] >= 0xF0 && s[i] <= 0xF7 ? 4 : s[i] >= 0xE0 && s[i] < 0xF0 ? 3 : s[i] >= 0xC0 && s[i] < 0xE0 ? 2 : 1;
		return n - i < need ? n - i : 0;
	}
	return 0;
}

void
detok_init(Detok *d, const Vocab *v)
{
	memset(d, 0, sizeof *d);
	d->v = v;
	d->first = 1;
}

/*
 * As llama_detokenize(special = 0) over the tokens so far: the first token
 * loses one leading space when the vocabulary adds a space prefix (whether or
 * not it prints anything), and a character cut between tokens waits.
 */
int
detok_push(Detok *d, int32_t tok, char *buf, int size)
{
	int len, keep, n;
	const char *p = piece(d->v, tok, 0, d->first && d->v->add_space_prefix, &len);

	if(d->npend + len > size)
		return -(d->npend + len);
	d->first = 0;
	memcpy(buf, d->pend, d->npend);
	if(len > 0)
		memcpy(buf + d->npend, p, len);
	n = d->npend + len;
	keep = incomplete_tail((const uint8_t *)buf, n);
	memcpy(d->pend, buf + n - keep, keep);
	d->npend = keep;
	return n - keep;
}

int
detok_flush(Detok *d, char *buf, int size)
{
	int n = d->npend;

	if(n > size)
		return -n;
	memcpy(buf, d->pend, n);
	d->npend = 0;
	return n;
}

/*
 * llama.cpp's clean_up_tokenization_spaces: three passes in place over t[0..n),
 * each reading t[i - 1] after the writes of the pass so far, as it does.
 */
static int
unspace_punct(char *t, int n)
{
	int i, o = n > 0;

	for(i = 1; i < n; i++){	/* " ?", " !", " .", " ," lose the space */
		if(t[i - 1] == ' ' && (t[i] == '?' || t[i] == '!' || t[i] == '.' || t[i] == ','))
			o--;
		t[o++] = t[i];
	}
	return o;
}

static int
unspace_quote(char *t, int n)
{
	int i, o = n > 0;
	char x;

	for(i = 1; i < n; i++){	/* " ' " becomes "'" */
		x = t[i];
		if(x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' '){
			o--;
			t[++i] = 0;
		}
		t[o++] = x;
	}
	return o;
}

static int
contraction_eats_space(const char *t, int i, int n)
{
	if(t[i] != '\'' || i + 1 >= n)
		return 0;
	if(t[i + 1] == 's' || t[i + 1] == 'm')
		return 1;
	if(t[i + 1] == 't' || t[i + 1] == 'd' || i + 2 >= n)
		return 0;
	return (t[i + 1] == 'r' || t[i + 1] == 'v') && t[i + 2] == 'e';	/* " 're", " 've"; not " 'll" */
}

static int
unspace_contractions(char *t, int n)
{
	int i, o = n > 0;

	for(i = 1; i < n; i++){
		if(t[i - 1] == ' ' && contraction_eats_space(t, i, n))
			o--;
		t[o++] = t[i];
	}
	return o;
}

/*
 * llama_detokenize: the pieces of toks, the first one without its leading
 * space when the vocabulary adds a space prefix (unless remove_special drops
 * a BOS before it), then clean_spaces for the BPE vocabularies that want it.
 * Returns the length, or -needed when size is too small.
 */
int
vocab_detokenize(const Vocab *v, const int32_t *toks, int n, char *buf, int size, int remove_special, int unparse_special)
{
	int i, len, lstrip = v->add_space_prefix;
	int64_t total = 0;
	const char *p;

	if(remove_special && v->add_bos && n > 0 && toks[0] == v->bos){
		lstrip = 0;
		toks++;
		n--;
	}
	if(remove_special && v->add_eos && n > 0 && toks[n - 1] == v->eos)
		n--;
	for(i = 0; i < n; i++){
		p = piece(v, toks[i], unparse_special, lstrip, &len);
		lstrip = 0;
		if(total + len <= size && len > 0)
			memcpy(buf + total, p, len);
		total += len;
		if(total > INT32_MAX)
			return lb_err("detokenized text too long");
	}
	if(total > size)
		return -(int)total;
	if(v->clean_spaces)
		total = unspace_contractions(buf, unspace_quote(buf, unspace_punct(buf, (int)total)));
	return (int)total;
}
