/*
 * test_chat_cli.c - llambo template, chat and run --chat as scripts use them:
 * the JSON messages of tests/data/chat rendered byte for byte as llama.cpp
 * renders them, from a built-in name or a file's template; a conversation
 * through a pipe, and on a terminal (a pty), whose second turn evaluates
 * only its own tokens; clear errors for what is wrong.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/gguf/gguf.h"
#include "../src/model/synth.h"
#include "clitest.h"
#include "records.h"
#include "testutil.h"

static char model[512], phi3[512], phi3_vocab[512];

static int
setup(void **state)
{
	SynthSpec s;

	cli_paths();
	tmp_path(model, sizeof model, "chatcli.gguf");
	synth_defaults(&s);
	s.n_layer = 2;
	if(synth_write(&s, model) < 0)
		return -1;
	/* a Phi-3 with Phi-3's vocabulary and chat template (llama.cpp's ggml-vocab-phi-3.gguf), as llama-simple ran it */
	tmp_path(phi3, sizeof phi3, "chatcli-phi3.gguf");
	data_path(phi3_vocab, sizeof phi3_vocab, "vocab/ggml-vocab-phi-3.gguf");
	s.arch = "phi3";
	s.n_embd = 64;
	s.n_head = s.n_head_kv = 4;
	s.n_ff = 128;
	s.vocab = phi3_vocab;
	return synth_write(&s, phi3);
}

static int
teardown(void **state)
{
	unlink(model);
	unlink(phi3);
	cli_unlink();
	return 0;
}

static void
expect_out(const Rec *r)
{
	size_t len;
	char *o = read_file(cli_out, &len);

	assert_non_null(o);
	if(len != r->len || memcmp(o, r->body, len) != 0)
		fail_msg("%s: llambo template printed %zu bytes:\n%s\n--- llama.cpp's %zu bytes:\n%.*s", r->head, len, o,
			r->len, (int)r->len, r->body);
	free(o);
}

/* Every built-in format from the JSON files: with a system message and the assistant prompt, and the odd roles without. */
static void
test_template_builtin(void **state)
{
	char name[64], conv[16], add[16], args[512];
	const char *p, *end;
	size_t len;
	char *buf = chat_data("builtin.dat", &len);
	int n = 0;
	Rec r;

	for(p = buf, end = buf + len; next_rec(&p, end, &r, 4); ){
		assert_int_equal(sscanf(r.head, "@@ %63s %15s %15s", name, conv, add), 3);
		if(!(strcmp(conv, "sys") == 0 && strcmp(add, "add") == 0) && !(strcmp(conv, "roles") == 0 && strcmp(add, "noadd") == 0))
			continue;
		snprintf(args, sizeof args, "template --template %s -f tests/data/chat/conv-%s.json%s", name, conv,
			strcmp(add, "add") == 0 ? "" : " --no-add-ass");
		assert_int_equal(llambo(args), 0);
		expect_out(&r);
		n++;
	}
	assert_int_equal(n, 2 * 54);
	free(buf);
}

/* The template of llama.cpp's Phi-3 vocabulary file (llama-chat-tmpl -m gives the bytes of -t phi3), messages from stdin. */
static void
test_template_from_file(void **state)
{
	const char *p, *end;
	size_t len;
	char *buf = chat_data("builtin.dat", &len);
	Rec r;

	for(p = buf, end = buf + len; next_rec(&p, end, &r, 4); )
		if(strncmp(r.head, "@@ phi3 sys add ", 16) == 0)
			break;
	assert_true(strncmp(r.head, "@@ phi3 sys add ", 16) == 0);
	assert_int_equal(llambo("template -m tests/data/vocab/ggml-vocab-phi-3.gguf -f - <tests/data/chat/conv-sys.json"), 0);
	expect_out(&r);
	free(buf);
}

static void
expect_err(const char *args, int status, const char *says)
{
	char *e;

	assert_int_equal(llambo(args), status);
	e = slurp(cli_err);
	if(strstr(e, says) == NULL)
		fail_msg("llambo %s: expected \"%s\" in:\n%s", args, says, e);
	free(e);
}

