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
	int ignore_eos;	/* 1 = an end-of-generation token does not end it (max_tokens does; as llama.cpp's --ignore-eos) */
} llambo_params;

#define LLAMBO_SEED_RANDOM 0xFFFFFFFFu

enum { LLAMBO_STOP_NONE, LLAMBO_STOP_EOG, LLAMBO_STOP_LENGTH, LLAMBO_STOP_CTX, LLAMBO_STOP_STRING, LLAMBO_STOP_CALLBACK,
	LLAMBO_STOP_CANCEL };

typedef struct llambo_stats {
	int n_prompt, n_gen;
	double prompt_ms, gen_ms;	/* from the start of its prompt to its first token; from there to the end */
	int stop_reason;	/* LLAMBO_STOP_* */
	int n_prompt_done;	/* prompt tokens evaluated so far */
	double queue_ms;	/* waiting for KV cache before it ran */
	int n_reused;	/* chat sessions: prompt tokens already in the cache, not evaluated again (n_prompt does not count them) */
} llambo_stats;

LLAMBO_API void  llambo_default_params(llambo_params *p);

/*
 * Requests in the text form that a model's data file takes, read by the one
 * parser every front end uses (README.md, "Requests"):
 *	prompt|max_tokens|temperature|key=value|...
 * Each function that fails leaves the reason ("bad request: ...") in
 * llambo_last_error() and the request as it was.
 */
enum { LLAMBO_MAX_STOPS = 8, LLAMBO_MAX_STOP_BYTES = 256 };
typedef struct llambo_request {
	char *prompt;	/* "" until set */
	llambo_params params;	/* defaults, then what was read; params.stop points at stops */
	char *stops[LLAMBO_MAX_STOPS];
} llambo_request;
LLAMBO_API llambo_request *llambo_request_new(void);	/* the defaults; NULL if out of memory */
LLAMBO_API int   llambo_request_parse(llambo_request *r, const char *text, size_t len);	/* the whole grammar: 0, or -1 */
LLAMBO_API int   llambo_request_options(llambo_request *r, const char *text, size_t len);	/* "key=value|...": only options */
LLAMBO_API int   llambo_request_set(llambo_request *r, const char *key, const char *value);	/* one key, as an option */
LLAMBO_API int   llambo_request_prompt(llambo_request *r, const char *text, size_t len);	/* the prompt, as it is */
LLAMBO_API char *llambo_request_describe(const llambo_request *r);	/* one line: every parameter and the prompt */
LLAMBO_API void  llambo_request_free(llambo_request *r);
LLAMBO_API char *llambo_generate(int id, const char *prompt, const llambo_params *p, llambo_stats *st);	/* NULL on failure */

/*
 * Every generation runs on its model's scheduler: one thread per model that, at
 * each step, evaluates the next token of every running generation together with
 * chunks of the prompts being processed, in one pass over the weights.
 * Generations join and leave at token boundaries; a cancellation takes effect at
 * the next step, also during a prompt.  Each holds KV cache pages for its prompt
 * and max_tokens (within its context) from a per-model budget; over the budget,
 * new generations wait in a bounded queue.  llambo_generate is llambo_gen_start,
 * then llambo_gen_wait and llambo_gen_take until the end, calling on_token on the
 * caller's thread.  These calls are for callers that must not keep a thread per
 * generation (the 9P server): the scheduler tells them through notify.
 */
typedef struct llambo_gen llambo_gen;
/* New text or the end: called on the scheduler's thread, must return at once (no waiting on anything). */
typedef void (*llambo_notify_fn)(void *arg);
enum { LLAMBO_GEN_QUEUED, LLAMBO_GEN_RUNNING, LLAMBO_GEN_DONE, LLAMBO_GEN_FAILED };

/* Starts a generation (p->on_token is not called); NULL with the reason (no model, bad parameters, queue full). */
LLAMBO_API llambo_gen *llambo_gen_start(int id, const char *prompt, const llambo_params *p, llambo_notify_fn notify, void *arg);
/* Up to max bytes of text not taken before into buf (*n of them); returns the state. FAILED sets llambo_last_error(). */
LLAMBO_API int  llambo_gen_take(llambo_gen *g, char *buf, size_t max, size_t *n);
LLAMBO_API void llambo_gen_wait(llambo_gen *g);	/* until there is text to take or the generation has ended */
LLAMBO_API void llambo_gen_cancel(llambo_gen *g);	/* it ends at the next step, as LLAMBO_STOP_CANCEL */
LLAMBO_API void llambo_gen_stats(llambo_gen *g, llambo_stats *st);	/* so far */
LLAMBO_API void llambo_gen_free(llambo_gen *g);	/* cancels it if it still runs; g is gone */

/*
 * The element types of the KV cache of models loaded from now on, by llama.cpp's
 * names (its -ctk and -ctv): "f16" (the default), "f32", "bf16", "q8_0", "q4_0",
 * "q4_1", "iq4_nl", "q5_0", "q5_1"; NULL leaves one as it is.  A block type needs
 * head sizes that are whole blocks (32): loading a model whose heads are not fails.
 * 0, or -1 for an unknown name.
 */
