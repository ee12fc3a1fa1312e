/* matmul.c - matrix times a batch of vectors, split over the pool's threads by blocks of rows. */
#include <stdatomic.h>
#include <string.h>

#include "../quant/quant.h"
#include "matmul.h"

enum {
	ROWBLOCK = 16,	/* weight rows per unit of work: they stay in L1 across the token block */
	STREAMS = 4,	/* generation: units per thread, each a long run of rows read as one stream */
	TOKBLOCK = 64,	/* activation rows reused per weight block: they stay in L2 ... */
	TOKBYTES = 640 << 10,	/* ... as long as they are no more bytes than this, beside the weight block in 1 MiB */
	FEWROWS = 16,	/* up to this many activation rows (a step of a few generations) read the weights as generation does */
};

typedef struct Job {
	MatEnv *e;
	const GGUFTensor *w;
	const QuantType *wt;	/* its kernels in every shape (quant.h), or those of its packed copy */
	const uint8_t *wdata;	/* the rows: the file's, or the packed copy */
	Act *a;
	float *y;
	int rows;
	int block;	/* rows per unit of work */
	size_t wrow;	/* bytes of a weight row */
	size_t arow;	/* bytes of a converted activation row */
	atomic_int next;	/* next row block to take */
	atomic_int nextconv;	/* next activation row to convert */
} Job;

void
act_set(Act *a, const float *x, int n, int k, uint8_t *q)
{
	a->x = x;
	a->n = n;
	a->k = k;
	a->q = q;
	a->qtype = ~0u;
}

static void
convert_task(void *arg, int ith, int nth)
{
	Job *j = arg;
	Act *a = j->a;
	const QuantType *vt = quant_type(j->wt->vec_dot_type);
	int t;

	while((t = pool_next(&j->nextconv)) < a->n)
		vt->from_float(a->x + (size_t)t * a->k, a->q + (size_t)t * j->arow, a->k);
}

/* Weight row r against activation rows t0..t1-1: four at a time, then one at a time. */
static void
row_x4(Job *j, int r, int t0, int t1, const uint8_t *abase, size_t astride)
{
	const uint8_t *wr = j->wdata + (size_t)r * j->wrow;
	const int k = j->a->k;
	float s4[4];
	int t = t0;

	if(j->wt->x4 != NULL)
		for(; t + 4 <= t1; t += 4){
			j->wt->x4(k, s4, wr, abase + (size_t)t * astride, astride);
			j->y[(size_t)t * j->rows + r] = s4[0];
			j->y[(size_t)(t + 1) * j->rows + r] = s4[1];
			j->y[(size_t)(t + 2) * j->rows + r] = s4[2];
			j->y[(size_t)(t + 3) * j->rows + r] = s4[3];
		}
	for(; t < t1; t++)
		j->wt->vec_dot(k, &j->y[(size_t)t * j->rows + r], wr, abase + (size_t)t * astride);
}

/* Weight rows r..r+tr-1 against activation rows t0..t1-1, tc at a time. */
static void
block_tiles(Job *j, int r, int t0, int t1, const uint8_t *abase, size_t astride)
{
	const QuantType *wt = j->wt;
	const uint8_t *wr = j->wdata + (size_t)r * j->wrow;
	int t;

	for(t = t0; t < t1; t += wt->tc)
		wt->tile(j->a->k, &j->y[(size_t)t * j->rows + r], j->rows, wr, j->wrow, abase + (size_t)t * astride, astride,
			t1 - t < wt->tc ? t1 - t : wt->tc);
}

/* Weight rows r0..r1-1 against one activation row, streaming the weights. */
static void
rows_gemv(Job *j, int r0, int r1, const uint8_t *act, float *y)
{
	const uint8_t *wr = j->wdata + (size_t)r0 * j->wrow;
	int r;

	if(j->wt->gemv != NULL){
		j->wt->gemv(j->a->k, y + r0, wr, j->wrow, act, r1 - r0);
		return;
	}
	for(r = r0; r < r1; r++, wr += j->wrow)
		j->wt->vec_dot(j->a->k, y + r, wr, act);
}

/*
 * Activation rows per token block: TOKBLOCK, or fewer (whole tiles) where their
 * rows are long: F16's activations are floats, and 64 rows of ffn_down's
 * 5632 spill out of L2, which made its tiles a third slower.
 */
