/*
 * test_gemv.c - the gemv kernels of gemv.h: for every weight type, with the
 * plain C and the AVX2 kernels, each of nr rows bit-identical to the type's
 * vec_dot on that row, for lengths of whole and partial groups of blocks,
 * rows longer than a kernel's activation chunk, rows at odd byte offsets and
 * strides, quantized rows and rows of random bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/quant/blocks.h"
#include "../src/quant/gemv.h"
#include "../src/quant/quant.h"

static const uint32_t wtypes[] = {
	LB_F32, LB_F16, LB_BF16, LB_Q4_0, LB_Q4_1, LB_Q5_0, LB_Q5_1, LB_Q8_0,
	LB_Q2_K, LB_Q3_K, LB_Q4_K, LB_Q5_K, LB_Q6_K,
};
/* element counts: whole groups of eight blocks and partial ones, past the 8192-element chunk of gemv_avx2.c */
static const int lengths[] = { 1, 7, 33, 255, 32, 64, 96, 224, 256, 288, 512, 2048, 4064, 5632, 8192, 8224, 8448, 16640 };
/* rows per call: one, a partial and a whole LB_GEMV_ROWS, and more */
static const int nrs[] = { 1, 3, LB_GEMV_ROWS, 19 };
enum { NTYPES = sizeof wtypes / sizeof wtypes[0], NLENGTHS = sizeof lengths / sizeof lengths[0],
	NNRS = sizeof nrs / sizeof nrs[0], NRMAX = 19, NMAX = 16640, FLOATMAX = 5632 };

static const QuantType *
mode(uint32_t t, int simd)
{
	quant_use_simd(simd);
	return quant_type(t);
}

/* The byte offsets of the binary16 scales in a block of t. */
static int
scale_offsets(uint32_t t, int *off)
{
	switch(t){
	case LB_Q4_0: case LB_Q5_0: case LB_Q8_0:
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

/* nr rows of t at odd offset and stride against one activation row: gemv against vec_dot. */
static void
check(uint32_t t, int n, int nr, int simd, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	const QuantType *qt = mode(t, simd);
	const size_t stride = quant_row_size(t, n) + 3;
	uint8_t *w = wbuf + 1, *y = ybuf;	/* activations are the engine's own, aligned */
	float s[NRMAX + 1], want;
	static float x[NMAX];
	lb_gemv_fn gemv = quant_gemv(t);
	int r;

	assert_non_null(gemv);
	for(r = 0; r < nr; r++)
		make_row(t, n, w + r*stride, bytes && r % 2 == 1);
	qr_fill_gauss(x, n, ldexpf(1, (int)(qr_rand32() % 8) - 4));
	mode(qt->vec_dot_type, 0)->from_float(x, y, n);
	qt = mode(t, simd);
	s[nr] = 12345;
	gemv(n, s, w, stride, y, nr);
	assert_true(s[nr] == 12345);	/* nothing written past s[nr-1] */
	for(r = 0; r < nr; r++){
		qt->vec_dot(n, &want, w + r*stride, y);
		if(memcmp(&want, &s[r], sizeof want) != 0){
			print_error("%s simd %d n %d nr %d row %d: %.9g, vec_dot %.9g\n", qt->name, simd, n, nr, r, s[r], want);
			fail();
		}
	}
}

static void
test_bits(void **state)
{
	uint8_t *w = malloc(NRMAX * (NMAX * 4 + 8)), *y = malloc(NMAX * 4 + 8);	/* malloc: aligned */
	int ti, li, ni, simd, checked = 0;

	(void)state;
	assert_true(w != NULL && y != NULL);
	for(simd = 0; simd < 2; simd++){
		quant_use_simd(simd);
		if(simd && !quant_simd())
			break;	/* no AVX2 here */
		for(ti = 0; ti < NTYPES; ti++)
			for(li = 0; li < NLENGTHS; li++){
				const uint32_t t = wtypes[ti];
				const int n = lengths[li];

				if(n % quant_type(t)->blck != 0 || (quant_type(t)->blck == 1 && n > FLOATMAX))
					continue;
				for(ni = 0; ni < NNRS; ni++)
					if(n <= 5632 || nrs[ni] <= 3){	/* the long rows with few rows: time */
						check(t, n, nrs[ni], simd, li % 2, w, y);
						checked++;
					}
			}
	}
	quant_use_simd(1);
	print_message("%d cases\n", checked);
	free(w);
	free(y);
}

/* Types that are only activations, or unknown, have no kernel; every weight type has one in both modes. */
static void
test_choice(void **state)
{
	int ti, simd;

	(void)state;
	for(simd = 0; simd < 2; simd++){
		quant_use_simd(simd);
		assert_null(quant_gemv(LB_Q8_1));
		assert_null(quant_gemv(LB_Q8_K));
		assert_null(quant_gemv(LB_NTYPES));
		assert_null(quant_gemv(4));	/* Q4_2, gone from ggml */
		for(ti = 0; ti < NTYPES; ti++)
			assert_non_null(quant_gemv(wtypes[ti]));
	}
	quant_use_simd(1);
}

/* nr 0 writes nothing. */
static void
test_no_rows(void **state)
{
	static uint8_t w[64], y[64];
	float s = 7;

	(void)state;
	make_row(LB_Q4_0, 32, w, 0);
	quant_type(LB_Q8_0)->from_float((const float[32]){ 1 }, y, 32);
	quant_gemv(LB_Q4_0)(32, &s, w, 18, y, 0);
	assert_true(s == 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_no_rows),
		cmocka_unit_test(test_bits),
	};

	qr_seed(7);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
