/*
 * conn.c - one 9P connection: its reader thread, the table of outstanding
 * requests, and replies, which leave the table and join the connection's
 * queue (send.c) together, under Conn.lk.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/error.h"
#include "impl.h"

Conn *
conn_new(StyxSrv *s, int rfd, int wfd, int sock)
{
	static int num;
	Conn *c = calloc(1, sizeof *c);

	if(c == NULL)
		return NULL;
	c->rbuf = malloc(s->cfg.lim.max_msize);
	if(c->rbuf == NULL){
		free(c);
		return NULL;
	}
	c->srv = s;
	c->rfd = rfd;
	c->wfd = wfd;
	c->sock = sock;
	c->num = __atomic_add_fetch(&num, 1, __ATOMIC_RELAXED);
	c->born = conn_now();
	c->ref = 1;
	c->outtail = &c->outq;
	pthread_mutex_init(&c->lk, NULL);
	pthread_cond_init(&c->wcond, NULL);
	return c;
}

void
conn_unref(Conn *c)
{
	int ref;

	pthread_mutex_lock(&c->lk);
	ref = --c->ref;
	pthread_mutex_unlock(&c->lk);
	if(ref > 0)
		return;
	close(c->rfd);
	if(c->wfd != c->rfd)
		close(c->wfd);
	pthread_mutex_destroy(&c->lk);
	pthread_cond_destroy(&c->wcond);
	free(c->rbuf);
	free(c);
}

void
conn_trace(Conn *c, const char *dir, const uint8_t *msg, size_t n)
{
	StyxFcall f;
	char line[512];

	if(!c->srv->cfg.trace)
		return;
	if(styx_unpack(msg, n, &f) < 0)
		snprintf(line, sizeof line, "(malformed: %s)", lb_errstr());
	else
		styx_fmt(line, sizeof line, &f);
	fprintf(stderr, "%d %s %s\n", c->num, dir, line);
}

static void
reqfree(Req *r)
{
	free(r->flushes);
	free(r);
}

/* With c->lk held. */
static void
unlink_req(Conn *c, Req *r)
{
	Req **l;

	for(l = &c->reqs; *l != NULL; l = &(*l)->next)
		if(*l == r){
			*l = r->next;
			c->nreqs--;
			srv_account(c->srv, &c->srv->npending, -1);
			return;
		}
}

/* Forgets r without an answer (out of memory: the client will see its tag never answered). */
void
conn_drop(Conn *c, Req *r)
{
	pthread_mutex_lock(&c->lk);
	if(!r->dropped)
		unlink_req(c, r);
	pthread_mutex_unlock(&c->lk);
	reqfree(r);
}

void
conn_reply_msg(Conn *c, Req *r, uint8_t *msg, size_t n)
{
	int i;

	styx_put16(msg + 5, r->tag);
	pthread_mutex_lock(&c->lk);
	if(r->dropped || c->dead){
		if(!r->dropped)
			unlink_req(c, r);
		pthread_mutex_unlock(&c->lk);
		free(msg);
		reqfree(r);
		return;
	}
	unlink_req(c, r);
	send_queue(c, msg, n);
	for(i = 0; i < r->nflushes; i++)
		send_flush(c, r->flushes[i]);
	pthread_mutex_unlock(&c->lk);
	reqfree(r);
}

void
conn_reply(Conn *c, Req *r, StyxFcall *f)
{
	size_t n = styx_packsize(f);
	uint8_t *msg = malloc(n > 0 ? n : 1);

	f->tag = r->tag;
	if(msg == NULL || n == 0 || styx_pack(f, msg, n) != n){
		free(msg);
		conn_error(c, r, "out of memory");
		return;
	}
	conn_reply_msg(c, r, msg, n);
}

