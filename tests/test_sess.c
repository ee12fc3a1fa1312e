/*
 * test_sess.c - conversations as files, through real 9P: five turns whose
 * replies are llambo chat's on the same model and seed, each turn keeping
 * the cache of the ones before; sessions no connection can find without
 * their names; the limits' Rerrors; infernode's layout (an attach to "llm")
 * driven by plan9port's 9p as infernode's README drives it (skipped where
 * plan9port is absent: $PLAN9, or /work/ext/plan9port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/llambo.h"
#include "../src/model/synth.h"
#include "../src/styx/impl.h"	/* test_slow_load holds the server's load lock */
#include "../src/util/error.h"
#include "clitest.h"
#include "styxtest.h"
#include "testutil.h"

static char model[512];
static int modelid;

static int
setup(void **state)
{
	SynthSpec s;
	StyxClient *c;

	(void)state;
	cli_paths();
	tmp_path(model, sizeof model, "sess.gguf");
	synth_defaults(&s);
	s.n_layer = 2;
	if(synth_write(&s, model) < 0)
		return -1;
	st_setup(state);
	c = st_dial(st_addr);
	modelid = st_load(c, model);
	styxc_close(c);
	return modelid < 0 ? -1 : 0;
}

static int
teardown(void **state)
{
	st_teardown(state);
	unlink(model);
	cli_unlink();
	return 0;
}

/* A new session's name (read from new, without its newline); fails the test if refused. */
static void
newsession(StyxClient *c, const char *dir, char *name, size_t n)
{
	char path[64], *t;

	snprintf(path, sizeof path, "%snew", dir);
	t = st_cat(c, path);
	if(t == NULL)
		fail_msg("read %s: %s", path, lb_errstr());
	assert_int_equal(strlen(t), 33);
	assert_true(t[32] == '\n');
	snprintf(name, n, "%.32s", t);
	free(t);
}

/* dir/name/file, written as echo writes it; fails the test if refused. */
static void
put(StyxClient *c, const char *dir, const char *name, const char *file, const char *text)
{
	char path[128];

	snprintf(path, sizeof path, "%s%s/%s", dir, name, file);
	if(st_echo(c, path, text) < 0)
		fail_msg("write %s: %s", path, lb_errstr());
}

/* dir/name/file's text (malloc'd), or NULL with the Rerror in lb_err. */
static char *
get(StyxClient *c, const char *dir, const char *name, const char *file)
{
	char path[128];

	snprintf(path, sizeof path, "%s%s/%s", dir, name, file);
	return st_cat(c, path);
}

/* sessions/name/file refuses text with an Rerror that says why. */
static void
refused(StyxClient *c, const char *name, const char *file, const char *text, const char *why)
{
	char path[128];

	snprintf(path, sizeof path, "sessions/%s/%s", name, file);
	assert_int_equal(st_echo(c, path, text), -1);
	if(strstr(lb_errstr(), why) == NULL)
		fail_msg("%s refused \"%s\" with \"%s\", not \"%s\"", path, text, lb_errstr(), why);
}

