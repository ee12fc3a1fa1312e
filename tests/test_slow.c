/*
 * test_slow.c - no client can slow another (issue 9): a connection that never
 * reads its socket holds up nobody's generations, on its model or another; one
 * whose socket stays full past the write timeout is dropped and its generations
 * cancelled; a flush during a long prompt stops it at the scheduler's next step.
 *
 * The client that does not read talks over a socketpair whose server end has a
 * small send buffer, so that its socket is full after a few replies.  Models:
 * ../shared's where present, else synthetic ones of like shape; the long-context
 * model is always synthetic (written here).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/model/synth.h"
#include "llambo.h"
#include "styxtest.h"
#include "testutil.h"

/*
 * The flood: enough reads that the replies fill the server's end of the socket (a few
 * of 868 bytes) and then its queue (96, SENDQ in src/styx/impl.h), and so few more that
 * the requests left unread fit in the client's own send buffer: it never blocks.
 */
enum { SLOWGENS = 16, FLOOD = 96 + 24 };

/* A connection on a socketpair whose server end buffers little: attached, not yet flooded. */
static StyxClient *
narrow(StyxSrv *s)
{
	int sv[2], small = 4096;
	StyxClient *c;
	char v[32];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	assert_int_equal(styx_srv_serve(s, sv[0], sv[0]), 0);
	c = styxc_new(sv[1]);
	assert_non_null(c);
	assert_int_equal(styxc_version(c, 8192 + 24, "9P2000", v, sizeof v), 0);
	assert_int_equal(styxc_attach(c, "slow"), 0);
	return c;
}

/* Opens data on c and writes req there (not started: it starts at the first read). */
static int
request(StyxClient *c, const char *data, const char *req)
{
	int fid = styxc_open(c, data, STYX_ORDWR);

	assert_true(fid >= 0);
	assert_int_equal(styxc_write(c, fid, 0, req, strlen(req)), (long)strlen(req));
	return fid;
}

/* Sends a read on fid and never takes its reply. */
static void
sendread(StyxClient *c, int fid, uint16_t tag)
{
	StyxFcall t = { .type = STYX_TREAD, .tag = tag, .fid = (uint32_t)fid, .count = 8192 };

	assert_int_equal(styxc_send(c, &t), 0);
}

/* Reads of fid (open) that c never takes: its socket fills, then its queue of replies. */
static void
flood(StyxClient *c, int fid, uint16_t tag0)
{
	int i;

	for(i = 0; i < FLOOD; i++)
		sendread(c, fid, (uint16_t)(tag0 + i));
}

/*
 * A client starts as many generations as it may, reads none of them and fills
 * its socket: another client's generations on the same model and on another
 * model are served meanwhile, while the first is still stuck.
 */
static void
test_slow_reader(void **state)
{
	char addr[64], dataa[64], datab[64], info[64], req[64];
	int ida, idb, fids[SLOWGENS], ifid, i;
	StyxClient *slow, *c;
	StyxCounts base, cnt;
	StyxConfig cfg;
	StyxSrv *s;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.write_timeout = 3600;	/* it must not be what frees the others */
	s = st_server(&cfg, addr, sizeof addr);
	st_quiet(s, &base);
	c = st_dial(addr);
	ida = st_loadtest(c, "mini-llama-Q4_0.gguf", dataa, sizeof dataa);
	idb = st_loadtest(c, "aidreams260K.gguf", datab, sizeof datab);
	slow = narrow(s);
	for(i = 0; i < SLOWGENS; i++){
		snprintf(req, sizeof req, "Once upon a time %d|300|0", i);
		fids[i] = request(slow, dataa, req);
	}
	snprintf(info, sizeof info, "models/%d/info", ida);
	ifid = styxc_open(slow, info, STYX_OREAD);
	assert_true(ifid >= 0);
	for(i = 0; i < SLOWGENS; i++)
		sendread(slow, fids[i], (uint16_t)(100 + i));
	flood(slow, ifid, 1000);
	WAIT_FOR((styx_srv_counts(s, &cnt), cnt.replies > 0));
	/* the others are served while it is stuck */
	st_checkgen(c, dataa, ida, "The quick brown fox", 40);
	st_checkgen(c, datab, idb, "Once upon a time", 40);
	styx_srv_counts(s, &cnt);
	assert_true(cnt.replies > 0);	/* still stuck: nothing of it was written meanwhile */
	assert_int_equal(cnt.conns, base.conns + 2);
	styxc_close(slow);
	st_free(c, ida);
	st_free(c, idb);
	styxc_close(c);
	assert_int_equal(st_settle(s, &base, 60), 0);
	styx_srv_free(s);
}

/* A model whose context is long enough for a generation that outlasts any wait here. */
static int
longmodel(StyxClient *c, char *path, size_t n)
{
	SynthSpec spec;

	synth_defaults(&spec);
	spec.n_vocab = 400;
	spec.n_ctx = 32768;
	tmp_path(path, n, "slow-long.gguf");
	assert_int_equal(synth_write(&spec, path), 0);
	return st_load(c, path);
}

/*
 * A client whose socket stays full past the write timeout is dropped, and its
 * generation (here waiting for KV cache behind a long one) is cancelled: it
 * never runs.
 */
