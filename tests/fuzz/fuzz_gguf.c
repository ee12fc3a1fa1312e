/*
 * fuzz_gguf.c - libFuzzer harness for the GGUF parser (not part of the cmocka suite).
 *
 *   make build/libllambo.a
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     tests/fuzz/fuzz_gguf.c src/gguf/gguf_[morvw]*.c build/libllambo.a -lm -pthread -o fuzz_gguf
 *   ./fuzz_gguf -max_total_time=60 corpus/
 *
 * (the GGUF sources are instrumented; the quant table comes from the library.)
 * Every accepted input is walked completely, so an index or pointer that escapes
 * the buffer shows up under ASan; a refusal must come with a reason.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../src/gguf/gguf.h"
#include "../../src/util/error.h"

static unsigned sink;

static void
walk(const GGUFFile *f)
{
	const uint8_t *d;
	size_t i;
	uint64_t j, k;

	for(i = 0; i < f->n_kv; i++){
		const GGUFKV *kv = &f->kv[i];
		if(kv->type == GGUF_STRING)
			for(j = 0; j < kv->v.s.len; j++)
				sink += (uint8_t)kv->v.s.p[j];
		if(kv->type == GGUF_ARRAY && kv->v.arr.type == GGUF_STRING)
			for(j = 0; j < kv->v.arr.n; j++){
				GGUFStr s = gguf_arr_str(kv, j);
				for(k = 0; k < s.len; k++)
					sink += (uint8_t)s.p[k];
			}
	}
	for(i = 0; i < f->n_tensors; i++)
		for(d = f->tensors[i].data, j = 0; j < f->tensors[i].nbytes; j++)
			sink += d[j];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GGUFFile f;

	lb_errclear();
	if(gguf_parse(&f, data, size) == 0){
		walk(&f);
		gguf_close(&f);
	}else if(lb_errstr()[0] == 0)
		abort();	/* a refusal without a reason */
	return 0;
}
