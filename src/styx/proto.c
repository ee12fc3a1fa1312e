/*
 * proto.c - the 9P2000 messages, as intro(5) defines them, on the reader
 * thread: version, attach, walk, open, read, write, clunk, stat and the rest.
 * What a file does when opened, read or written is in file.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/error.h"
#include "impl.h"

static Fid *
findfid(Conn *c, uint32_t fid)
{
	Fid *f;

	for(f = c->fids; f != NULL; f = f->next)
		if(f->fid == fid)
			return f;
	return NULL;
}

/* A new fid in the table, or NULL with the error answered. */
static Fid *
newfid(Conn *c, Req *r, uint32_t fid, const Node *n)
{
	Fid *f;

	if(fid == STYX_NOFID){
		conn_error(c, r, "fid unknown or out of range");
		return NULL;
	}
	if(findfid(c, fid) != NULL){
		conn_error(c, r, "fid already in use");
		return NULL;
	}
	if(c->nfids >= c->srv->cfg.lim.max_fids){
		conn_error(c, r, "too many fids (limit %d)", c->srv->cfg.lim.max_fids);
		return NULL;
	}
	f = calloc(1, sizeof *f);
	if(f == NULL){
		conn_error(c, r, "out of memory");
		return NULL;
	}
	f->fid = fid;
	f->node = *n;
	f->clone_id = -1;
	f->next = c->fids;
	c->fids = f;
	c->nfids++;
	srv_account(c->srv, &c->srv->nfids, 1);
	return f;
}

static void
delfid(Conn *c, Fid *f)
{
	Fid **l;

	for(l = &c->fids; *l != NULL; l = &(*l)->next)
		if(*l == f){
			*l = f->next;
			break;
		}
	c->nfids--;
	srv_account(c->srv, &c->srv->nfids, -1);
	free(f);
}

/* The fid of a request, or NULL with the error answered. */
static Fid *
getfid(Conn *c, Req *r, uint32_t fid)
{
	Fid *f = findfid(c, fid);

	if(f == NULL)
		conn_error(c, r, "fid unknown or out of range");
	return f;
}

/* Drops every request and fid but keep: Tversion starts afresh. */
static void
reset(Conn *c, Req *keep)
{
	while(c->fids != NULL){
		file_release(c, c->fids);
		delfid(c, c->fids);
	}
	conn_abort(c, keep);
}

/* The end of the connection: its requests and fids go, and its generations stop. */
void
proto_end(Conn *c)
{
	reset(c, NULL);
	data_gone(c);
	sess_gone(c);	/* its sessions stay, no longer counted against it */
}

static void
rversion(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_RVERSION };
	StyxStr v = t->version;
	int ok = v.len >= 6 && memcmp(v.p, "9P2000", 6) == 0 && (v.len == 6 || v.p[6] == '.');

	if(t->msize < STYX_MINMSIZE){
		conn_error(c, r, "msize %u is too small (at least %d)", t->msize, STYX_MINMSIZE);
		return;
	}
	reset(c, r);
	c->attached = 0;	/* a new handshake, with its own time limit */
	c->born = conn_now();
	f.msize = t->msize < c->srv->cfg.lim.max_msize ? t->msize : c->srv->cfg.lim.max_msize;
	f.version = styx_str(ok ? "9P2000" : "unknown");
	c->msize = ok ? f.msize : 0;
	conn_reply(c, r, &f);
}

static void
rattach(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_RATTACH };
	Node root = { Qroot, -1, 0, 0 };

	if(styx_streq(t->aname, "llm")){	/* infernode's layout: mount -A tcp!host!9999 /n/llm llm */
		root.kind = Qsessions;
		root.llm = 1;
	}

	if(t->afid != STYX_NOFID){
		conn_error(c, r, "authentication not required");
		return;
	}
	if(newfid(c, r, t->fid, &root) == NULL)
		return;
	c->attached = 1;
	tree_qid(c->srv, &root, &f.qid);
	conn_reply(c, r, &f);
}

/* Walks n along t's names into f.wqid; the number walked, and the first failure's reason in lb_err. */
static int
walknames(Conn *c, Node *n, StyxFcall *t, StyxFcall *f)
{
	Node next;
	int i;

	for(i = 0; i < t->nwname; i++){
		if(!tree_isdir(n)){
			lb_err("not a directory");
			break;
		}
		if(tree_walk1(c->srv, n, t->wname[i], &next) < 0)
			break;
		if(tree_qid(c->srv, &next, &f->wqid[i]) < 0){
			lb_err("file does not exist");
			break;
		}
		*n = next;
	}
	return i;
}

static void
rwalk(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_RWALK };
	Fid *from;
	Node n;

	if((from = getfid(c, r, t->fid)) == NULL)
		return;
	if(from->open){
		conn_error(c, r, "bad use of fid: cannot walk an open fid");
		return;
	}
	if(t->newfid != t->fid && findfid(c, t->newfid) != NULL){
		conn_error(c, r, "fid already in use");
		return;
	}
	n = from->node;
	f.nwqid = (uint16_t)walknames(c, &n, t, &f);
	if(f.nwqid == 0 && t->nwname > 0){
		conn_error(c, r, "%s", lb_errstr());
		return;
	}
	if(f.nwqid == t->nwname){
		if(t->newfid == t->fid)
			from->node = n;
		else if(newfid(c, r, t->newfid, &n) == NULL)
			return;
	}
	conn_reply(c, r, &f);
}

