/*
 * impl.h - the server's internals: connections, requests, fids, the tree's
 * nodes, generations, and the model table that gives qids their uniqueness.
 *
 * One owner per concern, and calls go down this list: proto.c (the messages,
 * fids, a connection's end), file.c (what each file does; ctl.c the ctl and
 * clone files, tree.c the names), data.c (the data and status files, a
 * connection's latest request per model), gen.c (a generation on its model's
 * scheduler and the reads waiting on it), conn.c and send.c (a connection's
 * requests, its reader and its writer), srv.c (the model table and the
 * server's counts).  Two calls go up: the reader hands each message to
 * proto_dispatch, and conn.c takes a waiting read back from its generation
 * (gen_unwait, gen_unref) when Tflush or Tversion drops it.
 *
 * Locks, always taken in this order: Conn.lk, then Gen.lk, then StyxSrv.lk.
 * No thread but a connection's writer (send.c) waits for its client.
 * Fids and the "latest generation" list of a connection are touched only by
 * its reader thread, so they need no lock.
 */
#ifndef STYX_IMPL_H
#define STYX_IMPL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "fcall.h"
#include "srv.h"
#include "../../include/llambo.h"

typedef struct Conn Conn;
typedef struct Req Req;
typedef struct Fid Fid;
typedef struct Gen Gen;
typedef struct Latest Latest;
typedef struct Out Out;
typedef struct Sess Sess;

enum { SENDQ = 96 };	/* replies queued for a client before its reader stops reading */

/*
 * Files of the tree.  A node is a kind plus, below models/, a model, or,
 * below sessions/, a session (its serial).  The kinds from Qask on are a
 * session's files, in the order its directory lists them.
 */
enum {
	Qroot, Qctl, Qclone, Qmodels, Qsessions, Qmodel, Qdata, Qinfo, Qstatus,
	Qnew, Qlist, Qsess,
	Qask, Qstream, Qsmodel, Qtemp, Qsystem, Qthinking, Qprefill, Qtools, Qcontext,
	Qcompact, Qsctl, Qusage, Qmaxtok, Qreasoning, Qhistory, Qoptions,
	Qmax
};
#define INMODEL(k) ((k) >= Qmodel && (k) <= Qstatus)
#define INSESS(k) ((k) >= Qsess)

typedef struct Node {
	int kind;
	int id;	/* model id, below models/ */
	uint32_t serial;	/* which load of that id (ids are reused; serials never), or which session */
	int llm;	/* below the root of an attach to "llm": sessions/ is its root */
} Node;

/* The server's view of a model id: the serial that makes its qids unique. */
typedef struct Model {
	int id;
	uint32_t serial;
	int sessions;	/* connections that have made a request on it */
	int running;	/* its generations in state Grunning (srv_run, srv_ran, with Gen.lk held) */
	uint32_t events;	/* bumped when its status changes: the status qid's version */
	int clone_open;	/* reserved by an open of clone that is still open */
	int loading;	/* a load into it is running */
	long lastuse;	/* when a generation last started on it, in StyxSrv.uses */
} Model;

struct StyxSrv {
	StyxConfig cfg;
	char *dirs[STYX_MAXDIRS];	/* the -m directories, resolved */
	pthread_mutex_t lk;
	pthread_cond_t cond;	/* threads ending, generation slots freeing */
	int nthreads;
	int waiters;	/* in styx_srv_wait: styx_srv_free waits for them to leave */
	Conn *conns;
	int nconns, nfids, npending, ngens;
	int nreplies;	/* queued, not yet written */
	size_t nbytes;
	int running;	/* generations on a scheduler, all models (srv_run, srv_ran) */
	int loads;
	int reserved;	/* ids held by open clone fids, all connections */
	uint32_t nextserial;
	Model *models;
	int nmodels, amodels;
	int wake[2];	/* a pipe: its write end closes when the server stops, waking every reader */
	int lfd[4];	/* listeners */
	int nlfd;
	int port;
	char *unixpaths[4];	/* sockets to unlink at the end */
	int stopping;
	time_t start;	/* the times in stat entries */
	Sess *sessions;	/* the conversations (sess.c), under lk */
	int nsessions;
	long uses;	/* generations started: the clock of Model.lastuse */
	pthread_mutex_t autolk;	/* loads on first use, one at a time */
};

enum { Rinline, Rread, Rwork };	/* Req.kind */

