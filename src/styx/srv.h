/*
 * srv.h - llambo's 9P2000 file server: what the server program and the tests
 * call.  The tree and its semantics are DESIGN.md section 2.
 *
 * A server owns its listeners and connections.  Each connection has a reader
 * thread; loads and generations run in threads of their own, so nothing a
 * client does waits for another client's work.
 */
#ifndef STYX_SRV_H
#define STYX_SRV_H

#include <stddef.h>
#include <stdint.h>

/* Every resource a client can make the server hold is bounded by one of these. */
typedef struct StyxLimits {
	int max_conns;	/* connections at once */
	int max_fids;	/* fids per connection */
	int max_pending;	/* outstanding (blocked) requests per connection */
	uint32_t max_msize;	/* largest msize granted (128 KiB + 24) */
	size_t max_request;	/* bytes written to data and not yet started, per connection */
	size_t max_output;	/* bytes of text kept per generation */
	int max_tokens;	/* largest max_tokens a request may ask */
	int max_running;	/* generations in progress at once, all models (each model's scheduler batches its own) */
	int max_loads;	/* loads in progress */
	int max_models;	/* models loaded or loading, for loads from clients */
	int max_gens;	/* generations one connection may hold (running or kept for reading) */
	int max_clones;	/* ids one connection may hold reserved through clone */
	int max_reserved;	/* ids all connections together may hold reserved through clone */
	int gen_threads;	/* llambo_params.n_threads of each generation (0: the library's choice) */
	int write_timeout;	/* seconds a reply may wait for a client that does not read; then the connection is dropped */
	long long kv_budget;	/* bytes of KV cache each model loaded gets (0: the library's default); past it requests queue */
	int handshake_timeout;	/* seconds a socket has to finish Tversion and Tattach, and a begun message to keep arriving */
	int max_sessions;	/* conversations open at once (sessions/new) */
	int max_conn_sessions;	/* of those, made by one connection that is still there */
	size_t max_history;	/* bytes of messages one conversation keeps */
	int session_ctx;	/* tokens of context (KV cache) a conversation keeps (0: 4096, within the model's) */
	int idle_reclaim;	/* seconds a session may sit idle before its KV cache is given back (0: never; it is under KV budget pressure) */
	long long model_budget;	/* bytes of model files loaded at once (0: no budget); past it the least recently used idle one is unloaded */
} StyxLimits;

enum { STYX_MAXDIRS = 16 };

typedef struct StyxConfig {
	StyxLimits lim;
	int readonly;	/* refuse load and free from clients */
	int anypath;	/* allow any model path even on a wide address */
	int trace;	/* -D: every message to stderr */
	int autoload;	/* -O: a session's model file loads a model named from the -m directories on first use */
	int ndirs;
	const char *dirs[STYX_MAXDIRS];	/* -m: the directories models may be loaded from */
} StyxConfig;

/* What a server holds now (for tests and status). */
typedef struct StyxCounts {
	int conns, fids, pending, gens, threads;
	int replies;	/* queued for clients, not yet written */
	size_t bytes;	/* request and generation text held */
} StyxCounts;

typedef struct StyxSrv StyxSrv;

void styx_default_config(StyxConfig *c);
/* A server; NULL with lb_err set if a -m directory cannot be resolved. */
StyxSrv *styx_srv_new(const StyxConfig *c);
/*
 * Listens on a dial string (tcp!*!9999, tcp!HOST!PORT, unix!/path) and accepts
 * in a thread of its own.  Refuses a wide (non-loopback) address unless model
 * directories or anypath were given.  0, or -1 with lb_err set.
 */
int styx_srv_listen(StyxSrv *s, const char *addr);
/* The TCP port of the last listen (useful with port 0), or -1. */
int styx_srv_port(StyxSrv *s);
/* Serves one connection on the given descriptors (a socket, or stdin/stdout). */
int styx_srv_serve(StyxSrv *s, int rfd, int wfd);
/* Loads a model as "load PATH" on ctl would (for -l); its id, or -1 with lb_err. */
int styx_srv_load(StyxSrv *s, const char *path, int use_mmap, int n_gpu_layers);
/* Waits until no connection is left, or styx_srv_free begins (the -i mode). */
void styx_srv_wait(StyxSrv *s);
void styx_srv_counts(StyxSrv *s, StyxCounts *c);
/* Stops listening, closes every connection, waits for every thread, frees. */
void styx_srv_free(StyxSrv *s);

#endif
