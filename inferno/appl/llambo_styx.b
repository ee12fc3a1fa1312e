implement Llambostyx;

#
# llambo_styx [-r] [-m dir]...
#
# Serves the Llambo file tree on standard input over the builtin module
# $Llambo_c, so that
#	mount {llambo_styx} /n/llambo
#	styxlisten -A tcp!*!9999 {llambo_styx}
# both work.  The tree and its semantics are those of the native server:
#	ctl		read: one line per model; write: load PATH [use_mmap] [n_gpu_layers], free ID
#	clone		read: a new model id, reserved for this open; write: load PATH ... into it
#	models/N/data	write a request prompt|max_tokens|temperature[|key=value...], read the text
#	models/N/info	JSON
#	models/N/status	state, generations, tokens, tok/s, path; sessions; request (this mount's latest)
# Reading data streams the text as it is made.  A request is all that
# one open wrote; it starts at that open's first read or when it is
# closed.  An open that only reads gets the latest request its attach
# (its mount) started on that model.  Flushing a pending read stops the
# generation unless another read waits on it; a new request on the same
# model from the same attach replaces the running one; the attach's
# generations end with the connection.
#
# -r refuses load and free; -m DIR (repeatable) allows loads only from
# below DIR (after removing . and ..; symbolic links on the host are
# not resolved).  Use -m when the server is exported to a network.
# Model paths are host paths.
#

include "sys.m";
	sys: Sys;
	Qid: import Sys;
include "draw.m";
include "arg.m";
include "names.m";
	names: Names;
include "styx.m";
	styx: Styx;
	Tmsg, Rmsg: import styx;
include "styxservers.m";
	styxservers: Styxservers;
	Fid, Styxserver, Navigator, Navop: import styxservers;
	Enotfound, Eperm, Ebadfid: import Styxservers;
include "llambo_c.m";
	llambo_c: Llambo_c;
	Gen: import llambo_c;
include "llambo.m";
	llambo: Llambo;
	Request: import llambo;

Llambostyx: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

# qid paths: the top files, then (id+1)<<4 | kind for a model's files
Qroot, Qctl, Qclone, Qmodels, Qmdir, Qdata, Qinfo, Qstatus: con iota;

MAXREQ: con 1024*1024;	# the longest request one open may write
NOREQ: con "no request: write prompt|max_tokens|temperature to this data file first (or use one open for both)";

# A generation started by a request on data.
Req: adt {
	model:	int;
	attach:	int;	# who may read it without having written it
	g:	ref Gen;
	text:	array of byte;
	done:	int;
	err:	string;
	why:	string;	# how it ended: the builtin module's finish
	waiting:	list of ref Tmsg.Read;	# reads beyond the text so far
};

# What this server keeps about an open fid beyond styxservers' Fid.
Fstate: adt {
	fid:	int;
	attach:	int;
	wbuf:	array of byte;	# data: what this open wrote, not started yet
	req:	ref Req;	# data: the request it started
	snap:	array of byte;	# ctl, info, status, clone: what reads return
	clone:	int;	# clone: the reserved id, -1 once loaded
};

# A load or free running on a thread of its own.
Job: adt {
	tag:	int;
	count:	int;
	flushed:	int;
	fs:	ref Fstate;	# clone: the open that loads
	err:	string;
	model:	int;	# the id it freed or loaded into, or -1
};