struct Req {
	uint16_t tag;
	uint8_t type;
	int kind;
	int dropped;	/* the connection went away or was reset: answer nothing */
	uint16_t *flushes;	/* tags of Tflushes answered after this request */
	int nflushes;
	Req *next;	/* in Conn.reqs */
	/* a read waiting for generated text */
	Gen *gen;
	Conn *conn;	/* whose it is (a session's turn has readers on any connection); held while it waits */
	int whole;	/* answered only at the end (a session's ask) */
	uint32_t fid;
	uint64_t offset;
	uint32_t count;
	Req *nextwait;
	uint8_t *msg;	/* the answer built for it under Gen.lk (Rread or Rerror); NULL: out of memory */
	size_t nmsg;
};

struct Fid {
	uint32_t fid;
	Node node;
	int open;
	uint8_t mode;
	uint64_t diroff;	/* directory reads: where the next one must start */
	int dirindex;
	char *text;	/* ctl, clone, info, status: what this open reads */
	size_t ntext;
	char *req;	/* data: the request written on this open, not yet started */
	size_t nreq;
	Gen *gen;	/* data: the generation this open reads */
	int clone_id;	/* clone: the id reserved by this open, or -1 */
	uint32_t clone_serial;
	Fid *next;
};

/* The latest request of a connection on a model: what a plain read of data gets. */
struct Latest {
	int id;
	uint32_t serial;
	Gen *gen;
	Latest *next;
};

struct Conn {
	StyxSrv *srv;
	int rfd, wfd;
	int sock;	/* rfd is a socket (shutdown works on it) */
	int num;	/* for the trace */
	pthread_mutex_t lk;
	pthread_cond_t wcond;	/* the queue changed, or the reader ended */
	Out *outq, **outtail;	/* replies for the writer (send.c), under lk */
	int nout;
	size_t outbytes;
	int ref;
	int dead;	/* the reader has ended */
	int broken;	/* a write failed: write no more (under lk) */
	uint32_t msize;	/* 0 until Tversion; the reader thread's alone */
	int attached;	/* a Tattach succeeded since the last Tversion (reader thread) */
	long born;	/* when the connection or its last Tversion began, ms (reader thread) */
	Req *reqs;
	int nreqs;
	Fid *fids;
	int nfids;
	Latest *latest;
	int nclones;	/* ids reserved by its opens of clone */
	int nsessions;	/* sessions it made and that are still open (under StyxSrv.lk) */
	int ngens;	/* generations it holds (under lk) */
	size_t reqbytes;	/* requests written and not yet started */
	uint8_t *rbuf;
	Conn *next;
};

enum { Gqueued, Grunning, Gdone, Gfailed };	/* Gen.state */
enum { Cnone, Cflushed, Creplaced, Cgone, Cfreed };	/* Gen.cancel */

struct Gen {
	pthread_mutex_t lk;
	int ref;
	Conn *conn;
	int id;
	uint32_t serial;
	llambo_request *req;	/* what was written, read by the one grammar */
	char *out;
	size_t nout, aout;
	int ntok;
	int state;
	int cancel;
	char err[160];
	Req *waiters;
	int readers;	/* open fids reading it */
	int held;	/* it holds its model (llambo_model_hold) until it starts (then the generation holds it) */
	llambo_gen *lg;	/* on the model's scheduler, from gen_start to the end */
	int lstate;	/* what the scheduler last said: LLAMBO_GEN_* */
	int full;	/* max_output reached: it was stopped there */
	int nprompt, nprompted;	/* its prompt's tokens, and those evaluated */
	int nreused;	/* a session's turn: the tokens its cache held already (not in nprompt) */
	Sess *sess;	/* a session's turn: the session starts it and records its reply */
};

/*
 * A conversation (sess.c): its settings, its messages and the engine's
 * session that keeps their KV cache.  Reachable from any connection by its
 * name; lives until ctl's close (or the server's end).  Locks: Sess.lk comes
 * before Conn.lk and Gen.lk; the table (and ref, creator) is under StyxSrv.lk.
 */
