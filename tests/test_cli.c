/*
 * test_cli.c - the llambo command as scripts use it: output shapes, and a clear
 * error with a non-zero exit for a bad model file from every subcommand.
 * Runs $B/bin/llambo (B is the build directory, default build).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/model/synth.h"
#include "llambo.h"
#include "clitest.h"
#include "testutil.h"
#include "reqvectors.h"

static char model[512];

static int
setup(void **state)
{
	SynthSpec s;

	cli_paths();
	tmp_path(model, sizeof model, "cli.gguf");
	synth_defaults(&s);
	s.n_layer = 2;
	return synth_write(&s, model);
}

static int
teardown(void **state)
{
	unlink(model);
	cli_unlink();
	return 0;
}

static void
test_run_prints_text_only(void **state)
{
	char args[1024], *o, *e;

	snprintf(args, sizeof args, "run -m %s -p 'Once upon a time' -n 8 --temp 0 -t 2", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	e = slurp(cli_err);
	assert_null(strstr(o, "t/s"));	/* statistics go to standard error */
	assert_non_null(strstr(e, "t/s"));
	free(o);
	free(e);
}

static void
test_tokenize_info(void **state)
{
	char args[1024], *o;

	snprintf(args, sizeof args, "tokenize -m %s -p 'Hello'", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	assert_true(strncmp(o, "1 ", 2) == 0);	/* BOS first, then ids separated by spaces */
	free(o);
	snprintf(args, sizeof args, "info -m %s", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	assert_true(o[0] == '{');
	assert_non_null(strstr(o, "\"architecture\":\"llama\""));
	free(o);
}

/* a vocabulary-only file of another architecture (Phi-3), as llama-tokenize reads it; ids from llama-tokenize */
static void
test_tokenize_vocab_only(void **state)
{
	static const char *const cases[][2] = {
		{ "-p 'Hello world<|user|>'", "1 15043 3186 29966 29989 1792 29989 29958\n" },
		{ "-p 'Hello world<|user|>' --parse-special", "1 15043 3186 32010\n" },
		{ "-p 'Hello world<|user|>' --parse-special --no-bos", "15043 3186 32010\n" },
		{ "-f tests/data/vocab/vectors.inp --no-bos", NULL },
	};
	char args[1024], *o;
	size_t i;

	for(i = 0; i < sizeof cases / sizeof cases[0]; i++){
		snprintf(args, sizeof args, "tokenize -m tests/data/vocab/ggml-vocab-phi-3.gguf %s", cases[i][0]);
		assert_int_equal(llambo(args), 0);
		o = slurp(cli_out);
		if(cases[i][1] != NULL)
			assert_string_equal(o, cases[i][1]);
		else	/* the whole file: the first text's ids (phi-3.out's first line), then its newline's */
			assert_true(strncmp(o, "474 287 29871 29946 29871 30226 7378 13 ", 40) == 0);
		free(o);
	}
}

/* llambo bench with these flags: its pp and tg lines (named pp, tg), then its KV line */
static void
bench_lines(const char *flags, const char *pp, const char *tg, const char *kv)
{
	char args[1024], fmt[128], *o;
	double a, b;

	snprintf(args, sizeof args, "bench -m %s -p 16 -n 4 -r 1 -t 2 %s", model, flags);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	snprintf(fmt, sizeof fmt, "%s %%lf t/s\n%s %%lf t/s", pp, tg);
	assert_int_equal(sscanf(o, fmt, &a, &b), 2);
	assert_true(a > 0 && b > 0);
	assert_non_null(strstr(o, kv));
	free(o);
}

static void
test_bench_lines(void **state)
{
	bench_lines("", "pp16", "tg4", "\nkv f16/f16\n");
	/* -d: the tests start 70 positions deep (past a KV page), here with a Q8_0 cache */
	bench_lines("-d 70 -ctk q8_0 -ctv q8_0", "pp16@d70", "tg4@d70", "\nkv q8_0/q8_0\n");
}

/* -B: the engine's step of 3 sequences, 70 positions deep (past a KV page). */
static void
test_bench_steps(void **state)
{
	char args[1024], *o;
	double ms, tps, cpu;

	snprintf(args, sizeof args, "bench -m %s -B 3 -d 70 -n 2 -r 1 -t 2", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	assert_int_equal(sscanf(o, "B3@d70 step %lf ms %lf t/s cpu %lf ms\n", &ms, &tps, &cpu), 3);
	assert_true(ms > 0 && tps > 0 && cpu >= 0);
	free(o);
}

/* llambo-9p bench -c 1,2: a line per client count in the format, then the peak RSS line. */
static void
test_bench_clients(void **state)
{
	char prog[600], args[1024], *o, *l;
	double agg, per, p50, p99;
	int n, want = 1;

	snprintf(prog, sizeof prog, "%s-9p", cli_bin);
	snprintf(args, sizeof args, "bench -m %s -c 1,2 -n 4 -t 1", model);
	assert_int_equal(runprog(prog, args), 0);
	o = slurp(cli_out);
	for(l = strstr(o, "\nclients "); l != NULL; l = strstr(l + 1, "\nclients ")){
		assert_int_equal(sscanf(l, "\nclients %d aggregate %lf t/s per-client %lf t/s first-byte P50 %lf ms P99 %lf ms",
			&n, &agg, &per, &p50, &p99), 5);
		assert_int_equal(n, want);
		assert_true(agg > 0 && per > 0 && p50 >= 0 && p50 <= p99);
		want *= 2;
	}
	assert_int_equal(want, 4);	/* both counts */
	l = strstr(o, "\nscheduler clients 2 steps ");
	assert_non_null(l);
	assert_int_equal(sscanf(l, "\nscheduler clients 2 steps %lf of %lf ms cpu %lf ms", &agg, &per, &p50), 3);
	assert_true(agg >= 4 && per > 0 && p50 > 0);	/* 4 tokens each: at least a step for each and the prompts' */
	assert_non_null(strstr(o, "\npeak RSS "));
	free(o);
}

/* --membw: the bandwidth line first, then generation's share of it. */
static void
test_bench_membw(void **state)
{
	char args[1024], *o, *share;
	double bw, tg, mib, gbs, pct;

	snprintf(args, sizeof args, "bench -m %s --membw -p 0 -n 4 -r 1 -t 2", model);
	assert_int_equal(llambo(args), 0);
	o = slurp(cli_out);
	assert_int_equal(sscanf(o, "membw %lf GB/s\ntg4 %lf t/s\n", &bw, &tg), 2);
	assert_true(bw > 0 && tg > 0);
	share = strstr(o, "tg4 reads ");
	assert_non_null(share);
	assert_int_equal(sscanf(share, "tg4 reads %lf MiB a token: %lf GB/s, %lf%% of membw", &mib, &gbs, &pct), 3);
	assert_true(mib > 0 && gbs > 0 && pct > 0);
	free(o);
}

static void
test_logits_file(void **state)
{
	char args[1024], path[600];
	size_t len;
	char *f;
	int32_t hdr[2];

	snprintf(path, sizeof path, "%s.logits", cli_out);
	snprintf(args, sizeof args, "logits -m %.400s --ids '1 100 200' --gen 3 -o %.500s", model, path);
	assert_int_equal(llambo(args), 0);
	f = read_file(path, &len);
	assert_non_null(f);
	memcpy(hdr, f, 8);
	assert_int_equal(hdr[0], 3 + 2);	/* three prompt rows, then greedy steps 1 and 2 */
	assert_int_equal(hdr[1], 512);
	assert_int_equal(len, 8 + 4 * 5 * 512);
	free(f);
	unlink(path);
}

/* against llama.cpp's golden, file to file, with its F32 KV cache (needs ../shared) */
static void
test_logits_golden(void **state)
{
	char m[600], g[600], args[2048], path[600];
	float *a, *b;
	size_t la, lb, i;
	double maxd = 0;

	SHARED_OR_SKIP(m, "models/aidreams260K.gguf");
	SHARED_OR_SKIP(g, "goldens/aidreams260K/once-upon-a-time.logits");
	snprintf(path, sizeof path, "%s.logits", cli_out);
	snprintf(args, sizeof args, "logits -m %.600s -p 'Once upon a time' -ctk f32 -ctv f32 -o %.600s", m, path);
	assert_int_equal(llambo(args), 0);
	a = (float *)read_file(path, &la);
	b = (float *)read_file(g, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, 8);	/* same rows, same vocabulary */
	for(i = 2; i < la / 4; i++)
		if(fabs(a[i] - b[i]) > maxd)
			maxd = fabs(a[i] - b[i]);
	assert_true(maxd < 1e-3);
	free(a);
	free(b);
	unlink(path);
}

/*
 * No -m, no $LLAMBO_MODEL and no ../shared (run from an empty directory): the
 * built-in model runs, says on standard error that its weights are random and
 * how to get a real model, and prints text (valid UTF-8, no control characters).
 */
static void
test_builtin_model(void **state)
{
	static const char *runs[] = { "-n 48 --temp 0", "-n 200 --temp 2 --top-k 0 --top-p 1 --min-p 0 --seed 3" };
	char dir[512], abin[PATH_MAX], args[4096], *o, *e;
	size_t i, n;

	tmp_path(dir, sizeof dir, "empty");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_non_null(realpath(cli_bin, abin));
	for(i = 0; i < sizeof runs / sizeof runs[0]; i++){
		snprintf(args, sizeof args, "cd %.512s && env -u LLAMBO_MODEL %.1024s run -p 'Once upon a time' %s >%.512s 2>%.512s",
			dir, abin, runs[i], cli_out, cli_err);
		assert_int_equal(system(args), 0);
		o = slurp(cli_out);
		e = slurp(cli_err);
		assert_non_null(strstr(e, "built-in"));
		assert_non_null(strstr(e, "random"));
		assert_non_null(strstr(e, "https://"));	/* an example download */
		assert_non_null(strstr(e, "-m "));
		n = strlen(o);
		assert_true(n > 10 && o[n - 1] == '\n');
		if(!is_text(o, n - 1) || memchr(o, '\n', n - 1) != NULL)
			fail_msg("the built-in model printed more than text: %s", o);
		free(o);
		free(e);
	}
	rmdir(dir);
}

static void
test_version(void **state)
{
	char *o, want[64];

	assert_int_equal(llambo("--version"), 0);
	o = slurp(cli_out);
	snprintf(want, sizeof want, "llambo %s\n", LLAMBO_VERSION);
	assert_string_equal(o, want);
	free(o);
}

static void
test_bad_model_everywhere(void **state)
{
	static const char *cmds[] = { "run -p hi -n 2", "tokenize -p hi", "info", "bench -p 8 -n 2 -r 1", "logits -p hi -o /dev/null" };
	char bad[512], args[1024], *e;
	FILE *f;
	size_t i;

	tmp_path(bad, sizeof bad, "bad.gguf");
	f = fopen(bad, "w");
	fputs("GGUF\x03\0\0\0 truncated", f);
	fclose(f);
	for(i = 0; i < sizeof cmds / sizeof cmds[0]; i++){
		snprintf(args, sizeof args, "%s -m %s", cmds[i], bad);
		assert_int_not_equal(llambo(args), 0);
		e = slurp(cli_err);
		assert_non_null(strstr(e, bad));	/* the reason names the file */
		assert_true(strlen(e) > strlen(bad) + 4);
		free(e);
	}
	snprintf(args, sizeof args, "info -m /nonexistent/x.gguf");
	assert_int_not_equal(llambo(args), 0);
	e = slurp(cli_err);
	assert_non_null(strstr(e, "no such file"));
	free(e);
	assert_int_not_equal(llambo("run --temp nonsense -p x"), 0);
	assert_int_not_equal(llambo("frobnicate"), 0);
	unlink(bad);
}

/* 1 if the file at path holds want. */
static int
holds(const char *path, const char *want)
{
	char *s = slurp(path);
	int yes = strstr(s, want) != NULL;

	free(s);
	return yes;
}

/*
 * Help as README says (issue 7, defect 11): llambo help [CMD] and
 * llambo-styx -h/--help print the usage on standard output and exit 0, with
 * nothing on standard error (it said "invalid option" first); the usage lists
 * every limit the server enforces.
 */
static void
test_help(void **state)
{
	static const char *const styxhelp[] = { "-h", "--help" };
	char styx[600];
	size_t i;

	(void)state;
	assert_int_equal(llambo("help"), 0);
	assert_true(holds(cli_out, "usage: llambo command"));
	assert_int_equal(llambo("help run"), 0);
	assert_true(holds(cli_out, "usage: llambo run"));
	assert_int_equal(llambo("help nosuch"), 2);
	assert_true(holds(cli_err, "unknown command nosuch"));
	snprintf(styx, sizeof styx, "%s-styx", cli_bin);
	for(i = 0; i < 2; i++){
		assert_int_equal(runprog(styx, styxhelp[i]), 0);
		assert_true(holds(cli_out, "usage: llambo-styx"));
		assert_true(holds(cli_out, "limits:"));
		assert_true(holds(cli_out, "-T handshake timeout"));
		assert_false(holds(cli_err, "option"));
	}
	assert_int_equal(runprog(styx, "-Z"), 2);
	assert_true(holds(cli_err, "usage: llambo-styx"));
}

/* -ctk and -ctv: the models loaded get those KV cache types (info says so); the server takes them too */
static void
test_kv_types(void **state)
{
	char args[1024], styx[600];

	(void)state;
	snprintf(args, sizeof args, "info -m %s -ctk q8_0", model);
	assert_int_equal(llambo(args), 0);
	assert_true(holds(cli_out, "\"kv_cache_type_k\":\"q8_0\",\"kv_cache_type_v\":\"f16\""));
	snprintf(args, sizeof args, "info -m %s", model);
	assert_int_equal(llambo(args), 0);
	assert_true(holds(cli_out, "\"kv_cache_type_k\":\"f16\",\"kv_cache_type_v\":\"f16\""));
	snprintf(args, sizeof args, "run -m %s -p hi -n 2 -ctv q4_k", model);
	assert_int_equal(llambo(args), 1);
	assert_true(holds(cli_err, "unknown KV cache type q4_k"));
	snprintf(styx, sizeof styx, "%s-styx", cli_bin);
	assert_int_equal(runprog(styx, "-ctk q8_0 --cache-type-v bf16 -h"), 0);	/* read before -h: not taken for -c */
	assert_int_equal(runprog(styx, "-ctv q9"), 2);
	assert_true(holds(cli_err, "-ctv q9: unknown KV cache type q9"));
}

/* The request vectors through the CLI: llambo request reads each from standard input (issue 7, defect 8). */
static void
test_request_vectors(void **state)
{
	char in[512], args[1100], *o, *e, *got;
	ReqVector *v;
	int n = reqvectors_read("tests/requests.txt", &v), i, bad = 0;
	FILE *f;

	(void)state;
	if(n < 0)
		fail_msg("%s", llambo_last_error());
	tmp_path(in, sizeof in, "request.in");
	snprintf(args, sizeof args, "request <%s", in);
	for(i = 0; i < n; i++){
		f = fopen(in, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(v[i].text, 1, v[i].len, f), v[i].len);
		fclose(f);
		llambo(args);
		o = slurp(cli_out);
		e = slurp(cli_err);
		o[strcspn(o, "\n")] = 0;
		e[strcspn(e, "\n")] = 0;
		got = o[0] != 0 ? o : strncmp(e, "llambo: ", 8) == 0 ? e + 8 : e;
		if(strcmp(got, v[i].want) != 0){
			print_message("requests.txt:%d\n  want %s\n  got  %s\n", v[i].line, v[i].want, got);
			bad++;
		}
		free(o);
		free(e);
	}
	unlink(in);
	reqvectors_free(v, n);
	assert_int_equal(bad, 0);
}

/* The sampling flags are request keys, checked by the same parser: --top-p 0 is refused before anything loads. */
static void
test_flags_grammar(void **state)
{
	(void)state;
	assert_int_equal(llambo("run -p Hi --top-p 0"), 1);
	assert_true(holds(cli_err, "top_p must be a number above 0, at most 1"));
	assert_int_equal(llambo("run -p Hi --repeat-penalty 0"), 1);
	assert_true(holds(cli_err, "repeat_penalty"));
	assert_int_equal(llambo("run -p Hi --temp 101"), 1);
	assert_true(holds(cli_err, "temperature must be a number from 0 to 100"));
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_run_prints_text_only),
		cmocka_unit_test(test_tokenize_info),
		cmocka_unit_test(test_tokenize_vocab_only),
		cmocka_unit_test(test_bench_lines),
		cmocka_unit_test(test_bench_steps),
		cmocka_unit_test(test_bench_membw),
		cmocka_unit_test(test_bench_clients),
		cmocka_unit_test(test_logits_file),
		cmocka_unit_test(test_logits_golden),
		cmocka_unit_test(test_bad_model_everywhere),
		cmocka_unit_test(test_builtin_model),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_kv_types),
		cmocka_unit_test(test_request_vectors),
		cmocka_unit_test(test_flags_grammar),
	};

	return cmocka_run_group_tests(t, setup, teardown);
}
