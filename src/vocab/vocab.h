/*
 * vocab.h - the tokenizer a GGUF file describes: SentencePiece-style
 * (tokenizer.ggml.model = "llama") and byte-level BPE ("gpt2", with the
 * pre-tokenizer tokenizer.ggml.pre names), as llama.cpp runs them.
 */
#ifndef LB_VOCAB_H
#define LB_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "../gguf/gguf.h"

typedef struct Vocab Vocab;

enum { VOCAB_SPM = 1, VOCAB_BPE = 2 };

/* token types, as tokenizer.ggml.token_type stores them */
enum { TOK_UNDEFINED = 0, TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_USER_DEFINED = 4, TOK_UNUSED = 5, TOK_BYTE = 6 };

/* Builds the vocabulary from f's tokenizer.* keys; NULL with lb_err set. The Vocab copies what it keeps. */
Vocab *vocab_load(const GGUFFile *f);
void vocab_free(Vocab *v);

int vocab_kind(const Vocab *v);	/* VOCAB_SPM or VOCAB_BPE */
int32_t vocab_n_tokens(const Vocab *v);
int32_t vocab_bos(const Vocab *v);	/* -1 if none */
int32_t vocab_eos(const Vocab *v);
int vocab_add_bos(const Vocab *v);	/* the model's (or the tokenizer's default) wish */
int vocab_is_eog(const Vocab *v, int32_t tok);	/* EOS, EOT and the like: generation stops */
int vocab_is_control(const Vocab *v, int32_t tok);
const char *vocab_pre_name(const Vocab *v);	/* the pre-tokenizer in use, e.g. "default", "gpt-2", "llama3" */

/*
 * Tokenizes len bytes of text as llama_tokenize(vocab, text, len, ..., add_special, parse_special) does:
 * add_special adds BOS (and EOS) where the vocabulary asks for it; parse_special turns the text of
 * control/user-defined tokens into those tokens.  *out is malloc'd (free it); returns the count or -1.
 */
int vocab_tokenize(const Vocab *v, const char *text, size_t len, int add_special, int parse_special, int32_t **out);

/*
 * The bytes of one token, as llama_token_to_piece(vocab, tok, buf, size, 0, special) gives them
 * (SPM: U+2581 becomes a space, <0xNN> becomes the byte; BPE: the byte-to-unicode mapping undone;
 * control tokens give nothing unless special).  Returns the length, or -needed if size is too small;
 * an out-of-range token gives 0 bytes.
 */
int vocab_piece(const Vocab *v, int32_t tok, char *buf, int size, int special);
int vocab_max_piece(const Vocab *v);	/* the longest piece, in bytes */

/*
 * Streaming detokenizer: feeds tokens, emits text that is never half a UTF-8 character.
 * The leading space of the first piece is dropped for SPM vocabularies, as llama.cpp's
 * detokenizer does after BOS ("add space prefix").
 */
typedef struct Detok {
	const Vocab *v;
	int first;	/* no piece emitted yet */
	char pend[8];	/* incomplete UTF-8 sequence held back */
	int npend;
} Detok;
void detok_init(Detok *d, const Vocab *v);
/*
 * Writes the newly complete text for tok into buf, which has room for vocab_max_piece(v) + 8 bytes; returns the count
 * (-needed, with nothing consumed, if size is smaller).  Control tokens print nothing (special = 0).
 */
int detok_push(Detok *d, int32_t tok, char *buf, int size);
/* Flushes what is held back (invalid trailing bytes are emitted as they are). */
int detok_flush(Detok *d, char *buf, int size);

/*
 * All of toks at once, as llama_detokenize(vocab, toks, n, buf, size, remove_special, unparse_special):
 * like the Detok stream, plus BPE's clean_up_tokenization_spaces where the vocabulary asks for it.
 * Returns the length, or -needed if size is too small (-1 with lb_err past INT32_MAX bytes).
 */
int vocab_detokenize(const Vocab *v, const int32_t *toks, int n, char *buf, int size, int remove_special, int unparse_special);

#endif