static void
test_write_timeout(void **state)
{
	char addr[64], path[PATH_MAX], data[64], info[64];
	llambo_status st0, st;
	llambo_stats hs;
	llambo_params p;
	llambo_gen *holder;
	StyxClient *slow, *c;
	StyxCounts base, cnt;
	StyxConfig cfg;
	StyxSrv *s;
	int id, fid, ifid;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.write_timeout = 1;
	s = st_server(&cfg, addr, sizeof addr);
	st_quiet(s, &base);
	c = st_dial(addr);
	id = longmodel(c, path, sizeof path);
	assert_true(id >= 0);
	assert_int_equal(llambo_model_status(id, &st0), 0);
	/* a long generation holds the whole KV budget */
	llambo_default_params(&p);
	p.max_tokens = 30000;
	p.n_ctx = 32768;
	p.ignore_eos = 1;
	holder = llambo_gen_start(id, "x", &p, NULL, NULL);
	assert_non_null(holder);
	WAIT_FOR((llambo_model_status(id, &st), st.generations == 1));
	assert_int_equal(llambo_set_kv_budget(id, st.kv_used), 0);
	/* the slow client's request waits for it; its socket fills */
	slow = narrow(s);
	snprintf(data, sizeof data, "models/%d/data", id);
	fid = request(slow, data, "Once upon a time|8|0");
	snprintf(info, sizeof info, "models/%d/info", id);
	ifid = styxc_open(slow, info, STYX_OREAD);
	assert_true(ifid >= 0);
	sendread(slow, fid, 100);
	WAIT_FOR((llambo_model_status(id, &st), st.queued == 1));
	flood(slow, ifid, 1000);
	/* dropped after a second of a full socket; its request leaves the queue */
	WAIT_FOR((styx_srv_counts(s, &cnt), cnt.conns == base.conns + 1));
	WAIT_FOR((llambo_model_status(id, &st), st.queued == 0));
	llambo_gen_cancel(holder);
	while(llambo_gen_take(holder, NULL, 0, &(size_t){ 0 }) < LLAMBO_GEN_DONE)
		llambo_gen_wait(holder);
	llambo_gen_stats(holder, &hs);
	llambo_gen_free(holder);
	/* what was generated is the long one's alone: the slow client's request never ran */
	assert_int_equal(llambo_model_status(id, &st), 0);
	assert_int_equal(st.tokens_generated - st0.tokens_generated, hs.n_gen);
	assert_int_equal(hs.stop_reason, LLAMBO_STOP_CANCEL);
	styxc_close(slow);
	st_free(c, id);
	styxc_close(c);
	assert_int_equal(st_settle(s, &base, 60), 0);
	styx_srv_free(s);
	unlink(path);
}

/*
 * A flush while a long prompt is processed (in chunks, beside a generating
 * sequence) is answered at once and stops the generation in its prompt.
 */
static void
test_flush_in_prompt(void **state)
{
	char addr[64], path[PATH_MAX], data[64], status[64], *req = malloc(3100), *text = NULL;
	StyxFcall t = { .type = STYX_TREAD, .tag = 60000, .count = 4096 }, f = { .type = STYX_TFLUSH, .tag = 60001, .oldtag = 60000 }, r;
	llambo_params p;
	llambo_gen *holder;
	StyxClient *c;
	StyxSrv *s;
	int id, fid, i, done, n;

	(void)state;
	s = st_server(NULL, addr, sizeof addr);
	c = st_dial(addr);
	id = longmodel(c, path, sizeof path);
	assert_true(id >= 0);
	llambo_default_params(&p);
	p.max_tokens = 30000;
	p.n_ctx = 32768;
	p.ignore_eos = 1;
	holder = llambo_gen_start(id, "x", &p, NULL, NULL);	/* others generate: the prompt goes in small chunks */
	assert_non_null(holder);
	for(i = 0; i < 3000; i++)
		req[i] = "abcdefghij klmnopqrst"[(i * 7) % 21];
	strcpy(req + 3000, "|16|0");
	snprintf(data, sizeof data, "models/%d/data", id);
	snprintf(status, sizeof status, "models/%d/status", id);
	fid = request(c, data, req);
	t.fid = (uint32_t)fid;
	assert_int_equal(styxc_send(c, &t), 0);
	WAIT_FOR((free(text), text = st_cat(c, status), assert_non_null(text), st_field(text, "(prompt ") > 0));
	assert_int_equal(styxc_send(c, &f), 0);
	assert_int_equal(styxc_recv(c, &r), 0);
	assert_int_equal(r.type, STYX_RFLUSH);
	assert_int_equal(r.tag, 60001);
	WAIT_FOR((free(text), text = st_cat(c, status), assert_non_null(text), strstr(text, "request cancelled") != NULL));
	print_message("%s", text);
	assert_int_equal(sscanf(strstr(text, "(prompt "), "(prompt %d/%d)", &done, &n), 2);
	assert_true(done > 0 && done < n);	/* stopped inside its prompt */
	assert_non_null(strstr(text, "request cancelled 0/16 tokens"));
	free(text);
	free(req);
	llambo_gen_free(holder);
	st_free(c, id);
	styxc_close(c);
	styx_srv_free(s);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_slow_reader),
		cmocka_unit_test(test_write_timeout),
		cmocka_unit_test(test_flush_in_prompt),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
