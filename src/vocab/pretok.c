/*
 * pretok.c - the BPE pre-tokenizer: llama.cpp's unicode_regex_split with PCRE2.
 *
 * llama.cpp first decodes the text into code points (a broken byte becomes
 * U+FFFD), then applies each regex to each piece left by the previous one;
 * text between matches stays a piece of its own.  Its regexes run either as
 * hand-written splitters or as std::regex over a "collapsed" text, and both
 * take \s to be its whitespace set and \p{Lu}, \p{Ll} ... to be any letter.
 * We compile the same regexes with PCRE2 after rewriting those two things,
 * which gives the same words up to differences between Unicode versions.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "vocab_impl.h"

struct Pretok {
	const PreDef *def;
	int nre;
	pcre2_code *re[VOCAB_MAX_RE];
};

/* llama.cpp's whitespace (unicode_set_whitespace: the White_Space property) */
static const char WS[] = "\\x{9}-\\x{D} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

static int
isletterclass(const char *p)
{
	return p[0] == 'p' && p[1] == '{' && p[2] == 'L' && p[3] != 0 && strchr("ultmo", p[3]) != NULL && p[4] == '}';
}

/* Rewrites \s, \S and \p{Lx} as llama.cpp reads them; NULL with lb_err. */
static char *
rewrite(const char *re)
{
	size_t n = strlen(re), o = 0, i = 0;
	char *out = malloc(n * (sizeof WS + 4) + 1);
	int inclass = 0;

	if(out == NULL){
		lb_err("out of memory");
		return NULL;
	}
	while(i < n){
		if(re[i] == '\\' && i + 1 < n){
			if(re[i + 1] == 's' || re[i + 1] == 'S'){
				if(inclass && re[i + 1] == 'S'){
					free(out);
					lb_err("pre-tokenizer regex: \\S inside a class");
					return NULL;
				}
				o += sprintf(out + o, inclass ? "%s" : re[i + 1] == 's' ? "[%s]" : "[^%s]", WS);
				i += 2;
			}else if(isletterclass(re + i + 1)){
				o += sprintf(out + o, "\\p{L}");
				i += 6;
			}else{
				out[o++] = re[i++];
				out[o++] = re[i++];
			}
			continue;
		}
		if(re[i] == '[' && !inclass)
			inclass = 1;
		else if(re[i] == ']' && inclass)
			inclass = 0;
		out[o++] = re[i++];
	}
	out[o] = 0;
	return out;
}

static pcre2_code *
compile(const char *re)
{
	char *pat = rewrite(re), msg[128];
	pcre2_code *code;
	PCRE2_SIZE erroff;
	int err;

	if(pat == NULL)
		return NULL;
	code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &erroff, NULL);
	free(pat);
	if(code == NULL){
		pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof msg);
		lb_err("pre-tokenizer regex %.40s: %s", re, msg);
		return NULL;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* without JIT, pcre2_match interprets */
	return code;
}

Pretok *
pretok_new(const PreDef *d)
{
	const char *const *re = predef_regexes(d);
	Pretok *p = calloc(1, sizeof *p);

	if(p == NULL){
		lb_err("out of memory");
		return NULL;
	}
	p->def = d;
	for(; *re != NULL && p->nre < VOCAB_MAX_RE; re++){
		if((p->re[p->nre] = compile(*re)) == NULL){
			pretok_free(p);
			return NULL;
		}
		p->nre++;
	}
	return p;
}

void
pretok_free(Pretok *p)
{
	int i;

	if(p == NULL)
		return;
	for(i = 0; i < p->nre; i++)
		pcre2_code_free(p->re[i]);
	free(p);
}

/*
 * canon: the text as llama.cpp rebuilds it from its code points.  match: the
 * same bytes, except that surrogates (which llama.cpp lets through and PCRE2
 * refuses) become U+E000, of the same length and the same class ("other").
 */
static int
canonicalize(const char *text, size_t len, VArr *canon, VArr *match, size_t *clen)
{
	size_t i, o = 0, used;
	uint32_t cp;
	char *c, *m;
	int n;

	if(len > (SIZE_MAX - 4) / 3)
		return lb_err("text too long");
	if(varr_grow(canon, 3 * len + 4, 1) < 0 || varr_grow(match, 3 * len + 4, 1) < 0)
		return -1;
	c = canon->p;
	m = match->p;
	for(i = 0; i < len; i += used){
		cp = utf8_decode((const uint8_t *)text + i, len - i, &used);
		n = utf8_encode(cp, c + o);
		if(cp >= 0xD800 && cp <= 0xDFFF)
			utf8_encode(0xE000, m + o);
		else
			memcpy(m + o, c + o, n);
		o += n;
	}
	*clen = o;
	return 0;
}

