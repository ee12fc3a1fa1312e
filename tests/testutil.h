/*
 * testutil.h - what the test programs share.
 * Tests that need ../shared (models, goldens, tokenizer vectors) find it through
 * shared_path(); when it is absent they call skip() so the suite passes without it.
 * LLAMBO_SHARED overrides the location (default ../shared, from the repository root).
 */
#ifndef LB_TESTUTIL_H
#define LB_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fills buf with the path of rel inside the shared folder; 0 if that file exists, else -1. */
int shared_path(char *buf, size_t n, const char *rel);
/* shared_path, or skip() the current test when the file is absent. */
#define SHARED_OR_SKIP(buf, rel) do { if(shared_path(buf, sizeof buf, rel) < 0) { \
	print_message("skipping: %s not found (set LLAMBO_SHARED)\n", rel); skip(); } } while(0)

/* Fills buf with the path of rel inside tests/data (committed test data; tests run from the repository root). */
void data_path(char *buf, size_t n, const char *rel);

/* Reads a whole file into malloc'd memory (NUL-terminated); NULL if it cannot. */
char *read_file(const char *path, size_t *len);
/* 1 if s[0..n) is valid UTF-8 (shortest forms, no surrogates) with no control character but '\n'. */
int is_text(const char *s, size_t n);
/* A fresh temporary path for the test to write (in $TMPDIR or /tmp). */
void tmp_path(char *buf, size_t n, const char *name);
/* The fuzz harnesses' server model at path: one layer, 32 wide, 300 tokens, Q8_0, tied (a few KB); 0, or -1 with lb_err. */
int tiny_model(const char *path, int n_ctx);
/* A fuzz harness's failure: prints the program's name and fmt with arg, and aborts (libFuzzer keeps the input). */
void fuzz_die(const char *fmt, const char *arg);
/* Removes dir and the files in it (a harness's scratch -m directory; it holds no subdirectories). */
void rm_scratch_dir(const char *dir);
/* Seconds on a monotonic clock. */
double test_now(void);
/* Waits for what, polling, failing the test after a minute (only something broken takes that long). */
#define WAIT_FOR(what) do { double t0_ = test_now(); while(!(what)){ assert_true(test_now() - t0_ < 60); usleep(1000); } } while(0)

#endif