struct Sess {
	pthread_mutex_t lk;
	int ref;	/* the table's, a running turn's, a lookup's */
	char name[33];	/* 128 random bits in hex */
	uint32_t serial;
	Conn *creator;	/* counted against its limit; NULL once it is gone */
	StyxSrv *srv;
	Sess *next;
	/* under lk */
	int closed;
	int id;	/* its model: an id and the load (serial) it was bound to; -1 none */
	uint32_t mserial;
	char *model;	/* the model as it was named */
	llambo_request *set;	/* temperature, max_tokens and the other options */
	char *opts;	/* the options as written (key=value|...), for save */
	char *system, *prefill, *tools;
	char thinking[16], reasoning[16];	/* kept and shown: a local model has no use for them */
	char *pending;	/* written to ask, not yet started */
	size_t npending;
	llambo_chat_msg *msgs;
	int nmsgs, amsgs;
	size_t histbytes;
	int dropped;	/* messages dropped from the front so the conversation fits its context */
	int cached, n_ctx;	/* tokens the cache held after the last turn, and its context */
	int kept, evaluated, generated;	/* the last turn's tokens: found in the cache, evaluated, made */
	long lastturn;	/* when a turn last began or ended, ms (conn_now): for -I */
	unsigned long used;	/* the LRU's order: bumped with lastturn (a turn of a small model takes less than a ms) */
	llambo_chat_session *cs;
	Gen *turn;	/* the latest: what ask and stream read */
	int compacting;	/* a summary is being made (sesscompact.c): it counts as a turn */
	int autocompact;	/* a turn that leaves this many tokens or more in the cache is followed by a summary; 0: never */
	Gen *parked;	/* a turn begun while the summary is made (held): it runs after it */
	int epoch;	/* bumped when the messages are reset or restored */
};

