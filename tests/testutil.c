/* testutil.c - see testutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

int
shared_path(char *buf, size_t n, const char *rel)
{
	const char *dir = getenv("LLAMBO_SHARED");

	if(dir == NULL || dir[0] == 0)
		dir = "../shared";
	snprintf(buf, n, "%s/%s", dir, rel);
	return access(buf, R_OK) == 0 ? 0 : -1;
}

char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if(f == NULL)
		return NULL;
	if(fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0){
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if(buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n){
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	if(len != NULL)
		*len = (size_t)n;
	return buf;
}

void
tmp_path(char *buf, size_t n, const char *name)
{
	const char *dir = getenv("TMPDIR");

	if(dir == NULL || dir[0] == 0)
		dir = "/tmp";
	snprintf(buf, n, "%s/llambo-test-%d-%s", dir, (int)getpid(), name);
}
