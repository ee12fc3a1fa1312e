/*
 * test_shapes.c - the kernels of quant.h's other shapes (x4, gemv, tile):
 * in every kernel tier, for every weight type that has them, each result
 * bit-identical to the type's vec_dot on that row pair, for lengths of whole
 * and partial groups of blocks, rows longer than a kernel's activation chunk,
 * rows at odd byte offsets and strides, quantized rows and rows of random
 * bytes; nothing written outside the results.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/quant/blocks.h"
#include "../src/quant/quant.h"

static const uint32_t wtypes[] = {
	LB_F32, LB_F16, LB_BF16, LB_Q4_0, LB_Q4_1, LB_Q5_0, LB_Q5_1, LB_Q8_0,
	LB_Q2_K, LB_Q3_K, LB_Q4_K, LB_Q5_K, LB_Q6_K, LB_IQ4_NL, LB_IQ4_XS,
};
/* element counts: whole groups of eight blocks and partial ones, past the 8192-element chunk of gemv_avx2.c */
static const int lengths[] = { 1, 7, 33, 255, 32, 64, 96, 224, 256, 288, 512, 2048, 4064, 5632, 8192, 8224, 8448, 16640 };
/* gemv rows per call: one, a partial and a whole block of 16, and more */
static const int nrs[] = { 1, 3, 16, 19, 37 };
enum { NTYPES = sizeof wtypes / sizeof wtypes[0], NLENGTHS = sizeof lengths / sizeof lengths[0],
	NNRS = sizeof nrs / sizeof nrs[0], NRMAX = 37, NMAX = 16640, FLOATMAX = 5632,
	SMAX = 16, SSTRIDE = SMAX + 3 };

/* The byte offsets of the binary16 scales in a block of t. */
static int
scale_offsets(uint32_t t, int *off)
{
	switch(t){
	case LB_Q4_0: case LB_Q5_0: case LB_Q8_0: case LB_IQ4_NL: case LB_IQ4_XS:
		off[0] = 0;
		return 1;
	case LB_Q4_1: case LB_Q5_1: case LB_Q4_K: case LB_Q5_K:
		off[0] = 0;
		off[1] = 2;
		return 2;
	case LB_Q2_K:
		off[0] = offsetof(block_q2_K, d);
		off[1] = offsetof(block_q2_K, dmin);
		return 2;
	case LB_Q3_K:
		off[0] = offsetof(block_q3_K, d);
		return 1;
	case LB_Q6_K:
		off[0] = offsetof(block_q6_K, d);
		return 1;
	}
	return 0;
}

/*
 * A weight row of n elements at w: quantized N(0,1) data, or (bytes) random
 * bytes with finite scales: a NaN scale would make the results NaNs whose
 * payload depends on operand order, which no caller can see anyway.
 */
static void
make_row(uint32_t t, int n, uint8_t *w, int bytes)
{
	static float x[NMAX];
	static uint64_t aligned[NMAX/2];	/* the K-quant quantizers want aligned blocks */
	const QuantType *qt = quant_type(t);
	const size_t size = quant_row_size(t, n);
	int off[2], k, i, ns;
	uint16_t h;
	float f;

	qr_fill_gauss(x, n, 1);
	qt->from_float(x, aligned, n);
	memcpy(w, aligned, size);
	if(!bytes || qt->blck == 1)
		return;
	qr_fill_bytes(w, size);
	ns = scale_offsets(t, off);
	for(i = 0; i < n / qt->blck; i++)
		for(k = 0; k < ns; k++){
			f = qr_gauss() * 0.05f;
			quant_type(LB_F16)->from_float(&f, &h, 1);
			memcpy(w + i*qt->size + off[k], &h, sizeof h);
		}
}

/* nr rows of t (odd offset and stride) and nc activation rows of its vec_dot_type (odd offset and stride but for Q8_K, Q8X). */
typedef struct {
	uint8_t *w, *y;
	size_t wstride, ystride;
} Rows;

