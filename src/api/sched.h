/*
 * sched.h - the scheduler of one model (sched.c) and the generations it runs
 * (generate.c); the public side is llambo_gen_* in llambo.h.
 *
 * One thread per model owns its sequences: at every step it takes the next
 * token of every running generation and chunks of the prompts in progress,
 * evaluates them as one batch (src/model/batch.h), and hands each generation
 * its logits.  Generations are admitted in order of arrival while the KV
 * budget holds the pages they may need (prompt + max_tokens, within their
 * context); the others wait in a bounded queue.  The scheduler never waits
 * for a caller: text goes into each generation's buffer, and callers are
 * told through a condition variable and a notify function that must not block.
 *
 * Locks: Sched.lk, then llambo_gen.lk.  The model outlives its scheduler's
 * work: when the registry lets the model go, the scheduler's thread finishes
 * what is cancelled and frees both (a caller may drop the last reference
 * anywhere, even inside a notify on the scheduler's own thread).
 */
#ifndef LB_SCHED_H
#define LB_SCHED_H

#include <pthread.h>
#include <stdatomic.h>

#include "../model/kv.h"
#include "../sample/sample.h"
#include "../vocab/vocab.h"
#include "llambo.h"

enum { SCHED_DEFAULT_CTX = 4096 };	/* a generation's context unless it asks (llambo_params.n_ctx) */

typedef struct Sched Sched;

/*
 * A sequence in the scheduler's pool: its pages and the pages promised to it.
 * A generation owns one; sessions (later) will keep one between generations.
 */
typedef struct Seq {
	KVSeq kv;
	int reserved;	/* pages counted against the budget for it */
	int counted;	/* of those, what the budget counts now (a session's sequence: also between its generations) */
	int n_ctx;	/* the longest it may grow */
	const uint8_t *load;	/* a restored session's saved cache (kv_seq_save's bytes): its first nload positions, */
	int nload;	/* copied in by the scheduler before the sequence's next rows, not evaluated */
} Seq;

struct llambo_gen {
	Sched *s;
	const Model *m;
	int id;	/* the model's id: the generation holds a reference to it */
	pthread_mutex_t lk;
	pthread_cond_t cond;	/* text to take, or the end */
	int refs;	/* the caller's and the scheduler's */
	int state;	/* LLAMBO_GEN_*, under lk */
	atomic_int cancel;
	char err[256];	/* why it failed */
	llambo_params p;	/* with its own copies of the stop strings */
	char **stops;
	llambo_notify_fn notify;
	void *arg;
	/* the scheduler's thread only */
	int32_t *prompt;	/* a session's: the whole sequence (room for seq.n_ctx), the generated tokens written in too */
	int n_prompt;
	Seq seq;
	Seq *hold;	/* a chat session's sequence: continued from its cache, given back at the end, not cleared */
	int32_t last;	/* the token to feed next */
	int fresh;	/* it has text or an end the caller has not been told of */
	Sampler *smp;
	Detok dt;
	char *piece;
	size_t maxstop;	/* longest stop string */
	double t0, tprompt, tgen;	/* when it was started, its prompt began, its prompt's logits came (0: not yet) */
	int oom;	/* its text could not grow */
	/* the text, under lk: all made, what may be shown (never a stop string's start), what was taken */
	char *text;
	size_t len, cap, shown, taken;
	llambo_stats st;	/* under lk */
	llambo_gen *next;	/* in the scheduler's queue or running list */
};

/* sched.c */
Sched *sched_new(Model *m, int id);	/* NULL with lb_err set */
void sched_retire(Sched *s, Model *m);	/* the model is let go: the scheduler frees it and itself when idle */
int sched_submit(Sched *s, llambo_gen *g);	/* queues g; -1 with lb_err (queue full, too long for the budget) */
void sched_wake(Sched *s);	/* a cancellation: look at it now */
int sched_set_budget(Sched *s, long long bytes);
void sched_default_budget(long long bytes);	/* for models without a budget of their own (0: from the machine) */
void sched_status(Sched *s, llambo_status *st);
int sched_max_ctx(const Sched *s);	/* the longest sequence it can hold */
const Model *sched_model(const Sched *s);
const KVPool *sched_kv(const Sched *s);	/* its pool: the layout of its pages */

/* generate.c: for the chat calls (src/api/chat.c, session.c) */
/* A prompt's tokens (malloc'd), as p's add_bos and parse_special say: add_bos 1 puts BOS first even where the vocabulary would not. */
int lgen_tokens(const Model *m, const char *prompt, const llambo_params *p, int32_t **toks);
/*
 * Starts a generation of toks[0..n).  hold NULL: a sequence of its own (toks are taken over);
 * else a session's sequence, whose first hold->kv.len tokens are in its cache already (toks are
 * the session's, with room for hold->n_ctx).  strip: the first piece loses its leading space.
 */
llambo_gen *lgen_start(int id, int32_t *toks, int n, const llambo_params *p, Seq *hold, int strip, llambo_notify_fn notify, void *arg);
/* *pin, or the defaults when it is NULL; st (if not NULL) cleared. */
llambo_params lgen_params(const llambo_params *pin, llambo_stats *st);
/* Waits for g's text, giving it to p->on_token as it comes; the whole text, or NULL.  Frees g. */
char *lgen_collect(llambo_gen *g, const llambo_params *p, llambo_stats *st);
/* Gives a session's sequence back: its pages to the pool, its reservation to the budget. */
int lgen_release(int id, Seq *seq);

/* generate.c: a token's logits for g, on the scheduler's thread; 1 when g has ended (g->st.stop_reason set). */
int lgen_token(llambo_gen *g, float *logits);
/* g's end, on the scheduler's thread: its state (failed with why, if not NULL) and a last word to the caller. */
void lgen_end(llambo_gen *g, const char *why);
void lgen_tell(llambo_gen *g);	/* wakes the caller if there is something new */
void lgen_unref(llambo_gen *g);

#endif
