/*
 * repack.c - a mapped model's weight matrices repacked at load into the
 * layout the kernel tier in use reads fastest (quant.h's packed types: the
 * AVX-512 tier's sixteen-row blocks), as llama.cpp's CPU_REPACK buffers do.
 *
 * The copy replaces, not adds to, the mapped pages it covers: they are given
 * back (MADV_DONTNEED), and come back from the file if anything reads the
 * file's layout again (the exact path, a tier without the packed kernels).
 * So only mapped models are repacked: a model read into memory has no file
 * behind its pages.  LLAMBO_REPACK=0 keeps the file's layout, for users who
 * want the file's pages shared between processes.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../quant/quant.h"
#include "../util/mem.h"
#include "model.h"

/* Gives back the whole pages of [p, p+n) (a private mapping of the file: they are read again if touched). */
static void
release(const void *p, size_t n)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);

	if(hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* The matrices a token multiplies by: every 2-D tensor but the embeddings, which are read a row at a time. */
static int
repackable(const GGUFTensor *t, const QuantType **pt)
{
	const QuantType *qt = quant_type(t->type);

	if(t->n_dims != 2 || strcmp(t->name, "token_embd.weight") == 0 || qt == NULL || qt->packed == 0)
		return 0;
	*pt = quant_type(qt->packed);
	return *pt != NULL && t->ne[0] <= INT_MAX && t->ne[1] <= INT_MAX && t->ne[1] % (*pt)->tr == 0;
}

void
model_repack(Model *m)
{
	const char *env = getenv("LLAMBO_REPACK");
	const QuantType *pt;
	GGUFTensor *t;
	size_t i;

	if(!m->file.mapped || (env != NULL && strcmp(env, "0") == 0))
		return;
	for(i = 0; i < m->file.n_tensors; i++){
		t = &m->file.tensors[i];
		if(!repackable(t, &pt) || (t->packed = lb_bigalloc(t->nbytes)) == NULL)
			continue;	/* no room for the copy: the file's layout serves */
		quant_type(t->type)->repack((int)t->ne[0], t->data, quant_row_size(t->type, t->ne[0]), (int)t->ne[1], t->packed);
		release(t->data, t->nbytes);
		t->packed_type = quant_type(t->type)->packed;
		m->n_packed++;
		m->packed_bytes += t->nbytes;
	}
}

void
model_unpack(Model *m)
{
	size_t i;

	for(i = 0; i < m->file.n_tensors; i++)
		if(m->file.tensors[i].packed != NULL){
			lb_bigfree(m->file.tensors[i].packed, m->file.tensors[i].nbytes);
			m->file.tensors[i].packed = NULL;
		}
	m->n_packed = 0;
	m->packed_bytes = 0;
}
