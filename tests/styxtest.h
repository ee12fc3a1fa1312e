/*
 * styxtest.h - what the 9P server tests share: an in-process server on a real
 * socket (loopback, an ephemeral port) and client conveniences over
 * src/styx/client.h, so every test talks to the server as a remote client.
 */
#ifndef LB_STYXTEST_H
#define LB_STYXTEST_H

#include <stddef.h>

#include "../src/styx/client.h"
#include "../src/styx/srv.h"

/* The group's server (st_setup starts it on loopback, st_teardown frees it) and its address. */
extern StyxSrv *st_srv;
extern char st_addr[64];
int st_setup(void **state);
int st_teardown(void **state);

/*
 * The absolute path of a test model: the shared file name (models/NAME), or,
 * where ../shared is absent, a synthetic model of like shape written once to
 * a temporary file.  0, or -1 if neither can be had.
 */
int st_model(const char *name, char *path, size_t n);

/* A server on tcp!127.0.0.1!0 (cfg NULL: the defaults); its dial string in addr. */
StyxSrv *st_server(const StyxConfig *cfg, char *addr, size_t n);
/* A connected, attached client with a 60 s receive timeout; fails the test if it cannot. */
StyxClient *st_dial(const char *addr);
/* open, read to the end, clunk: the text (malloc'd), or NULL with lb_err set. */
char *st_cat(StyxClient *c, const char *path);
/* open for writing with OTRUNC (what a shell's > does), write, clunk: 0, or -1 with lb_err. */
int st_echo(StyxClient *c, const char *path, const char *text);
/* "load PATH" through ctl; the model's id from ctl's listing, or -1. */
int st_load(StyxClient *c, const char *path);
/* The id of the model loaded last from path, from ctl's listing, or -1. */
int st_find(StyxClient *c, const char *path);
/* "free ID" through ctl; fails the test if refused. */
void st_free(StyxClient *c, int id);
/* Reads ctl: fails the test unless the server answers c. */
void st_serves(StyxClient *c);
/* The text the C API generates for prompt, greedy: what a 9P reader must get (malloc'd). */
char *st_reference(int id, const char *prompt, int max_tokens);
/* Loads the test model name (st_model; the test skipped if there is none) through c: its id, and its data file's path. */
int st_loadtest(StyxClient *c, const char *name, char *data, size_t n);
/* The number after key in text ("generations 1" of status), or -1. */
int st_field(const char *text, const char *key);
/* echo "prompt|n|0" > data; cat data on c: fails the test unless the text is what the C API generates. */
void st_checkgen(StyxClient *c, const char *data, int id, const char *prompt, int n);
/* Waits up to seconds for the server's counts to come back to base; 0 when they do. */
int st_settle(StyxSrv *s, const StyxCounts *base, int seconds);
/* Waits until nothing runs and the counts hold still; they become the base for st_settle. */
void st_quiet(StyxSrv *s, StyxCounts *base);
/* Sends t and expects a reply of type want: 0, or -1 (the Rerror's text in lb_err). */
int st_expect(StyxClient *c, StyxFcall *t, int want);

#endif
