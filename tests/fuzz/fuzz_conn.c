/*
 * fuzz_conn.c - libFuzzer harness for the 9P server's per-connection state
 * machine: each input is a sequence of messages sent on one connection to an
 * in-process server that has a small model loaded (and may load it again from
 * its -m directory, free it, clone, generate, flush, renegotiate...).
 *
 * An input is chunks: a length (2 bytes, little-endian, at most 2048) and that
 * many bytes, which become one message's type, tag and body; the harness frames
 * each (the framing itself is fuzz_9p's and test_hostile's) after a Tversion
 * and a Tattach of fid 0.  Then it checks what a client must be able to count
 * on: every reply is a well-formed R-message, the connection is answered to the
 * end, and when it closes the server lets go of everything it held for it
 * (connections, fids, requests, generations, bytes, threads back to where they
 * were).  A dictionary of the tree's names and commands: tests/fuzz/conn.dict.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../include/llambo.h"
#include "../../src/styx/fcall.h"
#include "../../src/styx/srv.h"
#include "../../src/util/error.h"
#include "../testutil.h"

enum { SENTINEL = 0xFFFE, MAXCHUNK = 2048 };

static StyxSrv *srv;
static StyxCounts base;
static char dir[64], model[128];

/* The -m directory (the model, and anything an input saved there) goes at the end. */
static void
cleanup(void)
{
	rm_scratch_dir(dir);
}

static long
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits (at most 20 s) until the server holds what it held before the connection. */
static void
settle(void)
{
	StyxCounts now;
	long until = ms() + 20000;

	for(;;){
		styx_srv_counts(srv, &now);
		if(now.conns == base.conns && now.fids == base.fids && now.pending == base.pending
		&& now.gens == base.gens && now.threads == base.threads && now.bytes == base.bytes)
			return;
		if(ms() > until){
			fprintf(stderr, "conns %d/%d fids %d/%d pending %d/%d gens %d/%d threads %d/%d bytes %zu/%zu\n",
				now.conns, base.conns, now.fids, base.fids, now.pending, base.pending,
				now.gens, base.gens, now.threads, base.threads, now.bytes, base.bytes);
			fuzz_die("%s", "the server did not let go of what the connection held");
		}
		usleep(1000);
	}
}

/* One model loaded, whatever the last input freed or loaded. */
static void
onemodel(void)
{
	int ids[256], n = llambo_list_models(ids, 256), i, have = 0;
	llambo_status st;

	for(i = 0; i < n && i < 256; i++){
		if(!have && llambo_model_status(ids[i], &st) == 0 && st.state == LLAMBO_READY)
			have = 1;
		else
			llambo_free_model(ids[i]);
	}
	if(!have && styx_srv_load(srv, "m.gguf", 1, 0) < 0)
		fuzz_die("cannot load the model again: %s", lb_errstr());
}

static void
setup(void)
{
	StyxConfig cfg;

	snprintf(dir, sizeof dir, "/tmp/llambo-fuzz-conn-XXXXXX");
	if(mkdtemp(dir) == NULL)
		fuzz_die("%s", "mkdtemp");
	atexit(cleanup);
	snprintf(model, sizeof model, "%s/m.gguf", dir);
	if(tiny_model(model, 64) < 0)
		fuzz_die("synth: %s", lb_errstr());
	styx_default_config(&cfg);
	cfg.ndirs = 1;
	cfg.dirs[0] = dir;
	cfg.lim.gen_threads = 1;
	cfg.lim.max_tokens = 64;
	cfg.lim.write_timeout = 5;
	cfg.lim.max_msize = 8192 + STYX_IOHDRSZ;
	if((srv = styx_srv_new(&cfg)) == NULL)
		fuzz_die("styx_srv_new: %s", lb_errstr());
	onemodel();
	styx_srv_counts(srv, &base);
}