srv: ref Styxserver;
user := "llambo";
readonly := 0;
modeldirs: list of string;
fstates := array[64] of list of ref Fstate;
nattach := 0;
reqs: list of ref Req;	# latest request per (attach, model), and running ones
jobs: list of ref Job;
pieces: chan of (ref Req, array of byte);
ended: chan of (ref Req, string);
jobdone: chan of ref Job;
npumps := 0;

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	arg := load Arg Arg->PATH;
	names = load Names Names->PATH;
	styx = load Styx Styx->PATH;
	styxservers = load Styxservers Styxservers->PATH;
	llambo = load Llambo Llambo->PATH;
	if(arg == nil || names == nil || styx == nil || styxservers == nil || llambo == nil)
		fatal(sys->sprint("cannot load a module: %r"));
	llambo_c = load Llambo_c Llambo_c->PATH;
	if(llambo_c == nil)
		fatal(sys->sprint("cannot load %s: %r: this emu has no Llambo_c (run emu-llambo, see BUILD-FFI.md)", Llambo_c->PATH));
	arg->init(argv);
	arg->setusage("llambo_styx [-r] [-m modeldir]...");
	while((c := arg->opt()) != 0)
		case c {
		'r' =>	readonly = 1;
		'm' =>	modeldirs = names->cleanname(arg->earg()) :: modeldirs;
		* =>	arg->usage();
		}
	if(arg->argv() != nil)
		arg->usage();
	styx->init();
	styxservers->init(styx);
	if((u := readfile("/dev/user")) != nil)
		user = u;

	sys->pctl(Sys->FORKNS|Sys->NEWFD, 0 :: 2 :: nil);
	navops := chan of ref Navop;
	spawn navigator(navops);
	tchan: chan of ref Tmsg;
	(tchan, srv) = Styxserver.new(sys->fildes(0), Navigator.new(navops), big Qroot);
	pieces = chan of (ref Req, array of byte);
	ended = chan of (ref Req, string);
	jobdone = chan of ref Job;
	serve(tchan);
	# the connection is gone: its generations go with it
	for(l := reqs; l != nil; l = tl l)
		if(!(hd l).done)
			llambo_c->cancel((hd l).g);
	navops <-= nil;
	while(npumps > 0)
		alt {
		<-pieces =>	;
		<-ended =>	npumps--;
		}
}

fatal(s: string)
{
	sys->fprint(sys->fildes(2), "llambo_styx: %s\n", s);
	raise "fail:error";
}

serve(tchan: chan of ref Tmsg)
{
	for(;;) alt {
	gm := <-tchan =>
		if(gm == nil)
			return;
		pick m := gm {
		Readerror =>
			return;
		}
		tmsg(gm);
	(r, b) := <-pieces =>
		r.text = cat(r.text, b);
		answer(r);
	(r, err) := <-ended =>
		npumps--;
		r.done = 1;
		r.err = err;
		answer(r);
	j := <-jobdone =>
		jobs = deljob(jobs, j);
		if(j.model >= 0)
			forget(j.model);
		if(j.flushed)
			;
		else if(j.err != nil)
			srv.reply(ref Rmsg.Error(j.tag, j.err));
		else
			srv.reply(ref Rmsg.Write(j.tag, j.count));
	}
}

tmsg(gm: ref Tmsg)
{
	pick m := gm {
	Attach =>
		if(srv.attach(m) != nil)
			newfs(m.fid, nattach++);
	Walk =>
		fs := getfs(m.fid);
		if(srv.walk(m) != nil && m.newfid != m.fid && fs != nil)
			newfs(m.newfid, fs.attach);
	Open =>
		open(m);
	Read =>
		read(m);
	Write =>
		write(m);
	Clunk =>
		fs := getfs(m.fid);
		f := srv.clunk(m);
		if(f != nil && fs != nil)
			closefid(f, fs);
		delfs(m.fid);
	Remove =>
		fs := getfs(m.fid);
		f := srv.getfid(m.fid);
		if(f != nil && fs != nil && f.isopen)
			closefid(f, fs);
		delfs(m.fid);
		srv.remove(m);
	Flush =>
		flush(m.oldtag);
		srv.reply(ref Rmsg.Flush(m.tag));
	Wstat =>
		# what "echo x > file" asks of a file opened with OTRUNC
		f := srv.getfid(m.fid);
		if(f == nil)
			srv.reply(ref Rmsg.Error(m.tag, Ebadfid));
		else if(writable(kind(f.path)) && m.stat.length == big 0 && isnulldir(m.stat))
			srv.reply(ref Rmsg.Wstat(m.tag));
		else
			srv.reply(ref Rmsg.Error(m.tag, Eperm));
	Version =>
		srv.default(gm);
		fstates = array[64] of list of ref Fstate;
	* =>
		srv.default(gm);
	}
}

isnulldir(d: Sys->Dir): int
{
	n := sys->nulldir;
	return d.name == n.name && d.uid == n.uid && d.gid == n.gid && d.mode == n.mode && d.mtime == n.mtime;
}

writable(k: int): int
{
	return k == Qctl || k == Qdata || k == Qclone;
}