static void
make_rows(Rows *m, uint32_t t, int n, int nr, int nc, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	static float x[NMAX];
	static uint64_t aligned[NMAX/2 + 64];
	const QuantType *qt = quant_type(t);
	const QuantType *yt = quant_type(qt->vec_dot_type);
	int r;

	const int yalign = qt->vec_dot_type == LB_Q8_K || qt->vec_dot_type == LB_Q8X ? 4 : 1;	/* structs with a float */

	m->w = wbuf + 1;
	m->y = ybuf + 3*yalign;
	m->wstride = quant_row_size(t, n) + 3;
	m->ystride = quant_row_size(qt->vec_dot_type, n) + 5*yalign;
	for(r = 0; r < nr; r++)
		make_row(t, n, m->w + r*m->wstride, bytes && r % 2 == 1);
	for(r = 0; r < nc; r++){
		qr_fill_gauss(x, n, ldexpf(1, (int)(qr_rand32() % 8) - 4));
		yt->from_float(x, aligned, n);	/* the Q8_K quantizer wants aligned blocks */
		memcpy(m->y + r*m->ystride, aligned, quant_row_size(qt->vec_dot_type, n));
	}
}

/* s[c*sstride + r] against vec_dot of weight row r and activation row c. */
static void
expect_vec_dot(const QuantType *qt, int n, const Rows *m, const float *s, size_t sstride, int nr, int nc, const char *shape)
{
	float want;
	int r, c;

	for(r = 0; r < nr; r++)
		for(c = 0; c < nc; c++){
			qt->vec_dot(n, &want, m->w + r*m->wstride, m->y + c*m->ystride);
			if(memcmp(&want, &s[c*sstride + r], sizeof want) != 0){
				print_error("%s %s %s n %d row %d col %d: %.9g, vec_dot %.9g\n", quant_tier_name(quant_tier()),
					qt->name, shape, n, r, c, s[c*sstride + r], want);
				fail();
			}
		}
}

static void
check_gemv(const QuantType *qt, uint32_t t, int n, int nr, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	float s[NRMAX + 1];
	Rows m;

	make_rows(&m, t, n, nr, 1, bytes, wbuf, ybuf);
	s[nr] = 12345;
	qt->gemv(n, s, m.w, m.wstride, m.y, nr);
	assert_true(s[nr] == 12345);	/* nothing written past s[nr-1] */
	expect_vec_dot(qt, n, &m, s, 0, nr, 1, "gemv");
}

static void
check_x4(const QuantType *qt, uint32_t t, int n, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	float s[5];
	Rows m;

	make_rows(&m, t, n, 1, 4, bytes, wbuf, ybuf);
	s[4] = 12345;
	qt->x4(n, s, m.w, m.y, m.ystride);
	assert_true(s[4] == 12345);
	expect_vec_dot(qt, n, &m, s, 1, 1, 4, "x4");
}

/* A tile of tr rows and nc (<= tc) activation rows. */
static void
check_tile(const QuantType *qt, uint32_t t, int n, int nc, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	float s[SMAX * SSTRIDE];
	Rows m;
	int r, c;

	assert_true(qt->tr >= 1 && qt->tc >= 1 && qt->tr <= SMAX && qt->tc <= SMAX);
	make_rows(&m, t, n, qt->tr, nc, bytes, wbuf, ybuf);
	for(r = 0; r < SMAX * SSTRIDE; r++)
		s[r] = 12345;
	qt->tile(n, s, SSTRIDE, m.w, m.wstride, m.y, m.ystride, nc);
	for(c = 0; c < SMAX; c++)
		for(r = c < nc ? qt->tr : 0; r < SSTRIDE; r++)
			assert_true(s[c*SSTRIDE + r] == 12345);	/* nothing written outside the tile */
	expect_vec_dot(qt, n, &m, s, SSTRIDE, qt->tr, nc, "tile");
}

