/* fcall.c - packing and unpacking 9P2000 messages; see fcall.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../util/error.h"
#include "fcall.h"

/* A cursor over the bytes of a message; the first fault is kept in why. */
typedef struct Rd {
	const uint8_t *p, *e;
	const char *why;
} Rd;

static int
need(Rd *r, size_t n, const char *what)
{
	if(r->why != NULL)
		return 0;
	if((size_t)(r->e - r->p) < n){
		r->why = what;
		return 0;
	}
	return 1;
}

static uint8_t
g8(Rd *r)
{
	if(!need(r, 1, "message too short"))
		return 0;
	return *r->p++;
}

static uint16_t
g16(Rd *r)
{
	uint16_t v;

	if(!need(r, 2, "message too short"))
		return 0;
	v = styx_get16(r->p);
	r->p += 2;
	return v;
}

static uint32_t
g32(Rd *r)
{
	uint32_t v;

	if(!need(r, 4, "message too short"))
		return 0;
	v = styx_get32(r->p);
	r->p += 4;
	return v;
}

static uint64_t
g64(Rd *r)
{
	uint64_t lo = g32(r);

	return lo | (uint64_t)g32(r) << 32;
}

static StyxStr
gstr(Rd *r)
{
	StyxStr s = { "", 0 };
	uint16_t n = g16(r);

	if(!need(r, n, "string longer than the message"))
		return s;
	if(memchr(r->p, 0, n) != NULL){
		r->why = "NUL byte in a string";
		return s;
	}
	s.p = (const char *)r->p;
	s.len = n;
	r->p += n;
	return s;
}

static StyxQid
gqid(Rd *r)
{
	StyxQid q;

	q.type = g8(r);
	q.vers = g32(r);
	q.path = g64(r);
	return q;
}

static const uint8_t *
gbytes(Rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if(!need(r, n, "count longer than the message"))
		return NULL;
	r->p += n;
	return p;
}

static void
unpackwalk(Rd *r, StyxFcall *f)
{
	int i;

	f->fid = g32(r);
	f->newfid = g32(r);
	f->nwname = g16(r);
	if(f->nwname > STYX_MAXWELEM){
		if(r->why == NULL)
			r->why = "too many names in walk (at most 16)";
		return;
	}
	for(i = 0; i < f->nwname; i++)
		f->wname[i] = gstr(r);
}

static void
unpackrwalk(Rd *r, StyxFcall *f)
{
	int i;

	f->nwqid = g16(r);
	if(f->nwqid > STYX_MAXWELEM){
		if(r->why == NULL)
			r->why = "too many qids in walk (at most 16)";
		return;
	}
	for(i = 0; i < f->nwqid; i++)
		f->wqid[i] = gqid(r);
}

/* The body of a T-message; returns 0 if the type is not one. */
static int
unpackt(Rd *r, StyxFcall *f)
{
	switch(f->type){
	case STYX_TVERSION:
		f->msize = g32(r);
		f->version = gstr(r);
		break;
	case STYX_TAUTH:
		f->afid = g32(r);
		f->uname = gstr(r);
		f->aname = gstr(r);
		break;
	case STYX_TATTACH:
		f->fid = g32(r);
		f->afid = g32(r);
		f->uname = gstr(r);
		f->aname = gstr(r);
		break;
	case STYX_TFLUSH:
		f->oldtag = g16(r);
		break;
	case STYX_TWALK:
		unpackwalk(r, f);
		break;
	case STYX_TOPEN:
		f->fid = g32(r);
		f->mode = g8(r);
		break;
	case STYX_TCREATE:
		f->fid = g32(r);
		f->name = gstr(r);
		f->perm = g32(r);
		f->mode = g8(r);
		break;
	case STYX_TREAD:
		f->fid = g32(r);
		f->offset = g64(r);
		f->count = g32(r);
		break;
	case STYX_TWRITE:
		f->fid = g32(r);
		f->offset = g64(r);
		f->count = g32(r);
		f->data = gbytes(r, f->count);
		break;
	case STYX_TCLUNK:
	case STYX_TREMOVE:
	case STYX_TSTAT:
		f->fid = g32(r);
		break;
	case STYX_TWSTAT:
		f->fid = g32(r);
		f->nstat = g16(r);
		f->stat = gbytes(r, f->nstat);
		break;
	default:
		return 0;
	}
	return 1;
}

/* The body of an R-message; returns 0 if the type is not one. */
static int
unpackr(Rd *r, StyxFcall *f)
{
	switch(f->type){
	case STYX_RVERSION:
		f->msize = g32(r);
		f->version = gstr(r);
		break;
	case STYX_RERROR:
		f->ename = gstr(r);
		break;
	case STYX_RAUTH:
	case STYX_RATTACH:
		f->qid = gqid(r);
		break;
	case STYX_RWALK:
		unpackrwalk(r, f);
		break;
	case STYX_ROPEN:
	case STYX_RCREATE:
		f->qid = gqid(r);
		f->iounit = g32(r);
		break;
	case STYX_RREAD:
		f->count = g32(r);
		f->data = gbytes(r, f->count);
		break;
	case STYX_RWRITE:
		f->count = g32(r);
		break;
	case STYX_RSTAT:
		f->nstat = g16(r);
		f->stat = gbytes(r, f->nstat);
		break;
	case STYX_RFLUSH:
	case STYX_RCLUNK:
	case STYX_RREMOVE:
	case STYX_RWSTAT:
		break;
	default:
		return 0;
	}
	return 1;
}

