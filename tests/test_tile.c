/*
 * test_tile.c - the tile kernels of tile.h: for every type that has one,
 * each of the results of its tr x tc tile bit-identical to the type's
 * vec_dot, for lengths of whole and partial groups of blocks, rows at odd byte
 * offsets and strides, quantized rows and rows of random bytes; nothing
 * written outside the tile; no kernel when the AVX2 kernels are off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/quant/blocks.h"
#include "../src/quant/quant.h"
#include "../src/quant/tile.h"

static const uint32_t wtypes[] = { LB_Q4_0, LB_Q4_1, LB_Q5_0, LB_Q5_1, LB_Q8_0 };
static const int lengths[] = { 32, 64, 96, 224, 256, 288, 512, 2048, 4064, 5632 };
enum { NTYPES = sizeof wtypes / sizeof wtypes[0], NLENGTHS = sizeof lengths / sizeof lengths[0],
	NMAX = 5632, SMAX = 8, SSTRIDE = SMAX + 3 };

/*
 * A weight row of n elements at w: quantized N(0,1) data, or (bytes) random
 * bytes with finite scales (d, and m for the types with a min): a NaN scale
 * would make NaNs whose payload depends on operand order.
 */
static void
make_row(uint32_t t, int n, uint8_t *w, int bytes)
{
	static float x[NMAX];
	const QuantType *qt = quant_type(t);
	const int ns = t == LB_Q4_1 || t == LB_Q5_1 ? 2 : 1;
	int i, k;
	uint16_t h;
	float f;

	qr_fill_gauss(x, n, 1);
	qt->from_float(x, w, n);
	if(!bytes)
		return;
	qr_fill_bytes(w, quant_row_size(t, n));
	for(i = 0; i < n / qt->blck; i++)
		for(k = 0; k < ns; k++){
			f = qr_gauss() * 0.05f;
			quant_type(LB_F16)->from_float(&f, &h, 1);
			memcpy(w + i*qt->size + 2*k, &h, sizeof h);
		}
}

/* One tile of t at odd offsets and strides: each result against vec_dot, the rest of s untouched. */
static void
check(uint32_t t, int n, int bytes, uint8_t *wbuf, uint8_t *ybuf)
{
	const QuantType *qt = quant_type(t);
	const size_t xstride = quant_row_size(t, n) + 3, ystride = quant_row_size(qt->vec_dot_type, n) + 5;
	uint8_t *w = wbuf + 1, *y = ybuf + 3;
	float s[SMAX * SSTRIDE], want;
	static float x[NMAX];
	int r, c, tr, tc;
	lb_tile_fn tile = quant_tile(t, &tr, &tc);

	assert_non_null(tile);
	assert_true(tr >= 1 && tc >= 1 && tr <= SMAX && tc <= SMAX && tr*tc <= TILE_MAX);
	for(r = 0; r < tr; r++)
		make_row(t, n, w + r*xstride, bytes && r % 2 == 1);
	for(c = 0; c < tc; c++){
		qr_fill_gauss(x, n, ldexpf(1, (int)(qr_rand32() % 8) - 4));
		quant_type(qt->vec_dot_type)->from_float(x, y + c*ystride, n);
	}
	for(r = 0; r < SMAX * SSTRIDE; r++)
		s[r] = 12345;
	tile(n, s, SSTRIDE, w, xstride, y, ystride);
	for(r = 0; r < SMAX; r++){
		for(c = r < tr ? tc : 0; c < SSTRIDE; c++)
			assert_true(s[r*SSTRIDE + c] == 12345);	/* nothing written outside the tile */
		for(c = 0; c < tc && r < tr; c++){
			qt->vec_dot(n, &want, w + r*xstride, y + c*ystride);
			if(memcmp(&want, &s[r*SSTRIDE + c], sizeof want) != 0){
				print_error("%s n %d bytes %d r %d c %d: %.9g, vec_dot %.9g\n", qt->name, n, bytes, r, c,
					s[r*SSTRIDE + c], want);
				fail();
			}
		}
	}
}

static void
test_bits(void **state)
{
	uint8_t *w = malloc(SMAX * 2 * NMAX), *y = malloc(SMAX * 2 * NMAX);	/* rows of at most 36 bytes per 32 elements */
	int ti, li, bytes, checked = 0;

	(void)state;
	assert_true(w != NULL && y != NULL);
	quant_use_simd(1);
	if(!quant_simd()){
		print_message("no AVX2 here: no tile kernels to check\n");
		free(w);
		free(y);
		skip();
	}
	for(ti = 0; ti < NTYPES; ti++)
		for(li = 0; li < NLENGTHS; li++)
			for(bytes = 0; bytes < 2; bytes++){
				check(wtypes[ti], lengths[li], bytes, w, y);
				checked++;
			}
	print_message("%d tiles\n", checked);
	free(w);
	free(y);
}

/* A kernel for each covered type exactly when the AVX2 kernels are on (vec_dot is plain C otherwise); none for the rest. */
static void
test_choice(void **state)
{
	static const uint32_t none[] = { LB_F32, LB_Q8_1, LB_Q4_K, LB_Q8_K, 4 /* Q4_2, gone */, LB_NTYPES };
	size_t i;
	int mode, tr, tc;

	(void)state;
	for(mode = 0; mode < 2; mode++){
		quant_use_simd(mode);
		for(i = 0; i < NTYPES; i++)
			assert_true((quant_tile(wtypes[i], &tr, &tc) != NULL) == quant_simd());
		for(i = 0; i < sizeof none / sizeof none[0]; i++)
			assert_null(quant_tile(none[i], &tr, &tc));
	}
	quant_use_simd(1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_bits),
	};

	qr_seed(11);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
