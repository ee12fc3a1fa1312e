/*
 * synth_vocab.c - the synthetic models' vocabulary, made of words: what a model
 * with random weights generates is then still text (English words, valid UTF-8,
 * no control characters), never raw bytes.  See synth.h.
 *
 * Ids 0-2 are <unk> <s> </s>.  Then U+2581 (the space) and every printable
 * ASCII character, so that any ASCII prompt can be spelled; there are no byte
 * tokens, and other characters of a prompt become <unk>.  The rest are words
 * after U+2581: the list below, then the same capitalised, then hyphenated
 * compounds of its words ("little-dog"), as many as the vocabulary needs.
 * A word is never reached by merges from a prompt's characters (SentencePiece
 * merges need every prefix in the vocabulary): prompts tokenize into
 * characters, and only generation produces words.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gguf/gguf.h"
#include "../util/error.h"
#include "synth.h"

static const char *const words[] = {
	"the", "a", "an", "and", "but", "or", "so", "then", "once", "upon",
	"time", "there", "was", "were", "is", "are", "be", "been", "had", "has",
	"have", "little", "big", "small", "old", "young", "happy", "sad", "kind", "brave",
	"quiet", "loud", "bright", "dark", "warm", "cold", "soft", "girl", "boy", "dog",
	"cat", "bird", "fish", "tree", "house", "garden", "park", "river", "sea", "sky",
	"sun", "moon", "star", "rain", "snow", "wind", "day", "night", "morning", "evening",
	"friend", "mother", "father", "sister", "brother", "king", "queen", "baby", "toy", "ball",
	"book", "box", "door", "window", "road", "town", "forest", "hill", "flower", "apple",
	"cake", "bread", "milk", "water", "fire", "stone", "boat", "car", "train", "bus",
	"shop", "school", "room", "bed", "chair", "table", "cup", "hat", "shoe", "she",
	"he", "they", "it", "we", "you", "i", "her", "his", "their", "its",
	"our", "my", "your", "them", "him", "us", "me", "said", "saw", "went",
	"came", "ran", "played", "looked", "found", "made", "wanted", "liked", "loved", "helped",
	"asked", "jumped", "walked", "smiled", "laughed", "cried", "called", "gave", "took", "knew",
	"thought", "felt", "heard", "opened", "to", "in", "on", "at", "with", "from",
	"for", "of", "by", "over", "under", "into", "after", "before", "away", "back",
	"up", "down", "very", "all", "some", "many", "every", "one", "two", "three",
	"first", "last", "next", "new", "good", "best", "red", "blue", "green", "yellow",
	"white", "black", "pink", "brown", "not", "no", "yes", "can", "could", "will",
	"would", "should", "must", "may", "might", "do", "did", "does", "what", "who",
	"where", "when", "why", "how", "this", "that", "these", "those", "here", "now",
	"again", "too", "also", "hello", "thank", "please", "sorry", "love", "hope", "dream",
	"story", "song", "game", "fun", "surprise", "named", "lived", "bunny", "bear", "lion",
	"mouse", "frog", "duck", "horse", "cow", "pig", "sheep", "owl", "fox", "lily",
	"tim", "tom", "sue", "ben", "mia", "max", "lucy", "sam", "anna", "jack",
	"sara", "eat", "ate", "play", "sing", "dance", "read", "write", "draw", "swim",
	"fly", "climb", "sleep", "wake", "share", "find", "keep", "together", "alone", "always",
	"never", "sometimes", "soon", "later", "today", "tomorrow", "yesterday", "because", "while", "until",
	"if", "than", "as",
};

enum {
	NWORDS = sizeof words / sizeof words[0],
	NSPECIAL = 3,
	NCHARS = 1 + 94,	/* U+2581 and '!'..'~' */
	FIRSTWORD = NSPECIAL + NCHARS,
};

/* Word w of the list, capitalised when w >= NWORDS ("Once", "The"), after U+2581. */
static void
word_text(char *b, size_t size, int w)
{
	snprintf(b, size, "\xe2\x96\x81%s", words[w % NWORDS]);
	if(w >= NWORDS)
		b[3] = (char)toupper((unsigned char)b[3]);
}

/*
 * Compound k >= 0 after U+2581: the digits of k + NWORDS in base NWORDS, least
 * significant first, each a word, joined with hyphens; a word is its digit plus
 * the digit before it plus one, so that both halves of "little-dog" vary.  Both
 * maps are one to one, so no text is made twice.  An int has at most 4 digits
 * (NWORDS^4 > 2^31): 3 + 4 * 11 bytes at most.
 */
static void
compound_text(char *b, size_t size, long k)
{
	int prev = -1, d;
	size_t o;

	o = (size_t)snprintf(b, size, "\xe2\x96\x81");
	for(k += NWORDS; k > 0 && o < size; k /= NWORDS){
		d = (int)(k % NWORDS);
		o += (size_t)snprintf(b + o, size - o, "%s%s", prev < 0 ? "" : "-", words[(d + prev + 1) % NWORDS]);
		prev = d;
	}
}

static void
token_text(char *b, size_t size, int i)
{
	static const char *const special[NSPECIAL] = { "<unk>", "<s>", "</s>" };

	if(i < NSPECIAL)
		snprintf(b, size, "%s", special[i]);
	else if(i == NSPECIAL)
		snprintf(b, size, "\xe2\x96\x81");
	else if(i < FIRSTWORD)
		snprintf(b, size, "%c", '!' + (i - NSPECIAL - 1));
	else if(i < FIRSTWORD + 2 * NWORDS)
		word_text(b, size, i - FIRSTWORD);
	else
		compound_text(b, size, i - FIRSTWORD - 2 * NWORDS);
}

int
synth_vocab(GGUFWriter *w, int n)
{
	char **tok;
	float *score;
	int32_t *type;
	int i, rc = 0;

	if(n < SYNTH_MIN_VOCAB)
		return lb_err("n_vocab must be at least %d (specials, characters and some words)", SYNTH_MIN_VOCAB);
	tok = calloc((size_t)n, sizeof *tok);
	score = malloc(sizeof(float) * (size_t)n);
	type = malloc(sizeof(int32_t) * (size_t)n);
	if(tok == NULL || score == NULL || type == NULL){
		rc = lb_err("out of memory");
		goto done;
	}
	for(i = 0; i < n; i++){
		char b[64];

		token_text(b, sizeof b, i);
		score[i] = -(float)i;
		type[i] = i == 0 ? 2 : i < NSPECIAL ? 3 : 1;	/* unknown, control, normal */
		if((tok[i] = strdup(b)) == NULL){
			rc = lb_err("out of memory");
			goto done;
		}
	}
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tok, (size_t)n);
	gguf_w_arr_f32(w, "tokenizer.ggml.scores", score, (size_t)n);
	gguf_w_arr_i32(w, "tokenizer.ggml.token_type", type, (size_t)n);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
	gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0);
done:
	for(i = 0; tok != NULL && i < n; i++)
		free(tok[i]);
	free(tok);
	free(score);
	free(type);
	return rc;
}
