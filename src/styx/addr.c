/* addr.c - dial strings, and dialing them; see addr.h. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/error.h"
#include "addr.h"

static int
copy(char *dst, size_t n, const char *src, size_t len, const char *what)
{
	if(len == 0 || len >= n)
		return lb_err("bad address: %s is empty or too long", what);
	memcpy(dst, src, len);
	dst[len] = 0;
	return 0;
}

int
styx_parseaddr(const char *s, StyxAddr *a)
{
	const char *b1 = strchr(s, '!'), *b2;

	memset(a, 0, sizeof *a);
	if(b1 == NULL)
		return lb_err("bad address %s: want tcp!HOST!PORT or unix!PATH", s);
	if(strncmp(s, "unix!", 5) == 0){
		a->isunix = 1;
		return copy(a->path, sizeof a->path, b1 + 1, strlen(b1 + 1), "the socket path");
	}
	if(strncmp(s, "tcp!", 4) != 0 && strncmp(s, "net!", 4) != 0)
		return lb_err("bad address %s: the network must be tcp or unix", s);
	b2 = strchr(b1 + 1, '!');
	if(b2 == NULL){
		snprintf(a->port, sizeof a->port, "%d", STYX_DEFPORT);
		return copy(a->host, sizeof a->host, b1 + 1, strlen(b1 + 1), "the host");
	}
	if(copy(a->host, sizeof a->host, b1 + 1, (size_t)(b2 - b1 - 1), "the host") < 0)
		return -1;
	if(strchr(b2 + 1, '!') != NULL)
		return lb_err("bad address %s: too many '!'", s);
	return copy(a->port, sizeof a->port, b2 + 1, strlen(b2 + 1), "the port");
}

static int
dialunix(const StyxAddr *a)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if(fd < 0)
		return lb_err("socket: %s", strerror(errno));
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", a->path);
	if(connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0){
		lb_err("dial unix!%s: %s", a->path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
styx_dial(const char *s)
{
	struct addrinfo hints, *res, *ai;
	StyxAddr a;
	int fd = -1, err, one = 1;

	if(styx_parseaddr(s, &a) < 0)
		return -1;
	if(a.isunix)
		return dialunix(&a);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(strcmp(a.host, "*") == 0 ? "127.0.0.1" : a.host, a.port, &hints, &res);
	if(err != 0)
		return lb_err("dial %s: %s", s, gai_strerror(err));
	for(ai = res; ai != NULL; ai = ai->ai_next){
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if(fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if(fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if(fd < 0)
		return lb_err("dial %s: %s", s, strerror(err));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}