static int
prefix(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

/* The reply to text (malloc'd), written to ask and read from it. */
static char *
reply(StyxClient *c, const char *name, const char *text)
{
	char *t;

	put(c, "sessions/", name, "ask", text);
	if((t = get(c, "sessions/", name, "ask")) == NULL)
		fail_msg("ask: %s", lb_errstr());
	return t;
}

/* Greedy replies of at most n tokens from session dir/name. */
static void
greedy(StyxClient *c, const char *dir, const char *name, const char *n)
{
	put(c, dir, name, "temperature", "0");
	put(c, dir, name, "maxtokens", n);
}

static const char *lines[5] = { "Hello there", "What is your name?", "Tell me a story.", "Why?", "Thank you, bye." };

/*
 * Five turns, each written to ask and read from ask and stream: the replies
 * are what llambo chat prints for the same lines (same model, seed and
 * settings), and from the second turn on the cache keeps what came before.
 */
static void
test_five_turns(void **state)
{
	StyxClient *c = st_dial(st_addr);
	char name[40], args[2048], in[512], *ask, *stream, *usage, *want, *ctx;
	size_t got = 0;
	int t, cached, ctxlen, kept, eval, gen, prev = 0;
	FILE *f;

	(void)state;
	newsession(c, "sessions/", name, sizeof name);
	put(c, "sessions/", name, "temperature", "0.8\n");
	put(c, "sessions/", name, "maxtokens", "8\n");
	put(c, "sessions/", name, "options", "seed=7|top_k=20\n");
	put(c, "sessions/", name, "system", "Be brief.\n");
	tmp_path(in, sizeof in, "sess.in");
	f = fopen(in, "w");
	assert_non_null(f);
	for(t = 0; t < 5; t++)
		fprintf(f, "%s\n", lines[t]);
	fclose(f);
	snprintf(args, sizeof args, "chat -m %s -n 8 --temp 0.8 --seed 7 --top-k 20 -t 2 -sys 'Be brief.' <%s", model, in);
	assert_int_equal(llambo(args), 0);
	want = slurp(cli_out);
	for(t = 0; t < 5; t++){
		put(c, "sessions/", name, "ask", lines[t]);
		ask = get(c, "sessions/", name, "ask");
		stream = get(c, "sessions/", name, "stream");
		assert_non_null(ask);
		assert_non_null(stream);
		if(strncmp(want + got, stream, strlen(stream)) != 0 || want[got + strlen(stream)] != '\n')
			fail_msg("turn %d: the session replied \"%s\"; llambo chat printed:\n%s", t + 1, stream, want);
		assert_true(strncmp(ask, stream, strlen(stream)) == 0);	/* ask: the same, with a newline after it */
		got += strlen(stream) + 1;
		usage = get(c, "sessions/", name, "usage");
		assert_non_null(usage);
		assert_int_equal(sscanf(usage, "%d/%d\nlast turn: %d tokens kept in the cache, %d evaluated, %d generated",
			&cached, &ctxlen, &kept, &eval, &gen), 5);
		if(t > 0)	/* all of the last turn but perhaps its last token, which was not fed back */
			assert_true(kept >= prev - 1 && kept <= prev && eval > 0 && eval < kept);
		assert_true(cached > prev && cached <= ctxlen);
		prev = cached;
		free(usage);
		free(ask);
		free(stream);
	}
	assert_int_equal(got, strlen(want));
	ctx = get(c, "sessions/", name, "context");
	assert_non_null(ctx);
	assert_true(prefix(ctx, "[{\"role\":\"user\",\"content\":\"Hello there\"},{\"role\":\"assistant\",\"content\":"));
	assert_non_null(strstr(ctx, "{\"role\":\"user\",\"content\":\"Thank you, bye.\"},{\"role\":\"assistant\""));
	free(ctx);
	ctx = get(c, "sessions/", name, "history");
	assert_true(prefix(ctx, "system: Be brief.\nuser: Hello there\nassistant: "));
	free(ctx);
	put(c, "sessions/", name, "ctl", "uncache");	/* the cache given back: the next turn evaluates everything */
	put(c, "sessions/", name, "ask", "Again.");
	free(get(c, "sessions/", name, "ask"));
	usage = get(c, "sessions/", name, "usage");
	assert_int_equal(sscanf(usage, "%d/%d\nlast turn: %d tokens kept in the cache, %d evaluated", &cached, &ctxlen, &kept, &eval), 4);
	assert_true(kept == 0 && eval > prev);
	free(usage);
	put(c, "sessions/", name, "ctl", "close");
	assert_null(get(c, "sessions/", name, "usage"));
	free(want);
	unlink(in);
	styxc_close(c);
}

/* Sessions are not listed; another connection reaches one by its name, and by nothing else. */
static void
test_unguessable(void **state)
{
	StyxClient *a = st_dial(st_addr), *b = st_dial(st_addr);
	char name[40], other[40], *t;

	(void)state;
	newsession(a, "sessions/", name, sizeof name);
	put(a, "sessions/", name, "system", "secret");
	t = st_cat(b, "sessions");
	assert_null(strstr(t, name));
	free(t);
	snprintf(other, sizeof other, "%.31s%c", name, name[31] == '0' ? '1' : '0');
	assert_null(get(b, "sessions/", other, "system"));
	assert_non_null(strstr(lb_errstr(), "does not exist"));
	t = get(b, "sessions/", name, "system");	/* the name is the key: a user comes back from another mount */
	assert_string_equal(t, "secret\n");
	free(t);
	put(b, "sessions/", name, "ctl", "close");
	assert_null(get(a, "sessions/", name, "system"));
	styxc_close(a);
	styxc_close(b);
}

/* Each limit refuses with an Rerror that says which, and what to do. */
static void
test_limits(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *a, *b, *c;
	char addr[64], n1[40], n2[40], n3[40], big[200];

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.max_sessions = 2;
	cfg.lim.max_conn_sessions = 1;
	cfg.lim.max_history = 64;
	s = st_server(&cfg, addr, sizeof addr);
	a = st_dial(addr);
	b = st_dial(addr);
	c = st_dial(addr);
	newsession(a, "sessions/", n1, sizeof n1);
	assert_null(st_cat(a, "sessions/new"));
	assert_non_null(strstr(lb_errstr(), "too many sessions made on this connection (limit 1)"));
	newsession(b, "sessions/", n2, sizeof n2);
	assert_null(st_cat(c, "sessions/new"));
	assert_non_null(strstr(lb_errstr(), "too many sessions on this server (limit 2)"));
	put(b, "sessions/", n2, "ctl", "close");
	newsession(c, "sessions/", n3, sizeof n3);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	put(c, "sessions/", n3, "ask", big);
	assert_null(get(c, "sessions/", n3, "ask"));
	assert_non_null(strstr(lb_errstr(), "would pass 64 bytes"));
	put(a, "sessions/", n1, "temperature", "1.5");
	assert_int_equal(st_echo(a, "sessions/new/../x", "x"), -1);
	assert_true(st_echo(a, "sessions/new", "x") < 0);
	refused(a, n1, "temperature", "3", "temperature must be between 0.0 and 2.0");
	refused(a, n1, "ctl", "fre", "unknown command: fre");
	styxc_close(a);
	styxc_close(b);
	styxc_close(c);
	styx_srv_free(s);
}

/* A conversation longer than its context: the oldest exchanges go, the system prompt stays, usage says so. */
static void
test_overflow(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char addr[64], name[40], *t;
	int i, cached, ctxlen, kept, eval, gen, dropped;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.session_ctx = 256;
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", name, sizeof name);
	greedy(c, "sessions/", name, "6");
	put(c, "sessions/", name, "system", "Be brief.");
	for(i = 0, dropped = 0; dropped == 0; i++){	/* until the first drop, then one turn more */
		assert_true(i < 30);
		put(c, "sessions/", name, "ask", lines[i % 5]);
		t = get(c, "sessions/", name, "ask");
		if(t == NULL)
			fail_msg("turn %d: %s", i + 1, lb_errstr());
		free(t);
		t = get(c, "sessions/", name, "usage");
		assert_int_equal(sscanf(t, "%d/%d\nlast turn: %d tokens kept in the cache, %d evaluated, %d generated\n"
			"dropped: %d messages", &cached, &ctxlen, &kept, &eval, &gen, &dropped), 6);
		free(t);
		if(dropped > 0){
			assert_int_equal(ctxlen, 256);
			assert_true(dropped >= 2 && dropped % 2 == 0 && cached <= 256);
			put(c, "sessions/", name, "ask", lines[++i % 5]);
			free(get(c, "sessions/", name, "ask"));
			t = get(c, "sessions/", name, "usage");
			assert_int_equal(sscanf(t, "%d/%d\nlast turn: %d tokens kept", &cached, &ctxlen, &kept), 3);
			if(kept <= 0)	/* the turn after a drop keeps the cache the drop rebuilt */
				fail_msg("usage:\n%s", t);
			free(t);
		}
	}
	t = get(c, "sessions/", name, "history");
	assert_true(prefix(t, "system: Be brief.\nuser: "));
	assert_false(prefix(t, "system: Be brief.\nuser: Hello there\n"));	/* the first exchange is gone */
	assert_non_null(strstr(t, lines[(i - 1) % 5]));	/* the last ones are there */
	free(t);
	styxc_close(c);
	styx_srv_free(s);
}

/* The numbers of a session's usage: tokens cached, and the last turn's kept and evaluated. */
static void
usage(StyxClient *c, const char *name, int *cached, int *kept, int *eval)
{
	char *t = get(c, "sessions/", name, "usage");
	int ctxlen;

	assert_non_null(t);
	assert_int_equal(sscanf(t, "%d/%d\nlast turn: %d tokens kept in the cache, %d evaluated", cached, &ctxlen, kept, eval), 4);
	free(t);
}

/*
 * Caches given back: with room in the KV budget for two sessions' caches, a
 * third session's turn takes the least recently used idle one's, which
 * evaluates its conversation again when it returns; and with -I a cache idle
 * that long is given back at another session's turn.
 */
static void
test_reclaim(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char addr[64], a[40], b[40], d[40];
	int cached, kept, eval, i;
	double t0;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.session_ctx = 256;
	cfg.lim.idle_reclaim = 0;
	assert_int_equal(llambo_set_kv_budget(modelid, 2 * llambo_chat_kv_bytes(modelid, 256)), 0);
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", a, sizeof a);
	newsession(c, "sessions/", b, sizeof b);
	newsession(c, "sessions/", d, sizeof d);
	for(i = 0; i < 3; i++){
		greedy(c, "sessions/", i == 0 ? a : i == 1 ? b : d, "4");
	}
	free(reply(c, a, "Hello there"));
	free(reply(c, b, "Hello there"));
	usage(c, a, &cached, &kept, &eval);
	assert_true(cached > 0);
	free(reply(c, d, "Hello there"));	/* no room for a third: a's goes, the least recently used */
	usage(c, a, &cached, &kept, &eval);
	assert_int_equal(cached, 0);
	usage(c, b, &cached, &kept, &eval);
	assert_true(cached > 0);
	free(reply(c, a, "Why?"));	/* a's again from its messages: b's goes */
	usage(c, a, &cached, &kept, &eval);
	assert_true(kept == 0 && cached > 0);
	usage(c, b, &cached, &kept, &eval);
	assert_int_equal(cached, 0);
	styxc_close(c);
	styx_srv_free(s);

	assert_int_equal(llambo_set_kv_budget(modelid, 0), 0);	/* its default again */
	cfg.lim.idle_reclaim = 1;
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", a, sizeof a);
	newsession(c, "sessions/", b, sizeof b);
	free(reply(c, a, "Hello there"));
	t0 = test_now();
	do{	/* a's cache goes at a turn of b's a second after a's */
		assert_true(test_now() - t0 < 60);
		free(reply(c, b, "Hello there"));
		put(c, "sessions/", b, "ctl", "reset");
		usage(c, a, &cached, &kept, &eval);
	}while(cached > 0);
	styxc_close(c);
	styx_srv_free(s);
}

/* The model's KV budget its default again, also after a failed test_reclaim (the tests after need it). */
static int
budget_default(void **state)
{
	(void)state;
	return llambo_set_kv_budget(modelid, 0);
}

/* A two-layer synthetic model at dir/file; its size. */
static long long
smallmodel(const char *dir, const char *file, char *path, size_t n)
{
	SynthSpec spec;
	struct stat sb;

	synth_defaults(&spec);
	spec.n_layer = 2;
	snprintf(path, n, "%s/%s", dir, file);
	assert_int_equal(synth_write(&spec, path), 0);
	assert_int_equal(stat(path, &sb), 0);
	return (long long)sb.st_size;
}

/* A server's config: -O, and -m a new directory (named for tag) holding a small model, file. */
static void
dirconfig(StyxConfig *cfg, const char *tag, const char *file, char *dir, size_t ndir, char *model, size_t nmodel)
{
	tmp_path(dir, ndir, tag);
	assert_int_equal(mkdir(dir, 0755), 0);
	smallmodel(dir, file, model, nmodel);
	styx_default_config(cfg);
	cfg->autoload = 1;
	cfg->ndirs = 1;
	cfg->dirs[0] = dir;
}

/* ctl's listing has a line for path (a model loaded from it). */
static int
loaded(StyxClient *c, const char *path)
{
	return st_find(c, path) >= 0;
}

/* The file dir/from with its bytes edited by fn, as dir/to. */
static void
edited(const char *dir, const char *from, const char *to, void (*fn)(char *, size_t *))
{
	char path[512];
	size_t n;
	char *b;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, from);
	f = fopen(path, "rb");
	assert_non_null(f);
	b = malloc(1 << 22);
	assert_non_null(b);
	n = fread(b, 1, 1 << 22, f);
	fclose(f);
	fn(b, &n);
	snprintf(path, sizeof path, "%s/%s", dir, to);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	free(b);
}

