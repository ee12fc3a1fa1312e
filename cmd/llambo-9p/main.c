/*
 * llambo-9p - a 9P2000 client for scripts and checks, in the manner of
 * plan9port's 9p(1), with a gen command that writes a request and streams
 * the answer on one open, and a bench command (bench.c).
 *
 *	llambo-9p [-a tcp!127.0.0.1!9999] ls [-l] [path]
 *	llambo-9p read path | write path | rdwr path | stat path
 *	llambo-9p gen ID 'prompt|max_tokens|temperature'
 *	llambo-9p bench [-m model] ...
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/styx/client.h"
#include "../../src/util/error.h"
#include "bench.h"

static const char *addr = "tcp!127.0.0.1!9999";

_Noreturn static void
usage(void)
{
	fprintf(stderr,
		"usage: llambo-9p [-a ADDR] command args\n"
		"  ls [-l] [path]     list a directory\n"
		"  read path          print a file to its end\n"
		"  write path         write standard input to one open of path\n"
		"  rdwr path          for each line of standard input: write it, then print the file from offset 0 to its end\n"
		"  stat path          print a file's stat entry\n"
		"  gen ID request     write request to models/ID/data and stream the text\n"
		"  bench [-m model] [-n tokens] [-r runs] [-s seconds]   first-byte latency and status reads/s\n"
		"  bench -c 1,2,4,8,16 [-m model] [-n tokens] [-t threads] [-k KV MiB] [-r runs]\n"
		"                     N clients generating at once: aggregate and per-client t/s, first-byte P50/P99\n"
		"  bench -H TOKENS [-m model] [-n tokens] [-t threads] [-r runs]\n"
		"                     a session's next turn after a history of TOKENS: first byte with its KV cache kept,\n"
		"                     after ctl uncache (the history evaluated again), and restored from ctl save\n"
		"ADDR is tcp!HOST!PORT or unix!PATH (default tcp!127.0.0.1!9999)\n");
	exit(2);
}

_Noreturn static void
fatal(const char *what)
{
	fprintf(stderr, "llambo-9p: %s: %s\n", what, lb_errstr());
	exit(1);
}

static StyxClient *
dial(void)
{
	StyxClient *c = styxc_dial(addr);

	if(c == NULL)
		fatal(addr);
	return c;
}

/* Prints the file from offset 0 to its end as its text arrives; 0, or -1. */
static int
stream(StyxClient *c, int fid)
{
	char buf[8192];
	uint64_t off = 0;
	long n;

	while((n = styxc_read(c, fid, off, buf, sizeof buf)) > 0){
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		off += (uint64_t)n;
	}
	return n < 0 ? -1 : 0;
}

static void
printdir(const StyxDir *d, int lflag)
{
	char name[256], uid[64];
	time_t t = d->mtime;
	char when[32];

	styx_strcpy(name, sizeof name, d->name);
	if(!lflag){
		printf("%s\n", name);
		return;
	}
	styx_strcpy(uid, sizeof uid, d->uid);
	strftime(when, sizeof when, "%b %e %H:%M", localtime(&t));
	printf("%c%c%c%c%c%c%c%c%c%c %s %8llu %s %s\n", d->mode & STYX_DMDIR ? 'd' : '-',
		d->mode & 0400 ? 'r' : '-', d->mode & 0200 ? 'w' : '-', d->mode & 0100 ? 'x' : '-',
		d->mode & 040 ? 'r' : '-', d->mode & 020 ? 'w' : '-', d->mode & 010 ? 'x' : '-',
		d->mode & 04 ? 'r' : '-', d->mode & 02 ? 'w' : '-', d->mode & 01 ? 'x' : '-',
		uid, (unsigned long long)d->length, when, name);
}

