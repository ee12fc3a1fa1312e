/* avx512.h - what the *_avx512.c kernels share (include only from those). */
#ifndef LB_AVX512_H
#define LB_AVX512_H

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VNNI__)
#error "avx512.h is for the files compiled with the avx512 tier's flags"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

enum { LANES = 16 };

/*
 * Sixteen lanes of data: lane l at base + l*stride (sixteen weight rows, the
 * same row sixteen times, or sixteen blocks of one row).
 */
typedef struct {
	const uint8_t *p[LANES];
	__m512i off;	/* p[l] - base as int32, for gathers */
	int gather;	/* the offsets fit in int32 */
} Lanes;

INLINE void
lanes_init(Lanes *l, const uint8_t *base, size_t stride)
{
	int32_t off[LANES];
	int r;

	l->gather = stride <= INT32_MAX / LANES;
	for(r = 0; r < LANES; r++){
		l->p[r] = base + (size_t)r * stride;
		off[r] = l->gather ? (int32_t)((size_t)r * stride) : 0;
	}
	l->off = _mm512_loadu_si512(off);
}

/* The four bytes at offset off of each lane. */
INLINE __m512i
lane_dwords(const Lanes *l, size_t off)
{
	uint32_t v[LANES];
	int r;

	if(l->gather)
		return _mm512_i32gather_epi32(l->off, l->p[0] + off, 1);
	for(r = 0; r < LANES; r++)
		memcpy(&v[r], l->p[r] + off, sizeof v[r]);
	return _mm512_loadu_si512(v);
}

/* Lane l of q[s], s < 4: bytes 4s..4s+3 of the sixteen bytes at offset off of lane l. */
INLINE void
transpose16(__m512i *q, const Lanes *w, size_t off)
{
	const __m512i by_dword = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	__m512i b[4], t[4];
	int g;

	_Pragma("GCC unroll 4")
	for(g = 0; g < 4; g++){	/* b[g], 128-bit lane s: dword s of rows 4g..4g+3 */
		__m512i a = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(w->p[4*g] + off)));

		a = _mm512_inserti32x4(a, _mm_loadu_si128((const __m128i *)(w->p[4*g + 1] + off)), 1);
		a = _mm512_inserti32x4(a, _mm_loadu_si128((const __m128i *)(w->p[4*g + 2] + off)), 2);
		a = _mm512_inserti32x4(a, _mm_loadu_si128((const __m128i *)(w->p[4*g + 3] + off)), 3);
		b[g] = _mm512_permutexvar_epi32(by_dword, a);
	}
	t[0] = _mm512_shuffle_i32x4(b[0], b[1], 0x44);
	t[1] = _mm512_shuffle_i32x4(b[0], b[1], 0xEE);
	t[2] = _mm512_shuffle_i32x4(b[2], b[3], 0x44);
	t[3] = _mm512_shuffle_i32x4(b[2], b[3], 0xEE);
	q[0] = _mm512_shuffle_i32x4(t[0], t[2], 0x88);
	q[1] = _mm512_shuffle_i32x4(t[0], t[2], 0xDD);
	q[2] = _mm512_shuffle_i32x4(t[1], t[3], 0x88);
	q[3] = _mm512_shuffle_i32x4(t[1], t[3], 0xDD);
}

/*
 * Streaming a packed matrix: the rows' bytes in order, but each block of
 * sixteen rows visited out of order (its scales before its quants, each
 * quant vector twice), which the hardware prefetchers follow too late: one
 * thread reads a third of the bandwidth it gets reading in order.  So the
 * kernels ask for the lines PF_AHEAD bytes on as they take each block.
 */
#ifndef PF_AHEAD
#define PF_AHEAD 8192
#endif

/* Prefetches the lines of [p + PF_AHEAD, p + PF_AHEAD + n): a hint, past the matrix's end too. */
INLINE void
prefetch_ahead(const uint8_t *p, size_t n)
{
	size_t o;

	for(o = 0; o < n; o += 64)
		_mm_prefetch((const char *)p + PF_AHEAD + o, _MM_HINT_T0);
}

/*
 * A packed type's gemv, tile and repack (quant.h), sixteen rows at a time,
 * from kernel(&k, n, s, sstride, x, y, ystride, maxc, nc) over sixteen packed rows
 * (against nc activation rows, at most the constant maxc: 1 for gemv, 8 or tc
 * for tiles) and pack16(&k, n, x, xstride, dst) making them; k is the type's
 * Kind, whose size field is its block's bytes, of qb elements.  A tile of tc
 * (8 or 16) columns has instances for 8 and for tc columns, and for fewer.
 */
#define PACKED_SHAPES(t, kernel, pack16, qb, tc) \
static void \
gemv_##t##p(int n, float *s, const void *x, size_t xstride, const void *y, int nr) \
{ \
	int r; \
\
	for(r = 0; r + LANES <= nr; r += LANES) \
		kernel(&k_##t, n, s + r, 0, (const uint8_t *)x + (size_t)r*xstride, y, 0, 1, 1); \
} \
static void \
tile_##t##p(int n, float *s, size_t sstride, const void *x, size_t xstride, const void *y, size_t ystride, int nc) \
{ \
	if(nc == (tc)) \
		kernel(&k_##t, n, s, sstride, x, y, ystride, tc, tc); \
	else if((tc) > 8 && nc > 8) \
		kernel(&k_##t, n, s, sstride, x, y, ystride, tc, nc); \
	else if(nc == 8) \
		kernel(&k_##t, n, s, sstride, x, y, ystride, 8, 8); \
	else \
		kernel(&k_##t, n, s, sstride, x, y, ystride, 8, nc); \
} \
static void \
repack_##t(int n, const void *x, size_t xstride, int nrows, void *dst) \
{ \
	int r; \
\
	for(r = 0; r + LANES <= nrows; r += LANES) \
		pack16(&k_##t, n, (const uint8_t *)x + (size_t)r*xstride, xstride, \
			(uint8_t *)dst + (size_t)r * (size_t)(n / (qb)) * k_##t.size); \
}

#endif