/* The hash of the model's header in the cache line ("cache N POS_BYTES SIZE HASH ...") changed. */
static void
otherhash(char *b, size_t *n)
{
	char *p = strstr(b, "\ncache ");
	int i;

	assert_non_null(p);
	for(i = 0; i < 4; i++)
		p = strchr(p + 1, ' ');
	p[1] = p[1] == '0' ? '1' : '0';
	(void)n;
}

static void
shortcache(char *b, size_t *n)
{
	(void)b;
	*n -= 2;
}

/* A text longer than the file. */
static void
badlength(char *b, size_t *n)
{
	*n = (size_t)sprintf(b, "llambo-session 1\nuser 99999\nHello\n");
}

static void
notasession(char *b, size_t *n)
{
	*n = (size_t)sprintf(b, "not a session\n");
}

static void
unlinkin(const char *dir, const char *file)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, file);
	unlink(path);
}

/*
 * A session saved, then restored on another server that loads its model by
 * name (-O): its KV cache comes back too, so the next turn keeps as many
 * tokens and evaluates as few as the saved session's did, and replies the
 * same; a cache of another model, or cut short, is refused.
 */
static void
test_save_restore(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char dir[256], talk[512], addr[64], name[40], *r1, *r2, *ctx1, *ctx2, *u1, *u2, *t;
	int kept = 0, eval = 0;

	(void)state;
	dirconfig(&cfg, "saved", "talk.gguf", dir, sizeof dir, talk, sizeof talk);
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", name, sizeof name);
	put(c, "sessions/", name, "model", "talk");
	greedy(c, "sessions/", name, "6");
	put(c, "sessions/", name, "options", "seed=3|top_k=7");
	put(c, "sessions/", name, "system", "Be brief.");
	free(reply(c, name, "Hello there"));
	free(reply(c, name, "What is your name?"));
	put(c, "sessions/", name, "ctl", "save conv");
	r1 = reply(c, name, "Tell me a story.");
	ctx1 = get(c, "sessions/", name, "context");
	u1 = get(c, "sessions/", name, "usage");
	put(c, "sessions/", name, "ctl", "close");
	st_free(c, st_find(c, talk));
	assert_false(loaded(c, talk));
	styxc_close(c);
	styx_srv_free(s);

	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", name, sizeof name);
	put(c, "sessions/", name, "ctl", "restore conv");
	assert_true(loaded(c, talk));	/* by the name the file gives */
	t = get(c, "sessions/", name, "options");
	assert_non_null(strstr(t, "top_k=7"));
	free(t);
	r2 = reply(c, name, "Tell me a story.");
	ctx2 = get(c, "sessions/", name, "context");
	u2 = get(c, "sessions/", name, "usage");
	assert_string_equal(r1, r2);
	assert_string_equal(ctx1, ctx2);
	assert_non_null(strstr(u2, "last turn: "));
	assert_int_equal(sscanf(strstr(u2, "last turn: "), "last turn: %d tokens kept in the cache, %d evaluated", &kept, &eval), 2);
	assert_true(kept > 20 && eval > 0 && eval < kept);	/* the saved tokens came with their cache */
	assert_string_equal(u1, u2);

	edited(dir, "conv", "other", otherhash);
	refused(c, name, "ctl", "restore other", "another model's");
	edited(dir, "conv", "short", shortcache);
	refused(c, name, "ctl", "restore short", "bad session file");
	edited(dir, "conv", "bad", badlength);
	refused(c, name, "ctl", "restore bad", "bad session file");
	refused(c, name, "ctl", "restore ../conv", "bad session file name");
	refused(c, name, "ctl", "restore nosuch", "No such file");
	refused(c, name, "ctl", "save talk.gguf", "a model's");	/* a client cannot write over the models */
	refused(c, name, "ctl", "save other.gguf", "a model's");
	edited(dir, "conv", "notes", notasession);
	refused(c, name, "ctl", "save notes", "not a saved session");
	unlinkin(dir, "notes");
	t = get(c, "sessions/", name, "context");
	assert_string_equal(t, "[]\n");	/* a refused restore leaves no half of a conversation */
	free(t);
	unlinkin(dir, "bad");
	unlinkin(dir, "short");
	unlinkin(dir, "other");
	unlinkin(dir, "conv");
	st_free(c, st_find(c, talk));
	unlink(talk);
	rmdir(dir);
	free(r1);
	free(r2);
	free(ctx1);
	free(ctx2);
	free(u1);
	free(u2);
	styxc_close(c);
	styx_srv_free(s);
}

