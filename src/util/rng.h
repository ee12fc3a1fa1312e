/* rng.h - splitmix64: small, fast, and the same stream on every machine for a given seed. */
#ifndef LB_RNG_H
#define LB_RNG_H

#include <stdint.h>

static inline uint64_t
lb_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static inline double
lb_rng_uniform(uint64_t *s)
{
	return (double)(lb_rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
