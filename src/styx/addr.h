/*
 * addr.h - Inferno and Plan 9 dial strings: tcp!HOST!PORT, tcp!*!PORT,
 * tcp!HOST (port 9999), unix!/path.  The server and the client share them.
 */
#ifndef STYX_ADDR_H
#define STYX_ADDR_H

enum { STYX_DEFPORT = 9999 };

typedef struct StyxAddr {
	int isunix;
	char host[256];	/* "*" for every interface */
	char port[32];	/* a number or a service name */
	char path[108];	/* sun_path */
} StyxAddr;

/* 0, or -1 with lb_err set. */
int styx_parseaddr(const char *s, StyxAddr *a);
/* A connected socket for the address, or -1 with lb_err set. */
int styx_dial(const char *s);

#endif
