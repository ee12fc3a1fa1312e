/*
 * test_styx_codec.c - the 9P2000 codec and dial strings, without a server:
 * every message type round-trips, and every malformed message is refused
 * with a reason.  (The data request's grammar: test_request.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "../src/styx/addr.h"
#include "../src/styx/fcall.h"
#include "../src/styx/impl.h"
#include "../src/util/error.h"
#include "testutil.h"

static void
roundtrip(StyxFcall *f)
{
	uint8_t buf[1024];
	StyxFcall g;
	size_t n = styx_pack(f, buf, sizeof buf);

	assert_true(n > 0);
	assert_int_equal(n, styx_packsize(f));
	assert_int_equal(styx_unpack(buf, n, &g), 0);
	assert_int_equal(g.type, f->type);
	assert_int_equal(g.tag, f->tag);
	/* a message cut short, or with a byte too many, is refused */
	assert_int_equal(styx_unpack(buf, n - 1, &g), -1);
	styx_put32(buf, (uint32_t)n - 1);
	assert_int_equal(styx_unpack(buf, n - 1, &g), -1);
	styx_put32(buf, (uint32_t)n + 1);
	buf[n] = 0;
	assert_int_equal(styx_unpack(buf, n + 1, &g), -1);
}

static void
test_roundtrip(void **state)
{
	StyxFcall f;
	int t;

	(void)state;
	for(t = STYX_TVERSION; t <= STYX_RWSTAT; t++){
		if(t == STYX_TERROR)
			continue;
		memset(&f, 0, sizeof f);
		f.type = (uint8_t)t;
		f.tag = 7;
		f.version = styx_str("9P2000");
		f.uname = styx_str("glenda");
		f.aname = styx_str("");
		f.name = styx_str("x");
		f.ename = styx_str("file does not exist");
		f.nwname = 2;
		f.wname[0] = styx_str("models");
		f.wname[1] = styx_str("0");
		f.nwqid = 1;
		f.count = 3;
		f.data = (const uint8_t *)"abc";
		f.nstat = 3;
		f.stat = (const uint8_t *)"xyz";
		roundtrip(&f);
	}
}

static void
test_fields(void **state)
{
	StyxFcall f = { .type = STYX_TWALK, .tag = 3, .fid = 1, .newfid = 2, .nwname = 3 }, g;
	uint8_t buf[256];
	size_t n;

	(void)state;
	f.wname[0] = styx_str("models");
	f.wname[1] = styx_str("12");
	f.wname[2] = styx_str("data");
	n = styx_pack(&f, buf, sizeof buf);
	assert_int_equal(styx_unpack(buf, n, &g), 0);
	assert_int_equal(g.fid, 1);
	assert_int_equal(g.newfid, 2);
	assert_int_equal(g.nwname, 3);
	assert_true(styx_streq(g.wname[1], "12"));
	assert_true(styx_streq(g.wname[2], "data"));
	/* no room: pack refuses instead of writing past the end */
	assert_int_equal(styx_pack(&f, buf, n - 1), 0);
}

static void
test_malformed(void **state)
{
	uint8_t m[64];
	StyxFcall f;
	int i;

	(void)state;
	/* Twalk with 17 names */
	memset(m, 0, sizeof m);
	m[4] = STYX_TWALK;
	styx_put16(m + 15, 17);
	for(i = 0; i < 17; i++)
		styx_put16(m + 17 + 2 * i, 0);
	styx_put32(m, 17 + 34);
	assert_int_equal(styx_unpack(m, 17 + 34, &f), -1);
	assert_non_null(strstr(lb_errstr(), "too many names"));
	/* Twrite whose count runs past the message */
	memset(m, 0, sizeof m);
	m[4] = STYX_TWRITE;
	styx_put32(m + 19, 1000);
	styx_put32(m, 23 + 4);
	assert_int_equal(styx_unpack(m, 23 + 4, &f), -1);
	/* a string longer than the message */
	memset(m, 0, sizeof m);
	m[4] = STYX_TVERSION;
	styx_put32(m + 7, 8192);
	styx_put16(m + 11, 60000);
	styx_put32(m, 13);
	assert_int_equal(styx_unpack(m, 13, &f), -1);
	/* a NUL inside a string */
	memcpy(m + 13, "9P\0000", 4);
	styx_put16(m + 11, 4);
	styx_put32(m, 17);
	assert_int_equal(styx_unpack(m, 17, &f), -1);
	/* unknown types, and a message shorter than its header */
	memset(m, 0, sizeof m);
	styx_put32(m, 7);
	m[4] = 99;
	assert_int_equal(styx_unpack(m, 7, &f), -1);
	m[4] = STYX_TERROR;
	assert_int_equal(styx_unpack(m, 7, &f), -1);
	assert_int_equal(styx_unpack(m, 6, &f), -1);
	/* Rwalk with 17 qids */
	m[4] = STYX_RWALK;
	styx_put16(m + 7, 17);
	styx_put32(m, 9);
	assert_int_equal(styx_unpack(m, 9, &f), -1);
}

static void
test_dir(void **state)
{
	StyxDir d, e;
	uint8_t buf[128];
	size_t n;

	(void)state;
	memset(&d, 0, sizeof d);
	d.qid.type = STYX_QTDIR;
	d.qid.path = 0x1234567890ULL;
	d.mode = STYX_DMDIR | 0555;
	d.length = 42;
	d.name = styx_str("models");
	d.uid = d.gid = d.muid = styx_str("llambo");
	n = styx_packdir(&d, buf, sizeof buf);
	assert_int_equal(n, STYX_STATFIXLEN + 6 + 3 * 6);
	assert_int_equal(styx_get16(buf), n - 2);
	assert_int_equal(styx_unpackdir(buf, n, &e), 0);
	assert_true(styx_streq(e.name, "models"));
	assert_int_equal(e.qid.path, d.qid.path);
	assert_int_equal(e.mode, d.mode);
	assert_int_equal(e.length, 42);
	assert_int_equal(styx_unpackdir(buf, n - 1, &e), -1);
	assert_int_equal(styx_packdir(&d, buf, n - 1), 0);
}

static void
test_addr(void **state)
{
	StyxAddr a;

	(void)state;
	assert_int_equal(styx_parseaddr("tcp!*!9999", &a), 0);
	assert_string_equal(a.host, "*");
	assert_string_equal(a.port, "9999");
	assert_int_equal(styx_parseaddr("tcp!127.0.0.1!564", &a), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_string_equal(a.port, "564");
	assert_int_equal(styx_parseaddr("tcp!server", &a), 0);
	assert_string_equal(a.port, "9999");
	assert_int_equal(styx_parseaddr("unix!/tmp/llambo.sock", &a), 0);
	assert_true(a.isunix);
	assert_string_equal(a.path, "/tmp/llambo.sock");
	assert_int_equal(styx_parseaddr("udp!x!1", &a), -1);
	assert_int_equal(styx_parseaddr("localhost", &a), -1);
	assert_int_equal(styx_parseaddr("tcp!!1", &a), -1);
	assert_int_equal(styx_parseaddr("tcp!a!1!2", &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
