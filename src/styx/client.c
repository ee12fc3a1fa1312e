/* client.c - a small synchronous 9P2000 client; see client.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../util/error.h"
#include "addr.h"
#include "client.h"

enum { BOOTMSIZE = 8192 + STYX_IOHDRSZ, CLIENTMSIZE = 128 * 1024 + STYX_IOHDRSZ };

StyxClient *
styxc_new(int fd)
{
	return styxc_new2(fd, fd);
}

StyxClient *
styxc_new2(int rfd, int wfd)
{
	StyxClient *c = calloc(1, sizeof *c);

	if(c == NULL){
		lb_err("out of memory");
		return NULL;
	}
	c->rsize = CLIENTMSIZE;
	c->rbuf = malloc(c->rsize);
	if(c->rbuf == NULL){
		free(c);
		lb_err("out of memory");
		return NULL;
	}
	c->fd = rfd;
	c->wfd = wfd;
	c->msize = BOOTMSIZE;
	c->root = STYX_NOFID;
	c->nextfid = 1;
	return c;
}

StyxClient *
styxc_dial(const char *addr)
{
	StyxClient *c;
	char v[32];
	int fd = styx_dial(addr);

	if(fd < 0)
		return NULL;
	if((c = styxc_new(fd)) == NULL){
		close(fd);
		return NULL;
	}
	if(styxc_version(c, CLIENTMSIZE, "9P2000", v, sizeof v) < 0)
		goto fail;
	if(strcmp(v, "9P2000") != 0){
		lb_err("server speaks %s, not 9P2000", v);
		goto fail;
	}
	if(styxc_attach(c, "llambo") == 0)
		return c;
fail:
	styxc_close(c);
	return NULL;
}

void
styxc_close(StyxClient *c)
{
	if(c == NULL)
		return;
	close(c->fd);
	if(c->wfd != c->fd)
		close(c->wfd);
	free(c->rbuf);
	free(c);
}

void
styxc_timeout(StyxClient *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

uint16_t
styxc_tag(StyxClient *c)
{
	if(++c->nexttag == STYX_NOTAG)
		c->nexttag = 1;
	return c->nexttag;
}

uint32_t
styxc_fid(StyxClient *c)
{
	return c->nextfid++;
}

int
styxc_sendraw(StyxClient *c, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	ssize_t k;

	while(n > 0){
		k = send(c->wfd, p, n, MSG_NOSIGNAL);
		if(k < 0 && errno == ENOTSOCK)
			k = write(c->wfd, p, n);
		if(k < 0 && errno == EINTR)
			continue;
		if(k <= 0)
			return lb_err("write: %s", k < 0 ? strerror(errno) : "closed");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
styxc_send(StyxClient *c, StyxFcall *t)
{
	size_t n = styx_packsize(t);
	uint8_t *buf = malloc(n > 0 ? n : 1);
	int rc;

	if(buf == NULL || n == 0 || styx_pack(t, buf, n) != n){
		free(buf);
		return lb_err("cannot pack a message of type %d", t->type);
	}
	rc = styxc_sendraw(c, buf, n);
	free(buf);
	return rc;
}

static int
readn(StyxClient *c, uint8_t *p, size_t n)
{
	switch(styx_readn(c->fd, p, n)){
	case 0:
		return lb_err("connection closed by the server");
	case -1:
		return lb_err("read: %s", errno == EAGAIN ? "timed out" : strerror(errno));
	}
	return 0;
}

int
styxc_recv(StyxClient *c, StyxFcall *r)
{
	uint32_t size;

	if(readn(c, c->rbuf, 4) < 0)
		return -1;
	size = styx_get32(c->rbuf);
	if(size < STYX_HDRSZ || size > c->rsize)
		return lb_err("bad reply size %u", size);
	if(readn(c, c->rbuf + 4, size - 4) < 0)
		return -1;
	return styx_unpack(c->rbuf, size, r);
}

int
styxc_rpc(StyxClient *c, StyxFcall *t, StyxFcall *r)
{
	char ename[256];

	if(t->type != STYX_TVERSION)
		t->tag = styxc_tag(c);
	if(styxc_send(c, t) < 0 || styxc_recv(c, r) < 0)
		return -1;
	if(r->tag != t->tag)
		return lb_err("reply tag %u for request tag %u", r->tag, t->tag);
	if(r->type == STYX_RERROR)
		return lb_err("%s", styx_strcpy(ename, sizeof ename, r->ename));
	if(r->type != t->type + 1)
		return lb_err("reply type %d to a request of type %d", r->type, t->type);
	return 0;
}

int
styxc_version(StyxClient *c, uint32_t msize, const char *version, char *got, size_t ngot)
{
	StyxFcall t = { .type = STYX_TVERSION, .tag = STYX_NOTAG, .msize = msize }, r;

	t.version = styx_str(version);
	if(ngot > 0)
		got[0] = 0;
	if(styxc_rpc(c, &t, &r) < 0)
		return -1;
	styx_strcpy(got, ngot, r.version);
	if(r.msize > msize || r.msize < 256 || r.msize > c->rsize)
		return lb_err("server msize %u for a request of %u", r.msize, msize);
	c->msize = r.msize;
	return 0;
}

int
styxc_attach(StyxClient *c, const char *uname)
{
	return styxc_attach_name(c, uname, "");
}

int
styxc_attach_name(StyxClient *c, const char *uname, const char *aname)
{
	StyxFcall t = { .type = STYX_TATTACH, .afid = STYX_NOFID }, r;

	t.fid = styxc_fid(c);
	t.uname = styx_str(uname);
	t.aname = styx_str(aname);
	if(styxc_rpc(c, &t, &r) < 0)
		return -1;
	c->root = t.fid;
	return 0;
}

int
styxc_walk(StyxClient *c, const char *path)
{
	StyxFcall t = { .type = STYX_TWALK }, r;
	const char *p = path;
	size_t len;

	t.fid = c->root;
	t.newfid = styxc_fid(c);
	for(;;){
		while(*p == '/')
			p++;
		if(*p == 0)
			break;
		if(t.nwname == STYX_MAXWELEM)
			return lb_err("walk %s: more than %d names", path, STYX_MAXWELEM);
		len = strcspn(p, "/");
		t.wname[t.nwname].p = p;
		t.wname[t.nwname].len = (uint16_t)len;
		t.nwname++;
		p += len;
	}
	if(styxc_rpc(c, &t, &r) < 0)
		return -1;
	if(r.nwqid != t.nwname)
		return lb_err("walk %s: file does not exist", path);
	return (int)t.newfid;
}

int
styxc_open(StyxClient *c, const char *path, int mode)
{
	StyxFcall t = { .type = STYX_TOPEN }, r;
	int fid = styxc_walk(c, path);
	char why[256];

	if(fid < 0)
		return -1;
	t.fid = (uint32_t)fid;
	t.mode = (uint8_t)mode;
	if(styxc_rpc(c, &t, &r) < 0){
		snprintf(why, sizeof why, "%s", lb_errstr());
		styxc_clunk(c, fid);
		return lb_err("%s", why);
	}
	return fid;
}

long
styxc_read(StyxClient *c, int fid, uint64_t offset, void *buf, size_t n)
{
	StyxFcall t = { .type = STYX_TREAD }, r;
	size_t max = c->msize - STYX_IOHDRSZ;

	t.fid = (uint32_t)fid;
	t.offset = offset;
	t.count = (uint32_t)(n < max ? n : max);
	if(styxc_rpc(c, &t, &r) < 0)
		return -1;
	if(r.count > t.count)
		return lb_err("read: server returned %u bytes for %u", r.count, t.count);
	memcpy(buf, r.data, r.count);
	return (long)r.count;
}

long
styxc_write(StyxClient *c, int fid, uint64_t offset, const void *buf, size_t n)
{
	StyxFcall t = { .type = STYX_TWRITE }, r;
	size_t max = c->msize - STYX_IOHDRSZ, done = 0, k;

	do{
		k = n - done < max ? n - done : max;
		t.fid = (uint32_t)fid;
		t.offset = offset + done;
		t.count = (uint32_t)k;
		t.data = (const uint8_t *)buf + done;
		if(styxc_rpc(c, &t, &r) < 0)
			return -1;
		if(r.count != k)
			return lb_err("short write: %u of %zu bytes", r.count, k);
		done += k;
	}while(done < n);
	return (long)done;
}

int
styxc_clunk(StyxClient *c, int fid)
{
	StyxFcall t = { .type = STYX_TCLUNK }, r;

	t.fid = (uint32_t)fid;
	return styxc_rpc(c, &t, &r);
}

char *
styxc_readall(StyxClient *c, int fid, size_t *np)
{
	size_t n = 0, a = 8192;
	char *buf = malloc(a + 1), *nb;
	long k;

	for(;;){
		if(buf == NULL){
			lb_err("out of memory");
			return NULL;
		}
		if(a - n < 4096){
			a *= 2;
			if((nb = realloc(buf, a + 1)) == NULL){
				free(buf);
				buf = NULL;
				continue;
			}
			buf = nb;
		}
		if((k = styxc_read(c, fid, n, buf + n, a - n)) < 0){
			free(buf);
			return NULL;
		}
		if(k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	if(np != NULL)
		*np = n;
	return buf;
}

int
styxc_stat(StyxClient *c, int fid, StyxDir *d, uint8_t *buf, size_t nbuf)
{
	StyxFcall t = { .type = STYX_TSTAT }, r;

	t.fid = (uint32_t)fid;
	if(styxc_rpc(c, &t, &r) < 0)
		return -1;
	if(r.nstat > nbuf)
		return lb_err("stat entry too large");
	memcpy(buf, r.stat, r.nstat);
	return styx_unpackdir(buf, r.nstat, d);
}