static void
ropen(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_ROPEN };
	Fid *fid;

	if((fid = getfid(c, r, t->fid)) == NULL)
		return;
	if(fid->open){
		conn_error(c, r, "bad use of fid: already open");
		return;
	}
	if(file_open(c, fid, t->mode) < 0 || tree_qid(c->srv, &fid->node, &f.qid) < 0){
		conn_error(c, r, "%s", lb_errstr());
		return;
	}
	fid->open = 1;
	fid->mode = t->mode;
	f.iounit = c->msize - STYX_IOHDRSZ;
	conn_reply(c, r, &f);
}

static int
canread(const Fid *f)
{
	return f->open && ((f->mode & 3) == STYX_OREAD || (f->mode & 3) == STYX_ORDWR || (f->mode & 3) == STYX_OEXEC);
}

static int
canwrite(const Fid *f)
{
	return f->open && ((f->mode & 3) == STYX_OWRITE || (f->mode & 3) == STYX_ORDWR);
}

static void
rread(Conn *c, Req *r, StyxFcall *t)
{
	Fid *f;

	if((f = getfid(c, r, t->fid)) == NULL)
		return;
	if(!canread(f)){
		conn_error(c, r, f->open ? "fid not open for reading" : "fid not open: open it before reading");
		return;
	}
	if(t->count > c->msize - STYX_IOHDRSZ)
		t->count = c->msize - STYX_IOHDRSZ;
	file_read(c, r, f, t);
}

static void
rwrite(Conn *c, Req *r, StyxFcall *t)
{
	Fid *f;

	if((f = getfid(c, r, t->fid)) == NULL)
		return;
	if(!canwrite(f)){
		conn_error(c, r, f->open ? "fid not open for writing" : "fid not open: open it before writing");
		return;
	}
	file_write(c, r, f, t);
}

static void
rclunk(Conn *c, Req *r, StyxFcall *t, int remove)
{
	StyxFcall f = { .type = remove ? STYX_RREMOVE : STYX_RCLUNK };
	Fid *fid;
	int rc;

	if((fid = getfid(c, r, t->fid)) == NULL)
		return;
	rc = file_clunk(c, fid);
	delfid(c, fid);
	if(remove)
		conn_error(c, r, "remove prohibited: the tree is fixed; write \"free N\" to ctl to free a model");
	else if(rc < 0)
		conn_error(c, r, "%s", lb_errstr());
	else
		conn_reply(c, r, &f);
}

static void
rstat(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_RSTAT };
	uint8_t buf[512];
	Fid *fid;
	long n;

	if((fid = getfid(c, r, t->fid)) == NULL)
		return;
	n = tree_stat(c->srv, &fid->node, buf, sizeof buf);
	if(n <= 0){
		conn_error(c, r, "file does not exist");
		return;
	}
	f.nstat = (uint16_t)n;
	f.stat = buf;
	conn_reply(c, r, &f);
}

/* 1 if d asks for no change but those Linux sends for O_TRUNC and utimes (length 0, times). */
static int
wstatnoop(const Node *n, const StyxDir *d)
{
	if(d->type != 0xFFFF || d->dev != 0xFFFFFFFFu || d->qid.type != 0xFF || d->qid.vers != 0xFFFFFFFFu
	|| d->qid.path != ~(uint64_t)0 || d->mode != 0xFFFFFFFFu)
		return 0;
	if(d->name.len != 0 || d->uid.len != 0 || d->gid.len != 0 || d->muid.len != 0)
		return 0;
	if(d->length == ~(uint64_t)0)
		return 1;
	return d->length == 0 && (tree_perm(n) & 0222) != 0;
}

static void
rwstat(Conn *c, Req *r, StyxFcall *t)
{
	StyxFcall f = { .type = STYX_RWSTAT };
	StyxDir d;
	Fid *fid;

	if((fid = getfid(c, r, t->fid)) == NULL)
		return;
	if(styx_unpackdir(t->stat, t->nstat, &d) < 0){
		conn_error(c, r, "bogus wstat buffer");
		return;
	}
	if(!wstatnoop(&fid->node, &d)){
		conn_error(c, r, "wstat prohibited");
		return;
	}
	conn_reply(c, r, &f);
}

/* Tflush; a read it took back from a generation stops it unless another open still reads it. */
static void
rflush(Conn *c, StyxFcall *t)
{
	Req *old = conn_flush(c, t->oldtag, t->tag);
	Fid *f;

	if(old == NULL)
		return;
	f = findfid(c, old->fid);
	gen_flushed(old->gen, f != NULL && f->gen == old->gen);
	conn_unref(c);	/* the waiting read's hold (the reader has its own) */
	conn_freereq(old);
}

void
proto_dispatch(Conn *c, Req *r, StyxFcall *t)
{
	switch(t->type){
	case STYX_TVERSION: rversion(c, r, t); break;
	case STYX_TAUTH: conn_error(c, r, "authentication not required"); break;
	case STYX_TATTACH: rattach(c, r, t); break;
	case STYX_TFLUSH: rflush(c, t); break;
	case STYX_TWALK: rwalk(c, r, t); break;
	case STYX_TOPEN: ropen(c, r, t); break;
	case STYX_TCREATE:
		conn_error(c, r, "create prohibited: the tree is fixed; write \"load PATH\" to ctl to add a model");
		break;
	case STYX_TREAD: rread(c, r, t); break;
	case STYX_TWRITE: rwrite(c, r, t); break;
	case STYX_TCLUNK: rclunk(c, r, t, 0); break;
	case STYX_TREMOVE: rclunk(c, r, t, 1); break;
	case STYX_TSTAT: rstat(c, r, t); break;
	case STYX_TWSTAT: rwstat(c, r, t); break;
	default: conn_error(c, r, "unknown message type %d", t->type); break;
	}
}