open(m: ref Tmsg.Open)
{
	(f, mode, d, err) := srv.canopen(m);
	if(f == nil){
		srv.reply(ref Rmsg.Error(m.tag, err));
		return;
	}
	fs := getfs(m.fid);
	if(fs == nil)
		fs = newfs(m.fid, 0);
	id := modelid(f.path);
	case kind(f.path) {
	Qctl =>
		fs.snap = array of byte ctltext();
	Qclone =>
		fs.clone = llambo_c->reserve();
		if(fs.clone < 0){
			srv.reply(ref Rmsg.Error(m.tag, "clone: " + cerr()));
			return;
		}
		fs.snap = array of byte sys->sprint("%d\n", fs.clone);
	Qinfo =>
		s := llambo_c->get_model_info(id);
		if(s == nil){
			srv.reply(ref Rmsg.Error(m.tag, "no such model: " + string id));
			return;
		}
		fs.snap = array of byte s;
	Qstatus =>
		s := llambo_c->status(id);
		if(s == nil){
			srv.reply(ref Rmsg.Error(m.tag, "no such model: " + string id));
			return;
		}
		fs.snap = array of byte statustext(id, s, latest(fs.attach, id));
	}
	f.open(mode, d.qid);
	srv.reply(ref Rmsg.Open(m.tag, d.qid, srv.iounit()));
}

# the builtin module's error string without its prefix
cerr(): string
{
	e := sys->sprint("%r");
	if(len e > 8 && e[0:8] == "llambo: ")
		e = e[8:];
	return e;
}

ctltext(): string
{
	s := "";
	ids := llambo_c->models();
	for(i := 0; i < len ids; i++)
		if((st := llambo_c->status(ids[i])) != nil)
			s += sys->sprint("%d %s\n", ids[i], st);
	return s;
}

# the builtin module's status line, this server's sessions on the model,
# and the reader's latest request on it, as the native server says them
statustext(id: int, s: string, r: ref Req): string
{
	n := 0;
	for(l := reqs; l != nil; l = tl l)
		if((hd l).model == id && !(hd l).done)
			n++;
	return sys->sprint("%s\nsessions %d\nrequest %s\n", s, n, reqstate(r));
}

# "none", "generating, waiting reads 1", "done", "cancelled", "failed: why"
reqstate(r: ref Req): string
{
	if(r == nil)
		return "none";
	if(!r.done){
		if(r.waiting == nil)
			return "generating";
		return sys->sprint("generating, waiting reads %d", len r.waiting);
	}
	if(r.why == "cancelled")
		return "cancelled";
	if(r.err != nil)
		return "failed: " + r.err;
	return "done";
}

read(m: ref Tmsg.Read)
{
	(f, err) := srv.canread(m);
	if(f == nil){
		srv.reply(ref Rmsg.Error(m.tag, err));
		return;
	}
	if(f.qtype & Sys->QTDIR){
		srv.read(m);
		return;
	}
	fs := getfs(m.fid);
	if(kind(f.path) != Qdata){
		srv.reply(styxservers->readbytes(m, fs.snap));
		return;
	}
	if(fs.wbuf != nil)
		start(fs, modelid(f.path));
	r := fs.req;
	if(r == nil)
		r = latest(fs.attach, modelid(f.path));
	if(r == nil){
		srv.reply(ref Rmsg.Error(m.tag, NOREQ));
		return;
	}
	if(m.offset < big len r.text || r.done)
		reply(r, m);
	else
		r.waiting = m :: r.waiting;
}

# answer a read of r's text: bytes beyond its offset, end of file, or the failure
reply(r: ref Req, m: ref Tmsg.Read)
{
	if(m.offset >= big len r.text && r.err != nil)
		srv.reply(ref Rmsg.Error(m.tag, r.err));
	else
		srv.reply(styxservers->readbytes(m, r.text));
}

# new text or the end: answer the reads that can be answered now
answer(r: ref Req)
{
	still: list of ref Tmsg.Read;
	for(l := r.waiting; l != nil; l = tl l){
		m := hd l;
		if(m.offset < big len r.text || r.done)
			reply(r, m);
		else
			still = m :: still;
	}
	r.waiting = still;
	if(r.done)
		prune();
}