/* Appends a message of type and tag with body b[0..n) to the stream. */
static size_t
frame(uint8_t *out, uint8_t type, uint16_t tag, const uint8_t *b, size_t n)
{
	styx_put32(out, (uint32_t)(STYX_HDRSZ + n));
	out[4] = type;
	styx_put16(out + 5, tag);
	memcpy(out + STYX_HDRSZ, b, n);
	return STYX_HDRSZ + n;
}

/* The stream: Tversion, Tattach, the input's messages, then a Tclunk that ends what is read back. */
static uint8_t *
stream(const uint8_t *data, size_t size, size_t *len)
{
	uint8_t *out = malloc(64 + size + size / 2 * STYX_HDRSZ + 64), *o = out, body[64];
	StyxFcall t;
	size_t n;

	if(out == NULL)
		return NULL;
	memset(&t, 0, sizeof t);
	t.type = STYX_TVERSION;
	t.tag = STYX_NOTAG;
	t.msize = 8192 + STYX_IOHDRSZ;
	t.version = styx_str("9P2000");
	o += styx_pack(&t, o, 64);
	memset(&t, 0, sizeof t);
	t.type = STYX_TATTACH;
	t.tag = 1;
	t.fid = 0;
	t.afid = STYX_NOFID;
	t.uname = styx_str("fuzz");
	t.aname = styx_str("");
	o += styx_pack(&t, o, 64);
	while(size >= 2){
		n = styx_get16(data) % (MAXCHUNK + 1);
		data += 2;
		size -= 2;
		if(n > size)
			n = size;
		if(n < 3){	/* type and tag at least */
			data += n;
			size -= n;
			continue;
		}
		o += frame(o, data[0], styx_get16(data + 1), data + 3, n - 3);
		data += n;
		size -= n;
	}
	styx_put32(body, 0xFFFFFFF0u);
	o += frame(o, STYX_TCLUNK, SENTINEL, body, 4);
	*len = (size_t)(o - out);
	return out;
}

/*
 * Sends msgs[0..n) while it reads the replies (a server that cannot write
 * stops reading), until the sentinel's reply or the end; each reply must be a
 * well-formed R-message.
 */
static void
exchange(int fd, const uint8_t *msgs, size_t n)
{
	static uint8_t buf[1 << 17];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t have = 0, size, sent = 0;
	StyxFcall r;
	ssize_t k;

	for(;;){
		while(have >= 4 && (size = styx_get32(buf)) <= have){
			if(size < STYX_HDRSZ || styx_unpack(buf, size, &r) < 0 || (r.type & 1) == 0)
				fuzz_die("a malformed reply: %s", lb_errstr());
			if(r.tag == SENTINEL)
				return;
			memmove(buf, buf + size, have - size);
			have -= size;
		}
		if(have >= 4 && styx_get32(buf) > sizeof buf)
			fuzz_die("%s", "a reply larger than any msize");
		p.events = POLLIN | (sent < n ? POLLOUT : 0);
		if(poll(&p, 1, 30000) <= 0)
			fuzz_die("%s", "no answer for 30 s");
		if((p.revents & POLLOUT) && sent < n){
			k = send(fd, msgs + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if(k > 0)
				sent += (size_t)k;
		}
		if(p.revents & (POLLIN | POLLHUP | POLLERR)){
			k = read(fd, buf + have, sizeof buf - have);
			if(k <= 0)
				return;	/* the server closed it (a framing it refused, say) */
			have += (size_t)k;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msgs;
	size_t n;
	int sv[2];

	if(srv == NULL)
		setup();
	if((msgs = stream(data, size, &n)) == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0){
		free(msgs);
		return 0;
	}
	if(styx_srv_serve(srv, sv[0], sv[0]) < 0)
		fuzz_die("serve: %s", lb_errstr());
	exchange(sv[1], msgs, n);
	free(msgs);
	close(sv[1]);
	settle();
	onemodel();
	settle();
	return 0;
}
