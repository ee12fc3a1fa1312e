/* quantref.c - see quantref.h. */
#include <math.h>
#include <string.h>

#include "quantref.h"
#include "../src/quant/quant.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;

void
qr_seed(uint64_t seed)
{
	state = seed ? seed : 1;
}

/* xorshift64*: small, fast, and the same sequence everywhere */
uint32_t
qr_rand32(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545F4914F6CDD1Dull) >> 32);
}

double
qr_uniform(void)
{
	return (qr_rand32() + 0.5) / 4294967296.0;
}

float
qr_gauss(void)
{
	return (float)(sqrt(-2 * log(qr_uniform())) * cos(6.283185307179586 * qr_uniform()));
}

void
qr_fill_gauss(float *x, int n, float scale)
{
	int i;

	for(i = 0; i < n; i++)
		x[i] = qr_gauss() * scale;
}

void
qr_fill_bytes(void *p, size_t n)
{
	size_t i;

	for(i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)qr_rand32();
}

float
qr_half(uint16_t h)
{
	const int e = h >> 10 & 31, m = h & 1023;
	const float sign = h & 0x8000 ? -1.0f : 1.0f;
	uint32_t bits;
	float f;

	if(e == 0)
		return sign * ldexpf((float)m, -24);
	if(e < 31)
		return sign * ldexpf((float)(1024 + m), e - 25);
	if(m == 0)
		return sign * INFINITY;
	bits = (uint32_t)(h & 0x8000) << 16 | 0x7FC00000u | (uint32_t)m << 13;
	memcpy(&f, &bits, sizeof f);
	return f;
}

int
qr_first_diff(const float *a, const float *b, int n)
{
	int i;

	for(i = 0; i < n; i++)
		if(memcmp(&a[i], &b[i], sizeof(float)) != 0)
			return i;
	return -1;
}

void
qr_best_tier(void)
{
	quant_use_tier(quant_ntiers() - 1);
}