/*
 * A type's packed copy (quant.h): 32 rows repacked (nothing written past
 * their bytes), then its gemv over them and its tiles of every width, each
 * result bit-identical to the source type's vec_dot on the row.
 */
static void
check_packed(const QuantType *qt, uint32_t t, int n, int bytes, uint8_t *wbuf, uint8_t *ybuf, uint8_t *pbuf)
{
	enum { NR = 32 };
	const QuantType *pt = quant_type(qt->packed);
	const size_t rowsize = quant_row_size(t, n);
	float s[NR * SMAX + 1];
	Rows m;
	int nc, c;

	assert_non_null(pt);
	assert_true(NR % pt->tr == 0 && pt->gemv != NULL && pt->tile != NULL && pt->tc <= SMAX);
	make_rows(&m, t, n, NR, pt->tc, bytes, wbuf, ybuf);
	memset(pbuf, 0xA5, NR * rowsize + 64);
	qt->repack(n, m.w, m.wstride, NR, pbuf);
	for(c = 0; c < 64; c++)
		assert_true(pbuf[NR * rowsize + c] == 0xA5);
	s[NR] = 12345;
	pt->gemv(n, s, pbuf, rowsize, m.y, NR);
	assert_true(s[NR] == 12345);
	expect_vec_dot(qt, n, &m, s, 0, NR, 1, "packed gemv");
	for(nc = 1; nc <= pt->tc; nc++){
		for(c = 0; c < NR * SMAX + 1; c++)
			s[c] = 12345;
		pt->tile(n, s, NR, pbuf, rowsize, m.y, m.ystride, nc);	/* the first tr rows */
		pt->tile(n, s + pt->tr, NR, pbuf + pt->tr * rowsize, rowsize, m.y, m.ystride, nc);	/* the next */
		for(c = nc * NR; c < NR * SMAX + 1; c++)
			assert_true(s[c] == 12345);
		expect_vec_dot(qt, n, &m, s, NR, 2 * pt->tr <= NR ? 2 * pt->tr : NR, nc, "packed tile");
	}
}

/* Every shape of every type of the tier in use, at every length. */
static int
check_tier(uint8_t *w, uint8_t *y, uint8_t *p)
{
	int ti, li, ni, nc, checked = 0;

	for(ti = 0; ti < NTYPES; ti++)
		for(li = 0; li < NLENGTHS; li++){
			const uint32_t t = wtypes[ti];
			const QuantType *qt = quant_type(t);
			const int n = lengths[li], bytes = li % 2;

			if(n % qt->blck != 0 || (qt->blck == 1 && n > FLOATMAX))
				continue;
			for(ni = 0; qt->gemv != NULL && ni < NNRS; ni++)
				if(n <= 5632 || nrs[ni] <= 3){	/* the long rows with few rows: time */
					check_gemv(qt, t, n, nrs[ni], bytes, w, y);
					checked++;
				}
			if(qt->x4 != NULL && n <= 8224){
				check_x4(qt, t, n, bytes, w, y);
				checked++;
			}
			if(qt->packed != 0 && n <= 5632){
				check_packed(qt, t, n, bytes, w, y, p);
				checked++;
			}
			for(nc = 1; qt->tile != NULL && nc <= qt->tc; nc++)
				if(n <= 5632 && (nc == qt->tc || n <= 512)){	/* the partial tiles on short rows: time */
					check_tile(qt, t, n, nc, bytes, w, y);
					checked++;
				}
		}
	return checked;
}

static void
test_bits(void **state)
{
	uint8_t *w = malloc(NRMAX * (NMAX * 4 + 8)), *y = malloc(SMAX * (NMAX * 4 + 8));	/* malloc: aligned */
	uint8_t *p = malloc(32 * NMAX * 2 + 64);
	int tier;

	(void)state;
	assert_true(w != NULL && y != NULL);
	for(tier = 0; tier < quant_ntiers(); tier++){
		quant_use_tier(tier);
		print_message("%s: %d cases\n", quant_tier_name(tier), check_tier(w, y, p));
	}
	qr_best_tier();
	free(w);
	free(y);
	free(p);
}

