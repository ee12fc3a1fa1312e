/* golden.c - see golden.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "testutil.h"

static int
read_ids(const char *line, const char *tag, int32_t **out)
{
	const char *p;
	char *end;
	int n = 0;
	int32_t *v;

	if(strncmp(line, tag, strlen(tag)) != 0)
		return -1;
	v = malloc(sizeof(int32_t) * 4096);
	for(p = line + strlen(tag); *p != '\n' && *p != 0 && n < 4096; p = end){
		long x = strtol(p, &end, 10);
		if(end == p)
			break;
		v[n++] = (int32_t)x;
	}
	*out = v;
	return n;
}

static float *
read_logits(const char *path, int *rows, int *nv)
{
	size_t len;
	char *b = read_file(path, &len);
	int32_t hdr[2];
	float *x;

	if(b == NULL || len < 8){
		free(b);
		return NULL;
	}
	memcpy(hdr, b, 8);
	if(hdr[0] <= 0 || hdr[1] <= 0 || len != 8 + 4 * (size_t)hdr[0] * hdr[1]){
		free(b);
		return NULL;
	}
	x = malloc(len - 8);
	memcpy(x, b + 8, len - 8);
	free(b);
	*rows = hdr[0];
	*nv = hdr[1];
	return x;
}

int
golden_read(Golden *g, const char *model, const char *slug)
{
	char rel[512], path[1024];
	char *tok, *nl;
	int rows, nv;

	memset(g, 0, sizeof *g);
	snprintf(rel, sizeof rel, "goldens/%s/%s.tokens", model, slug);
	if(shared_path(path, sizeof path, rel) < 0 || (tok = read_file(path, NULL)) == NULL)
		return -1;
	nl = strchr(tok, '\n');
	g->n_prompt = read_ids(tok, "prompt:", &g->prompt);
	g->n_gen = nl ? read_ids(nl + 1, "gen:", &g->gen) : -1;
	free(tok);
	if(g->n_prompt <= 0 || g->n_gen <= 0)
		return -1;
	snprintf(rel, sizeof rel, "goldens/%s/%s.logits", model, slug);
	shared_path(path, sizeof path, rel);
	g->logits = read_logits(path, &rows, &g->n_vocab);
	if(g->logits == NULL || rows != g->n_prompt)
		return -1;
	snprintf(rel, sizeof rel, "goldens/%s/%s.gen.logits", model, slug);
	shared_path(path, sizeof path, rel);
	g->gen_logits = read_logits(path, &rows, &nv);
	if(g->gen_logits == NULL || rows != g->n_gen || nv != g->n_vocab)
		return -1;
	snprintf(rel, sizeof rel, "goldens/%s/%s.txt", model, slug);
	shared_path(path, sizeof path, rel);
	g->txt = read_file(path, &g->txt_len);
	return g->txt != NULL ? 0 : -1;
}

void
golden_free(Golden *g)
{
	free(g->prompt);
	free(g->gen);
	free(g->logits);
	free(g->gen_logits);
	free(g->txt);
}

int
golden_rows(const Golden *g)
{
	return g->n_prompt + g->n_gen - 1;
}

const float *
golden_row(const Golden *g, int r)
{
	if(r < g->n_prompt)
		return g->logits + (size_t)r * g->n_vocab;
	return g->gen_logits + (size_t)(r - g->n_prompt + 1) * g->n_vocab;
}
