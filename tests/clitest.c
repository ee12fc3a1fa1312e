/* clitest.c - see clitest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clitest.h"
#include "testutil.h"

char cli_bin[512], cli_out[512], cli_err[512];

void
cli_paths(void)
{
	const char *b = getenv("B");

	snprintf(cli_bin, sizeof cli_bin, "%s/bin/llambo", b && b[0] ? b : "build");
	tmp_path(cli_out, sizeof cli_out, "cli.out");
	tmp_path(cli_err, sizeof cli_err, "cli.err");
}

void
cli_unlink(void)
{
	unlink(cli_out);
	unlink(cli_err);
}

int
runprog(const char *prog, const char *args)
{
	char cmd[8192];
	int st;

	snprintf(cmd, sizeof cmd, "%.512s %.6144s >%.512s 2>%.512s", prog, args, cli_out, cli_err);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int
llambo(const char *args)
{
	return runprog(cli_bin, args);
}

char *
slurp(const char *path)
{
	char *s = read_file(path, NULL);

	assert_non_null(s);
	return s;
}