LLAMBO_API int llambo_set_kv_types(const char *type_k, const char *type_v);

/*
 * The KV cache budget of a model's scheduler in bytes (0: the default, from the model and the machine's
 * memory; less than a page of the model's is refused).  Id -1 sets the default of every model that has
 * no budget of its own yet (0: back to the machine's), at least a page each.
 */
LLAMBO_API int llambo_set_kv_budget(int id, long long bytes);

/* Tokens. */
LLAMBO_API int llambo_tokenize_ex(int id, const char *text, size_t len, int add_special, int parse_special, int32_t **tokens);
LLAMBO_API int llambo_token_to_piece(int id, int32_t token, char *buf, int size);	/* bytes, or -needed */
LLAMBO_API int llambo_n_vocab(int id);

/* A context: one sequence with its own KV cache, for tools that need logits. */
typedef struct llambo_ctx llambo_ctx;
LLAMBO_API llambo_ctx *llambo_ctx_new(int id, int n_ctx, int n_threads);
LLAMBO_API void llambo_ctx_free(llambo_ctx *c);
LLAMBO_API void llambo_ctx_reset(llambo_ctx *c);	/* forget every position */
LLAMBO_API int llambo_ctx_rewind(llambo_ctx *c, int pos);	/* forget the positions from pos on (pos <= llambo_ctx_pos); 0, or -1 */
/* Feed n tokens at the next positions; logits: NULL, or room for n rows (all) or 1 row (last only). */
enum { LLAMBO_LOGITS_NONE, LLAMBO_LOGITS_LAST, LLAMBO_LOGITS_ALL };
LLAMBO_API int llambo_ctx_eval(llambo_ctx *c, const int32_t *tokens, int n, int which, float *logits);
LLAMBO_API int llambo_ctx_pos(const llambo_ctx *c);
/* 1 = dequantize weights and compute in float (the reference path); 0 = llama.cpp's quantized-activation kernels */
LLAMBO_API void llambo_ctx_set_exact(llambo_ctx *c, int exact);
/* The context's KV cache in other types (as llambo_set_kv_types; NULL: the model's), while it holds no position. */
LLAMBO_API int llambo_ctx_set_kv_types(llambo_ctx *c, const char *type_k, const char *type_v);

/*
 * Chat: a conversation in a model's chat format, byte for byte as llama.cpp's
 * llama_chat_apply_template renders it with its built-in templates (chatml,
 * llama3, gemma, phi3, mistral-v7, ...; llambo_chat_builtin_templates lists them).
 * tmpl is a built-in name, or a template text (Jinja) recognised by its marks
 * as llama.cpp does; an unrecognised one fails with a reason that says so.
 */
typedef struct llambo_chat_msg {
	const char *role;	/* "system", "user", "assistant", or another the format knows */
	const char *content;
} llambo_chat_msg;

/* tmpl NULL: chatml.  add_assistant: end with the assistant's prompt.  The text, or NULL. */
LLAMBO_API char *llambo_chat_apply(const char *tmpl, const llambo_chat_msg *msgs, int n, int add_assistant);
/* With model id's template (tokenizer.chat_template; chatml when it has none) unless tmpl is given. */
LLAMBO_API char *llambo_chat_render(int id, const char *tmpl, const llambo_chat_msg *msgs, int n, int add_assistant);
LLAMBO_API int llambo_chat_builtin_templates(const char **names, int max);	/* how many; the first max names */
/*
 * A reply to the conversation: rendered as llambo_chat_render does, with the assistant's
 * prompt, then generated as llambo_generate does (the special tokens' texts in the
 * rendering read as those tokens; the reply keeps its first piece's leading space).
 */
LLAMBO_API char *llambo_chat(int id, const char *tmpl, const llambo_chat_msg *msgs, int n, const llambo_params *p, llambo_stats *st);

/*
 * A conversation that keeps its KV cache between replies: a sequence of the model's
 * scheduler that outlives each generation, so a turn evaluates only its new tokens.
 *
 *	s = llambo_chat_open(id, NULL, 0, 0);	// the model's template (or a built-in name), default context, all threads
 *	msgs = { {"system", ...}, {"user", "Hi"} };
 *	p.on_token = show;	// the reply streams through on_token; a nonzero return ends it there
 *	r = llambo_chat_reply(s, msgs, 2, &p, &st);	// the whole reply (llambo_free it), or NULL: llambo_last_error
 *	msgs += {"assistant", r}, {"user", "And then?"};
 *	r = llambo_chat_reply(s, msgs, 4, &p, &st);	// st.n_reused: tokens kept; st.n_prompt: only the new ones
 *	llambo_chat_close(s);
 *
 * Each reply is given the whole conversation, the earlier replies as they were returned;
 * it is rendered again and compared with the text behind the cache: the cached tokens
 * that the new rendering begins with are kept and the rest is evaluated, so an edited
 * history costs what changed.  A failed reply (the conversation outgrew n_ctx, say)
 * empties the cache; the next one starts afresh.  n_ctx 0: the default context (4096,
 * within the model's); n_threads 0: all (p->n_threads, when set, wins).
 * The context's pages count against the model's KV budget from the first reply until
 * the session is closed.  The session holds its model (llambo_free_model hides it; a
 * reply then fails, closing still frees everything).  One reply at a time per session;
 * sessions on one model reply at the same time, batched by its scheduler.
 */
