/* fmt.c - one line per 9P message for the -D trace, in lib9p's chatty9p style. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "fcall.h"

/* Appends to buf at *off, never past n. */
static void
add(char *buf, size_t n, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add(char *buf, size_t n, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int k;

	if(*off >= n)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *off, n - *off, fmt, ap);
	va_end(ap);
	if(k > 0)
		*off += (size_t)k;
}

static void
addstr(char *buf, size_t n, size_t *off, StyxStr s)
{
	int len = s.len > 64 ? 64 : s.len;

	add(buf, n, off, "'%.*s%s'", len, s.p, s.len > 64 ? "..." : "");
}

static void
addqid(char *buf, size_t n, size_t *off, const StyxQid *q)
{
	add(buf, n, off, "(%016" PRIx64 " %" PRIu32 " %02x)", q->path, q->vers, q->type);
}

static void
fmtwalk(char *buf, size_t n, size_t *off, const StyxFcall *f)
{
	int i;

	if(f->type == STYX_TWALK){
		add(buf, n, off, " fid %u newfid %u nwname %d", f->fid, f->newfid, f->nwname);
		for(i = 0; i < f->nwname; i++){
			add(buf, n, off, " %d:", i);
			addstr(buf, n, off, f->wname[i]);
		}
		return;
	}
	add(buf, n, off, " nwqid %d", f->nwqid);
	for(i = 0; i < f->nwqid; i++){
		add(buf, n, off, " %d:", i);
		addqid(buf, n, off, &f->wqid[i]);
	}
}

static const char *tnames[] = {
	"Tversion", "Rversion", "Tauth", "Rauth", "Tattach", "Rattach", "Terror", "Rerror",
	"Tflush", "Rflush", "Twalk", "Rwalk", "Topen", "Ropen", "Tcreate", "Rcreate",
	"Tread", "Rread", "Twrite", "Rwrite", "Tclunk", "Rclunk", "Tremove", "Rremove",
	"Tstat", "Rstat", "Twstat", "Rwstat",
};

void
styx_fmt(char *buf, size_t n, const StyxFcall *f)
{
	size_t off = 0;

	if(f->type >= STYX_TVERSION && f->type <= STYX_RWSTAT)
		add(buf, n, &off, "%s tag %u", tnames[f->type - STYX_TVERSION], f->tag);
	else
		add(buf, n, &off, "type %d tag %u", f->type, f->tag);
	switch(f->type){
	case STYX_TVERSION: case STYX_RVERSION:
		add(buf, n, &off, " msize %u version ", f->msize);
		addstr(buf, n, &off, f->version);
		break;
	case STYX_TAUTH: case STYX_TATTACH:
		if(f->type == STYX_TATTACH)
			add(buf, n, &off, " fid %u", f->fid);
		add(buf, n, &off, " afid %u uname ", f->afid);
		addstr(buf, n, &off, f->uname);
		add(buf, n, &off, " aname ");
		addstr(buf, n, &off, f->aname);
		break;
	case STYX_RERROR:
		add(buf, n, &off, " ename ");
		addstr(buf, n, &off, f->ename);
		break;
	case STYX_TFLUSH: add(buf, n, &off, " oldtag %u", f->oldtag); break;
	case STYX_RAUTH: case STYX_RATTACH: case STYX_ROPEN: case STYX_RCREATE:
		add(buf, n, &off, " qid ");
		addqid(buf, n, &off, &f->qid);
		if(f->type == STYX_ROPEN || f->type == STYX_RCREATE)
			add(buf, n, &off, " iounit %u", f->iounit);
		break;
	case STYX_TWALK: case STYX_RWALK: fmtwalk(buf, n, &off, f); break;
	case STYX_TOPEN: add(buf, n, &off, " fid %u mode 0x%x", f->fid, f->mode); break;
	case STYX_TCREATE:
		add(buf, n, &off, " fid %u name ", f->fid);
		addstr(buf, n, &off, f->name);
		add(buf, n, &off, " perm %o mode 0x%x", f->perm, f->mode);
		break;
	case STYX_TREAD: case STYX_TWRITE:
		add(buf, n, &off, " fid %u offset %" PRIu64 " count %u", f->fid, f->offset, f->count);
		break;
	case STYX_RREAD: case STYX_RWRITE: add(buf, n, &off, " count %u", f->count); break;
	case STYX_TCLUNK: case STYX_TREMOVE: case STYX_TSTAT: add(buf, n, &off, " fid %u", f->fid); break;
	case STYX_TWSTAT: add(buf, n, &off, " fid %u nstat %u", f->fid, f->nstat); break;
	case STYX_RSTAT: add(buf, n, &off, " nstat %u", f->nstat); break;
	}
}