write(m: ref Tmsg.Write)
{
	(f, err) := srv.canwrite(m);
	if(f == nil){
		srv.reply(ref Rmsg.Error(m.tag, err));
		return;
	}
	fs := getfs(m.fid);
	case kind(f.path) {
	Qdata =>
		if(fs.req != nil)	# a write after the request started begins another
			fs.req = nil;
		if(len fs.wbuf + len m.data > MAXREQ){
			srv.reply(ref Rmsg.Error(m.tag, sys->sprint("request longer than %d bytes", MAXREQ)));
			return;
		}
		fs.wbuf = cat(fs.wbuf, m.data);
		srv.reply(ref Rmsg.Write(m.tag, len m.data));
	Qctl or Qclone =>
		cmd := string m.data;
		if(len cmd > 0 && cmd[len cmd - 1] == '\n')
			cmd = cmd[0:len cmd - 1];
		j := ref Job(m.tag, len m.data, 0, nil, nil, -1);
		if(kind(f.path) == Qclone)
			j.fs = fs;
		if((e := checkcmd(cmd, j.fs)) != nil){
			srv.reply(ref Rmsg.Error(m.tag, e));
			return;
		}
		jobs = j :: jobs;
		spawn runjob(j, cmd);
	* =>
		srv.reply(ref Rmsg.Error(m.tag, Eperm));
	}
}

# the errors a command gets before it runs
checkcmd(cmd: string, clone: ref Fstate): string
{
	(n, w) := sys->tokenize(cmd, " \t");
	if(n == 0)
		return "usage: load <path> [use_mmap] [n_gpu_layers]";
	case hd w {
	"load" =>
		if(n < 2 || n > 4 || n > 2 && !isint(hd tl tl w) || n > 3 && !isint(hd tl tl tl w))
			return "usage: load <path> [use_mmap] [n_gpu_layers]";
		if(readonly)
			return "read-only server: load refused";
		if(!allowed(hd tl w))
			return "load refused: " + hd tl w + " is outside the model directories";
		if(clone != nil && clone.clone < 0)
			return "this clone has already loaded a model";
	"free" =>
		if(clone != nil || n != 2 || !isint(hd tl w))
			return "usage: free <id>";
		if(readonly)
			return "read-only server: free refused";
	* =>
		return "unknown command: " + hd w;
	}
	return nil;
}