/* Two sessions given the same messages and seed (and the same limits). */
static void
twin(StyxClient *c, char *name, size_t n)
{
	newsession(c, "sessions/", name, n);
	put(c, "sessions/", name, "options", "seed=5");
	greedy(c, "sessions/", name, "8");
	free(reply(c, name, "Hello there"));
}

/*
 * compact, as infernode's llmsrv has it: the model summarises the conversation
 * (the reply a twin session gives to llmsrv's request, at temperature 0.3) and
 * the summary replaces the messages; fewer than four are left as they are.
 */
static void
test_compact(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char addr[64], a[40], b[40], want[4096], *t, *summary;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.max_tokens = 8;	/* the summary's length too */
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	twin(c, a, sizeof a);
	put(c, "sessions/", a, "compact", "1");
	t = get(c, "sessions/", a, "history");
	assert_int_equal(prefix(t, "user: Hello there\nassistant: "), 1);	/* two messages: as they were */
	free(t);
	free(reply(c, a, "What is your name?"));

	twin(c, b, sizeof b);
	free(reply(c, b, "What is your name?"));
	put(c, "sessions/", b, "temperature", "0.3");
	summary = reply(c, b, "Summarize this conversation concisely, preserving key facts, decisions, file paths, "
		"code snippets, and all context needed to continue the work.");

	put(c, "sessions/", a, "compact", "1");
	t = get(c, "sessions/", a, "history");
	snprintf(want, sizeof want, "user: Context from earlier in this session:\n%sassistant: Understood. I have the context "
		"from our previous work and will continue from there.\n", summary);
	assert_string_equal(t, want);
	free(t);
	t = get(c, "sessions/", a, "usage");
	assert_non_null(strstr(t, "dropped: 4 messages"));
	free(t);
	t = reply(c, a, "Why?");	/* the conversation goes on from the summary */
	free(t);
	t = get(c, "sessions/", a, "context");
	assert_non_null(strstr(t, "\"content\":\"Why?\""));
	free(t);
	free(summary);
	styxc_close(c);
	styx_srv_free(s);
}