typedef struct llambo_chat_session llambo_chat_session;
LLAMBO_API llambo_chat_session *llambo_chat_open(int id, const char *tmpl, int n_ctx, int n_threads);	/* NULL with the reason */
LLAMBO_API char *llambo_chat_reply(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const llambo_params *p, llambo_stats *st);
LLAMBO_API void llambo_chat_close(llambo_chat_session *s);
/*
 * A reply started, as llambo_gen_start starts a generation (its text through llambo_gen_take,
 * notify as there): the 9P server's sessions.  prefill (NULL: none) is the reply's beginning,
 * put after the assistant's prompt and evaluated, not generated.  The reply joins the
 * session's record when the next one starts; start no other on s before this one has ended.
 */
LLAMBO_API llambo_gen *llambo_chat_start(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill,
	const llambo_params *p, llambo_notify_fn notify, void *arg);
/* The tokens the session's cache holds (as of the last reply's end), and its context in *n_ctx. */
LLAMBO_API int llambo_chat_usage(llambo_chat_session *s, int *n_ctx);
/*
 * A session's record, to carry it to another session (the 9P server's save and restore):
 * its tokens, the length of its text after each (-1 inside a piece of the prompt), and the
 * text; export returns the count (the arrays malloc'd).  A session given a record evaluates
 * those very tokens at its next reply, so it replies as the one it came from would.
 */
LLAMBO_API int llambo_chat_export(llambo_chat_session *s, int32_t **toks, long **ends, char **text, size_t *len);
LLAMBO_API int llambo_chat_import(llambo_chat_session *s, const int32_t *toks, const long *ends, int n, const char *text, size_t len);
/*
 * The KV cache behind the record, carried with it so that the session it is given to does
 * not evaluate those tokens again.  cache_export: the cache's positions (the count; rows
 * malloc'd, pos_bytes each, NULL when none) and in fit a line of what they fit: "SIZE HASH
 * TYPE_K TYPE_V N_CTX POS_BYTES NAME", the model file's size, a hash of its header, the KV
 * types, the session's context, the bytes of a position, the file's name (512 bytes hold it).
 * cache_import, after llambo_chat_import of the record: rows (malloc'd) become the session's,
 * freed by it in every case.  1: its next reply evaluates only what follows them; 0: they are
 * for another context or KV types, and the record is evaluated; -1 with the reason: another
 * model's cache, or more positions than the record has tokens.
 */
LLAMBO_API int llambo_chat_cache_export(llambo_chat_session *s, void **rows, size_t *pos_bytes, char *fit, size_t nfit);
LLAMBO_API int llambo_chat_cache_import(llambo_chat_session *s, void *rows, int n, size_t pos_bytes, const char *fit);
/* The bytes of KV cache a session of n_ctx tokens (0: the default) on model id holds while it is open; -1 with the reason. */
LLAMBO_API long long llambo_chat_kv_bytes(int id, int n_ctx);
/* The tokens the conversation's prompt takes, all of it (what the cache holds counted too); its context in *n_ctx. */
LLAMBO_API int llambo_chat_count(llambo_chat_session *s, const llambo_chat_msg *msgs, int n, const char *prefill, int *n_ctx);

/* What the 9P server's status file shows. */
typedef struct llambo_status {
	int state;	/* LLAMBO_EMPTY, LLAMBO_LOADING, LLAMBO_READY */
	int generations;	/* running now */
	long long tokens_generated;	/* since load */
	double last_tok_per_s;	/* of the last finished generation */
	char path[1024];
	int queued;	/* generations waiting for KV cache */
	int max_queued;	/* the queue's bound */
	long long kv_used, kv_budget;	/* bytes of KV cache reserved by running generations and open chat sessions; the budget */
	long long steps;	/* batches evaluated since load (with tokens_generated: how many sequences a batch served) */
	char kv_type_k[8], kv_type_v[8];	/* the KV cache's element types ("f16"; "" until loaded) */
} llambo_status;
enum { LLAMBO_EMPTY, LLAMBO_LOADING, LLAMBO_READY };
LLAMBO_API int llambo_model_status(int id, llambo_status *st);	/* 0, or -1 if no such id */
LLAMBO_API int llambo_list_models(int *ids, int max);	/* ids in use (any state), ascending; count */

#ifdef __cplusplus
}
#endif
#endif