static void
test_template_errors(void **state)
{
	char path[256], json[256], args[1024];
	GGUFWriter *w;
	FILE *f;

	tmp_path(path, sizeof path, "odd.gguf");
	w = gguf_writer_new(0);
	gguf_w_str(w, "general.architecture", "llama");
	gguf_w_str(w, "tokenizer.chat_template", "{% for m in messages %}<<{{ m.content }}>>{% endfor %}");
	assert_int_equal(gguf_write_file(w, path), 0);
	gguf_writer_free(w);
	snprintf(args, sizeof args, "template -m %s -f tests/data/chat/conv-sys.json", path);
	expect_err(args, 1, "not recognised");
	expect_err(args, 1, "{% for m in messages %}<<");	/* it says what it saw */
	expect_err(args, 1, "--template NAME");	/* and how to choose */
	snprintf(args, sizeof args, "template -m %s --template chatml -f tests/data/chat/conv-sys.json", path);
	assert_int_equal(llambo(args), 0);
	unlink(path);

	expect_err("template --template nosuch -f tests/data/chat/conv-sys.json", 2, "llama3");
	expect_err("template --template mistral -f tests/data/chat/conv-sys.json", 2, "mistral-v7");

	tmp_path(json, sizeof json, "bad.json");
	f = fopen(json, "w");
	fputs("[{\"role\": \"user\", \"content\": \"a\"},\n {\"role\": \"user\"}]", f);
	fclose(f);
	snprintf(args, sizeof args, "template --template chatml -f %s", json);
	expect_err(args, 1, "message 1");
	f = fopen(json, "w");
	fputs("[{\"role\": \"user\", \"content\": \"a\\u0000b\"}]", f);
	fclose(f);
	expect_err(args, 1, json);
	f = fopen(json, "w");
	fputs("[{\"role\": \"user\", \"content\": ", f);
	fclose(f);
	expect_err(args, 1, ":1:");	/* where the JSON breaks */
	unlink(json);
}

/* A file holding text, for a command's standard input. */
static const char *
input(const char *text)
{
	static char path[512];
	FILE *f;

	tmp_path(path, sizeof path, "chat.in");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The numbers of "turn T: K tokens kept in the cache, N new evaluated ...; generated G ..." */
static void
turn(const char *e, int t, int *kept, int *fresh, int *gen)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof want, "turn %d: ", t);
	p = strstr(e, want);
	if(p == NULL)
		fail_msg("no \"%s\" in:\n%s", want, e);
	assert_int_equal(sscanf(p + strlen(want), "%d tokens kept in the cache, %d new evaluated", kept, fresh), 2);
	p = strstr(p, "generated ");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "generated %d", gen), 1);
}

/*
 * Two turns through a pipe: the second keeps what the first left in the cache (its prompt
 * and the reply's tokens but the last, which stopped it at -n, or all of them at an end of
 * turn) and evaluates only its own tokens.  The first reply is run --chat's reply.
 */