/* A Tread or Twrite on fid sent with tag, its reply not taken. */
static void
sendio(StyxClient *c, int type, uint16_t tag, int fid, const char *data)
{
	StyxFcall t = { .type = (uint8_t)type, .tag = tag, .fid = (uint32_t)fid, .offset = 0 };

	t.count = data != NULL ? (uint32_t)strlen(data) : 8192;
	t.data = (const uint8_t *)data;
	assert_int_equal(styxc_send(c, &t), 0);
}

/* The reply to tag: its type, the text it carries in buf. */
static int
takereply(StyxClient *c, uint16_t tag, char *buf, size_t n)
{
	StyxFcall r;

	assert_int_equal(styxc_recv(c, &r), 0);
	assert_int_equal(r.tag, tag);
	if(r.type == STYX_RERROR)
		styx_strcpy(buf, n, r.ename);
	else
		snprintf(buf, n, "%.*s", r.type == STYX_RREAD ? (int)r.count : 0, (const char *)r.data);
	return r.type;
}

/*
 * ctl autocompact N, as llmsrv's: a turn that leaves N tokens or more in the
 * cache is followed, unasked, by the summary a write to compact makes (the
 * twin's reply to the request, as in test_compact); save keeps the mark; a
 * mark that is not a non-negative integer is refused.
 */