isint(s: string): int
{
	if(s == nil || len s > 9)
		return 0;
	for(i := 0; i < len s; i++)
		if(s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

allowed(path: string): int
{
	if(modeldirs == nil)
		return 1;
	p := names->cleanname(path);
	for(l := modeldirs; l != nil; l = tl l)
		if(names->isprefix(hd l, p) && p != hd l)
			return 1;
	return 0;
}

# run a checked ctl or clone command; the result goes back to serve
runjob(j: ref Job, cmd: string)
{
	(n, w) := sys->tokenize(cmd, " \t");
	if(hd w == "free"){
		id := int hd tl w;
		if(llambo_c->free_model(id) < 0)
			j.err = "no such model: " + string id;
		else
			j.model = id;
	}else{
		use_mmap := 1;
		ngpu := 0;
		if(n > 2)
			use_mmap = int hd tl tl w;
		if(n > 3)
			ngpu = int hd tl tl tl w;
		r: int;
		if(j.fs != nil)
			r = llambo_c->load_into(j.fs.clone, hd tl w, use_mmap, ngpu);
		else
			r = llambo_c->load_model(hd tl w, use_mmap, ngpu);
		if(r < 0){
			j.err = cerr();
			if(len j.err < 12 || j.err[0:12] != "load failed:")
				j.err = "load failed: " + j.err;
		}
		else if(j.fs != nil){
			j.model = j.fs.clone;
			j.fs.clone = -1;
		}else
			j.model = r;
	}
	jobdone <-= j;
}

deljob(l: list of ref Job, j: ref Job): list of ref Job
{
	r: list of ref Job;
	for(; l != nil; l = tl l)
		if(hd l != j)
			r = hd l :: r;
	return r;
}

flush(tag: int)
{
	for(l := jobs; l != nil; l = tl l)
		if((hd l).tag == tag)
			(hd l).flushed = 1;
	for(rl := reqs; rl != nil; rl = tl rl){
		r := hd rl;
		still: list of ref Tmsg.Read;
		hit := 0;
		for(w := r.waiting; w != nil; w = tl w)
			if((hd w).tag == tag)
				hit = 1;
			else
				still = hd w :: still;
		r.waiting = still;
		if(hit && still == nil && !r.done)
			llambo_c->cancel(r.g);
	}
}

# start the request that fs wrote on data of model id
start(fs: ref Fstate, id: int)
{
	s := string fs.wbuf;
	fs.wbuf = nil;
	r := ref Req(id, fs.attach, nil, array[0] of byte, 0, nil, nil, nil);
	(q, err) := Request.parse(id, s);
	if(q == nil){
		r.done = 1;
		r.err = err;
	}else{
		r.g = llambo_c->start(id, q.prompt, q.opttext());
		if(r.g == nil){
			r.done = 1;
			r.err = "generation failed: " + cerr();
		}
	}
	# it replaces the attach's running request on the model
	if((old := latest(fs.attach, id)) != nil && !old.done)
		llambo_c->cancel(old.g);
	reqs = r :: reqs;
	fs.req = r;
	if(r.g != nil){
		npumps++;
		spawn pump(r);
	}
	prune();
}

pump(r: ref Req)
{
	while((s := llambo_c->next(r.g)) != nil)
		pieces <-= (r, array of byte s);
	(err, why, nil) := llambo_c->finish(r.g);
	r.why = why;
	if(err != nil)
		err = "generation failed: " + err;
	ended <-= (r, err);
}

# the requests of a model id that was freed or loaded anew end here
forget(id: int)
{
	keep: list of ref Req;
	for(l := reqs; l != nil; l = tl l){
		r := hd l;
		if(r.model != id)
			keep = r :: keep;
		else if(!r.done){
			llambo_c->cancel(r.g);
			keep = r :: keep;	# its pump still reports to serve
		}
	}
	for(reqs = nil; keep != nil; keep = tl keep)
		reqs = hd keep :: reqs;
	for(i := 0; i < len fstates; i++)
		for(fl := fstates[i]; fl != nil; fl = tl fl)
			if((hd fl).req != nil && (hd fl).req.model == id && (hd fl).req.done)
				(hd fl).req = nil;
}

latest(attach, id: int): ref Req
{
	for(l := reqs; l != nil; l = tl l)
		if((hd l).attach == attach && (hd l).model == id)
			return hd l;
	return nil;
}

# keep running requests, the latest of each (attach, model), and those an open holds
prune()
{
	keep: list of ref Req;
	for(l := reqs; l != nil; l = tl l){
		r := hd l;
		if(!r.done || latest(r.attach, r.model) == r || held(r))
			keep = r :: keep;
	}
	for(reqs = nil; keep != nil; keep = tl keep)
		reqs = hd keep :: reqs;
}

held(r: ref Req): int
{
	for(i := 0; i < len fstates; i++)
		for(l := fstates[i]; l != nil; l = tl l)
			if((hd l).req == r)
				return 1;
	return 0;
}

closefid(f: ref Fid, fs: ref Fstate)
{
	case kind(f.path) {
	Qdata =>
		if(fs.wbuf != nil)	# echo ... > data: the request starts now
			start(fs, modelid(f.path));
	Qclone =>
		if(f.isopen && fs.clone >= 0)	# reserved and never loaded
			llambo_c->free_model(fs.clone);
	}
}

cat(a, b: array of byte): array of byte
{
	c := array[len a + len b] of byte;
	c[0:] = a;
	c[len a:] = b;
	return c;
}

newfs(fid, attach: int): ref Fstate
{
	fs := ref Fstate(fid, attach, nil, nil, nil, -1);
	delfs(fid);
	fstates[fid & 63] = fs :: fstates[fid & 63];
	return fs;
}

getfs(fid: int): ref Fstate
{
	for(l := fstates[fid & 63]; l != nil; l = tl l)
		if((hd l).fid == fid)
			return hd l;
	return nil;
}

delfs(fid: int)
{
	r: list of ref Fstate;
	for(l := fstates[fid & 63]; l != nil; l = tl l)
		if((hd l).fid != fid)
			r = hd l :: r;
	fstates[fid & 63] = r;
}

kind(path: big): int
{
	return int (path & big 16rF);
}

modelid(path: big): int
{
	return int (path >> 4) - 1;
}

mpath(id, k: int): big
{
	return (big (id + 1) << 4) | big k;
}

hasmodel(id: int): int
{
	ids := llambo_c->models();
	for(i := 0; i < len ids; i++)
		if(ids[i] == id)
			return 1;
	return 0;
}

dir(path: big, name: string, perm: int): ref Sys->Dir
{
	d := ref sys->zerodir;
	d.name = name;
	d.uid = d.gid = d.muid = user;
	d.qid.path = path;
	if(perm & Sys->DMDIR)
		d.qid.qtype = Sys->QTDIR;
	d.mode = perm;
	d.mtime = d.atime = daytime();
	return d;
}

daytime(): int
{
	return sys->millisec() / 1000 + starttime;
}

starttime := 0;

stat(path: big): (ref Sys->Dir, string)
{
	id := modelid(path);
	if(id >= 0 && !hasmodel(id))
		return (nil, Enotfound);
	case kind(path) {
	Qroot =>	return (dir(path, ".", Sys->DMDIR|8r555), nil);
	Qctl =>	return (dir(path, "ctl", 8r666), nil);
	Qclone =>	return (dir(path, "clone", 8r666), nil);
	Qmodels =>	return (dir(path, "models", Sys->DMDIR|8r555), nil);
	Qmdir =>	return (dir(path, string id, Sys->DMDIR|8r555), nil);
	Qdata =>	return (dir(path, "data", 8r666), nil);
	Qinfo =>	return (dir(path, "info", 8r444), nil);
	Qstatus =>	return (dir(path, "status", 8r444), nil);
	}
	return (nil, Enotfound);
}

walk(path: big, name: string): (ref Sys->Dir, string)
{
	id := modelid(path);
	case kind(path) {
	Qroot =>
		case name {
		".." =>	return stat(path);
		"ctl" =>	return stat(big Qctl);
		"clone" =>	return stat(big Qclone);
		"models" =>	return stat(big Qmodels);
		}
	Qmodels =>
		if(name == "..")
			return stat(big Qroot);
		if(isint(name) && (n := int name) >= 0 && hasmodel(n))
			return stat(mpath(n, Qmdir));
	Qmdir =>
		case name {
		".." =>	return stat(big Qmodels);
		"data" =>	return stat(mpath(id, Qdata));
		"info" =>	return stat(mpath(id, Qinfo));
		"status" =>	return stat(mpath(id, Qstatus));
		}
	* =>
		return (nil, "not a directory");
	}
	return (nil, Enotfound);
}

children(path: big): list of big
{
	case kind(path) {
	Qroot =>
		return big Qctl :: big Qclone :: big Qmodels :: nil;
	Qmodels =>
		ids := llambo_c->models();
		l: list of big;
		for(i := len ids - 1; i >= 0; i--)
			l = mpath(ids[i], Qmdir) :: l;
		return l;
	Qmdir =>
		id := modelid(path);
		return mpath(id, Qdata) :: mpath(id, Qinfo) :: mpath(id, Qstatus) :: nil;
	}
	return nil;
}

navigator(navops: chan of ref Navop)
{
	starttime = int (big readfile("/dev/time") / big 1000000) - sys->millisec() / 1000;
	while((m := <-navops) != nil){
		pick n := m {
		Stat =>
			n.reply <-= stat(n.path);
		Walk =>
			n.reply <-= walk(n.path, n.name);
		Readdir =>
			l := children(n.path);
			for(i := n.offset; i > 0 && l != nil; i--)
				l = tl l;
			for(; n.count-- > 0 && l != nil; l = tl l){
				(d, nil) := stat(hd l);
				if(d != nil)
					n.reply <-= (d, nil);
			}
			n.reply <-= (nil, nil);
		}
	}
}

readfile(name: string): string
{
	fd := sys->open(name, Sys->OREAD);
	if(fd == nil)
		return nil;
	buf := array[256] of byte;
	n := sys->read(fd, buf, len buf);
	if(n <= 0)
		return nil;
	return string buf[0:n];
}