static int
emit(VArr *w, size_t *nw, size_t off, size_t len)
{
	size_t *p;

	if(varr_grow(w, 2 * (*nw + 1), sizeof(size_t)) < 0)
		return -1;
	p = w->p;
	p[2 * *nw] = off;
	p[2 * *nw + 1] = len;
	(*nw)++;
	return 0;
}

/* The JIT's stack is our own, not 32K of a caller's stack that may be small (emu's kprocs). */
typedef struct Matcher {
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
	pcre2_match_data *md;
} Matcher;

static int
match(const pcre2_code *re, const Matcher *m, const char *s, size_t n, size_t start, uint32_t opt)
{
	int rc = PCRE2_ERROR_JIT_STACKLIMIT;

	if(m->js != NULL)
		rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, opt | PCRE2_NO_UTF_CHECK, m->md, m->mc);
	if(rc == PCRE2_ERROR_JIT_STACKLIMIT)	/* the interpreter keeps its backtracking on the heap */
		rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, opt | PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, m->md, NULL);
	return rc;
}

/*
 * One piece of valid UTF-8 s[0..n) through one regex, as std::regex_iterator
 * walks it: the text between matches is kept as a piece; after an empty match
 * a non-empty one is tried at the same place before stepping one character.
 */
static int
split_piece(const pcre2_code *re, const Matcher *m, const char *s, size_t off, size_t n, VArr *w, size_t *nw)
{
	size_t start = 0, last = 0, ms, me;
	uint32_t opt = 0;
	PCRE2_SIZE *ov;
	int rc;

	while(start <= n){
		rc = match(re, m, s + off, n, start, opt);
		if(rc == PCRE2_ERROR_NOMATCH){
			if(opt == 0 || start >= n)
				break;
			start += utf8_len((uint8_t)s[off + start]);
			opt = 0;
			continue;
		}
		if(rc < 0)
			return lb_err("pre-tokenizer regex failed (pcre2 error %d)", rc);
		ov = pcre2_get_ovector_pointer(m->md);
		ms = ov[0];
		me = ov[1];
		if(ms > last && emit(w, nw, off + last, ms - last) < 0)
			return -1;
		if(me > ms && emit(w, nw, off + ms, me - ms) < 0)
			return -1;
		last = start = me;
		opt = me == ms ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
	}
	if(last < n && emit(w, nw, off + last, n - last) < 0)
		return -1;
	return 0;
}

static int
split_all(const pcre2_code *re, Matcher *m, const char *s, VArr *words, size_t *nwords)
{
	VArr out = { 0 };
	size_t i, nout = 0, *w = words->p;
	int rc = 0;

	if((m->md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		return lb_err("out of memory");
	for(i = 0; i < *nwords && rc == 0; i++)
		rc = split_piece(re, m, s, w[2 * i], w[2 * i + 1], &out, &nout);
	pcre2_match_data_free(m->md);
	if(rc < 0){
		varr_free(&out);
		return -1;
	}
	varr_free(words);
	*words = out;
	*nwords = nout;
	return 0;
}

int64_t
pretok_split(const Pretok *p, const char *text, size_t len, VArr *canon, VArr *words)
{
	VArr m = { 0 };
	Matcher mt = { 0 };
	size_t clen = 0, nwords = 0;
	int i, rc;

	rc = canonicalize(text, len, canon, &m, &clen);
	if(rc == 0 && clen > 0)
		rc = emit(words, &nwords, 0, clen);
	if(rc == 0 && nwords > 0 && (mt.mc = pcre2_match_context_create(NULL)) != NULL &&
	   (mt.js = pcre2_jit_stack_create(32 << 10, 1 << 20, NULL)) != NULL)
		pcre2_jit_stack_assign(mt.mc, NULL, mt.js);
	for(i = 0; rc == 0 && i < p->nre && nwords > 0; i++)
		rc = split_all(p->re[i], &mt, m.p, words, &nwords);
	pcre2_jit_stack_free(mt.js);
	pcre2_match_context_free(mt.mc);
	varr_free(&m);
	return rc < 0 ? -1 : (int64_t)nwords;
}