static int
xls(StyxClient *c, int argc, char **argv)
{
	uint8_t buf[8192], sbuf[512];
	int lflag = argc > 1 && strcmp(argv[1], "-l") == 0, fid;
	const char *path = argc > 1 + lflag ? argv[1 + lflag] : "";
	uint64_t off = 0;
	StyxDir d;
	long n, i;

	if((fid = styxc_walk(c, path)) < 0 || styxc_stat(c, fid, &d, sbuf, sizeof sbuf) < 0)
		fatal(path);
	if(!(d.mode & STYX_DMDIR)){
		printdir(&d, lflag);
		return 0;
	}
	styxc_clunk(c, fid);
	if((fid = styxc_open(c, path, STYX_OREAD)) < 0)
		fatal(path);
	while((n = styxc_read(c, fid, off, buf, sizeof buf)) > 0){
		for(i = 0; i + 2 <= n; i += 2 + styx_get16(buf + i))
			if(i + 2 + styx_get16(buf + i) > n || styx_unpackdir(buf + i, 2 + (size_t)styx_get16(buf + i), &d) < 0)
				fatal("bad directory entry");
			else
				printdir(&d, lflag);
		off += (uint64_t)n;
	}
	return n < 0 ? -1 : 0;
}

static int
xwrite(StyxClient *c, const char *path)
{
	char buf[8192];
	uint64_t off = 0;
	size_t n;
	int fid = styxc_open(c, path, STYX_OWRITE | STYX_OTRUNC);

	if(fid < 0)
		fatal(path);
	while((n = fread(buf, 1, sizeof buf, stdin)) > 0){
		if(styxc_write(c, fid, off, buf, n) < 0)
			fatal("write");
		off += n;
	}
	return styxc_clunk(c, fid);
}

static int
xrdwr(StyxClient *c, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int fid = styxc_open(c, path, STYX_ORDWR);

	if(fid < 0)
		fatal(path);
	while((n = getline(&line, &cap, stdin)) > 0){
		if(styxc_write(c, fid, 0, line, (size_t)n) < 0 || stream(c, fid) < 0)
			fprintf(stderr, "llambo-9p: %s\n", lb_errstr());
		printf("\n");
	}
	free(line);
	return styxc_clunk(c, fid);
}

static int
xstat(StyxClient *c, const char *path)
{
	uint8_t sbuf[512];
	StyxDir d;
	int fid = styxc_walk(c, path);

	if(fid < 0 || styxc_stat(c, fid, &d, sbuf, sizeof sbuf) < 0)
		fatal(path);
	printf("'%.*s' '%.*s' '%.*s' '%.*s' q (%016llx %u %x) m %#o at %u mt %u l %llu t %u d %u\n",
		d.name.len, d.name.p, d.uid.len, d.uid.p, d.gid.len, d.gid.p, d.muid.len, d.muid.p,
		(unsigned long long)d.qid.path, d.qid.vers, d.qid.type, d.mode, d.atime, d.mtime,
		(unsigned long long)d.length, d.type, d.dev);
	return 0;
}

static int
xgen(StyxClient *c, const char *id, const char *req)
{
	char path[64];
	int fid;

	snprintf(path, sizeof path, "models/%s/data", id);
	if((fid = styxc_open(c, path, STYX_ORDWR)) < 0)
		fatal(path);
	if(styxc_write(c, fid, 0, req, strlen(req)) < 0 || stream(c, fid) < 0)
		fatal("gen");
	printf("\n");
	return styxc_clunk(c, fid);
}

int
main(int argc, char **argv)
{
	StyxClient *c;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if(argc > 2 && strcmp(argv[1], "-a") == 0){
		addr = argv[2];
		argc -= 2;
		argv += 2;
	}
	if(argc < 2)
		usage();
	if(strcmp(argv[1], "bench") == 0)
		return bench_main(argc - 1, argv + 1);
	c = dial();
	if(strcmp(argv[1], "ls") == 0)
		rc = xls(c, argc - 1, argv + 1);
	else if(argc == 3 && strcmp(argv[1], "read") == 0){
		int fid = styxc_open(c, argv[2], STYX_OREAD);

		if(fid < 0 || stream(c, fid) < 0)
			fatal(argv[2]);
		rc = 0;
	}else if(argc == 3 && strcmp(argv[1], "write") == 0)
		rc = xwrite(c, argv[2]);
	else if(argc == 3 && strcmp(argv[1], "rdwr") == 0)
		rc = xrdwr(c, argv[2]);
	else if(argc == 3 && strcmp(argv[1], "stat") == 0)
		rc = xstat(c, argv[2]);
	else if(argc == 4 && strcmp(argv[1], "gen") == 0)
		rc = xgen(c, argv[2], argv[3]);
	else
		usage();
	if(rc < 0)
		fatal(argv[1]);
	styxc_close(c);
	return 0;
}
