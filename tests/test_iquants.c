/*
 * test_iquants.c - IQ4_NL and IQ4_XS (iquants.c, iquants_avx2.c, legacy_avx2.h):
 * the quantizer gives ggml's bytes (tests/data/iquants, made by ggml's
 * quantize_iq4_nl/_xs); the decoder agrees with one written here from the
 * block layout; vec_dot of every kernel tier agrees with the float dot
 * product of the decoded rows.  (The other shapes: test_shapes.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quantref.h"
#include "../src/quant/blocks.h"
#include "../src/quant/quant.h"

static const uint32_t itypes[] = { LB_IQ4_NL, LB_IQ4_XS };
static const int8_t values[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };
static const int lengths[] = { 256, 512, 768, 2048, 4864 };
enum { NTYPES = 2, NLENGTHS = sizeof lengths / sizeof lengths[0], NMAX = 4864, REF_ROWS = 20, REF_N = 512 };

static const QuantType *
mode(uint32_t t, int tier)
{
	quant_use_tier(tier);
	return quant_type(t);
}

/* Element k of a block of t, from the layout: d, (the block scale,) the nibble's value. */
static float
ref_elem(uint32_t t, const uint8_t *b, int k)
{
	uint16_t h;
	int j = k % 32, nib, sc = 1;
	const uint8_t *qs;

	memcpy(&h, b, 2);
	if(t == LB_IQ4_NL)
		qs = b + 2;
	else{
		uint16_t sh;
		int ib = k / 32;
		memcpy(&sh, b + 2, 2);
		sc = (((b[4 + ib/2] >> (ib % 2 ? 4 : 0)) & 15) | ((sh >> (2*ib)) & 3) << 4) - 32;
		qs = b + 8 + 16*ib;
	}
	nib = j < 16 ? qs[j] & 15 : qs[j - 16] >> 4;
	return qr_half(h) * (float)sc * values[nib];
}

/* A row of n elements of t at w: quantized N(0,1) data, or random bytes with a small finite d. */
static void
make_row(uint32_t t, int n, uint8_t *w, int bytes)
{
	static float x[NMAX];
	const QuantType *qt = quant_type(t);
	uint16_t h;
	float f;
	int i;

	qr_fill_gauss(x, n, 1);
	qt->from_float(x, w, n);
	if(!bytes)
		return;
	qr_fill_bytes(w, quant_row_size(t, n));
	for(i = 0; i < n / qt->blck; i++){
		f = qr_gauss() * 0.05f;
		quant_type(LB_F16)->from_float(&f, &h, 1);
		memcpy(w + i*qt->size, &h, sizeof h);
	}
}

/* The quantizer's bytes are ggml's, for gaussian rows, heavy-tailed rows and a zero row. */
static void
test_ggml_bytes(void **state)
{
	static const char *const names[] = { "iquants/iq4_nl.bin", "iquants/iq4_xs.bin" };
	char path[256];
	size_t len, rs;
	float *x;
	uint8_t *ref, *ours;
	int ti, r;

	(void)state;
	data_path(path, sizeof path, "iquants/input.f32");
	x = (float *)read_file(path, &len);
	assert_non_null(x);
	assert_int_equal(len, sizeof(float) * REF_ROWS * REF_N);
	for(ti = 0; ti < NTYPES; ti++){
		rs = quant_row_size(itypes[ti], REF_N);
		data_path(path, sizeof path, names[ti]);
		ref = (uint8_t *)read_file(path, &len);
		assert_non_null(ref);
		assert_int_equal(len, rs * REF_ROWS);
		ours = malloc(len);
		for(r = 0; r < REF_ROWS; r++)
			quant_type(itypes[ti])->from_float(x + (size_t)r * REF_N, ours + r * rs, REF_N);
		assert_memory_equal(ours, ref, len);
		free(ours);
		free(ref);
	}
	free(x);
}

/* to_float of quantized rows and of random blocks against ref_elem */
static void
test_decode(void **state)
{
	static uint8_t w[NMAX];
	static float y[NMAX];
	int ti, bytes, k, tier;

	(void)state;
	for(tier = 0; tier < quant_ntiers(); tier++)
		for(ti = 0; ti < NTYPES; ti++)
			for(bytes = 0; bytes < 2; bytes++){
				const QuantType *qt = mode(itypes[ti], tier);
				make_row(itypes[ti], 2048, w, bytes);
				qt->to_float(w, y, 2048);
				for(k = 0; k < 2048; k++){
					float want = ref_elem(itypes[ti], w + (k / qt->blck) * qt->size, k % qt->blck);
					if(memcmp(&want, &y[k], sizeof want) != 0)
						fail_msg("%s element %d: %g, want %g", qt->name, k, y[k], want);
				}
			}
	qr_best_tier();
}

/* vec_dot against the float64 dot product of the decoded rows: the integer sums are exact, only float rounding differs */
static void
test_dot(void **state)
{
	static uint8_t w[NMAX], a[NMAX * 2];
	static float x[NMAX], wf[NMAX], af[NMAX];
	int ti, li, tier, i;

	(void)state;
	for(tier = 0; tier < quant_ntiers(); tier++)
		for(ti = 0; ti < NTYPES; ti++)
			for(li = 0; li < NLENGTHS; li++){
				const QuantType *qt = mode(itypes[ti], tier), *vt = quant_type(qt->vec_dot_type);
				int n = lengths[li];
				double want = 0, mag = 0;
				float got;
				make_row(itypes[ti], n, w, li % 2);
				qr_fill_gauss(x, n, 1);
				vt->from_float(x, a, n);
				qt->to_float(w, wf, n);
				vt->to_float(a, af, n);
				for(i = 0; i < n; i++){
					want += (double)wf[i] * af[i];
					mag += fabs((double)wf[i] * af[i]);
				}
				qt->vec_dot(n, &got, w, a);
				if(fabs(got - want) > 1e-5 * mag + 1e-30)
					fail_msg("%s %s n %d: %.9g, want %.9g", quant_tier_name(tier), qt->name, n, got, want);
			}
	qr_best_tier();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ggml_bytes),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_dot),
	};

	qr_seed(23);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
