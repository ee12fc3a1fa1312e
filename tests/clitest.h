/*
 * clitest.h - running the built commands from a test: $B/bin/llambo (B is the
 * build directory, default build), its standard output and error in files.
 */
#ifndef LB_CLITEST_H
#define LB_CLITEST_H

extern char cli_bin[512], cli_out[512], cli_err[512];

void cli_paths(void);	/* cli_bin from $B; cli_out and cli_err in $TMPDIR, this process's own */
void cli_unlink(void);	/* removes cli_out and cli_err */
/* Runs prog (a path) with args (shell syntax); its exit status (128 if it died), output in cli_out and cli_err. */
int runprog(const char *prog, const char *args);
int llambo(const char *args);	/* runprog(cli_bin, args) */
char *slurp(const char *path);	/* the file's text (malloc'd); the test fails when it cannot be read */

#endif
