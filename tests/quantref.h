/*
 * quantref.h - what the quantization tests share: a seeded random generator,
 * random rows, an fp16 decoding written independently of src/quant, an
 * exact comparison of float rows, and the kernel tier tests leave in use.
 */
#ifndef LB_QUANTREF_H
#define LB_QUANTREF_H

#include <stddef.h>
#include <stdint.h>

void qr_seed(uint64_t seed);
uint32_t qr_rand32(void);
double qr_uniform(void);	/* in (0, 1) */
float qr_gauss(void);	/* N(0, 1) */
void qr_fill_gauss(float *x, int n, float scale);
void qr_fill_bytes(void *p, size_t n);

/* binary16 to float from the definition (ldexp); a NaN keeps sign and payload, quieted, as F16C does. */
float qr_half(uint16_t h);
/* Index of the first element whose bits differ (NaNs included), or -1. */
int qr_first_diff(const float *a, const float *b, int n);
/* The best kernel tier (quant.h), as every test leaves it. */
void qr_best_tier(void);

#endif
