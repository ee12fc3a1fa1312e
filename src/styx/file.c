/*
 * file.c - opening, reading, writing and clunking the files of the tree.
 * Directories read as whole stat entries at continuous offsets; ctl, clone,
 * info and status read a text made at offset 0; data is in data.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

int
file_open(Conn *c, Fid *f, uint8_t mode)
{
	uint32_t perm = tree_perm(&f->node) & 7, need;
	int rw = mode & 3;

	if(mode & ~(3 | STYX_OTRUNC | STYX_ORCLOSE))
		return lb_err("illegal mode");
	if(mode & STYX_ORCLOSE)
		return lb_err("permission denied: no remove on close; the tree is fixed");
	if(tree_isdir(&f->node) && (rw == STYX_OWRITE || rw == STYX_ORDWR || (mode & STYX_OTRUNC)))
		return lb_err("Is a directory");
	need = rw == STYX_OREAD ? 4 : rw == STYX_OWRITE ? 2 : rw == STYX_ORDWR ? 6 : 1;
	if(mode & STYX_OTRUNC)
		need |= 2;
	if((perm & need) != need)
		return lb_err("permission denied");
	if(INMODEL(f->node.kind) && srv_serial(c->srv, f->node.id) != f->node.serial)
		return lb_err("no such model: %d (it was freed)", f->node.id);
	if(f->node.kind == Qclone)
		return clone_open(c, f);
	if(f->node.kind > Qsess)
		return sfile_open(c, f, mode);
	return 0;
}

void
file_readbuf(Conn *c, Req *r, StyxFcall *t, const char *buf, size_t n)
{
	StyxFcall f = { .type = STYX_RREAD };

	if(t->offset < n){
		f.data = (const uint8_t *)buf + t->offset;
		f.count = n - (size_t)t->offset < t->count ? (uint32_t)(n - (size_t)t->offset) : t->count;
	}
	conn_reply(c, r, &f);
}

static void
dirread(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	StyxFcall rf = { .type = STYX_RREAD };
	uint8_t *buf;
	size_t n = 0;
	int full = 0;
	Node child;
	long k;

	if(t->offset == 0){
		f->dirindex = 0;
		f->diroff = 0;
	}else if(t->offset != f->diroff){
		conn_error(c, r, "bad offset in directory read");
		return;
	}
	if((buf = malloc(t->count > 0 ? t->count : 1)) == NULL){
		conn_error(c, r, "out of memory");
		return;
	}
	while(tree_child(c->srv, &f->node, f->dirindex, &child) == 0){
		k = tree_stat(c->srv, &child, buf + n, t->count - n);
		if(k == 0){
			full = 1;
			break;
		}
		if(k > 0)
			n += (size_t)k;
		f->dirindex++;
	}
	if(n == 0 && full){
		free(buf);
		conn_error(c, r, "i/o count too small for a directory entry");
		return;
	}
	f->diroff += n;
	rf.count = (uint32_t)n;
	rf.data = buf;
	conn_reply(c, r, &rf);
	free(buf);
}

/* A malloc'd copy of what the library returned. */
static char *
libtext(char *s, size_t *n)
{
	char *copy;

	if(s == NULL)
		return NULL;
	*n = strlen(s);
	copy = malloc(*n + 1);
	if(copy != NULL)
		memcpy(copy, s, *n + 1);
	llambo_free(s);
	return copy;
}

/* The text an open of ctl, info or status reads: made again at offset 0. */
static char *
maketext(Conn *c, Fid *f, size_t *n)
{
	switch(f->node.kind){
	case Qctl: return ctl_listing(c->srv, n);
	case Qinfo: return libtext(llambo_get_model_info(f->node.id), n);
	case Qstatus: return data_status(c, &f->node, n);
	case Qlist: return byname_list(c->srv, n);
	}
	return NULL;
}

void
file_read(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	char *text;
	size_t n = 0;

	if(tree_isdir(&f->node)){
		dirread(c, r, f, t);
		return;
	}
	if(f->node.kind == Qdata){
		data_read(c, r, f, t);
		return;
	}
	if(f->node.kind > Qsess || f->node.kind == Qnew){
		sfile_read(c, r, f, t);
		return;
	}
	if(f->node.kind != Qclone && (t->offset == 0 || f->text == NULL)){
		if(INMODEL(f->node.kind) && srv_serial(c->srv, f->node.id) != f->node.serial){
			conn_error(c, r, "no such model: %d (it was freed)", f->node.id);
			return;
		}
		if((text = maketext(c, f, &n)) == NULL){
			conn_error(c, r, "%s: %s", f->node.kind == Qinfo ? "info" : "read", llambo_last_error());
			return;
		}
		free(f->text);
		f->text = text;
		f->ntext = n;
	}
	file_readbuf(c, r, t, f->text, f->ntext);
}

void
file_append(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	StyxFcall rf = { .type = STYX_RWRITE };
	size_t max = c->srv->cfg.lim.max_request;
	char *p;

	if(t->count > max - c->reqbytes){
		conn_error(c, r, "request too large: at most %zu bytes written and not yet started", max);
		return;
	}
	if(t->count > 0){
		if((p = realloc(f->req, f->nreq + t->count)) == NULL){
			conn_error(c, r, "out of memory");
			return;
		}
		memcpy(p + f->nreq, t->data, t->count);
		f->req = p;
		f->nreq += t->count;
		c->reqbytes += t->count;
		srv_bytes(c->srv, (long)t->count);
	}
	rf.count = t->count;
	conn_reply(c, r, &rf);
}

void
file_write(Conn *c, Req *r, Fid *f, StyxFcall *t)
{
	switch(f->node.kind){
	case Qctl:
	case Qclone:
		ctl_write(c, r, f, (const char *)t->data, t->count);
		break;
	case Qdata:
		file_append(c, r, f, t);
		break;
	default:
		if(f->node.kind > Qsess){
			sfile_write(c, r, f, t);
			break;
		}
		conn_error(c, r, "permission denied");
	}
}

/* Frees what f holds; a request written but never started is dropped. */
void
file_release(Conn *c, Fid *f)
{
	free(f->text);
	f->text = NULL;
	if(f->req != NULL){
		srv_bytes(c->srv, -(long)f->nreq);
		c->reqbytes -= f->nreq;
		free(f->req);
		f->req = NULL;
		f->nreq = 0;
	}
	data_detach(f);
	if(f->node.kind == Qclone)
		clone_close(c, f);
}

/* Tclunk: a request written on an open of data starts now if no read started it. */
int
file_clunk(Conn *c, Fid *f)
{
	int rc = 0;

	if(f->node.kind == Qdata && f->open && f->nreq > 0)
		rc = data_start(c, f, 1);
	if(f->node.kind > Qsess && f->open)
		rc = sfile_clunk(c, f);
	file_release(c, f);
	return rc;
}
