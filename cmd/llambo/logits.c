/*
 * logits.c - llambo logits: the teacher-forced logits of every prompt position,
 * written as the goldens are (int32 n_rows, int32 n_vocab, then n_rows*n_vocab
 * float32, little-endian), so results compare file to file.  --gen N appends the
 * rows of greedy steps 1..N-1: the last prompt row and these are the .gen.logits rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo logits [-m MODEL] (-p PROMPT | --ids \"1 2 3\") -o FILE [--gen N] [--exact] [-t THREADS] [-c CTX]\n"
	"                     [-ctk TYPE] [-ctv TYPE]   (the KV cache's types, f16 unless given; llama.cpp's names)\n";

static int
parse_ids(const char *s, int32_t **out)
{
	int n = 0, cap = 64;
	int32_t *v = malloc(sizeof(int32_t) * (size_t)cap);
	char *end;

	for(;;){
		long x;
		while(*s == ' ' || *s == ',' || *s == '\n')
			s++;
		if(*s == 0)
			break;
		x = strtol(s, &end, 10);
		if(end == s || x < 0 || x > 0x7fffffff)
			cli_die("--ids: bad id near '%.10s'", s);
		if(n == cap)
			v = realloc(v, sizeof(int32_t) * (size_t)(cap *= 2));
		v[n++] = (int32_t)x;
		s = end;
	}
	*out = v;
	return n;
}

static int
write_rows(FILE *f, const float *rows, int n, int nv)
{
	int32_t hdr[2] = { n, nv };

	return fwrite(hdr, sizeof hdr, 1, f) == 1 &&
		fwrite(rows, sizeof(float) * (size_t)nv, (size_t)n, f) == (size_t)n ? 0 : -1;
}

int
cmd_logits(int argc, char **argv)
{
	Opts o;
	llambo_ctx *c;
	int32_t *toks;
	float *rows;
	FILE *f;
	int id, n, nv, j, nrows, step;

	cli_parse(&o, argc, argv, usage);
	if((o.prompt == NULL) == (o.ids == NULL) || o.out == NULL){
		fputs(usage, stderr);
		return 2;
	}
	id = cli_load(&o);
	nv = llambo_n_vocab(id);
	n = o.ids ? parse_ids(o.ids, &toks) : llambo_tokenize(id, o.prompt, &toks);
	if(n <= 0)
		cli_die("nothing to evaluate: %s", n < 0 ? llambo_last_error() : "no tokens");
	c = llambo_ctx_new(id, o.n_ctx > n + o.n_gen ? o.n_ctx : n + o.n_gen, o.threads);
	if(c == NULL)
		cli_die("%s", llambo_last_error());
	llambo_ctx_set_exact(c, o.exact);
	rows = malloc(sizeof(float) * (size_t)nv * (size_t)(n + o.n_gen));
	if(rows == NULL)
		cli_die("out of memory");
	if(llambo_ctx_eval(c, toks, n, LLAMBO_LOGITS_ALL, rows) < 0)
		cli_die("%s", llambo_last_error());
	/* greedy steps: the last row chooses the next token, whose row follows */
	for(nrows = n, step = 1; step < o.n_gen; step++, nrows++){
		const float *last = rows + (size_t)(nrows - 1) * nv;
		int32_t best = 0;
		for(j = 1; j < nv; j++)
			if(last[j] > last[best])
				best = j;
		if(llambo_ctx_eval(c, &best, 1, LLAMBO_LOGITS_LAST, rows + (size_t)nrows * nv) < 0)
			cli_die("%s", llambo_last_error());
	}
	f = fopen(o.out, "wb");
	if(f == NULL)
		cli_die("%s: cannot create", o.out);
	if(write_rows(f, rows, nrows, nv) < 0 || fclose(f) != 0)
		cli_die("%s: write failed", o.out);
	fprintf(stderr, "llambo: wrote %d rows of %d logits to %s\n", nrows, nv, o.out);
	llambo_ctx_free(c);
	free(rows);
	free(toks);
	llambo_free_model(id);
	return 0;
}