static int
token_block(const Job *j, size_t astride)
{
	int tb = TOKBLOCK, tc = j->wt->tile != NULL ? j->wt->tc : 4;

	if((size_t)tb * astride > TOKBYTES){
		tb = (int)(TOKBYTES / astride);
		if(tb >= tc)
			tb -= tb % tc;
		if(tb < 1)
			tb = 1;
	}
	return tb;
}

/* One block of weight rows against every activation row, the fast way. */
static void
block_fast(Job *j, int r0, int r1)
{
	const uint8_t *abase;
	Act *a = j->a;
	size_t astride;
	int t0, t1, t, r, tb;

	if(j->wt->vec_dot_type == 0){	/* F32 weights: the activations as they are */
		abase = (const uint8_t *)a->x;
		astride = (size_t)a->k * sizeof(float);
	}else{
		abase = a->q;
		astride = j->arow;
	}
	if(a->n == 1 || (a->n < 4 && j->wt->tile == NULL)){	/* generation: the block's rows against each activation row, streaming the weights */
		for(t = 0; t < a->n; t++)
			rows_gemv(j, r0, r1, abase + (size_t)t * astride, j->y + (size_t)t * j->rows);
		return;
	}
	tb = token_block(j, astride);
	for(t0 = 0; t0 < a->n; t0 = t1){
		t1 = t0 + tb < a->n ? t0 + tb : a->n;
		r = r0;
		if(j->wt->tile != NULL)
			for(; r + j->wt->tr <= r1; r += j->wt->tr)
				block_tiles(j, r, t0, t1, abase, astride);
		for(; r < r1; r++)
			row_x4(j, r, t0, t1, abase, astride);
	}
}

/* The same, decoding each weight row to floats first. */
static void
block_exact(Job *j, int r0, int r1, float *wf)
{
	const QuantType *f32 = quant_type(0);
	Act *a = j->a;
	int t, r;

	for(r = r0; r < r1; r++){
		j->wt->to_float((const uint8_t *)j->w->data + (size_t)r * j->wrow, wf, a->k);
		for(t = 0; t < a->n; t++)
			f32->vec_dot(a->k, &j->y[(size_t)t * j->rows + r], wf, a->x + (size_t)t * a->k);
	}
}

static void
mul_task(void *arg, int ith, int nth)
{
	Job *j = arg;
	int b, nblocks = (j->rows + j->block - 1) / j->block;

	while((b = pool_next(&j->next)) < nblocks){
		int r0 = b * j->block, r1 = r0 + j->block < j->rows ? r0 + j->block : j->rows;
		if(j->e->exact)
			block_exact(j, r0, r1, j->e->wscratch + (size_t)ith * j->e->maxk);
		else
			block_fast(j, r0, r1);
	}
}

void
matmul(MatEnv *e, const GGUFTensor *w, Act *a, float *y)
{
	const QuantType *pt;
	Job j;

	j.e = e;
	j.w = w;
	j.wt = quant_type(w->type);
	j.wdata = w->data;
	/* the packed copy where there is one and the tier in use has its kernels (it has only gemv and tile) */
	if(w->packed != NULL && !e->exact && (pt = quant_type(w->packed_type)) != NULL && pt->gemv != NULL && pt->tile != NULL){
		j.wt = pt;
		j.wdata = w->packed;
	}
	j.a = a;
	j.y = y;
	j.rows = (int)w->ne[1];
	/*
	 * A batch reuses a small block of rows across many activation rows.  Generation reads each
	 * row once: there the memory system is fastest when each thread reads long contiguous runs
	 * (many short interleaved runs get about half the bandwidth), still in enough units that a
	 * thread the machine is late to schedule leaves its share to the others.  A step of a few
	 * sequences is read the same way: its tiles take every activation row at each weight block.
	 */
	j.block = ROWBLOCK;
	if(a->n <= FEWROWS && j.rows / (e->nth * STREAMS) > ROWBLOCK)
		j.block = j.rows / (e->nth * STREAMS) / ROWBLOCK * ROWBLOCK;
	j.wrow = quant_row_size(w->type, a->k);
	j.arow = quant_row_size(j.wt->vec_dot_type, a->k);
	atomic_init(&j.next, 0);
	atomic_init(&j.nextconv, 0);
	if(!e->exact && j.wt->vec_dot_type != 0 && a->qtype != j.wt->vec_dot_type){
		pool_run(e->pool, convert_task, &j, a->n > 1 ? e->nth : 1);
		a->qtype = j.wt->vec_dot_type;
	}
	pool_run(e->pool, mul_task, &j, e->nth);
}
