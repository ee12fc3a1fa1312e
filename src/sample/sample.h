/*
 * sample.h - choosing the next token from logits, as llama.cpp's default chain does:
 * repeat penalty, top-k, top-p, min-p, temperature, then a seeded draw.
 * Temperature 0 is argmax (the lowest id wins a tie), with no randomness at all.
 */
#ifndef LB_SAMPLE_H
#define LB_SAMPLE_H

#include <stdint.h>

#include "llambo.h"

typedef struct Sampler Sampler;

Sampler *sampler_new(int n_vocab, const llambo_params *p);	/* NULL with lb_err set */
void sampler_free(Sampler *s);
/* Picks a token; logits (n_vocab of them) may be changed. */
int32_t sampler_sample(Sampler *s, float *logits);
/* Records a token of the sequence (prompt or generated) for the repeat penalty. */
void sampler_accept(Sampler *s, int32_t tok);
int32_t sample_argmax(const float *logits, int n);
/* Checks a parameter set; 0, or -1 with lb_err saying which value is wrong. */
int sampler_check(const llambo_params *p);

#endif
