/* types.c - the table of tensor types, one per kernel tier, and the choice of tier. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "kernels.h"
#include "quant.h"

#define T(id, nm, bl, sz, vdt, t) \
	[id] = { nm, bl, sz, vdt, q_to_float_##t, q_from_float_##t, q_vec_dot_##t, NULL, NULL, NULL, 0, 0, 0, NULL }
/* types that are only ever activations: no vec_dot of their own */
#define A(id, nm, bl, sz, t) \
	[id] = { nm, bl, sz, id, q_to_float_##t, q_from_float_##t, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }

/* plain C: vec_dot alone, every other shape is a loop over it */
static const QuantType plain[LB_NALLTYPES] = {
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
	T(LB_IQ4_NL, "IQ4_NL", QK4_NL, sizeof(block_iq4_nl), LB_Q8_0, iq4_nl),
	T(LB_IQ4_XS, "IQ4_XS", QK_K, sizeof(block_iq4_xs), LB_Q8_K, iq4_xs),
	A(LB_Q8X, "Q8X", QK8_0, sizeof(block_q8x), q8x),
	[LB_F16X] = { "F16X", 1, 4, LB_F16X, q_to_float_f32, q_from_float_f16x, NULL, NULL, NULL, NULL, 0, 0, 0, NULL },
};

enum { MAXTIERS = 8 };

static QuantType tabs[MAXTIERS][LB_NALLTYPES];
static int ntiers;	/* the tiers this CPU runs: quant_tiers[0 .. ntiers-1] */
static atomic_int use;	/* the tier in use */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The CPU runs a tier if it runs the one below (whose table it starts from) and passes its test. */
static void
init(void)
{
	const char *want = getenv("LLAMBO_KERNELS");
	const Tier *t;
	int i, k;

	memcpy(tabs[0], plain, sizeof plain);
	ntiers = 1;
	for(i = 1; i < quant_ntiers_built && i < MAXTIERS; i++){
		t = &quant_tiers[i];
		if(t->cpu_runs != NULL && !t->cpu_runs())
			break;
		memcpy(tabs[i], tabs[i - 1], sizeof tabs[i]);
		for(k = 0; k < TIER_FILLS && t->fill[k] != NULL; k++)
			t->fill[k](tabs[i]);
		ntiers++;
	}
	atomic_init(&use, ntiers - 1);
	for(i = 0; want != NULL && i < ntiers; i++)
		if(strcmp(want, quant_tiers[i].name) == 0)
			atomic_init(&use, i);
}

const QuantType *
quant_type(uint32_t type)
{
	const QuantType *t;

	if(type >= LB_NALLTYPES)
		return NULL;
	pthread_once(&once, init);
	t = &tabs[atomic_load_explicit(&use, memory_order_relaxed)][type];
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
quant_ntiers(void)
{
	pthread_once(&once, init);
	return ntiers;
}

const char *
quant_tier_name(int tier)
{
	return tier >= 0 && tier < quant_ntiers() ? quant_tiers[tier].name : NULL;
}

int
quant_tier(void)
{
	pthread_once(&once, init);
	return atomic_load(&use);
}

void
quant_use_tier(int tier)
{
	pthread_once(&once, init);
	atomic_store(&use, tier < 0 ? 0 : tier >= ntiers ? ntiers - 1 : tier);
}
