/* gemv.c - the choice of gemv kernels (see gemv.h), and the row loops of the types without one of their own. */
#include "gemv.h"
#include "kernels.h"
#include "quant.h"

static GEMV_ROWS(rows_f32, q_vec_dot_f32)
static GEMV_ROWS(rows_f16, q_vec_dot_f16)
static GEMV_ROWS(rows_bf16, q_vec_dot_bf16)
static GEMV_ROWS(rows_q4_0, q_vec_dot_q4_0)
static GEMV_ROWS(rows_q4_1, q_vec_dot_q4_1)
static GEMV_ROWS(rows_q5_0, q_vec_dot_q5_0)
static GEMV_ROWS(rows_q5_1, q_vec_dot_q5_1)
static GEMV_ROWS(rows_q8_0, q_vec_dot_q8_0)
static GEMV_ROWS(rows_q2_K, q_vec_dot_q2_K)
static GEMV_ROWS(rows_q3_K, q_vec_dot_q3_K)
static GEMV_ROWS(rows_q4_K, q_vec_dot_q4_K)
static GEMV_ROWS(rows_q5_K, q_vec_dot_q5_K)
static GEMV_ROWS(rows_q6_K, q_vec_dot_q6_K)

static const struct {
	uint32_t type;
	lb_gemv_fn plain, avx2;
} kernels[] = {
	{ LB_F32, rows_f32, q_gemv_f32_avx2 },
	{ LB_F16, rows_f16, q_gemv_f16_avx2 },
	{ LB_BF16, rows_bf16, q_gemv_bf16_avx2 },
	{ LB_Q4_0, rows_q4_0, q_gemv_q4_0_avx2 },
	{ LB_Q4_1, rows_q4_1, q_gemv_q4_1_avx2 },
	{ LB_Q5_0, rows_q5_0, q_gemv_q5_0_avx2 },
	{ LB_Q5_1, rows_q5_1, q_gemv_q5_1_avx2 },
	{ LB_Q8_0, rows_q8_0, q_gemv_q8_0_avx2 },
	{ LB_Q2_K, rows_q2_K, q_gemv_q2_K_avx2 },
	{ LB_Q3_K, rows_q3_K, q_gemv_q3_K_avx2 },
	{ LB_Q4_K, rows_q4_K, q_gemv_q4_K_avx2 },
	{ LB_Q5_K, rows_q5_K, q_gemv_q5_K_avx2 },
	{ LB_Q6_K, rows_q6_K, q_gemv_q6_K_avx2 },
};

lb_gemv_fn
quant_gemv(uint32_t type)
{
	size_t i;

	for(i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		if(kernels[i].type == type)
			return quant_simd() ? kernels[i].avx2 : kernels[i].plain;
	return NULL;
}
