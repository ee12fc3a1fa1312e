/*
 * send.c - a connection's writing side: replies wait in the connection's
 * queue and its writer thread sends them, each in one write (Inferno's
 * mount reads Rversion with a single read), in the order they were queued.
 *
 * So no thread that answers a request ever waits for a client: a model's
 * scheduler delivering text, a load finishing, or another connection's
 * reader.  Queueing happens under Conn.lk with the request leaving the
 * table, so a Tflush that finds its request gone is answered after that
 * request's reply: Rflush never overtakes the reply it flushes.
 *
 * A client that does not read fills its socket and the queue grows; past
 * SENDQ replies its reader stops reading (the client's own requests wait,
 * nobody else's).  A socket that takes nothing for the write timeout is
 * broken: it is shut down, which ends the reader, and the connection's
 * generations are cancelled with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "impl.h"

struct Out {
	Out *next;
	size_t n;
	uint8_t *msg;
};

/* The whole message, writing until the kernel has taken it; -1 if it cannot (the write timeout passed, the peer went). */
static int
writeall(Conn *c, const uint8_t *msg, size_t n)
{
	ssize_t k;

	while(n > 0){
		if(c->sock)
			k = send(c->wfd, msg, n, MSG_NOSIGNAL);
		else
			k = write(c->wfd, msg, n);
		if(k < 0 && errno == EINTR)
			continue;
		if(k <= 0)
			return -1;
		msg += k;
		n -= (size_t)k;
	}
	return 0;
}

void
send_queue(Conn *c, uint8_t *msg, size_t n)
{
	Out *o = malloc(sizeof *o);

	if(o == NULL){	/* the client will see its tag never answered */
		free(msg);
		return;
	}
	o->next = NULL;
	o->n = n;
	o->msg = msg;
	*c->outtail = o;
	c->outtail = &o->next;
	c->nout++;
	c->outbytes += n;
	srv_account(c->srv, &c->srv->nreplies, 1);
	pthread_cond_broadcast(&c->wcond);
}

void
send_flush(Conn *c, uint16_t tag)
{
	uint8_t *m = malloc(STYX_HDRSZ);

	if(m == NULL)
		return;
	styx_put32(m, STYX_HDRSZ);
	m[4] = STYX_RFLUSH;
	styx_put16(m + 5, tag);
	send_queue(c, m, STYX_HDRSZ);
}

void
send_wait(Conn *c)
{
	pthread_mutex_lock(&c->lk);
	while(c->nout >= SENDQ && !c->broken)
		pthread_cond_wait(&c->wcond, &c->lk);
	pthread_mutex_unlock(&c->lk);
}

void
send_end(Conn *c)
{
	pthread_mutex_lock(&c->lk);
	c->dead = 1;
	pthread_cond_broadcast(&c->wcond);
	pthread_mutex_unlock(&c->lk);
}

/*
 * The writer: sends what is queued until the reader has ended and the queue
 * is empty.  After a failed write nothing more is written (a pipe's reader
 * then ends at the end of its input; a socket is shut down to end it now).
 */
void *
send_main(void *arg)
{
	Conn *c = arg;
	Out *o;
	int ok;

	pthread_mutex_lock(&c->lk);
	for(;;){
		while(c->outq == NULL && !c->dead)
			pthread_cond_wait(&c->wcond, &c->lk);
		if((o = c->outq) == NULL)
			break;
		if((c->outq = o->next) == NULL)
			c->outtail = &c->outq;
		ok = !c->broken;
		pthread_mutex_unlock(&c->lk);
		if(ok){
			conn_trace(c, "->", o->msg, o->n);
			ok = writeall(c, o->msg, o->n) == 0;
		}
		pthread_mutex_lock(&c->lk);
		if(!ok && !c->broken){
			c->broken = 1;
			if(c->sock)
				shutdown(c->rfd, SHUT_RDWR);
		}
		c->nout--;
		c->outbytes -= o->n;
		srv_account(c->srv, &c->srv->nreplies, -1);
		pthread_cond_broadcast(&c->wcond);
		free(o->msg);
		free(o);
	}
	pthread_mutex_unlock(&c->lk);
	conn_unref(c);
	return NULL;
}
