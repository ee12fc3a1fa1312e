/*
 * gguf_wfile.c - writing out what a GGUFWriter holds: header, keys, tensor
 * infos, then the tensor data, each padded to the alignment.  Tensor data is
 * streamed from the caller's buffers (a mapping of a multi-GB model is fine);
 * positions and offsets are 64-bit whatever size_t is.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "../util/error.h"
#include "gguf_impl.h"

enum { WRITE_CHUNK = 64 << 20 };

/* Output with a running position and a sticky error. */
typedef struct Out {
	FILE *fp;
	uint64_t pos;
	int err;	/* errno of the first failure, or 0 */
} Out;

static void
put(Out *o, const void *p, size_t n)
{
	static const uint8_t zeros[4096];
	size_t k;

	while(o->err == 0 && n > 0){
		k = n < WRITE_CHUNK ? n : WRITE_CHUNK;
		if(p == NULL && k > sizeof zeros)
			k = sizeof zeros;
		if(fwrite(p != NULL ? p : zeros, 1, k, o->fp) != k)
			o->err = errno ? errno : EIO;
		o->pos += k;
		n -= k;
		if(p != NULL)
			p = (const uint8_t *)p + k;
	}
}

static void
put32(Out *o, uint32_t v)
{
	uint8_t b[4];

	gguf_put32(b, v);
	put(o, b, 4);
}

static void
put64(Out *o, uint64_t v)
{
	uint8_t b[8];

	gguf_put64(b, v);
	put(o, b, 8);
}

static void
put_str(Out *o, const char *s)
{
	size_t n = strlen(s);

	put64(o, n);
	put(o, s, n);
}

static void
pad(Out *o, uint32_t align)
{
	put(o, NULL, (size_t)((align - o->pos % align) % align));
}

static void
write_all(GGUFWriter *w, Out *o)
{
	uint64_t off = 0;
	size_t i;
	uint32_t j;

	put(o, "GGUF", 4);
	put32(o, 3);
	put64(o, w->n_t);
	put64(o, w->n_kv);
	for(i = 0; i < w->n_kv; i++){
		put_str(o, w->kv[i].key);
		put32(o, w->kv[i].type);
		put(o, w->kv[i].val, w->kv[i].len);
	}
	for(i = 0; i < w->n_t; i++){
		put_str(o, w->t[i].name);
		put32(o, w->t[i].n_dims);
		for(j = 0; j < w->t[i].n_dims; j++)
			put64(o, (uint64_t)w->t[i].ne[j]);
		put32(o, w->t[i].type);
		put64(o, off);
		off += (w->t[i].nbytes + w->alignment - 1) / w->alignment * w->alignment;
	}
	if(w->n_t > 0)
		pad(o, w->alignment);
	for(i = 0; i < w->n_t; i++){
		put(o, w->t[i].data, w->t[i].nbytes);
		pad(o, w->alignment);
	}
}

int
gguf_write_file(GGUFWriter *w, const char *path)
{
	Out o = { NULL, 0, 0 };

	if(w->err[0] != 0)
		return lb_err("gguf writer: %s", w->err);
	o.fp = fopen(path, "wb");
	if(o.fp == NULL)
		return lb_err("%s: %s", path, strerror(errno));
	errno = 0;
	write_all(w, &o);
	if(fflush(o.fp) != 0 && o.err == 0)
		o.err = errno ? errno : EIO;
	if(fclose(o.fp) != 0 && o.err == 0)
		o.err = errno ? errno : EIO;
	if(o.err != 0){
		unlink(path);
		return lb_err("%s: write error: %s", path, strerror(o.err));
	}
	return 0;
}