/* Cuts s to at most n bytes without splitting a UTF-8 sequence. */
static size_t
utf8cut(const char *s, size_t len, size_t n)
{
	if(len <= n)
		return len;
	while(n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * A packed Rerror (tag NOTAG) saying text, cut at a character to fit in the
 * smallest msize granted (256), so that no other thread reads Conn.msize.
 * NULL if out of memory.
 */
uint8_t *
conn_rerror(const char *text, size_t *n)
{
	StyxFcall f;
	uint8_t *m;

	memset(&f, 0, sizeof f);
	f.type = STYX_RERROR;
	f.tag = STYX_NOTAG;
	f.ename.p = text;
	f.ename.len = (uint16_t)utf8cut(text, strlen(text), STYX_MINMSIZE - STYX_HDRSZ - 2);
	if((m = malloc(STYX_MINMSIZE)) != NULL)
		*n = styx_pack(&f, m, STYX_MINMSIZE);
	return m;
}

void
conn_error(Conn *c, Req *r, const char *fmt, ...)
{
	char buf[STYX_MINMSIZE];
	va_list ap;
	uint8_t *m;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if((m = conn_rerror(buf, &n)) == NULL){
		conn_drop(c, r);
		return;
	}
	conn_reply_msg(c, r, m, n);
}

uint8_t *
conn_rread(const void *data, uint32_t count, size_t *n)
{
	uint8_t *m;

	*n = STYX_HDRSZ + 4 + (size_t)count;
	m = malloc(*n);
	if(m == NULL)
		return NULL;
	styx_put32(m, (uint32_t)*n);
	m[4] = STYX_RREAD;
	styx_put16(m + 5, STYX_NOTAG);
	styx_put32(m + 7, count);
	if(count > 0)
		memcpy(m + 11, data, count);
	return m;
}

long
conn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * Reads n bytes, waiting at most until deadline (ms on conn_now's clock, -1: no
 * limit) for the first and at most stall ms (-1: no limit) for each later
 * one.  1, or 0 when the input ends, stalls, or the server stops.
 */
static int
readwait(Conn *c, uint8_t *p, size_t n, long deadline, int stall)
{
	struct pollfd fds[2] = { { c->rfd, POLLIN, 0 }, { c->srv->wake[0], POLLIN, 0 } };
	int ms, k;
	ssize_t got;

	while(n > 0){
		ms = deadline < 0 ? -1 : deadline > conn_now() ? (int)(deadline - conn_now()) : 0;
		k = poll(fds, 2, ms);
		if(k < 0 && errno == EINTR)
			continue;
		if(k <= 0 || fds[1].revents != 0)
			return 0;
		got = read(c->rfd, p, n);
		if(got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if(got <= 0)
			return 0;
		p += got;
		n -= (size_t)got;
		deadline = stall < 0 ? -1 : conn_now() + stall;
	}
	return 1;
}

/*
 * The next message, framed: its size, or -1 to close the connection.  A socket
 * that has not finished Tversion and Tattach within the handshake timeout is
 * dropped, and so is a message that stops arriving half way; an attached
 * connection may wait for its next message for ever (a mount sits idle for hours).
 */
static long
readmsg(Conn *c)
{
	uint32_t size, max = c->msize > 0 ? c->msize : c->srv->cfg.lim.max_msize;
	int stall = c->sock ? c->srv->cfg.lim.handshake_timeout * 1000 : -1;
	long deadline = c->sock && !c->attached ? c->born + stall : -1;

	if(!readwait(c, c->rbuf, 4, deadline, stall)){
		if(c->srv->cfg.trace && deadline >= 0 && conn_now() >= deadline)
			fprintf(stderr, "%d no Tversion and Tattach within %d s: closing\n", c->num, stall / 1000);
		return -1;
	}
	size = styx_get32(c->rbuf);
	if(size < STYX_HDRSZ || size > max){
		if(c->srv->cfg.trace)
			fprintf(stderr, "%d bad message size %u (msize %u): closing\n", c->num, size, max);
		return -1;
	}
	if(!readwait(c, c->rbuf + 4, size - 4, stall < 0 ? -1 : conn_now() + stall, stall))
		return -1;
	return (long)size;
}

static Req *
findreq(Conn *c, uint16_t tag)
{
	Req *r;

	for(r = c->reqs; r != NULL; r = r->next)
		if(r->tag == tag)
			return r;
	return NULL;
}

/*
 * Tversion and the end of a connection: every outstanding request is dropped.
 * A parked read is freed here; a request another thread holds is marked, and
 * that thread frees it when it would have answered.
 */
void
conn_abort(Conn *c, Req *keep)
{
	Req *r, *next, *freed = NULL;

	pthread_mutex_lock(&c->lk);
	for(r = c->reqs; r != NULL; r = next){
		next = r->next;
		if(r == keep)
			continue;
		srv_account(c->srv, &c->srv->npending, -1);
		if(r->kind == Rread && gen_unwait(r->gen, r)){
			r->next = freed;
			freed = r;
		}else
			r->dropped = 1;
	}
	c->reqs = NULL;
	c->nreqs = 0;
	if(keep != NULL){
		keep->next = NULL;
		c->reqs = keep;
		c->nreqs = 1;
	}
	pthread_mutex_unlock(&c->lk);
	for(r = freed; r != NULL; r = next){
		next = r->next;
		gen_unref(r->gen);
		conn_unref(c);	/* the parked read's hold; the reader has its own */
		reqfree(r);
	}
}

/*
 * Tflush.  A read parked on a generation is taken back, forgotten, and
 * returned (its generation may have to stop), and Rflush goes at once, as it
 * does when oldtag is not outstanding.  A request that another thread will
 * answer (a load, a read being answered) gets the Rflush after its reply.
 */
Req *
conn_flush(Conn *c, uint16_t oldtag, uint16_t tag)
{
	Req *old, *took = NULL;
	uint16_t *nf;

	pthread_mutex_lock(&c->lk);
	old = findreq(c, oldtag);
	if(old != NULL && old->kind == Rread && gen_unwait(old->gen, old)){
		unlink_req(c, old);
		took = old;
	}else if(old != NULL){
		if(old->nflushes < c->srv->cfg.lim.max_pending){
			nf = realloc(old->flushes, (size_t)(old->nflushes + 1) * sizeof *nf);
			if(nf != NULL){
				nf[old->nflushes++] = tag;
				old->flushes = nf;
			}
		}
		pthread_mutex_unlock(&c->lk);
		return NULL;
	}
	if(c->dead){
		pthread_mutex_unlock(&c->lk);
		return took;
	}
	send_flush(c, tag);
	pthread_mutex_unlock(&c->lk);
	return took;
}

void
conn_freereq(Req *r)
{
	reqfree(r);
}

/* A request for the message; NULL when it was answered here already. */
static Req *
newreq(Conn *c, uint16_t tag, uint8_t type, const char *bad)
{
	Req *r = calloc(1, sizeof *r);
	int dup, full;

	if(r == NULL)
		return NULL;
	r->tag = tag;
	r->type = type;
	pthread_mutex_lock(&c->lk);
	dup = findreq(c, tag) != NULL;
	full = c->nreqs >= c->srv->cfg.lim.max_pending;	/* this one would be one more */
	r->next = c->reqs;
	c->reqs = r;
	c->nreqs++;
	pthread_mutex_unlock(&c->lk);
	srv_account(c->srv, &c->srv->npending, 1);
	if(dup){
		conn_error(c, r, "duplicate tag %u", tag);
	}else if(full)
		conn_error(c, r, "too many outstanding requests (limit %d)", c->srv->cfg.lim.max_pending);
	else if(bad != NULL)
		conn_error(c, r, "%s", bad);
	else
		return r;
	return NULL;
}

static void
handle(Conn *c, size_t n)
{
	StyxFcall f;
	const char *bad = NULL;
	char why[256];
	Req *r;

	conn_trace(c, "<-", c->rbuf, n);
	if(styx_unpack(c->rbuf, n, &f) < 0){
		snprintf(why, sizeof why, "%s", lb_errstr());
		bad = why;
		f.type = c->rbuf[4];
		f.tag = styx_get16(c->rbuf + 5);
	}else if(f.type & 1)
		bad = "unknown message type: not a T-message";
	else if(c->msize == 0 && f.type != STYX_TVERSION)
		bad = "no version negotiated: Tversion must come first";
	if(f.type == STYX_TFLUSH && bad == NULL){
		proto_dispatch(c, NULL, &f);
		return;
	}
	r = newreq(c, f.tag, f.type, bad);
	if(r != NULL)
		proto_dispatch(c, r, &f);
}

void *
conn_reader(void *arg)
{
	Conn *c = arg;
	StyxSrv *s = c->srv;
	long n = 0;

	pthread_mutex_lock(&c->lk);
	c->ref++;	/* the writer's */
	pthread_mutex_unlock(&c->lk);
	if(srv_thread(s, send_main, c, 64 * 1024) < 0){
		conn_unref(c);
		n = -1;
	}
	while(n >= 0){
		send_wait(c);
		if((n = readmsg(c)) > 0)
			handle(c, (size_t)n);
	}
	proto_end(c);
	send_end(c);
	conn_forget(s, c);	/* first: a client that sees the end may connect again at once, into the slot */
	if(c->sock)
		shutdown(c->rfd, SHUT_RDWR);
	conn_unref(c);
	return NULL;
}

/* Takes c off the server's list. */
void
conn_forget(StyxSrv *s, Conn *c)
{
	Conn **l;

	pthread_mutex_lock(&s->lk);
	for(l = &s->conns; *l != NULL; l = &(*l)->next)
		if(*l == c){
			*l = c->next;
			s->nconns--;
			break;
		}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lk);
}
