/*
 * blocks.h - ggml's block layouts, byte for byte, so GGUF tensor data is used in place.
 * Every quantized row is a sequence of blocks; a block holds blck elements in size bytes.
 */
#ifndef LB_BLOCKS_H
#define LB_BLOCKS_H

#include <stdint.h>

typedef uint16_t lb_half;	/* IEEE binary16 bits */
typedef uint16_t lb_bf16;	/* bfloat16 bits */

enum { QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK8_1 = 32, QK_K = 256, K_SCALE_SIZE = 12, QK4_NL = 32 };

typedef struct { lb_half d; uint8_t qs[QK4_0/2]; } block_q4_0;
typedef struct { lb_half d, m; uint8_t qs[QK4_1/2]; } block_q4_1;
typedef struct { lb_half d; uint8_t qh[4]; uint8_t qs[QK5_0/2]; } block_q5_0;
typedef struct { lb_half d, m; uint8_t qh[4]; uint8_t qs[QK5_1/2]; } block_q5_1;
typedef struct { lb_half d; int8_t qs[QK8_0]; } block_q8_0;
typedef struct { lb_half d, s; int8_t qs[QK8_1]; } block_q8_1;	/* s = d * sum(qs) */
/* the engine's own activation block (no file has it): q8_0's d as a float, the sum of its qs, q8_1's s as a float */
typedef struct { float d; int32_t sum; float s; int8_t qs[QK8_0]; } block_q8x;

/* 2-bit: 16 blocks of 16; x = d*scale*q - dmin*min */
typedef struct { uint8_t scales[QK_K/16]; uint8_t qs[QK_K/4]; lb_half d, dmin; } block_q2_K;
/* 3-bit: 16 blocks of 16; high bit in hmask, 6-bit scales */
typedef struct { uint8_t hmask[QK_K/8]; uint8_t qs[QK_K/4]; uint8_t scales[12]; lb_half d; } block_q3_K;
/* 4-bit: 8 blocks of 32; 6-bit scales and mins */
typedef struct { lb_half d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qs[QK_K/2]; } block_q4_K;
/* 5-bit: as q4_K plus the high bits */
typedef struct { lb_half d, dmin; uint8_t scales[K_SCALE_SIZE]; uint8_t qh[QK_K/8]; uint8_t qs[QK_K/2]; } block_q5_K;
/* 6-bit: 16 blocks of 16; 8-bit scales */
typedef struct { uint8_t ql[QK_K/2]; uint8_t qh[QK_K/4]; int8_t scales[QK_K/16]; lb_half d; } block_q6_K;
/* 4-bit non-linear: x = d * q_iq4nl_values[nibble] (elements 0..15 in the low nibbles) */
typedef struct { lb_half d; uint8_t qs[QK4_NL/2]; } block_iq4_nl;
/* the same values in 8 blocks of 32, each with a 6-bit scale: x = d * (scale - 32) * value */
typedef struct { lb_half d; uint16_t scales_h; uint8_t scales_l[QK_K/64]; uint8_t qs[QK_K/2]; } block_iq4_xs;
/* activations for the K-quant dot products */
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K/16]; } block_q8_K;

_Static_assert(sizeof(block_q4_0) == 18, "q4_0");
_Static_assert(sizeof(block_q4_1) == 20, "q4_1");
_Static_assert(sizeof(block_q5_0) == 22, "q5_0");
_Static_assert(sizeof(block_q5_1) == 24, "q5_1");
_Static_assert(sizeof(block_q8_0) == 34, "q8_0");
_Static_assert(sizeof(block_q8_1) == 36, "q8_1");
_Static_assert(sizeof(block_q8x) == 44, "q8x");
_Static_assert(sizeof(block_q2_K) == 84, "q2_K");
_Static_assert(sizeof(block_q3_K) == 110, "q3_K");
_Static_assert(sizeof(block_q4_K) == 144, "q4_K");
_Static_assert(sizeof(block_q5_K) == 176, "q5_K");
_Static_assert(sizeof(block_q6_K) == 210, "q6_K");
_Static_assert(sizeof(block_q8_K) == 292, "q8_K");
_Static_assert(sizeof(block_iq4_nl) == 18, "iq4_nl");
_Static_assert(sizeof(block_iq4_xs) == 136, "iq4_xs");

/* The 16 values of IQ4_NL and IQ4_XS quants (ggml's kvalues_iq4nl); iquants.c */
extern const int8_t q_iq4nl_values[16];

#endif
