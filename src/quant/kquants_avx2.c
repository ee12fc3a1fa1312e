/*
 * kquants_avx2.c - AVX2 kernels for the K-quants.  (Being written: for now the
 * table keeps the plain C kernels.)
 */
#include "kernels.h"
#include "quant.h"

void
quant_avx2_kquants(QuantType *tab)
{
	(void)tab;
}
