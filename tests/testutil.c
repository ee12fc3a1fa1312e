/* testutil.c - see testutil.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/model/synth.h"
#include "testutil.h"

double
test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
shared_path(char *buf, size_t n, const char *rel)
{
	const char *dir = getenv("LLAMBO_SHARED");

	if(dir == NULL || dir[0] == 0)
		dir = "../shared";
	snprintf(buf, n, "%s/%s", dir, rel);
	return access(buf, R_OK) == 0 ? 0 : -1;
}

void
data_path(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "tests/data/%s", rel);
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

int
is_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	uint32_t c, min;

	while(i < n){
		c = p[i];
		len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if(len == 0 || i + len > n)
			return 0;
		min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
		if(len > 1)
			c &= 0x7F >> len;
		for(k = 1; k < len; k++){
			if((p[i + k] & 0xC0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3F);
		}
		if((len > 1 && c < min) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		if((c < 0x20 && c != '\n') || (c >= 0x7F && c < 0xA0))
			return 0;
		i += len;
	}
	return 1;
}

int
tiny_model(const char *path, int n_ctx)
{
	SynthSpec spec;

	synth_defaults(&spec);
	spec.n_embd = 32;
	spec.n_layer = 1;
	spec.n_head = 2;
	spec.n_head_kv = 1;
	spec.n_ff = 64;
	spec.n_vocab = 300;
	spec.n_ctx = n_ctx;
	spec.type = "Q8_0";
	spec.tied = 1;
	return synth_write(&spec, path);
}

void
fuzz_die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", program_invocation_short_name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	abort();
}

void
rm_scratch_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while(d != NULL && (e = readdir(d)) != NULL)
		if(strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0
		&& snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	if(d != NULL)
		closedir(d);
	rmdir(dir);
}
