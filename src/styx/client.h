/*
 * client.h - a small synchronous 9P2000 client: what the tests and the
 * llambo-9p command use to talk to a server over a real socket, as a remote
 * client would.  One StyxClient is one connection, used by one thread.
 *
 * Errors (an Rerror's text, or what went wrong locally) are left in lb_err.
 */
#ifndef STYX_CLIENT_H
#define STYX_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "fcall.h"

typedef struct StyxClient {
	int fd;	/* a socket, or the read end of a pipe */
	int wfd;	/* fd, or the write end of a pipe */
	uint32_t msize;
	uint8_t *rbuf;	/* the last message received */
	uint32_t rsize;	/* room in rbuf */
	uint32_t root;	/* the attached fid */
	uint32_t nextfid;
	uint16_t nexttag;
} StyxClient;

/* A client on a connected socket, or on a pair of pipes (rfd, wfd); nothing is sent. */
StyxClient *styxc_new(int fd);
StyxClient *styxc_new2(int rfd, int wfd);
/* Dials addr (tcp!HOST!PORT, unix!PATH), negotiates 9P2000 and attaches. */
StyxClient *styxc_dial(const char *addr);
void styxc_close(StyxClient *c);
/* Seconds a receive may wait before it fails (0: forever). */
void styxc_timeout(StyxClient *c, int seconds);

/* Tversion; the version the server answered is copied to got. */
int styxc_version(StyxClient *c, uint32_t msize, const char *version, char *got, size_t ngot);
int styxc_attach(StyxClient *c, const char *uname);
int styxc_attach_name(StyxClient *c, const char *uname, const char *aname);	/* the walks after it start at its root */

/* The raw exchange: send packs t as it is; recv's r points into c->rbuf until the next recv. */
int styxc_send(StyxClient *c, StyxFcall *t);
int styxc_sendraw(StyxClient *c, const void *buf, size_t n);
int styxc_recv(StyxClient *c, StyxFcall *r);
/* t with a fresh tag, then its reply: 0, or -1 (an Rerror's text in lb_err). */
int styxc_rpc(StyxClient *c, StyxFcall *t, StyxFcall *r);
uint16_t styxc_tag(StyxClient *c);
uint32_t styxc_fid(StyxClient *c);

/* Files by path from the root: a new fid walked there (and opened), or -1. */
int styxc_walk(StyxClient *c, const char *path);
int styxc_open(StyxClient *c, const char *path, int mode);
long styxc_read(StyxClient *c, int fid, uint64_t offset, void *buf, size_t n);
long styxc_write(StyxClient *c, int fid, uint64_t offset, const void *buf, size_t n);
int styxc_clunk(StyxClient *c, int fid);
/* Everything from offset 0 to the end, NUL-terminated (malloc'd), or NULL. */
char *styxc_readall(StyxClient *c, int fid, size_t *n);
/* The stat entry of fid into d; d's strings point into buf. */
int styxc_stat(StyxClient *c, int fid, StyxDir *d, uint8_t *buf, size_t nbuf);

#endif
