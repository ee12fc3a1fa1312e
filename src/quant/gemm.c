/* gemm.c - the choice of x4 kernels (see gemm.h), and their plain C versions. */
#include "gemm.h"
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

X4(q4_0)
X4(q4_1)
X4(q5_0)
X4(q5_1)
X4(q8_0)

lb_vec_dot_x4_fn
quant_vec_dot_x4(uint32_t type)
{
	const int simd = quant_simd();

	switch(type){
	case LB_Q4_0:
		return simd ? q_vec_dot_q4_0_x4_avx2 : q_vec_dot_q4_0_x4;
	case LB_Q4_1:
		return simd ? q_vec_dot_q4_1_x4_avx2 : q_vec_dot_q4_1_x4;
	case LB_Q5_0:
		return simd ? q_vec_dot_q5_0_x4_avx2 : q_vec_dot_q5_0_x4;
	case LB_Q5_1:
		return simd ? q_vec_dot_q5_1_x4_avx2 : q_vec_dot_q5_1_x4;
	case LB_Q8_0:
		return simd ? q_vec_dot_q8_0_x4_avx2 : q_vec_dot_q8_0_x4;
	}
	return NULL;
}