static void
test_autocompact(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char addr[64], a[40], b[40], r[40], dir[256], want[4096], mark[40], *t, *summary;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.max_tokens = 8;	/* the summary's length too */
	tmp_path(dir, sizeof dir, "autocompact");
	assert_int_equal(mkdir(dir, 0755), 0);
	cfg.ndirs = 1;	/* save and restore write in the first model directory */
	cfg.dirs[0] = dir;
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	twin(c, a, sizeof a);
	refused(c, a, "ctl", "autocompact -1", "non-negative integer");
	refused(c, a, "ctl", "autocompact ten", "non-negative integer");
	t = get(c, "sessions/", a, "usage");
	snprintf(mark, sizeof mark, "autocompact %d", atoi(t) + 1);	/* the next turn crosses it */
	free(t);
	put(c, "sessions/", a, "ctl", mark);
	t = get(c, "sessions/", a, "ctl");
	assert_non_null(strstr(t, mark));
	free(t);

	twin(c, b, sizeof b);
	free(reply(c, b, "What is your name?"));
	put(c, "sessions/", b, "temperature", "0.3");
	summary = reply(c, b, "Summarize this conversation concisely, preserving key facts, decisions, file paths, "
		"code snippets, and all context needed to continue the work.");

	free(reply(c, a, "What is your name?"));
	snprintf(want, sizeof want, "user: Context from earlier in this session:\n%sassistant: Understood. I have the context "
		"from our previous work and will continue from there.\n", summary);
	t = NULL;
	WAIT_FOR((free(t), t = get(c, "sessions/", a, "history")) != NULL && strcmp(t, want) == 0);
	free(t);

	put(c, "sessions/", a, "ctl", "save auto.session");
	newsession(c, "sessions/", r, sizeof r);
	put(c, "sessions/", r, "ctl", "restore auto.session");
	t = get(c, "sessions/", r, "ctl");
	assert_non_null(strstr(t, mark));
	free(t);
	free(summary);
	styxc_close(c);
	styx_srv_free(s);
	snprintf(want, sizeof want, "%s/auto.session", dir);
	unlink(want);
	rmdir(dir);
}

/*
 * A turn begun while a summary is made waits for it and goes on from it
 * (llmsrv's turns wait so too), rather than being refused: a write to
 * compact, a message to ask and a read of ask sent at once.
 */
static void
test_compact_wait(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	StyxFcall rf;
	char addr[64], a[40], path[128], why[256], *t;
	int cfid, wfid, rfid, i, seen = 0;

	(void)state;
	styx_default_config(&cfg);
	cfg.lim.max_tokens = 256;	/* a long summary */
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	twin(c, a, sizeof a);
	free(reply(c, a, "What is your name?"));
	snprintf(path, sizeof path, "sessions/%s/compact", a);
	assert_true((cfid = styxc_open(c, path, STYX_OWRITE)) >= 0);
	snprintf(path, sizeof path, "sessions/%s/ask", a);
	assert_true((wfid = styxc_open(c, path, STYX_OWRITE | STYX_OTRUNC)) >= 0);
	assert_true((rfid = styxc_open(c, path, STYX_OREAD)) >= 0);
	sendio(c, STYX_TWRITE, 81, cfid, "1");
	sendio(c, STYX_TWRITE, 82, wfid, "Why?");
	sendio(c, STYX_TREAD, 83, rfid, NULL);
	for(i = 0; i < 3; i++){
		assert_int_equal(styxc_recv(c, &rf), 0);
		if(rf.type == STYX_RERROR){
			styx_strcpy(why, sizeof why, rf.ename);
			fail_msg("tag %d: %s", rf.tag, why);
		}
		assert_true(rf.tag >= 81 && rf.tag <= 83);
		seen |= 1 << (rf.tag - 81);
		if(rf.tag == 83)
			assert_true(rf.type == STYX_RREAD && rf.count > 0);
	}
	assert_int_equal(seen, 7);
	styxc_clunk(c, cfid);
	styxc_clunk(c, wfid);
	styxc_clunk(c, rfid);
	t = get(c, "sessions/", a, "history");
	if(!prefix(t, "user: Context from earlier in this session:\n") || strstr(t, "will continue from there.\nuser: Why?\nassistant: ") == NULL)
		fail_msg("the history is not the summary and the turn after it: %s", t != NULL ? t : lb_errstr());
	free(t);
	styxc_close(c);
	styx_srv_free(s);
}

