/* tile.c - the choice of tile kernels (see tile.h). */
#include "kernels.h"
#include "quant.h"
#include "tile.h"

static const struct {
	uint32_t type;
	lb_tile_fn avx2;
	int tr, tc;
} kernels[] = {
	{ LB_Q4_0, q_tile_q4_0_avx2, TILE_R, TILE_C },
	{ LB_Q4_1, q_tile_q4_1_avx2, TILE_R, TILE_C },
	{ LB_Q5_0, q_tile_q5_0_avx2, TILE_R, TILE_C },
	{ LB_Q5_1, q_tile_q5_1_avx2, TILE_R, TILE_C },
	{ LB_Q8_0, q_tile_q8_0_avx2, TILE_R, TILE_C },
};

lb_tile_fn
quant_tile(uint32_t type, int *tr, int *tc)
{
	size_t i;

	if(!quant_simd())
		return NULL;
	for(i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
		if(kernels[i].type == type){
			*tr = kernels[i].tr;
			*tc = kernels[i].tc;
			return kernels[i].avx2;
		}
	return NULL;
}
