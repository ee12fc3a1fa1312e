/*
 * fuzz_tokenize.c - libFuzzer harness for the tokenizers and the streaming
 * detokenizer with hostile text: SentencePiece (the synthetic models'
 * vocabulary) and byte-level BPE under every pre-tokenizer llambo knows (a
 * small vocabulary of byte tokens and merges, made here, loaded once per
 * pre-tokenizer), plus llama.cpp's own test vocabularies when ../shared (or
 * LLAMBO_SHARED) has them.  The first byte picks the vocabulary, the second
 * add_special and parse_special, the rest is the text.  Every id must be in
 * range, and the text the pieces make, streamed or whole, must be the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/gguf/gguf.h"
#include "../../src/model/synth.h"
#include "../../src/util/error.h"
#include "../../src/vocab/vocab.h"
#include "../../src/vocab/vocab_impl.h"
#include "../testutil.h"

enum { MAXVOCABS = 128 };

static Vocab *vocabs[MAXVOCABS];
static GGUFFile files[MAXVOCABS];
static int nvocabs;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_tokenize: %s: %s\n", what, lb_errstr());
	abort();
}

/* Loads the vocabulary of the GGUF file at path (kept open: the vocabulary's text is copied, its file is not needed, but kept for simplicity). */
static void
add(const char *path)
{
	if(nvocabs == MAXVOCABS)
		return;
	if(gguf_open(&files[nvocabs], path, 0) < 0 || (vocabs[nvocabs] = vocab_load(&files[nvocabs])) == NULL)
		die(path);
	nvocabs++;
}

/* GPT-2's byte-to-unicode map: printable bytes stand for themselves, the rest for U+0100 on. */
static void
bytesym(int b, char *out)
{
	static int map[256];
	int i, n = 0, cp;

	if(map['!'] == 0)
		for(i = 0; i < 256; i++)
			map[i] = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || i >= 0xAE ? i : 256 + n++;
	cp = map[b];
	if(cp < 0x80){
		out[0] = (char)cp;
		out[1] = 0;
	}else{
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		out[2] = 0;
	}
}

/* A byte-level BPE vocabulary: 256 byte tokens, the merges that spell a few words, and specials. */
static void
bpe(const char *pre, const char *path)
{
	static const char *const words[] = { "the", "and", "ing", "tion", " the", " a", " of", "er", "ll", "00", "\n\n", "  " };
	const char *tokens[400], *merges[200];
	int32_t types[400];
	char *own[600], sym[8], *prefix;
	int n = 0, nm = 0, no = 0, i, k;
	size_t w, j;
	GGUFWriter *g = gguf_writer_new(16);

	for(i = 0; i < 256; i++){
		bytesym(i, sym);
		tokens[n] = own[no++] = strdup(sym);
		types[n++] = 1;
	}
	for(w = 0; w < sizeof words / sizeof words[0]; w++){
		prefix = NULL;
		for(j = 0; words[w][j] != 0; j++){
			bytesym((unsigned char)words[w][j], sym);
			if(prefix == NULL){
				prefix = strdup(sym);
				own[no++] = prefix;
				continue;
			}
			char *m = malloc(strlen(prefix) + strlen(sym) + 2), *t = malloc(strlen(prefix) + strlen(sym) + 1);

			sprintf(m, "%s %s", prefix, sym);
			sprintf(t, "%s%s", prefix, sym);
			own[no++] = m;
			own[no++] = t;
			for(k = 0; k < n && strcmp(tokens[k], t) != 0; k++)
				;
			if(k == n){
				tokens[n] = t;
				types[n++] = 1;
				merges[nm++] = m;
			}
			prefix = t;
		}
	}
	tokens[n] = "<|endoftext|>";
	types[n++] = 3;
	tokens[n] = "<tool>";
	types[n++] = 4;
	gguf_w_str(g, "general.architecture", "llama");
	gguf_w_str(g, "tokenizer.ggml.model", "gpt2");
	gguf_w_str(g, "tokenizer.ggml.pre", pre);
	gguf_w_arr_str(g, "tokenizer.ggml.tokens", tokens, (size_t)n);
	gguf_w_arr_i32(g, "tokenizer.ggml.token_type", types, (size_t)n);
	gguf_w_arr_str(g, "tokenizer.ggml.merges", merges, (size_t)nm);
	gguf_w_u32(g, "tokenizer.ggml.bos_token_id", (uint32_t)n - 2);
	gguf_w_u32(g, "tokenizer.ggml.eos_token_id", (uint32_t)n - 2);
	if(gguf_write_file(g, path) < 0)
		die("writing a BPE vocabulary");
	gguf_writer_free(g);
	for(i = 0; i < no; i++)
		free(own[i]);
}

