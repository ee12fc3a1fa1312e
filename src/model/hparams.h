/* hparams.h - reading a model's <arch>.KEY hyperparameters: for load.c and the families' hooks (arch.c). */
#ifndef LB_HPARAMS_H
#define LB_HPARAMS_H

#include "model.h"

/*
 * 1 and *out set if the key is there with a usable value, 0 if absent (*out
 * untouched), -1 with lb_err if it is there but unusable: not a number, negative,
 * too large, or 0 unless zero_ok.
 */
int key_int(const Model *m, const char *suffix, int *out, int zero_ok);
int key_float(const Model *m, const char *suffix, float *out, int zero_ok);

#endif