static void
test_chat_two_turns(void **state)
{
	char args[1024], *o, *e, *nl, first[512];
	int k1, n1, g1, k2, n2, g2;

	snprintf(args, sizeof args, "chat -m %s -n 6 --temp 0 -t 2 -sys 'Be brief.' <%s", model, input("Hello there\n\nHow are you?\n"));
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	e = slurp(cli_err);
	turn(e, 1, &k1, &n1, &g1);
	turn(e, 2, &k2, &n2, &g2);
	assert_null(strstr(e, "turn 3"));	/* the empty line is no turn */
	assert_int_equal(k1, 0);
	assert_true(n1 > 0 && g1 > 0 && n2 > 0);
	assert_true(k2 == n1 + g1 - 1 || k2 == n1 + g1);
	nl = strchr(o, '\n');
	assert_non_null(nl);
	snprintf(first, sizeof first, "%.*s", (int)(nl - o), o);
	free(o);
	free(e);

	snprintf(args, sizeof args, "run --chat -m %s -n 6 --temp 0 -t 2 -sys 'Be brief.' -p 'Hello there'", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	assert_true(strncmp(o, first, strlen(first)) == 0 && o[strlen(first)] == '\n');
	free(o);
	e = slurp(cli_err);
	assert_non_null(strstr(e, "prompt"));
	free(e);
}

/* A terminal: what the pty's master has read, and how to wait for more. */
typedef struct Tty {
	int fd;
	pid_t pid;
	char buf[16384];
	size_t len;
} Tty;

/* Reads until the text after from holds want, n times; fails after a bound of two minutes. */
static void
tty_wait(Tty *t, size_t from, const char *want, int n)
{
	struct pollfd pf = { t->fd, POLLIN, 0 };
	time_t end = time(NULL) + 120;
	const char *p;
	ssize_t k;
	int seen;

	for(;;){
		t->buf[t->len] = 0;
		for(seen = 0, p = t->buf + from; (p = strstr(p, want)) != NULL; p += strlen(want))
			seen++;
		if(seen >= n)
			return;
		if(time(NULL) > end || t->len + 1 >= sizeof t->buf){
			kill(t->pid, SIGKILL);
			fail_msg("no %d \"%s\" on the terminal after two minutes:\n%s", n, want, t->buf + from);
		}
		if(poll(&pf, 1, 1000) > 0){
			k = read(t->fd, t->buf + t->len, sizeof t->buf - 1 - t->len);
			if(k <= 0){
				kill(t->pid, SIGKILL);
				fail_msg("the terminal closed before \"%s\":\n%s", want, t->buf + from);
			}
			t->len += (size_t)k;
		}
	}
}

/*
 * llambo chat on a terminal, as a person uses it: it prompts with "> ", each line typed is
 * a turn whose reply streams back, the second turn evaluates only its own tokens, and ^D
 * (end of input) ends the conversation with status 0.
 */
static void
test_chat_terminal(void **state)
{
	Tty t = { 0 };
	char *name;
	int k1, n1, g1, k2, n2, g2, status, fd;
	size_t mark;

	t.fd = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(t.fd >= 0);
	assert_int_equal(grantpt(t.fd), 0);
	assert_int_equal(unlockpt(t.fd), 0);
	assert_non_null(name = ptsname(t.fd));
	t.pid = fork();
	assert_true(t.pid >= 0);
	if(t.pid == 0){	/* the child: a session whose controlling terminal is the pty */
		setsid();
		if((fd = open(name, O_RDWR)) < 0)
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		close(t.fd);
		execl(cli_bin, "llambo", "chat", "-m", model, "-n", "6", "--temp", "0", "-t", "2", "-sys", "Be brief.", (char *)NULL);
		_exit(127);
	}
	tty_wait(&t, 0, "> ", 1);
	assert_int_equal(write(t.fd, "Hello there\n", 12), 12);
	tty_wait(&t, 0, "turn 1: ", 1);
	tty_wait(&t, 0, "> ", 2);
	mark = t.len;
	assert_int_equal(write(t.fd, "How are you?\n", 13), 13);
	tty_wait(&t, mark, "turn 2: ", 1);
	tty_wait(&t, mark, "> ", 1);
	assert_int_equal(write(t.fd, "\004", 1), 1);	/* ^D at the start of a line: end of input */
	assert_int_equal(waitpid(t.pid, &status, 0), t.pid);
	close(t.fd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	turn(t.buf, 1, &k1, &n1, &g1);
	turn(t.buf, 2, &k2, &n2, &g2);
	assert_int_equal(k1, 0);
	assert_true(n1 > 0 && g1 > 0 && n2 > 0);
	assert_true(k2 == n1 + g1 - 1 || k2 == n1 + g1);
}

/*
 * run --chat's reply (args) is golden's, llama-simple's greedy text on llama.cpp's rendering of
 * the same messages (tests/data/chat/README.md).  llama-simple prints pieces with %s, so a NUL
 * byte's piece shows as nothing there: NUL bytes are dropped from ours.
 */
static void
same_as_llamacpp(const char *args, const char *golden)
{
	char gpath[512], *o, *g, *r, *w;
	size_t len;

	assert_int_equal(llambo(args), 0);
	o = read_file(cli_out, &len);
	assert_non_null(o);
	for(r = w = o; r < o + len; r++)
		if(*r != 0)
			*w++ = *r;
	*w = 0;
	data_path(gpath, sizeof gpath, golden);
	g = read_file(gpath, &len);
	assert_non_null(g);
	assert_int_equal(w - o, len + 1);	/* and run's newline */
	assert_memory_equal(o, g, len);
	free(o);
	free(g);
}

/* On a file llama.cpp made (mini-llama, no template: chatml), with and without a system message.  Uses ../shared. */
static void
test_run_chat_llamacpp(void **state)
{
	char path[512], args[1024];

	SHARED_OR_SKIP(path, "models/mini-llama-F32.gguf");
	snprintf(args, sizeof args, "run --chat -m %s -n 16 --temp 0 -t 2 -sys 'Be brief.' -p 'Hello there'", path);
	same_as_llamacpp(args, "chat/run-chat-sys.out");
	snprintf(args, sizeof args, "run --chat -m %s -n 16 --temp 0 -t 2 -p 'Hello there'", path);
	same_as_llamacpp(args, "chat/run-chat-nosys.out");
}

/*
 * A file with a real chat template and its special tokens (Phi-3's): the template is recognised
 * (phi3), run --chat answers as llama.cpp does, and two turns through a pipe keep the first in
 * the cache, special tokens and all.
 */
static void
test_chat_phi3(void **state)
{
	char args[2048], json[512], *a, *b, *e;
	int k1, n1, g1, k2, n2, g2;

	data_path(json, sizeof json, "chat/conv-sys.json");
	snprintf(args, sizeof args, "template -m %s -f %s", phi3, json);
	assert_int_equal(llambo(args), 0);
	a = slurp(cli_out);
	snprintf(args, sizeof args, "template --template phi3 -f %s", json);
	assert_int_equal(llambo(args), 0);
	b = slurp(cli_out);
	assert_string_equal(a, b);
	free(a);
	free(b);

	snprintf(args, sizeof args, "run --chat -m %s -n 16 --temp 0 -t 2 -sys 'Be brief.' -p 'Hello there'", phi3);
	same_as_llamacpp(args, "chat/run-chat-phi3.out");

	snprintf(args, sizeof args, "chat -m %s -n 6 --temp 0 -t 2 -sys 'Be brief.' <%s", phi3, input("Hello there\nAnd then?\n"));
	assert_int_equal(llambo(args), 0);
	e = slurp(cli_err);
	turn(e, 1, &k1, &n1, &g1);
	turn(e, 2, &k2, &n2, &g2);
	free(e);
	assert_int_equal(k1, 0);
	assert_int_equal(n1, 21);	/* llama-simple's prompt: <s> and 20 tokens */
	assert_true(k2 == n1 + g1 - 1 || k2 == n1 + g1);
	assert_true(n2 > 0 && n2 < n1);
	unlink(input(""));

	/* a vocabulary that is none: said, naming it */
	snprintf(args, sizeof args, "synth -o %s.bad --vocab %s", phi3, json);
	expect_err(args, 1, "vocabulary");
	expect_err(args, 1, "not a GGUF file");
	snprintf(args, sizeof args, "synth -o %s.bad --vocab %s", phi3, model);
	assert_int_equal(llambo(args), 0);	/* a model's vocabulary will do */
	snprintf(args, sizeof args, "%s.bad", phi3);
	unlink(args);
}

static void
test_chat_errors(void **state)
{
	char args[1024];

	snprintf(args, sizeof args, "chat -m %s --template nosuch </dev/null", model);
	expect_err(args, 2, "chatml");
	snprintf(args, sizeof args, "run --chat -m %s --template nosuch -p hi", model);
	expect_err(args, 2, "chatml");
	/* a conversation that outgrows the context: said, and the next turn starts afresh */
	snprintf(args, sizeof args, "chat -m %s -n 2 --temp 0 -c 64 <%s", model,
		input("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen\nHi\n"));
	expect_err(args, 0, "context holds 64");
	expect_err(args, 0, "turn 1: 0 tokens kept");
	unlink(input(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_builtin),
		cmocka_unit_test(test_template_from_file),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_chat_two_turns),
		cmocka_unit_test(test_chat_terminal),
		cmocka_unit_test(test_run_chat_llamacpp),
		cmocka_unit_test(test_chat_phi3),
		cmocka_unit_test(test_chat_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
