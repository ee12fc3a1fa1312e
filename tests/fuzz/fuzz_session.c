/*
 * fuzz_session.c - libFuzzer harness for conversations: the session files of
 * the 9P server (sessions/NAME/...) and the files ctl's save writes and
 * restore reads, on an in-process server with a small model in its -m
 * directory (-O: a session may name it).
 *
 * The first byte says what the rest is.  Even: a saved session, written to
 * the -m directory and restored into a new session; if it is accepted, every
 * file of the session reads, a save of it restored into another session gives
 * the same messages, and a turn runs on what it holds (its cache, if it came
 * with one).  Odd: records of a session's files, a byte (which file, and
 * whether to read it or write to it), a length byte and that many bytes
 * written.  Either way a refusal has a reason, and once the sessions are
 * closed the server holds what it held before (connections, fids, requests,
 * generations, bytes, threads).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../include/llambo.h"
#include "../../src/styx/client.h"
#include "../../src/styx/srv.h"
#include "../../src/util/error.h"
#include "../styxtest.h"
#include "../testutil.h"

static StyxSrv *srv;
static StyxClient *cl;
static StyxCounts base;
static char dir[64];

static const char *files[] = {
	"ask", "stream", "model", "temperature", "system", "thinking", "prefill", "tools", "context",
	"compact", "ctl", "usage", "maxtokens", "reasoning", "history", "options",
};
enum { NFILES = sizeof files / sizeof files[0] };

/* The -m directory and what the inputs saved in it go at the end. */
static void
cleanup(void)
{
	rm_scratch_dir(dir);
}

static void
setup(void)
{
	StyxConfig cfg;
	char model[128], addr[64];

	snprintf(dir, sizeof dir, "/tmp/llambo-fuzz-session-XXXXXX");
	if(mkdtemp(dir) == NULL)
		fuzz_die("%s", "mkdtemp");
	atexit(cleanup);
	snprintf(model, sizeof model, "%s/m.gguf", dir);
	if(tiny_model(model, 128) < 0)
		fuzz_die("synth: %s", lb_errstr());
	styx_default_config(&cfg);
	cfg.ndirs = 1;
	cfg.dirs[0] = dir;
	cfg.autoload = 1;
	cfg.lim.gen_threads = 1;
	cfg.lim.max_tokens = 4;
	cfg.lim.max_history = 1 << 16;
	if((srv = styx_srv_new(&cfg)) == NULL || styx_srv_listen(srv, "tcp!127.0.0.1!0") < 0)
		fuzz_die("server: %s", lb_errstr());
	snprintf(addr, sizeof addr, "tcp!127.0.0.1!%d", styx_srv_port(srv));
	if((cl = styxc_dial(addr)) == NULL)
		fuzz_die("dial: %s", lb_errstr());
	styxc_timeout(cl, 60);
	styx_srv_counts(srv, &base);
}

/* A refusal must say why. */
static void
refused(const char *what)
{
	if(*lb_errstr() == 0)
		fuzz_die("%s was refused without a reason", what);
}

/* sessions/name/file written with b[0..n) in one write; 0, or -1 (refused, with a reason). */
static int
put(const char *name, const char *file, const void *b, size_t n)
{
	char path[128];
	int fid, rc;

	snprintf(path, sizeof path, "sessions/%s/%s", name, file);
	lb_err("");
	if((fid = styxc_open(cl, path, STYX_OWRITE | STYX_OTRUNC)) < 0){
		refused(path);
		return -1;
	}
	if((rc = styxc_write(cl, fid, 0, b, n)) < 0)
		refused(path);
	styxc_clunk(cl, fid);
	return rc < 0 ? -1 : 0;
}

/* sessions/name/file read whole (malloc'd), or NULL (refused, with a reason). */
static char *
get(const char *name, const char *file)
{
	char path[128], *t;

	snprintf(path, sizeof path, "sessions/%s/%s", name, file);
	lb_err("");
	if((t = st_cat(cl, path)) == NULL)
		refused(path);
	return t;
}

/* A new session's name in name[33]. */
static void
newsession(char *name)
{
	char *t = st_cat(cl, "sessions/new");

	if(t == NULL || strlen(t) != 33)
		fuzz_die("sessions/new: %s", t != NULL ? t : lb_errstr());
	memcpy(name, t, 32);
	name[32] = 0;
	free(t);
}

static void
closesession(const char *name)
{
	put(name, "ctl", "close", 5);
}

/* Every file of the session that reads as text reads. */
static void
readall(const char *name)
{
	static const char *text[] = { "model", "temperature", "system", "context", "usage", "history", "options", "maxtokens" };
	size_t i;

	for(i = 0; i < sizeof text / sizeof text[0]; i++)
		free(get(name, text[i]));
}

/* The input as a saved session: restored, and if accepted, saved and restored again alike, and a turn on it. */
static void
restored(const uint8_t *data, size_t size)
{
	char a[33], b[33], path[128], *ca, *cb;
	FILE *f;

	snprintf(path, sizeof path, "%s/in", dir);
	if((f = fopen(path, "wb")) == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_die("%s", "cannot write the input");
	newsession(a);
	if(put(a, "ctl", "restore in", 10) == 0){
		readall(a);
		if(put(a, "ctl", "save out", 8) < 0)
			fuzz_die("a restored session cannot be saved: %s", lb_errstr());
		newsession(b);
		if(put(b, "ctl", "restore out", 11) < 0)
			fuzz_die("a session saved from a restored one is refused: %s", lb_errstr());
		ca = get(a, "context");
		cb = get(b, "context");
		if(ca == NULL || cb == NULL || strcmp(ca, cb) != 0)
			fuzz_die("saved and restored again, the messages differ: %s", cb != NULL ? cb : "(none)");
		free(ca);
		free(cb);
		if(put(b, "ask", "x", 1) == 0)
			free(get(b, "ask"));
		closesession(b);
	}
	closesession(a);
}

/* The input as records of writes and reads of one session's files. */
static void
played(const uint8_t *data, size_t size)
{
	char a[33];
	size_t n;
	int op;

	newsession(a);
	while(size >= 2){
		op = data[0];
		n = data[1] < size - 2 ? data[1] : size - 2;
		if(op & 0x80)
			free(get(a, files[(op & 0x7f) % NFILES]));
		else
			put(a, files[op % NFILES], data + 2, n);
		data += 2 + n;
		size -= 2 + n;
	}
	readall(a);
	closesession(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if(srv == NULL)
		setup();
	if(size == 0)
		return 0;
	if(data[0] % 2 == 0)
		restored(data + 1, size - 1);
	else
		played(data + 1, size - 1);
	if(st_settle(srv, &base, 20) < 0)
		fuzz_die("%s", "the server did not let go of what the sessions held");
	return 0;
}
