/*
 * vectors.h - llama.cpp's tokenizer test vectors: an .inp file of texts, each
 * followed by "\n__ggml_vocab_test__\n", and an .out file with one line of
 * space-separated ids per text (see ../shared/tokenizer/README.md).
 */
#ifndef LB_VECTORS_H
#define LB_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "../src/vocab/vocab.h"

/* Tokenizes every text of inp and compares with out; prints the differences, returns the texts that agree. */
int vectors(const Vocab *v, const char *inp, const char *out, int add_special, int parse_special, size_t *ncases);
/* The ids of one line of an .out file (at most max kept, all counted); *p moves past its newline. */
int parse_ids(const char **p, int32_t *ids, int max);
void print_ids(const char *what, const int32_t *t, int n);

#endif