/*
 * Plain C has vec_dot alone; every other tier has x4 for every weight type
 * (prompt processing wants it); types that are only activations have no
 * kernel in any shape.
 */
static void
test_choice(void **state)
{
	static const uint32_t acts[] = { LB_Q8_1, LB_Q8_K, LB_Q8X };
	const QuantType *qt;
	lb_vec_dot_fn plain[NTYPES];
	int tier, i;

	(void)state;
	assert_null(quant_type(LB_NALLTYPES));
	assert_null(quant_type(4));	/* Q4_2, gone from ggml */
	for(tier = 0; tier < quant_ntiers(); tier++){
		quant_use_tier(tier);
		for(i = 0; i < NTYPES; i++){
			qt = quant_type(wtypes[i]);
			assert_non_null(qt->vec_dot);
			if(tier == 0){
				assert_true(qt->x4 == NULL && qt->gemv == NULL && qt->tile == NULL);
				plain[i] = qt->vec_dot;
			}else if(qt->vec_dot != plain[i])	/* a SIMD tier's kernels (NEON's are for some types) */
				assert_non_null(qt->x4);
		}
		for(i = 0; i < 3; i++){
			qt = quant_type(acts[i]);
			assert_true(qt->vec_dot == NULL && qt->x4 == NULL && qt->gemv == NULL && qt->tile == NULL);
		}
	}
	qr_best_tier();
}

/* nr 0 writes nothing. */
static void
test_no_rows(void **state)
{
	static uint8_t w[64], y[64];
	const QuantType *qt = quant_type(LB_Q4_0);
	float s = 7;

	(void)state;
	if(qt->gemv == NULL)
		skip();
	make_row(LB_Q4_0, 32, w, 0);
	quant_type(LB_Q8_0)->from_float((const float[32]){ 1 }, y, 32);
	qt->gemv(32, &s, w, 18, y, 0);
	assert_true(s == 7);
}

static int
tier_named(const char *name)
{
	int tier;

	for(tier = 0; tier < quant_ntiers(); tier++)
		if(strcmp(quant_tier_name(tier), name) == 0)
			return tier;
	return -1;
}

/*
 * The dotprod tier is the neon tier's files built again with SDOT (neon.h):
 * their integer sums are exact either way, so every vec_dot gives the same
 * bits in both.  On aarch64 CPUs with the dot product (qemu's "max"), or skip.
 */
static void
test_dotprod_is_neon(void **state)
{
	uint8_t *w = malloc(NMAX * 4 + 8), *y = malloc(NMAX * 4 + 8);
	const int neon = tier_named("neon"), dot = tier_named("dotprod");
	float a, b;
	int ti, li, n;

	(void)state;
	if(neon < 0 || dot < 0){
		free(w);
		free(y);
		skip();
	}
	assert_true(w != NULL && y != NULL);
	for(ti = 0; ti < NTYPES; ti++)
		for(li = 0; li < NLENGTHS; li++){
			const QuantType *qt = quant_type(wtypes[ti]);
			Rows m;

			n = lengths[li];
			if(n % qt->blck != 0 || n > FLOATMAX)
				continue;
			make_rows(&m, wtypes[ti], n, 1, 1, li % 2, w, y);
			quant_use_tier(neon);
			quant_type(wtypes[ti])->vec_dot(n, &a, m.w, m.y);
			quant_use_tier(dot);
			quant_type(wtypes[ti])->vec_dot(n, &b, m.w, m.y);
			if(memcmp(&a, &b, sizeof a) != 0)
				fail_msg("%s n %d: neon %.9g, dotprod %.9g", qt->name, n, a, b);
		}
	qr_best_tier();
	free(w);
	free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_no_rows),
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_dotprod_is_neon),
	};

	qr_seed(7);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
