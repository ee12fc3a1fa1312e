/* avx512.h - what the *_avx512.c kernels share (include only from those). */
#ifndef LB_AVX512_H
#define LB_AVX512_H

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VNNI__)
#error "avx512.h is for the files compiled with the avx512 tier's flags"
#endif

#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))

/*
 * call(nc) for the nc (1 <= nc <= 4, or 8) activation rows of a tile: each
 * a constant, so that the kernel's loops over them unroll and its
 * accumulators stay in registers.
 */
#define BY_COLS4(nc, call) \
	switch(nc){ \
	case 1: call(1); break; \
	case 2: call(2); break; \
	case 3: call(3); break; \
	default: call(4); \
	}
#define BY_COLS8(nc, call) \
	switch(nc){ \
	case 1: call(1); break; \
	case 2: call(2); break; \
	case 3: call(3); break; \
	case 4: call(4); break; \
	case 5: call(5); break; \
	case 6: call(6); break; \
	case 7: call(7); break; \
	default: call(8); \
	}

#endif
