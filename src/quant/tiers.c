/*
 * tiers.c - the kernel tiers of this build (see kernels.h) and the CPU tests
 * that guard them.  The Makefile compiles the files of the tiers of the
 * machine the build is for, and names them here with -DLB_TIER_<tier>.
 */
#include <stddef.h>

#include "kernels.h"

#if defined(LB_TIER_avx2) || defined(LB_TIER_avx512)
#include <cpuid.h>

/* The register state the OS saves (XCR0): without it the registers are not there to use. */
static unsigned
os_saves(void)
{
	unsigned a, b, c, d, lo, hi;

	if(!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo;
}

/* AVX2, FMA and F16C, and the YMM state saved (cpuid and xgetbv, so gcc and clang agree) */
static int
has_avx2(void)
{
	unsigned a, b, c, d;

	if(!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if(!(c & bit_FMA) || !(c & bit_F16C) || !(c & bit_AVX) || (os_saves() & 6) != 6)
		return 0;
	if(!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_AVX2) != 0;
}

/* AVX-512 F, DQ, BW, VL and VNNI, and the opmask and ZMM state saved */
static int
has_avx512(void)
{
	const unsigned need = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
	unsigned a, b, c, d;

	if(!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & need) == need && (c & bit_AVX512VNNI) && (os_saves() & 0xE6) == 0xE6;
}
#endif

#if defined(LB_TIER_dotprod)
#include <sys/auxv.h>

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)	/* the kernel's bit for SDOT/UDOT (asm/hwcap.h) */
#endif

static int
has_dotprod(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
}
#endif

const Tier quant_tiers[] = {
	{ "plain", NULL, { NULL } },
#if defined(LB_TIER_avx2)
	{ "avx2", has_avx2, { quant_avx2_float, quant_avx2_legacy, quant_avx2_gemv, quant_avx2_kquants,
		quant_avx2_iquants } },
#endif
#if defined(LB_TIER_avx512)
	{ "avx512", has_avx512, { quant_avx512_float, quant_avx512_legacy, quant_avx512_kquants } },
#endif
#if defined(LB_TIER_neon)
	{ "neon", NULL, { quant_neon_float, quant_neon_legacy, quant_neon_kquants } },
#endif
#if defined(LB_TIER_dotprod)
	{ "dotprod", has_dotprod, { quant_dotprod_float, quant_dotprod_legacy, quant_dotprod_kquants } },
#endif
};

const int quant_ntiers_built = sizeof quant_tiers / sizeof quant_tiers[0];