int
styx_unpack(const uint8_t *buf, size_t n, StyxFcall *f)
{
	Rd r;

	memset(f, 0, sizeof *f);
	if(n < STYX_HDRSZ)
		return lb_err("message too short: %zu bytes", n);
	if(styx_get32(buf) != n)
		return lb_err("size field %u does not match the message (%zu bytes)", styx_get32(buf), n);
	f->type = buf[4];
	f->tag = styx_get16(buf + 5);
	r.p = buf + STYX_HDRSZ;
	r.e = buf + n;
	r.why = NULL;
	if(!unpackt(&r, f) && !unpackr(&r, f))
		return lb_err("unknown message type %d", f->type);
	if(r.why != NULL)
		return lb_err("malformed %d message: %s", f->type, r.why);
	if(r.p != r.e)
		return lb_err("malformed %d message: %zu bytes left over", f->type, (size_t)(r.e - r.p));
	return 0;
}

/* The writer: the caller has checked that everything fits. */
static uint8_t *
p8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *
p16(uint8_t *p, uint16_t v)
{
	styx_put16(p, v);
	return p + 2;
}

static uint8_t *
p32(uint8_t *p, uint32_t v)
{
	styx_put32(p, v);
	return p + 4;
}

static uint8_t *
p64(uint8_t *p, uint64_t v)
{
	return p32(p32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

static uint8_t *
pstr(uint8_t *p, StyxStr s)
{
	p = p16(p, s.len);
	if(s.len > 0)
		memcpy(p, s.p, s.len);
	return p + s.len;
}

static uint8_t *
pqid(uint8_t *p, const StyxQid *q)
{
	return p64(p32(p8(p, q->type), q->vers), q->path);
}

static uint8_t *
pbytes(uint8_t *p, const uint8_t *data, size_t n)
{
	if(n > 0)
		memcpy(p, data, n);
	return p + n;
}

static size_t
walksize(const StyxFcall *f)
{
	size_t n = 4 + 4 + 2;
	int i;

	for(i = 0; i < f->nwname && i < STYX_MAXWELEM; i++)
		n += 2 + f->wname[i].len;
	return n;
}

size_t
styx_packsize(const StyxFcall *f)
{
	size_t n = STYX_HDRSZ;

	switch(f->type){
	case STYX_TVERSION: case STYX_RVERSION: return n + 4 + 2 + f->version.len;
	case STYX_TAUTH: return n + 4 + 2 + f->uname.len + 2 + f->aname.len;
	case STYX_TATTACH: return n + 4 + 4 + 2 + f->uname.len + 2 + f->aname.len;
	case STYX_RERROR: return n + 2 + f->ename.len;
	case STYX_TFLUSH: return n + 2;
	case STYX_RAUTH: case STYX_RATTACH: return n + STYX_QIDSZ;
	case STYX_TWALK: return n + walksize(f);
	case STYX_RWALK: return n + 2 + (size_t)f->nwqid * STYX_QIDSZ;
	case STYX_TOPEN: return n + 4 + 1;
	case STYX_ROPEN: case STYX_RCREATE: return n + STYX_QIDSZ + 4;
	case STYX_TCREATE: return n + 4 + 2 + f->name.len + 4 + 1;
	case STYX_TREAD: return n + 4 + 8 + 4;
	case STYX_RREAD: return n + 4 + (size_t)f->count;
	case STYX_TWRITE: return n + 4 + 8 + 4 + (size_t)f->count;
	case STYX_RWRITE: return n + 4;
	case STYX_TCLUNK: case STYX_TREMOVE: case STYX_TSTAT: return n + 4;
	case STYX_RSTAT: return n + 2 + f->nstat;
	case STYX_TWSTAT: return n + 4 + 2 + f->nstat;
	case STYX_RFLUSH: case STYX_RCLUNK: case STYX_RREMOVE: case STYX_RWSTAT: return n;
	}
	return 0;
}

static uint8_t *
packbody(uint8_t *p, const StyxFcall *f)
{
	int i;

	switch(f->type){
	case STYX_TVERSION: case STYX_RVERSION: return pstr(p32(p, f->msize), f->version);
	case STYX_TAUTH: return pstr(pstr(p32(p, f->afid), f->uname), f->aname);
	case STYX_TATTACH: return pstr(pstr(p32(p32(p, f->fid), f->afid), f->uname), f->aname);
	case STYX_RERROR: return pstr(p, f->ename);
	case STYX_TFLUSH: return p16(p, f->oldtag);
	case STYX_RAUTH: case STYX_RATTACH: return pqid(p, &f->qid);
	case STYX_TWALK:
		p = p16(p32(p32(p, f->fid), f->newfid), f->nwname);
		for(i = 0; i < f->nwname; i++)
			p = pstr(p, f->wname[i]);
		return p;
	case STYX_RWALK:
		p = p16(p, f->nwqid);
		for(i = 0; i < f->nwqid; i++)
			p = pqid(p, &f->wqid[i]);
		return p;
	case STYX_TOPEN: return p8(p32(p, f->fid), f->mode);
	case STYX_ROPEN: case STYX_RCREATE: return p32(pqid(p, &f->qid), f->iounit);
	case STYX_TCREATE: return p8(p32(pstr(p32(p, f->fid), f->name), f->perm), f->mode);
	case STYX_TREAD: return p32(p64(p32(p, f->fid), f->offset), f->count);
	case STYX_RREAD: return pbytes(p32(p, f->count), f->data, f->count);
	case STYX_TWRITE: return pbytes(p32(p64(p32(p, f->fid), f->offset), f->count), f->data, f->count);
	case STYX_RWRITE: return p32(p, f->count);
	case STYX_TCLUNK: case STYX_TREMOVE: case STYX_TSTAT: return p32(p, f->fid);
	case STYX_RSTAT: return pbytes(p16(p, f->nstat), f->stat, f->nstat);
	case STYX_TWSTAT: return pbytes(p16(p32(p, f->fid), f->nstat), f->stat, f->nstat);
	}
	return p;
}

size_t
styx_pack(const StyxFcall *f, uint8_t *buf, size_t max)
{
	size_t n = styx_packsize(f);
	uint8_t *p;

	if(n == 0 || n > max || n > 0xFFFFFFFFu)
		return 0;
	if((f->type == STYX_TWALK && f->nwname > STYX_MAXWELEM) || (f->type == STYX_RWALK && f->nwqid > STYX_MAXWELEM))
		return 0;
	p = p16(p8(p32(buf, (uint32_t)n), f->type), f->tag);
	p = packbody(p, f);
	return (size_t)(p - buf) == n ? n : 0;
}

size_t
styx_dirsize(const StyxDir *d)
{
	return STYX_STATFIXLEN + d->name.len + d->uid.len + d->gid.len + d->muid.len;
}

size_t
styx_packdir(const StyxDir *d, uint8_t *buf, size_t max)
{
	size_t n = styx_dirsize(d);
	uint8_t *p;

	if(n > max || n - 2 > 0xFFFF)
		return 0;
	p = p32(p16(p16(buf, (uint16_t)(n - 2)), d->type), d->dev);
	p = p32(p32(p32(pqid(p, &d->qid), d->mode), d->atime), d->mtime);
	p = p64(p, d->length);
	p = pstr(pstr(pstr(pstr(p, d->name), d->uid), d->gid), d->muid);
	return n;
}

int
styx_unpackdir(const uint8_t *buf, size_t n, StyxDir *d)
{
	Rd r = { buf, buf + n, NULL };
	uint16_t size;

	memset(d, 0, sizeof *d);
	size = g16(&r);
	if(r.why == NULL && (size_t)size + 2 != n)
		return lb_err("bad stat entry: size %u in %zu bytes", size, n);
	d->type = g16(&r);
	d->dev = g32(&r);
	d->qid = gqid(&r);
	d->mode = g32(&r);
	d->atime = g32(&r);
	d->mtime = g32(&r);
	d->length = g64(&r);
	d->name = gstr(&r);
	d->uid = gstr(&r);
	d->gid = gstr(&r);
	d->muid = gstr(&r);
	if(r.why != NULL)
		return lb_err("bad stat entry: %s", r.why);
	if(r.p != r.e)
		return lb_err("bad stat entry: %zu bytes left over", (size_t)(r.e - r.p));
	return 0;
}

StyxStr
styx_str(const char *s)
{
	StyxStr r;
	size_t n = strlen(s);

	r.p = s;
	r.len = (uint16_t)(n > 0xFFFF ? 0xFFFF : n);
	return r;
}

int
styx_streq(StyxStr s, const char *c)
{
	return strlen(c) == s.len && memcmp(s.p, c, s.len) == 0;
}

char *
styx_strcpy(char *buf, size_t n, StyxStr s)
{
	size_t k;

	if(n == 0)
		return buf;
	k = s.len < n - 1 ? s.len : n - 1;
	memcpy(buf, s.p, k);
	buf[k] = 0;
	return buf;
}

int
styx_readn(int fd, uint8_t *p, size_t n)
{
	ssize_t k;

	while(n > 0){
		k = read(fd, p, n);
		if(k < 0 && errno == EINTR)
			continue;
		if(k <= 0)
			return k == 0 ? 0 : -1;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}
