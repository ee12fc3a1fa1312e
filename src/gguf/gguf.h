/*
 * gguf.h - reading (and writing) GGUF files, v2 and v3.
 *
 * The whole file is one byte buffer: mapped (use_mmap) or read into an
 * anonymous mapping.  Parsing validates every count, length, type, dimension
 * and offset against that buffer before use; nothing after a successful
 * gguf_open needs to check again.  Metadata strings point into the buffer
 * (not NUL-terminated); keys and tensor names are NUL-terminated copies.
 */
#ifndef LB_GGUF_H
#define LB_GGUF_H

#include <stddef.h>
#include <stdint.h>

enum {
	GGUF_UINT8, GGUF_INT8, GGUF_UINT16, GGUF_INT16, GGUF_UINT32, GGUF_INT32,
	GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64, GGUF_INT64,
	GGUF_FLOAT64, GGUF_NTYPES
};

enum {
	GGUF_MAX_DIMS = 4,
	GGUF_MAX_NAME = 64,	/* including the NUL, as ggml */
	GGUF_DEFAULT_ALIGN = 32,
};

typedef struct GGUFStr {
	const char *p;	/* into the file buffer, not NUL-terminated */
	uint64_t len;
} GGUFStr;

typedef struct GGUFKV {
	char *key;
	uint32_t type;	/* GGUF_* */
	union {
		uint64_t u;	/* UINT8..UINT64, BOOL (0/1) */
		int64_t i;	/* INT8..INT64 */
		double f;	/* FLOAT32, FLOAT64 */
		GGUFStr s;	/* STRING */
		struct {
			uint32_t type;	/* element type, never ARRAY */
			uint64_t n;
			const uint8_t *data;	/* first element, in the file buffer */
			uint64_t *offs;	/* STRING arrays: offset of each element's length field from data */
		} arr;
	} v;
} GGUFKV;

typedef struct GGUFTensor {
	char name[GGUF_MAX_NAME];
	uint32_t type;	/* ggml type id, one that quant_type() knows */
	uint32_t n_dims;
	int64_t ne[GGUF_MAX_DIMS];	/* unused dims are 1 */
	uint64_t offset;	/* relative to the data section */
	size_t nbytes;
	const void *data;	/* in the file buffer */
	void *packed;	/* NULL, or the engine's repacked copy (nbytes, model/repack.c) */
	uint32_t packed_type;	/* its type: one of quant.h's packed types */
} GGUFTensor;

typedef struct GGUFFile {
	uint8_t *base;	/* whole file */
	size_t size;
	int mapped;	/* 1: base is the file's mapping; 0: our copy */
	int borrowed;	/* 1: base belongs to the caller (gguf_parse); gguf_close leaves it */
	uint32_t version;
	uint32_t alignment;
	size_t n_kv;
	GGUFKV *kv;
	size_t n_tensors;
	GGUFTensor *tensors;
	size_t data_offset;	/* start of the tensor data section */
} GGUFFile;

/* Opens and validates path; on failure returns -1 with lb_err set ("no such file", "not a GGUF file", ...). */
int gguf_open(GGUFFile *f, const char *path, int use_mmap);
/* Validates a buffer the caller owns (fuzzing, tests); gguf_close will not free buf. */
int gguf_parse(GGUFFile *f, const uint8_t *buf, size_t size);
void gguf_close(GGUFFile *f);

const GGUFKV *gguf_find(const GGUFFile *f, const char *key);
const GGUFTensor *gguf_tensor(const GGUFFile *f, const char *name);

/*
 * Typed getters: 1 found, 0 absent, -1 present with an unusable type or value (lb_err set).
 * Integer getters accept any integer type whose value fits; float getters accept FLOAT32/64.
 */
int gguf_get_u32(const GGUFFile *f, const char *key, uint32_t *out);
int gguf_get_i32(const GGUFFile *f, const char *key, int32_t *out);
int gguf_get_f32(const GGUFFile *f, const char *key, float *out);
int gguf_get_bool(const GGUFFile *f, const char *key, int *out);
int gguf_get_str(const GGUFFile *f, const char *key, GGUFStr *out);
/* Arrays: element access checks the index and the element type. */
int gguf_get_arr(const GGUFFile *f, const char *key, uint32_t elem_type, const GGUFKV **out);
GGUFStr gguf_arr_str(const GGUFKV *kv, uint64_t i);
float gguf_arr_f32(const GGUFKV *kv, uint64_t i);
int32_t gguf_arr_i32(const GGUFKV *kv, uint64_t i);
const char *gguf_type_name(uint32_t type);

/*
 * Writing (synthetic models, test files).  The adders record the first mistake
 * (bad key, duplicate, bad shape...) and gguf_write_file reports it; a writer
 * made with an alignment other than 0 or 32 starts with its general.alignment key.
 */
typedef struct GGUFWriter GGUFWriter;
GGUFWriter *gguf_writer_new(uint32_t alignment);
void gguf_writer_free(GGUFWriter *w);
void gguf_w_u32(GGUFWriter *w, const char *key, uint32_t v);
void gguf_w_i32(GGUFWriter *w, const char *key, int32_t v);
void gguf_w_f32(GGUFWriter *w, const char *key, float v);
void gguf_w_bool(GGUFWriter *w, const char *key, int v);
void gguf_w_str(GGUFWriter *w, const char *key, const char *v);
/* Any value, raw: type and the exact bytes of its GGUF encoding (for copying keys from another file). */
void gguf_w_raw(GGUFWriter *w, const char *key, uint32_t type, const void *bytes, size_t n);
void gguf_w_arr_str(GGUFWriter *w, const char *key, const char *const *v, size_t n);
void gguf_w_arr_f32(GGUFWriter *w, const char *key, const float *v, size_t n);
void gguf_w_arr_i32(GGUFWriter *w, const char *key, const int32_t *v, size_t n);
/* Adds a tensor; data (its nbytes for type and shape) is not copied: keep it until gguf_write_file. NULL data: zeros. */
void gguf_w_tensor(GGUFWriter *w, const char *name, uint32_t type, int n_dims, const int64_t *ne, const void *data);
/* Writes the file: header, kvs, tensor infos, padded data; -1 with lb_err on failure. */
int gguf_write_file(GGUFWriter *w, const char *path);
/* Copies key kv (any type) from an open file. */
void gguf_w_copy(GGUFWriter *w, const GGUFFile *src, const GGUFKV *kv);

#endif
