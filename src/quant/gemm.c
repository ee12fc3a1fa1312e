/* gemm.c - the choice of x4 kernels (see gemm.h), and their plain C versions. */
#include "gemm.h"
#include "gemm_k.h"
#include "kernels.h"
#include "quant.h"

#define X4(t) \
void \
q_vec_dot_##t##_x4(int n, float *s, const void *x, const void *y, size_t y_stride) \
{ \
	int r; \
\
	for(r = 0; r < 4; r++) \
		q_vec_dot_##t(n, s + r, x, (const char *)y + r*y_stride); \
}

X4(f32)
X4(f16)
X4(bf16)
X4(q4_0)
X4(q4_1)
X4(q5_0)
X4(q5_1)
X4(q8_0)

static const struct {
	uint32_t type;
	lb_vec_dot_x4_fn plain, avx2;
} kernels[] = {
	{ LB_F32, q_vec_dot_f32_x4, q_vec_dot_f32_x4_avx2 },
	{ LB_F16, q_vec_dot_f16_x4, q_vec_dot_f16_x4_avx2 },
	{ LB_BF16, q_vec_dot_bf16_x4, q_vec_dot_bf16_x4_avx2 },
	{ LB_Q4_0, q_vec_dot_q4_0_x4, q_vec_dot_q4_0_x4_avx2 },
	{ LB_Q4_1, q_vec_dot_q4_1_x4, q_vec_dot_q4_1_x4_avx2 },
	{ LB_Q5_0, q_vec_dot_q5_0_x4, q_vec_dot_q5_0_x4_avx2 },
	{ LB_Q5_1, q_vec_dot_q5_1_x4, q_vec_dot_q5_1_x4_avx2 },
	{ LB_Q8_0, q_vec_dot_q8_0_x4, q_vec_dot_q8_0_x4_avx2 },
};

lb_vec_dot_x4_fn
quant_vec_dot_x4(uint32_t type)
{
	size_t i;

	for(i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		if(kernels[i].type == type)
			return quant_simd() ? kernels[i].avx2 : kernels[i].plain;
	return quant_vec_dot_x4_k(type);
}