static void
setup(void)
{
	static const char *const shared[] = { "tokenizer/ggml-vocab-llama-spm.gguf", "tokenizer/ggml-vocab-gpt-2.gguf" };
	char path[512], rel[512];
	GGUFWriter *g;
	const char *name;
	size_t i;
	int k;

	tmp_path(path, sizeof path, "fuzz-vocab.gguf");
	g = gguf_writer_new(16);
	gguf_w_str(g, "general.architecture", "llama");
	if(synth_vocab(g, 2000) < 0 || gguf_write_file(g, path) < 0)
		die("writing the SPM vocabulary");
	gguf_writer_free(g);
	add(path);
	for(k = 0; (name = pretok_name(k)) != NULL; k++){
		bpe(name, path);
		add(path);
	}
	unlink(path);
	fprintf(stderr, "fuzz_tokenize: %d vocabularies (%d BPE pre-tokenizers)\n", nvocabs, k);
	for(i = 0; i < sizeof shared / sizeof shared[0]; i++)
		if(shared_path(rel, sizeof rel, shared[i]) == 0)
			add(rel);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const Vocab *v;
	int32_t *toks = NULL;
	char *whole, *streamed, piece[512];
	size_t nwhole = 0, nstream = 0;
	int n, i, k, max;
	Detok d;

	if(nvocabs == 0)
		setup();
	if(size < 2)
		return 0;
	v = vocabs[data[0] % nvocabs];
	lb_errclear();
	n = vocab_tokenize(v, (const char *)data + 2, size - 2, data[1] & 1, data[1] >> 1 & 1, &toks);
	if(n < 0){
		if(lb_errstr()[0] == 0)
			abort();
		return 0;
	}
	for(i = 0; i < n; i++)
		if(toks[i] < 0 || toks[i] >= vocab_n_tokens(v))
			abort();
	max = vocab_max_piece(v) + 8;
	whole = malloc((size_t)n * (size_t)max + 1);
	streamed = malloc((size_t)n * (size_t)max + (size_t)max + 1);
	if(whole != NULL && streamed != NULL){
		k = vocab_detokenize(v, toks, n, whole, n * max + 1, 0, 0);
		nwhole = k > 0 ? (size_t)k : 0;
		detok_init(&d, v);
		for(i = 0; i < n; i++){
			k = detok_push(&d, toks[i], piece, (int)sizeof piece);
			if(k < 0 || k > (int)sizeof piece)
				abort();
			memcpy(streamed + nstream, piece, (size_t)k);
			nstream += (size_t)k;
		}
		k = detok_flush(&d, piece, (int)sizeof piece);
		memcpy(streamed + nstream, piece, (size_t)(k > 0 ? k : 0));
		nstream += (size_t)(k > 0 ? k : 0);
		/* alike, but where whole text cleans spaces (" ?" to "?") as llama.cpp's detokenize does */
		if(!v->clean_spaces && (nstream != nwhole || memcmp(streamed, whole, nwhole) != 0)){
			fprintf(stderr, "streamed %zu bytes \"%.*s\", whole %zu \"%.*s\"\n", nstream, (int)nstream, streamed, nwhole, (int)nwhole, whole);
			abort();
		}
	}
	free(whole);
	free(streamed);
	free(toks);
	return 0;
}
