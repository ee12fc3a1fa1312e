/*
 * spm.c - the SentencePiece-style tokenizer (tokenizer.ggml.model "llama"),
 * as llama.cpp's llm_tokenizer_spm_session: start from single UTF-8
 * characters and keep merging the adjacent pair whose joined text is the
 * token of highest score (the leftmost pair on a tie).  What is left and is
 * no token is spelled in byte tokens <0xNN>.
 *
 * llama.cpp also keeps a "rev_merge" map to split such leftovers along
 * earlier merges, but a merge is only ever made when its text is a token, so
 * a leftover that is no token is always a single character: the map is never
 * used, and we do without it.
 */
#include "../util/error.h"
#include "vocab_impl.h"

typedef struct Spm {
	const Vocab *v;
	const char *s;
	Sym *sym;
	BHeap heap;
} Spm;

static int
add_pair(void *arg, int32_t left, int32_t right)
{
	Spm *p = arg;
	const float *score = p->v->score.p;
	uint32_t n;
	int32_t id;

	if(left < 0 || right < 0)
		return 0;
	n = p->sym[left].n + p->sym[right].n;
	id = vocab_lookup(p->v, p->s + p->sym[left].off, n);
	if(id < 0)
		return 0;
	return bheap_push(&p->heap, score[id], left, right, n);
}

static int
drain(Spm *p)
{
	return bheap_drain(&p->heap, p->sym, add_pair, p);
}

/* A character with a byte that no token of two bytes or more holds can never be merged. */
static int
isolated(const Spm *p, const Sym *s)
{
	uint32_t i;

	for(i = 0; i < s->n; i++)
		if(p->v->solo[(uint8_t)p->s[s->off + i]])
			return 1;
	return 0;
}

/*
 * Isolated characters cut the text into runs that merge independently, so
 * each run can have the queue to itself: the pops of one run come in the
 * same order as with one queue for all, and a small queue is a fast one.
 */
static int
merge(Spm *p, int32_t nsym)
{
	int32_t i;

	for(i = 1; i < nsym; i++){
		if(isolated(p, &p->sym[i])){
			if(drain(p) < 0)
				return -1;
			continue;
		}
		if(!isolated(p, &p->sym[i - 1]) && add_pair(p, i - 1, i) < 0)
			return -1;
	}
	return drain(p);
}

static int
emit(const Spm *p, const Sym *s, TokBuf *out)
{
	int32_t id = vocab_lookup(p->v, p->s + s->off, s->n);
	uint32_t i;

	if(id >= 0)
		return tokbuf_push(out, id);
	for(i = 0; i < s->n; i++)
		if((id = vocab_byte_token(p->v, (uint8_t)p->s[s->off + i])) >= 0 && tokbuf_push(out, id) < 0)
			return -1;
	return 0;
}

/* text is already escaped (spaces as U+2581, the space prefix added). */
int
spm_tokenize(const Vocab *v, const char *text, size_t len, TokBuf *out)
{
	Spm p = { .v = v, .s = text };
	VArr sym = { 0 };
	int32_t i, nsym;
	int rc;

	if(len == 0)
		return 0;
	if(len > INT32_MAX)
		return lb_err("text too long");
	if(varr_grow(&sym, len, sizeof(Sym)) < 0)
		return -1;
	p.sym = sym.p;
	nsym = sym_split(text, (uint32_t)len, p.sym);
	rc = merge(&p, nsym);
	for(i = 0; rc == 0 && i != -1; i = p.sym[i].next)
		rc = emit(&p, &p.sym[i], out);
	bheap_free(&p.heap);
	varr_free(&sym);
	return rc;
}
