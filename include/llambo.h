/*
 * llambo.h - the public API of libllambo: GGUF models, loaded and run
 * by an inference engine of our own.
 *
 * Every function may be called from any thread.  Every failure leaves a
 * reason that llambo_last_error() returns (thread-local).  Strings and
 * arrays returned to the caller are freed with llambo_free().
 */
#ifndef LLAMBO_H
#define LLAMBO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LLAMBO_API __attribute__((visibility("default")))
#else
#define LLAMBO_API
#endif

/* The seed's five functions. */
LLAMBO_API int   llambo_load_model(const char *path, int use_mmap, int n_gpu_layers);	/* id >= 0, or -1 */
LLAMBO_API char *llambo_infer(int id, const char *prompt, int max_tokens, float temperature);	/* never NULL; "" on failure */
LLAMBO_API int   llambo_tokenize(int id, const char *text, int32_t **tokens);	/* count, or -1; BOS as the model wants it */
LLAMBO_API char *llambo_get_model_info(int id);	/* JSON, or NULL */
LLAMBO_API int   llambo_free_model(int id);	/* 0, or -1 */

LLAMBO_API const char *llambo_last_error(void);	/* reason of this thread's last failure */
LLAMBO_API void  llambo_free(void *p);	/* frees what the library returned */
LLAMBO_API const char *llambo_version(void);	/* LLAMBO_VERSION of the library, "0.1.0" */
#define LLAMBO_VERSION "0.1.0"	/* the shared library's soname is libllambo.so.<first number> */

/* Ids: at most LLAMBO_MAX_IDS at once (loaded, loading or reserved); reserve one now, load into it later (the 9P server's clone file). */
#define LLAMBO_MAX_IDS 256
LLAMBO_API int llambo_reserve_id(void);	/* id >= 0 in state "empty", or -1 */
LLAMBO_API int llambo_load_into(int id, const char *path, int use_mmap, int n_gpu_layers);	/* 0, or -1 */
/*
 * Holding a ready model keeps its id from being given to another model until
 * the hold is released: work accepted now (a queued request) can never run
 * on a model loaded later.  A model freed while held is gone for new work at
 * once (generating on it fails with "no such model").
 */
LLAMBO_API int llambo_model_hold(int id);	/* 0, or -1 if id is not a ready model */
LLAMBO_API void llambo_model_release(int id);

/* Generation with every knob. */
typedef int (*llambo_token_fn)(const char *piece, size_t len, void *arg);	/* nonzero return stops */

typedef struct llambo_params {
	int max_tokens;	/* default 128; 0 generates nothing */
	float temperature;	/* 0 = greedy (argmax) */
	int top_k;	/* 0 = off; default 40 */
	float top_p;	/* 1 = off; default 0.95 */
	float min_p;	/* 0 = off; default 0.05 */
	float repeat_penalty;	/* 1 = off (default) */
	int repeat_last_n;	/* default 64 */
	uint64_t seed;	/* default LLAMBO_SEED_RANDOM */
	const char *const *stop;	/* stop strings (not included in the output) */
	int n_stop;
	int n_threads;	/* 0 = one per core */
	int n_ctx;	/* 0 = the model's context, capped at 4096 */
	int add_bos;	/* -1 = as the model says (default), 0 no, 1 yes */
	int parse_special;	/* 1 = "<s>" in the prompt is a control token */
	llambo_token_fn on_token;	/* called with each piece of text as it is decoded */
	void *cb_arg;
} llambo_params;

#define LLAMBO_SEED_RANDOM 0xFFFFFFFFu

enum { LLAMBO_STOP_NONE, LLAMBO_STOP_EOG, LLAMBO_STOP_LENGTH, LLAMBO_STOP_CTX, LLAMBO_STOP_STRING, LLAMBO_STOP_CALLBACK };

typedef struct llambo_stats {
	int n_prompt, n_gen;
	double prompt_ms, gen_ms;
	int stop_reason;	/* LLAMBO_STOP_* */
} llambo_stats;

LLAMBO_API void  llambo_default_params(llambo_params *p);
LLAMBO_API char *llambo_generate(int id, const char *prompt, const llambo_params *p, llambo_stats *st);	/* NULL on failure */

/* Tokens. */
LLAMBO_API int llambo_tokenize_ex(int id, const char *text, size_t len, int add_special, int parse_special, int32_t **tokens);
LLAMBO_API int llambo_token_to_piece(int id, int32_t token, char *buf, int size);	/* bytes, or -needed */
LLAMBO_API int llambo_n_vocab(int id);

/* A context: one sequence with its own KV cache, for tools that need logits. */
typedef struct llambo_ctx llambo_ctx;
LLAMBO_API llambo_ctx *llambo_ctx_new(int id, int n_ctx, int n_threads);
LLAMBO_API void llambo_ctx_free(llambo_ctx *c);
LLAMBO_API void llambo_ctx_reset(llambo_ctx *c);	/* forget every position */
/* Feed n tokens at the next positions; logits: NULL, or room for n rows (all) or 1 row (last only). */
enum { LLAMBO_LOGITS_NONE, LLAMBO_LOGITS_LAST, LLAMBO_LOGITS_ALL };
LLAMBO_API int llambo_ctx_eval(llambo_ctx *c, const int32_t *tokens, int n, int which, float *logits);
LLAMBO_API int llambo_ctx_pos(const llambo_ctx *c);
/* 1 = dequantize weights and compute in float (the reference path); 0 = llama.cpp's quantized-activation kernels */
LLAMBO_API void llambo_ctx_set_exact(llambo_ctx *c, int exact);

/* What the 9P server's status file shows. */
typedef struct llambo_status {
	int state;	/* LLAMBO_EMPTY, LLAMBO_LOADING, LLAMBO_READY */
	int generations;	/* running now */
	long long tokens_generated;	/* since load */
	double last_tok_per_s;	/* of the last finished generation */
	char path[1024];
} llambo_status;
enum { LLAMBO_EMPTY, LLAMBO_LOADING, LLAMBO_READY };
LLAMBO_API int llambo_model_status(int id, llambo_status *st);	/* 0, or -1 if no such id */
LLAMBO_API int llambo_list_models(int *ids, int max);	/* ids in use (any state), ascending; count */

#ifdef __cplusplus
}
#endif
#endif