/*
 * -O: loads run off the connection's reader thread.  The test holds the
 * server's load lock, as a load that takes long would hold the loading
 * thread: a write naming a model not loaded, then a read of ask whose turn
 * needs its model loaded again, wait; meanwhile the same connection's other
 * requests are answered.  Let go, the write is made and the turn replies.
 */
static void
test_slow_load(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char dir[256], late[512], addr[64], name[40], path[128], got[256], *t;
	int fid;

	(void)state;
	dirconfig(&cfg, "late", "late.gguf", dir, sizeof dir, late, sizeof late);
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	newsession(c, "sessions/", name, sizeof name);
	greedy(c, "sessions/", name, "4");

	snprintf(path, sizeof path, "sessions/%s/model", name);
	assert_true((fid = styxc_open(c, path, STYX_OWRITE | STYX_OTRUNC)) >= 0);
	pthread_mutex_lock(&s->autolk);
	sendio(c, STYX_TWRITE, 77, fid, "late");	/* its load waits */
	t = get(c, "sessions/", name, "usage");	/* answered meanwhile, on the same connection */
	assert_non_null(strstr(t, "last turn"));
	free(t);
	pthread_mutex_unlock(&s->autolk);
	assert_int_equal(takereply(c, 77, got, sizeof got), STYX_RWRITE);
	styxc_clunk(c, fid);
	assert_true(loaded(c, late));

	st_free(c, st_find(c, late));	/* the next turn loads it again */
	put(c, "sessions/", name, "ask", "Hello");
	snprintf(path, sizeof path, "sessions/%s/ask", name);
	assert_true((fid = styxc_open(c, path, STYX_OREAD)) >= 0);
	pthread_mutex_lock(&s->autolk);
	sendio(c, STYX_TREAD, 78, fid, NULL);	/* the turn waits for its model */
	t = get(c, "sessions/", name, "context");	/* answered meanwhile */
	assert_non_null(strstr(t, "Hello"));
	free(t);
	pthread_mutex_unlock(&s->autolk);
	assert_int_equal(takereply(c, 78, got, sizeof got), STYX_RREAD);
	styxc_clunk(c, fid);
	assert_true(loaded(c, late));
	st_free(c, st_find(c, late));
	styxc_close(c);
	styx_srv_free(s);
	unlink(late);
	rmdir(dir);
}

/* An attach to "llm": the root holds new and models, and the session's files are infernode's. */
static void
test_llm_tree(void **state)
{
	StyxClient *c = st_dial(st_addr);
	char name[40], *t;
	int i;
	static const char *files[] = { "ask", "stream", "model", "temperature", "system", "thinking", "prefill", "tools",
		"context", "compact", "ctl", "usage", "maxtokens", "reasoning" };

	(void)state;
	assert_int_equal(styxc_attach_name(c, "llambo", "llm"), 0);
	t = st_cat(c, "");
	assert_non_null(t);
	free(t);
	newsession(c, "", name, sizeof name);
	for(i = 0; i < (int)(sizeof files / sizeof files[0]); i++){
		t = get(c, "", name, files[i]);
		if(t == NULL && strcmp(files[i], "ask") != 0 && strcmp(files[i], "stream") != 0)
			fail_msg("read %s: %s", files[i], lb_errstr());
		free(t);
	}
	t = get(c, "", name, "maxtokens");
	assert_string_equal(t, "1024\n");
	free(t);
	t = get(c, "", name, "temperature");
	assert_string_equal(t, "0.70\n");
	free(t);
	put(c, "", name, "thinking", "max");
	t = get(c, "", name, "thinking");
	assert_true(prefix(t, "max\n"));
	free(t);
	greedy(c, "", name, "4");
	put(c, "", name, "prefill", "Sure:");
	put(c, "", name, "ask", "Say something");
	t = get(c, "", name, "ask");
	assert_true(prefix(t, "Sure:") && t[strlen(t) - 1] == '\n');
	free(t);
	t = get(c, "", name, "context");
	assert_non_null(strstr(t, "{\"role\":\"assistant\",\"content\":\"Sure:"));
	free(t);
	put(c, "", name, "ctl", "reset");
	t = get(c, "", name, "context");
	assert_string_equal(t, "[]\n");
	free(t);
	put(c, "", name, "ctl", "close");
	styxc_close(c);
}

/*
 * Models by name from the -m directory: ctl's "load alpha" finds alpha-Q4_0.gguf;
 * a session's model file loads beta on first use (-O); the budget (-B), room for
 * one model, unloads the least recently used idle one each time, and a session
 * whose model went loads it again when it returns.
 */
