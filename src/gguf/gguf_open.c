/*
 * gguf_open.c - getting a GGUF file into one buffer (mmap or read) and back out.
 *
 * With use_mmap the file is mapped read-only and private, and tensors are used
 * in place.  A file truncated by someone else after the checks would still
 * fault on access (SIGBUS): the mapping uses the size fstat gave at open time,
 * and the caller who cannot accept that uses use_mmap 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"
#include "../util/mem.h"
#include "gguf_impl.h"

enum { READ_CHUNK = 1 << 30 };	/* read() sizes stay well inside ssize_t */

static int
read_all(int fd, uint8_t *buf, size_t size, const char *path)
{
	size_t got = 0;
	ssize_t n;

	while(got < size){
		n = read(fd, buf + got, size - got < READ_CHUNK ? size - got : READ_CHUNK);
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0)
			return lb_err("%s: read error: %s", path, strerror(errno));
		if(n == 0)
			return lb_err("%s: file shrank while being read", path);
		got += (size_t)n;
	}
	return 0;
}

/* Fills f->base and f->size from the open file fd. */
static int
load(GGUFFile *f, int fd, const char *path, int use_mmap)
{
	struct stat st;
	void *p;

	if(fstat(fd, &st) < 0)
		return lb_err("%s: %s", path, strerror(errno));
	if(!S_ISREG(st.st_mode))
		return lb_err("%s: not a regular file", path);
	if(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)	/* opened without blocking; read as usual */
		return lb_err("%s: %s", path, strerror(errno));
	if((uint64_t)st.st_size > SIZE_MAX)
		return lb_err("%s: file of %lld bytes is too large for this address space", path,
			(long long)st.st_size);
	f->size = (size_t)st.st_size;
	if(f->size == 0)
		return 0;	/* nothing to map; parsing says "not a GGUF file" */
	if(use_mmap){
		p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if(p == MAP_FAILED)
			return lb_err("%s: mmap: %s", path, strerror(errno));
		f->base = p;
		f->mapped = 1;
		return 0;
	}
	f->base = lb_bigalloc(f->size);
	if(f->base == NULL)
		return lb_errprefix("%s", path);
	return read_all(fd, f->base, f->size, path);
}

static void
release_buffer(GGUFFile *f)
{
	if(f->base == NULL || f->borrowed)
		return;
	if(f->mapped)
		munmap(f->base, f->size);
	else
		lb_bigfree(f->base, f->size);
}

int
gguf_open(GGUFFile *f, const char *path, int use_mmap)
{
	int fd, rc;

	memset(f, 0, sizeof *f);
	/* O_NONBLOCK: the open of a FIFO (or a device) must not wait before load() refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if(fd < 0){
		if(errno == ENOENT)
			return lb_err("%s: no such file", path);
		return lb_err("%s: %s", path, strerror(errno));
	}
	rc = load(f, fd, path, use_mmap);
	close(fd);
	if(rc == 0)
		rc = gguf_parse_buffer(f);
	if(rc < 0){
		release_buffer(f);
		memset(f, 0, sizeof *f);
	}
	return rc;
}

int
gguf_parse(GGUFFile *f, const uint8_t *buf, size_t size)
{
	memset(f, 0, sizeof *f);
	f->base = (uint8_t *)buf;	/* never written through */
	f->size = size;
	f->borrowed = 1;
	if(gguf_parse_buffer(f) < 0){
		memset(f, 0, sizeof *f);
		return -1;
	}
	return 0;
}

void
gguf_close(GGUFFile *f)
{
	gguf_free_tables(f);
	release_buffer(f);
	memset(f, 0, sizeof *f);
}
