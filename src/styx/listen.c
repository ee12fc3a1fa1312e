/*
 * listen.c - the transports: TCP and Unix-domain listeners (each accepting
 * in a thread), and connections on given descriptors (stdin/stdout for
 * hosted Inferno's mount {os ... >[1=0]}).
 *
 * A listener on anything but loopback or a Unix socket is refused unless the
 * server was given model directories or told that any path may be loaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/error.h"
#include "addr.h"
#include "impl.h"

/*
 * A socket over the connection limit: an Rerror says why (its tag NOTAG is
 * Tversion's).  What the client sent already is read, so that the close that
 * follows is an orderly end and not a reset that could lose the Rerror.
 */
static void
refuse(int fd, const char *why)
{
	char drain[8192];
	uint8_t *m;
	size_t n;

	if((m = conn_rerror(why, &n)) != NULL)
		send(fd, m, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(m);
	shutdown(fd, SHUT_WR);
	recv(fd, drain, sizeof drain, MSG_DONTWAIT);
}

int
styx_srv_serve(StyxSrv *s, int rfd, int wfd)
{
	struct timeval tv = { s->cfg.lim.write_timeout, 0 };
	socklen_t len = sizeof(int);
	int type, one = 1, full;
	char why[128];
	Conn *c;

	c = conn_new(s, rfd, wfd, getsockopt(rfd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
	if(c == NULL){
		close(rfd);
		if(wfd != rfd)
			close(wfd);
		return lb_err("out of memory");
	}
	if(c->sock){
		setsockopt(wfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		setsockopt(wfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	pthread_mutex_lock(&s->lk);
	full = s->stopping || s->nconns >= s->cfg.lim.max_conns;
	if(!full){
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
	}
	pthread_mutex_unlock(&s->lk);
	if(full){
		snprintf(why, sizeof why, "too many connections (limit %d); try again later", s->cfg.lim.max_conns);
		if(c->sock)
			refuse(rfd, why);
		conn_unref(c);
		return lb_err("%s", why);
	}
	if(srv_thread(s, conn_reader, c, 256 * 1024) < 0){
		conn_forget(s, c);
		conn_unref(c);
		return -1;
	}
	return 0;
}

typedef struct Listener {
	StyxSrv *s;
	int fd;
} Listener;

static void *
acceptmain(void *arg)
{
	Listener *l = arg;
	int fd;

	for(;;){
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if(fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if(fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)){
			usleep(100 * 1000);
			continue;
		}
		if(fd < 0)
			break;
		styx_srv_serve(l->s, fd, fd);	/* on failure it has closed fd */
	}
	free(l);
	return NULL;
}

static int
isloopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if(sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

static int
listentcp(StyxSrv *s, const StyxAddr *a, const char *addr)
{
	struct addrinfo hints, *res;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd, err, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	hints.ai_family = strcmp(a->host, "*") == 0 ? AF_INET : AF_UNSPEC;
	err = getaddrinfo(strcmp(a->host, "*") == 0 ? NULL : a->host, a->port, &hints, &res);
	if(err != 0)
		return lb_err("listen %s: %s", addr, gai_strerror(err));
	if(!isloopback(res->ai_addr) && s->cfg.ndirs == 0 && !s->cfg.anypath){
		freeaddrinfo(res);
		return lb_err("refusing to listen on %s: beyond loopback, give the model directories (-m DIR) or allow any path (--any-path)", addr);
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if(fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if(fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0){
		err = errno;
		freeaddrinfo(res);
		if(fd >= 0)
			close(fd);
		return lb_err("listen %s: %s", addr, strerror(err));
	}
	freeaddrinfo(res);
	if(getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int
listenunix(StyxSrv *s, const StyxAddr *a, const char *addr)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, err;

	if(lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);	/* left by a server that died */
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, strlen(a->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if(fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(fd, 64) < 0){
		err = errno;
		if(fd >= 0)
			close(fd);
		return lb_err("listen %s: %s", addr, strerror(err));
	}
	return fd;
}

int
styx_srv_listen(StyxSrv *s, const char *addr)
{
	Listener *l;
	StyxAddr a;
	int fd;

	if(s->nlfd == 4)
		return lb_err("at most 4 listeners");
	if(styx_parseaddr(addr, &a) < 0)
		return -1;
	fd = a.isunix ? listenunix(s, &a, addr) : listentcp(s, &a, addr);
	if(fd < 0)
		return -1;
	if(a.isunix)
		s->unixpaths[s->nlfd] = strdup(a.path);
	if((l = malloc(sizeof *l)) == NULL){
		close(fd);
		return lb_err("out of memory");
	}
	l->s = s;
	l->fd = fd;
	s->lfd[s->nlfd++] = fd;
	if(srv_thread(s, acceptmain, l, 64 * 1024) < 0){
		free(l);
		return -1;
	}
	return 0;
}
