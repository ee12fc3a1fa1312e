/* types.c - the table of tensor types, and the choice between plain C and AVX2 kernels. */
#include <pthread.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "blocks.h"
#include "kernels.h"
#include "quant.h"

#define T(id, nm, bl, sz, vdt, t) \
	[id] = { nm, bl, sz, vdt, q_to_float_##t, q_from_float_##t, q_vec_dot_##t }
/* types that are only ever activations: no vec_dot of their own */
#define A(id, nm, bl, sz, t) \
	[id] = { nm, bl, sz, id, q_to_float_##t, q_from_float_##t, NULL }

static const QuantType plain[LB_NTYPES] = {
	T(LB_F32, "F32", 1, 4, LB_F32, f32),
	T(LB_F16, "F16", 1, 2, LB_F16, f16),
	T(LB_BF16, "BF16", 1, 2, LB_BF16, bf16),
	T(LB_Q4_0, "Q4_0", QK4_0, sizeof(block_q4_0), LB_Q8_0, q4_0),
	T(LB_Q4_1, "Q4_1", QK4_1, sizeof(block_q4_1), LB_Q8_1, q4_1),
	T(LB_Q5_0, "Q5_0", QK5_0, sizeof(block_q5_0), LB_Q8_0, q5_0),
	T(LB_Q5_1, "Q5_1", QK5_1, sizeof(block_q5_1), LB_Q8_1, q5_1),
	T(LB_Q8_0, "Q8_0", QK8_0, sizeof(block_q8_0), LB_Q8_0, q8_0),
	A(LB_Q8_1, "Q8_1", QK8_1, sizeof(block_q8_1), q8_1),
	T(LB_Q2_K, "Q2_K", QK_K, sizeof(block_q2_K), LB_Q8_K, q2_K),
	T(LB_Q3_K, "Q3_K", QK_K, sizeof(block_q3_K), LB_Q8_K, q3_K),
	T(LB_Q4_K, "Q4_K", QK_K, sizeof(block_q4_K), LB_Q8_K, q4_K),
	T(LB_Q5_K, "Q5_K", QK_K, sizeof(block_q5_K), LB_Q8_K, q5_K),
	T(LB_Q6_K, "Q6_K", QK_K, sizeof(block_q6_K), LB_Q8_K, q6_K),
	A(LB_Q8_K, "Q8_K", QK_K, sizeof(block_q8_K), q8_K),
};

static QuantType simd[LB_NTYPES];
static int have_simd;	/* the CPU has AVX2+FMA+F16C and simd[] is filled */
static int use_simd = 1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* AVX2, FMA and F16C, and an OS that saves the YMM registers (cpuid and xgetbv, so gcc and clang agree) */
static int
cpu_has_avx2(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d, lo, hi;

	if(!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if(!(c & bit_FMA) || !(c & bit_F16C) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if((lo & 6) != 6)
		return 0;
	if(!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_AVX2) != 0;
#else
	return 0;
#endif
}

static void
init(void)
{
	have_simd = cpu_has_avx2();
	memcpy(simd, plain, sizeof simd);
	if(have_simd){
		quant_avx2_float(simd);
		quant_avx2_legacy(simd);
		quant_avx2_kquants(simd);
	}
}

const QuantType *
quant_type(uint32_t type)
{
	const QuantType *t;

	if(type >= LB_NTYPES)
		return NULL;
	pthread_once(&once, init);
	t = have_simd && use_simd ? &simd[type] : &plain[type];
	return t->name != NULL ? t : NULL;
}

size_t
quant_row_size(uint32_t type, int64_t n)
{
	const QuantType *t = quant_type(type);

	if(t == NULL || n < 0 || n % t->blck != 0)
		return 0;
	return (size_t)(n / t->blck) * t->size;
}

int
quant_simd(void)
{
	pthread_once(&once, init);
	return have_simd && use_simd;
}

void
quant_use_simd(int on)
{
	use_simd = on;
}
