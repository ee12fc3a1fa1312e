/* vectors.c - see vectors.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vectors.h"

enum { MAXCASES = 64 };
static const char SEP[] = "\n__ggml_vocab_test__\n";

static size_t
split_cases(const char *buf, size_t n, const char **cases, size_t *lens)
{
	size_t k = 0, pos = 0, sl = sizeof SEP - 1, end;
	const char *hit;

	while(pos < n && k < MAXCASES){
		hit = memmem(buf + pos, n - pos, SEP, sl);
		end = hit ? (size_t)(hit - buf) : n;
		cases[k] = buf + pos;
		lens[k++] = end - pos;
		if(hit == NULL)
			break;
		pos = end + sl;
	}
	return k;
}

/* Parses the ids of one line; *p moves past its newline. */
int
parse_ids(const char **p, int32_t *ids, int max)
{
	int n = 0;
	char *end;
	long x;

	while(**p != 0 && **p != '\n'){
		x = strtol(*p, &end, 10);
		if(end == *p){
			(*p)++;
			continue;
		}
		if(n < max)
			ids[n] = (int32_t)x;
		n++;
		*p = end;
	}
	if(**p == '\n')
		(*p)++;
	return n;
}

void
print_ids(const char *what, const int32_t *t, int n)
{
	char line[1024];
	int i, o = 0;

	for(i = 0; i < n && o < (int)sizeof line - 16; i++)
		o += snprintf(line + o, sizeof line - o, " %d", t[i]);
	print_message("    %s:%s\n", what, line);
}

/* Tokenizes every case of vocab's .inp and compares with its .out; returns the cases that agree. */
int
vectors(const Vocab *v, const char *inp, const char *out, int add_special, int parse_special, size_t *ncases)
{
	const char *cases[MAXCASES], *p;
	size_t lens[MAXCASES], ninp, nout, k;
	char *ibuf = read_file(inp, &ninp), *obuf = read_file(out, &nout);
	int32_t want[512], *got;
	int nwant, ngot, pass = 0;

	assert_non_null(ibuf);
	assert_non_null(obuf);
	*ncases = split_cases(ibuf, ninp, cases, lens);
	p = obuf;
	for(k = 0; k < *ncases; k++){
		nwant = parse_ids(&p, want, 512);
		ngot = vocab_tokenize(v, cases[k], lens[k], add_special, parse_special, &got);
		assert_true(ngot >= 0);
		if(ngot == nwant && memcmp(got, want, ngot * sizeof(int32_t)) == 0)
			pass++;
		else{
			print_message("  case %zu (%zu bytes) differs\n", k, lens[k]);
			print_ids("want", want, nwant);
			print_ids("got ", got, ngot);
		}
		free(got);
	}
	free(ibuf);
	free(obuf);
	return pass;
}

