/* gemm_k.c - the choice of the K-quants' x4 kernels (see gemm_k.h); no AVX2 code here. */
#include "gemm_k.h"
#include "quant.h"

lb_vec_dot_x4_fn
quant_vec_dot_x4_k(uint32_t type)
{
	if(!quant_simd())
		return NULL;
	switch(type){
	case LB_Q2_K:
		return q_vec_dot_q2_K_x4_avx2;
	case LB_Q3_K:
		return q_vec_dot_q3_K_x4_avx2;
	case LB_Q4_K:
		return q_vec_dot_q4_K_x4_avx2;
	case LB_Q5_K:
		return q_vec_dot_q5_K_x4_avx2;
	case LB_Q6_K:
		return q_vec_dot_q6_K_x4_avx2;
	}
	return NULL;
}