static void
test_byname_budget(void **state)
{
	StyxConfig cfg;
	StyxSrv *s;
	StyxClient *c;
	char dir[256], alpha[512], beta[512], addr[64], sa[40], sb[40], *t, *first;

	(void)state;
	tmp_path(dir, sizeof dir, "models");
	assert_int_equal(mkdir(dir, 0755), 0);
	styx_default_config(&cfg);
	cfg.lim.model_budget = smallmodel(dir, "alpha-Q4_0.gguf", alpha, sizeof alpha)
		+ smallmodel(dir, "beta.gguf", beta, sizeof beta) - 1;
	cfg.autoload = 1;
	cfg.ndirs = 1;
	cfg.dirs[0] = dir;
	s = st_server(&cfg, addr, sizeof addr);
	c = st_dial(addr);
	assert_int_equal(st_echo(c, "ctl", "load alpha"), 0);
	assert_true(loaded(c, alpha));
	t = st_cat(c, "sessions/models");
	assert_non_null(strstr(t, " alpha-Q4_0\n"));
	assert_non_null(strstr(t, "- beta\n"));
	free(t);
	assert_int_equal(st_echo(c, "ctl", "load gamma"), -1);
	assert_non_null(strstr(lb_errstr(), "no such file: gamma"));

	newsession(c, "sessions/", sa, sizeof sa);
	greedy(c, "sessions/", sa, "4");
	put(c, "sessions/", sa, "model", "beta");	/* loaded now, alpha unloaded to make room */
	assert_true(loaded(c, beta) && !loaded(c, alpha));
	put(c, "sessions/", sa, "ask", "Hello");
	first = get(c, "sessions/", sa, "ask");
	assert_non_null(first);

	newsession(c, "sessions/", sb, sizeof sb);
	put(c, "sessions/", sb, "model", "alpha");
	assert_true(loaded(c, alpha) && !loaded(c, beta));
	t = get(c, "sessions/", sa, "model");
	assert_string_equal(t, "beta\n");
	free(t);

	put(c, "sessions/", sa, "ask", "Hello");	/* beta again: loaded for the turn, alpha unloaded */
	t = get(c, "sessions/", sa, "ask");
	assert_non_null(t);
	free(t);
	assert_true(loaded(c, beta) && !loaded(c, alpha));
	put(c, "sessions/", sa, "ctl", "reset");
	put(c, "sessions/", sa, "ask", "Hello");
	t = get(c, "sessions/", sa, "ask");
	assert_non_null(t);
	assert_string_equal(t, first);	/* the same model, the same conversation: the same reply */
	assert_true(loaded(c, beta) && !loaded(c, alpha));
	free(t);
	free(first);
	refused(c, sb, "model", "nosuch", "no such model: nosuch");
	styxc_close(c);
	styx_srv_free(s);
	unlink(alpha);
	unlink(beta);
	rmdir(dir);
}

/* plan9port's root (its 9p in bin/), or NULL. */
static const char *
plan9(void)
{
	static char path[512];
	const char *root = getenv("PLAN9") != NULL ? getenv("PLAN9") : "/work/ext/plan9port";

	snprintf(path, sizeof path, "%s/bin/9p", root);
	return access(path, X_OK) == 0 ? root : NULL;
}

/* infernode's README: id=`{cat /n/llm/new}; echo '...' > /n/llm/$id/ask; cat /n/llm/$id/ask, a 9p command each. */
static void
test_infernode_script(void **state)
{
	const char *p9 = plan9();
	char script[2048], *o;

	(void)state;
	if(p9 == NULL){
		print_message("skipping: plan9port's 9p not found (set PLAN9)\n");
		skip();
	}
	snprintf(script, sizeof script,
		"-c 'export PLAN9=%.200s; n=\"$PLAN9/bin/9p -a %s -A llm\"; id=$($n read new) || exit 1; "
		"echo 0 | $n write $id/temperature && echo 6 | $n write $id/maxtokens && "
		"echo \"What is the capital of France\" | $n write $id/ask && $n read $id/ask >%s.ask && "
		"$n read $id/stream >%s.stream && $n read $id/context && echo close | $n write $id/ctl'",
		p9, st_addr, cli_out, cli_out);
	if(runprog("/bin/sh", script) != 0)
		fail_msg("the script failed: %s", (o = slurp(cli_err)));
	o = slurp(cli_out);
	assert_true(prefix(o, "[{\"role\":\"user\",\"content\":\"What is the capital of France\"},{\"role\":\"assistant\""));
	free(o);
	{
		char p[600], *ask, *stream;

		snprintf(p, sizeof p, "%s.ask", cli_out);
		ask = slurp(p);
		unlink(p);
		snprintf(p, sizeof p, "%s.stream", cli_out);
		stream = slurp(p);
		unlink(p);
		assert_true(strlen(stream) > 0 && strncmp(ask, stream, strlen(stream)) == 0);
		free(ask);
		free(stream);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_five_turns),
		cmocka_unit_test(test_unguessable),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test_teardown(test_reclaim, budget_default),
		cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_autocompact),
		cmocka_unit_test(test_compact_wait),
		cmocka_unit_test(test_slow_load),
		cmocka_unit_test(test_llm_tree),
		cmocka_unit_test(test_byname_budget),
		cmocka_unit_test(test_infernode_script),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