/* conn.c */
Conn *conn_new(StyxSrv *s, int rfd, int wfd, int sock);
void conn_trace(Conn *c, const char *dir, const uint8_t *msg, size_t n);
void conn_unref(Conn *c);
void conn_forget(StyxSrv *s, Conn *c);
void *conn_reader(void *arg);
/* Answers r with f (tag set here), or with a packed message (taken); frees r. */
void conn_reply(Conn *c, Req *r, StyxFcall *f);
void conn_reply_msg(Conn *c, Req *r, uint8_t *msg, size_t n);
long conn_now(void);	/* ms on a monotonic clock */
void conn_error(Conn *c, Req *r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint8_t *conn_rerror(const char *text, size_t *n);	/* a packed Rerror; NULL if out of memory */
void conn_drop(Conn *c, Req *r);
void conn_freereq(Req *r);
void conn_abort(Conn *c, Req *keep);
Req *conn_flush(Conn *c, uint16_t oldtag, uint16_t tag);
/* A packed Rread of count bytes (data may be NULL when count is 0); NULL if out of memory. */
uint8_t *conn_rread(const void *data, uint32_t count, size_t *n);

/* send.c */
void send_queue(Conn *c, uint8_t *msg, size_t n);	/* with c->lk held: msg goes out after what is queued (taken) */
void send_flush(Conn *c, uint16_t tag);	/* with c->lk held: an Rflush, queued */
void send_wait(Conn *c);	/* the reader: waits while the client has SENDQ replies unread */
void send_end(Conn *c);	/* the reader has ended: the writer sends what is queued and ends */
void *send_main(void *arg);	/* the writer thread; holds a reference to c */

/* proto.c: the T-messages, on the reader thread. */
void proto_dispatch(Conn *c, Req *r, StyxFcall *f);
void proto_end(Conn *c);	/* the reader has ended: requests and fids dropped, generations stopped */

/* tree.c */
int tree_walk1(StyxSrv *s, const Node *from, StyxStr name, Node *to);
int tree_qid(StyxSrv *s, const Node *n, StyxQid *q);	/* -1 if the node no longer exists */
/* The stat entry of n into buf: its size, 0 if it does not fit, -1 if n is gone. */
long tree_stat(StyxSrv *s, const Node *n, uint8_t *buf, size_t max);
int tree_isdir(const Node *n);
uint32_t tree_perm(const Node *n);
int tree_child(StyxSrv *s, const Node *n, int i, Node *child);	/* child number i of n; -1 past the last */

/* file.c */
int file_open(Conn *c, Fid *f, uint8_t mode);	/* 0, or -1 with lb_err */
void file_read(Conn *c, Req *r, Fid *f, StyxFcall *t);
void file_write(Conn *c, Req *r, Fid *f, StyxFcall *t);
void file_append(Conn *c, Req *r, Fid *f, StyxFcall *t);
void file_readbuf(Conn *c, Req *r, StyxFcall *t, const char *buf, size_t n);	/* answers a read of buf[0..n) at t's offset */	/* t's data after what f->req holds, within max_request */
int file_clunk(Conn *c, Fid *f);	/* starts a written request; -1 with lb_err to report */
void file_release(Conn *c, Fid *f);	/* frees what f holds, starting nothing */

/* ctl.c */
void ctl_write(Conn *c, Req *r, Fid *f, const char *cmd, size_t n);
int ctl_words(char *s, char **argv, int max);	/* a command's words, in place; their number, or -1 if more than max */
char *ctl_listing(StyxSrv *s, size_t *n);
int ctl_path(StyxSrv *s, const char *path, char *out, size_t nout);	/* confined path, or -1 */
int clone_open(Conn *c, Fid *f);
void clone_close(Conn *c, Fid *f);

/* data.c */
int data_start(Conn *c, Fid *f, int clunking);	/* starts f's written request; -1 with lb_err */
void data_read(Conn *c, Req *r, Fid *f, StyxFcall *t);
void data_gone(Conn *c);
void data_attach(Fid *f, Gen *g);
void data_detach(Fid *f);
Gen *data_latest(Conn *c, int id, uint32_t serial);
char *data_status(Conn *c, const Node *n, size_t *len);

/* gen.c */
Gen *gen_new(Conn *c, int id, uint32_t serial);
int gen_hold(Gen *g);	/* holds the model its node named, if still that load and ready; -1 with lb_err */
int gen_start(Gen *g);	/* hands it to its model's scheduler; -1 with lb_err (server busy, queue full) */
void gen_cancel(Gen *g, int why);
void gen_flushed(Gen *g, int reading);	/* a read taken back from g by Tflush; drops its reference */
void gen_ref(Gen *g);
void gen_unref(Gen *g);
/* Answers r now if it can (text, or the end); else parks it and returns 1. */
int gen_read(Gen *g, Conn *c, Req *r);
int gen_unwait(Gen *g, Req *r);	/* 1 if r was parked and is taken back */
void gen_fail(Gen *g, const char *why);	/* a request that never ran: reads report why; lets go of the model */
void gen_describe(Gen *g, char *buf, size_t n);	/* with g->lk held */

/* byname.c */
int byname_path(StyxSrv *s, const char *name, char *out, size_t nout);	/* the file name names in the -m directories; -1 with lb_err */
int byname_loaded(const char *name);	/* a loaded model's id by number, path or file name; -1 */
int byname_load(StyxSrv *s, const char *name, int load);	/* loaded, or (load) loaded now under -O; its id, or -1 with lb_err */
int byname_room(StyxSrv *s, const char *path);
char *byname_list(StyxSrv *s, size_t *n);	/* sessions/models */	/* unloads idle models until path fits the budget (-B); -1 with lb_err */

/* sess.c, sessturn.c, sesstext.c, sesscache.c */
Sess *sess_new(Conn *c);	/* a new session (its ref for the caller), or NULL with lb_err */
Sess *sess_get(StyxSrv *s, uint32_t serial);	/* held; NULL if closed */
Sess *sess_byname(StyxSrv *s, StyxStr name);	/* held; NULL if none */
void sess_put(Sess *ss);
void sess_close(StyxSrv *s, Sess *ss);	/* with ss->lk held: out of the table, its turn cancelled */
void sess_gone(Conn *c);	/* the connection ended: its sessions stay, uncounted */
void sess_freeall(StyxSrv *s);
void sess_model_freed(StyxSrv *s, int id);	/* its sessions let go of it */
void sess_touch(Sess *ss);	/* sesscache.c, with ss->lk held: a turn began or ended now */
void sess_reclaim(StyxSrv *s, Sess *ss);	/* no lock held: caches idle past -I given back; room in the KV budget for ss's turn */
int sess_bind(StyxSrv *s, Sess *ss, const char *name);	/* with ss->lk held: its model by id or name (loaded); -1 with lb_err */
int sess_rebind(StyxSrv *s, Sess *ss, const char *name);	/* sess_bind, in a turn too: the turn's own model loaded (-O) */
char *sess_wants(Sess *ss);	/* with ss->lk held: the name of the model a turn needs loaded (malloc'd), or NULL */
int sess_turn(Conn *c, Sess *ss);	/* with ss->lk held: starts what ask holds; -1 with lb_err */
llambo_gen *sess_launch(Gen *g, llambo_notify_fn notify);	/* gen_start's, for a turn, with the locks held */
void sess_ended(Gen *g);	/* the turn's end, on the scheduler's thread, no lock held */
char *sess_json(Sess *ss, size_t *n);	/* with ss->lk held: the context file */
char *sess_text(Sess *ss, size_t *n);	/* with ss->lk held: the history file */
void sess_compact(Conn *c, Req *r, Sess *ss, uint32_t count);	/* sesscompact.c: a write to compact, answered now or by a thread */
void sess_autocompact(Sess *ss);	/* sesscompact.c, with ss->lk held, after a turn: the summary when the cache passed the mark */
int sess_setautocompact(Sess *ss, const char *v);	/* ctl's autocompact N; -1 with lb_err */
void sess_resume(Sess *ss, Gen *g, int rc, const char *why);	/* sessload.c, with ss->lk held: a turn that waited goes on, or fails with why */
void sess_dropmsgs(Sess *ss, int from, int n);	/* with ss->lk held: forgets messages [from, from+n) */
void sess_runturn(Sess *ss, Gen *g);	/* with ss->lk held: the turn g (the session's, its message added) started, or failed with why */
void sess_loadturn(Sess *ss, Gen *g, char *want);	/* sessload.c, with ss->lk held: g runs once the model want (taken) is loaded */
int sess_loadwrite(Conn *c, Req *r, Sess *ss, int kind, const StyxFcall *t, char *want);	/* no lock: r answered once want (taken) is loaded; -1 with lb_err */
void sess_reset(Sess *ss);	/* with ss->lk held: the messages go, the settings stay */
int sess_uncache(Sess *ss);	/* with ss->lk held: its KV cache given back (rebuilt from the messages at the next turn) */
int sess_running(Sess *ss);	/* with ss->lk held: 1 while its turn runs or a summary is made */
void sess_dropturn(Sess *ss);	/* with ss->lk held: its turn cancelled and let go of */
char *sess_trim(char *p);	/* p without the white space around it, in place */
int sess_number(Sess *ss, int kind, const char *v);	/* with ss->lk held: temperature or maxtokens from text; -1 with lb_err */
int sess_keepopts(Sess *ss, const char *v);	/* with ss->lk held: options written, kept for save */
int sess_addmsg(Sess *ss, const char *role, char *content);	/* with ss->lk held: a message at the end (content taken) */
int sess_save(StyxSrv *s, Sess *ss, const char *name);	/* sesssave.c, with ss->lk held */
int sess_restore(StyxSrv *s, Sess *ss, const char *name);	/* with ss->lk held */
char *sess_saved_model(StyxSrv *s, const char *name);	/* the model a saved session names (malloc'd), or NULL */
int sess_put_text(char **o, size_t *n, size_t *a, const char *s);	/* appends s to the growing *o (length *n, room *a) */

/* sessfile.c */
int sfile_open(Conn *c, Fid *f, uint8_t mode);
void sfile_read(Conn *c, Req *r, Fid *f, StyxFcall *t);
void sfile_write(Conn *c, Req *r, Fid *f, StyxFcall *t);
int sfile_clunk(Conn *c, Fid *f);
int sfile_set(Conn *c, Sess *ss, int kind, const StyxFcall *t);	/* with ss->lk held: a write to one of the files a write sets */
const char *sfile_name(int kind);
uint32_t sfile_perm(int kind);

/* srv.c */
Model *srv_model(StyxSrv *s, int id);	/* with s->lk held; makes an entry for a library id it has not seen */
Model *srv_find(StyxSrv *s, int id);	/* with s->lk held; the entry as it is */
uint32_t srv_serial(StyxSrv *s, int id);	/* 0 if the id is not a model now */
int srv_reserve(StyxSrv *s, uint32_t *serial);	/* a fresh id with its entry; -1 with lb_err */
void srv_forget(StyxSrv *s, int id);
void srv_bump(StyxSrv *s, int id);
void srv_touch(StyxSrv *s, int id);	/* a generation starts on it: the budget unloads it last */
void srv_session(StyxSrv *s, int id, uint32_t serial, int delta);
/* A generation on the model starts (within the server's limit; -1 with lb_err if busy), or has ended. */
int srv_run(StyxSrv *s, int id, uint32_t serial);
void srv_ran(StyxSrv *s, int id, uint32_t serial);
/* Its generations running and its sessions, read together. */
void srv_counts(StyxSrv *s, int id, int *running, int *sessions);
int srv_loading(StyxSrv *s, int id);
int srv_thread(StyxSrv *s, void *(*fn)(void *), void *arg, size_t stack);
void srv_thread_done(StyxSrv *s);
void srv_account(StyxSrv *s, int *counter, long delta);
void srv_bytes(StyxSrv *s, long delta);
char *srv_smprint(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
