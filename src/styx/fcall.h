/*
 * fcall.h - 9P2000 (Styx) messages: the structures and a strictly
 * bounds-checked codec, as Plan 9's intro(5) defines them.
 *
 * Unpacking never copies: strings and data point into the message buffer
 * (strings are not NUL-terminated).  Every count is checked against the
 * bytes that remain, and the whole message must be consumed.
 */
#ifndef STYX_FCALL_H
#define STYX_FCALL_H

#include <stddef.h>
#include <stdint.h>

enum {
	STYX_TVERSION = 100, STYX_RVERSION,
	STYX_TAUTH = 102, STYX_RAUTH,
	STYX_TATTACH = 104, STYX_RATTACH,
	STYX_TERROR = 106, STYX_RERROR,
	STYX_TFLUSH = 108, STYX_RFLUSH,
	STYX_TWALK = 110, STYX_RWALK,
	STYX_TOPEN = 112, STYX_ROPEN,
	STYX_TCREATE = 114, STYX_RCREATE,
	STYX_TREAD = 116, STYX_RREAD,
	STYX_TWRITE = 118, STYX_RWRITE,
	STYX_TCLUNK = 120, STYX_RCLUNK,
	STYX_TREMOVE = 122, STYX_RREMOVE,
	STYX_TSTAT = 124, STYX_RSTAT,
	STYX_TWSTAT = 126, STYX_RWSTAT,
};

enum {
	STYX_IOHDRSZ = 24,	/* room for a Twrite/Rread header */
	STYX_HDRSZ = 7,	/* size[4] type[1] tag[2] */
	STYX_MINMSIZE = 256,	/* the smallest msize the server grants: every Rerror fits in it */
	STYX_MAXWELEM = 16,
	STYX_NOTAG = 0xFFFF,
	STYX_QIDSZ = 13,
	STYX_STATFIXLEN = 49,	/* a stat entry without its four strings, size[2] included */
};
#define STYX_NOFID 0xFFFFFFFFu

/* open modes */
enum { STYX_OREAD, STYX_OWRITE, STYX_ORDWR, STYX_OEXEC, STYX_OTRUNC = 0x10, STYX_ORCLOSE = 0x40 };
/* qid types and the matching mode bits */
enum { STYX_QTDIR = 0x80, STYX_QTFILE = 0 };
#define STYX_DMDIR 0x80000000u

typedef struct StyxQid {
	uint8_t type;
	uint32_t vers;
	uint64_t path;
} StyxQid;

typedef struct StyxStr {
	const char *p;	/* into the message; not NUL-terminated */
	uint16_t len;
} StyxStr;

typedef struct StyxDir {
	uint16_t type;
	uint32_t dev;
	StyxQid qid;
	uint32_t mode, atime, mtime;
	uint64_t length;
	StyxStr name, uid, gid, muid;
} StyxDir;

typedef struct StyxFcall {
	uint8_t type;
	uint16_t tag;
	uint32_t fid;
	uint32_t msize;	/* Tversion, Rversion */
	StyxStr version;	/* Tversion, Rversion */
	uint16_t oldtag;	/* Tflush */
	StyxStr ename;	/* Rerror */
	StyxQid qid;	/* Rauth, Rattach, Ropen, Rcreate */
	uint32_t iounit;	/* Ropen, Rcreate */
	uint32_t afid;	/* Tauth, Tattach */
	StyxStr uname, aname;	/* Tauth, Tattach */
	uint32_t perm;	/* Tcreate */
	StyxStr name;	/* Tcreate */
	uint8_t mode;	/* Topen, Tcreate */
	uint32_t newfid;	/* Twalk */
	uint16_t nwname;	/* Twalk */
	StyxStr wname[STYX_MAXWELEM];
	uint16_t nwqid;	/* Rwalk */
	StyxQid wqid[STYX_MAXWELEM];
	uint64_t offset;	/* Tread, Twrite */
	uint32_t count;	/* Tread, Twrite, Rread, Rwrite */
	const uint8_t *data;	/* Twrite, Rread */
	uint16_t nstat;	/* Twstat, Rstat */
	const uint8_t *stat;
} StyxFcall;

/* Little-endian access. */
static inline uint16_t
styx_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
styx_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void
styx_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
styx_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Unpacks the complete message buf[0..n) (size field included) into f.
 * Returns 0, or -1 with lb_err set to what is wrong with it.
 */
int styx_unpack(const uint8_t *buf, size_t n, StyxFcall *f);
/* Reads exactly n bytes of a message from fd (retrying EINTR): 1 done, 0 the stream ended first, -1 an error (errno). */
int styx_readn(int fd, uint8_t *p, size_t n);
/* Packs f into buf; returns the message size, or 0 if it does not fit in max. */
size_t styx_pack(const StyxFcall *f, uint8_t *buf, size_t max);
/* The size styx_pack needs for f. */
size_t styx_packsize(const StyxFcall *f);

/* A stat entry: packed size (size[2] included), or 0 if it does not fit. */
size_t styx_packdir(const StyxDir *d, uint8_t *buf, size_t max);
size_t styx_dirsize(const StyxDir *d);
/* Unpacks one stat entry that fills buf[0..n) exactly; 0, or -1 with lb_err. */
int styx_unpackdir(const uint8_t *buf, size_t n, StyxDir *d);

/* A StyxStr from a C string (strings longer than 65535 bytes are cut). */
StyxStr styx_str(const char *s);
/* 1 if s is exactly the C string c. */
int styx_streq(StyxStr s, const char *c);
/* Copies s into buf as a C string (cut to n-1 bytes). */
char *styx_strcpy(char *buf, size_t n, StyxStr s);

/* One line describing f, as lib9p's chatty9p does (for -D). */
void styx_fmt(char *buf, size_t n, const StyxFcall *f);

#endif
