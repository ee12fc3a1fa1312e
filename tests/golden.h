/* golden.h - reading the goldens of ../shared/goldens (formats in its README). */
#ifndef LB_GOLDEN_H
#define LB_GOLDEN_H

#include <stdint.h>

typedef struct Golden {
	int32_t *prompt, *gen;
	int n_prompt, n_gen;
	float *logits, *gen_logits;	/* n_prompt rows, n_gen rows */
	int n_vocab;
	char *txt;
	size_t txt_len;
} Golden;

/* Reads goldens/<model>/<slug>{.tokens,.logits,.gen.logits,.txt}; 0, or -1 if any is missing or malformed. */
int golden_read(Golden *g, const char *model, const char *slug);
void golden_free(Golden *g);
/* Row r of the whole teacher-forced sequence prompt + gen[0..n_gen-2]: prompt rows, then gen rows 1.. */
const float *golden_row(const Golden *g, int r);
int golden_rows(const Golden *g);

#endif
