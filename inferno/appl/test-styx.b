implement TestStyx;

#
# test-styx [-ne] [-o resultfile] [-f slowmodel.gguf] mountpoint model.gguf
#
# Checks a Llambo Styx server mounted at mountpoint (llambo_styx, or the
# native server): the seed's file examples, streaming reads, flush, the
# error strings, clone, and that the llambo module gives the same text
# over Styx as through $Llambo_c.  -n: the server already has model 0
# loaded (the Distributed Example) and is not asked to load or free it.
# -e: the server is not this emu's llambo_styx (another emu, or the
# native server on the host), so the model is loaded into this emu's
# $Llambo_c too, for the comparisons; -n implies -e.
# The flush check needs a generation that runs for seconds: -f names a
# model with a long context for it (skipped without).
# Ends with "N passed, N failed, N skipped"; -o writes pass or fail.
#

include "sys.m";
	sys: Sys;
include "draw.m";
include "arg.m";
include "llambo_c.m";
	llambo_c: Llambo_c;
include "llambo.m";
	llambo: Llambo;
	Request: import llambo;

TestStyx: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

passed, failed, skipped: int;
mnt, model, slowmodel: string;
lid := 0;	# the model's id in this emu's $Llambo_c, for comparisons
remote := 0;
external := 0;

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("test-styx [-ne] [-o resultfile] [-f slowmodel.gguf] mountpoint model.gguf");
	result: string;
	while((c := arg->opt()) != 0)
		case c {
		'o' =>	result = arg->earg();
		'n' =>	remote = external = 1;
		'e' =>	external = 1;
		'f' =>	slowmodel = arg->earg();
		* =>	arg->usage();
		}
	argv = arg->argv();
	if(len argv != 2)
		arg->usage();
	mnt = hd argv;
	model = hd tl argv;
	llambo_c = load Llambo_c Llambo_c->PATH;
	llambo = load Llambo Llambo->PATH;
	if(external && llambo_c != nil)	# the server is not ours: load the model here too
		lid = llambo_c->load_model(model, 1, 0);
	run();
	sys->print("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	verdict := "fail";
	if(failed == 0 && passed > 0)
		verdict = "pass";
	if(result != nil && (fd := sys->create(result, Sys->OWRITE, 8r644)) != nil)
		sys->fprint(fd, "%s\n", verdict);
	if(failed > 0)
		raise "fail:tests failed";
}

check(ok: int, what: string)
{
	if(ok){
		passed++;
		sys->print("ok   %s\n", what);
	}else{
		failed++;
		sys->print("FAIL %s\n", what);
	}
}

run()
{
	if(!remote){
		check(readfile(mnt + "/ctl") == "", "ctl is empty before a load");
		(e, nil) := echo(mnt + "/ctl", "load " + model + " 1 0\n");
		check(e == nil, "echo \"load MODEL 1 0\" > ctl: " + e);
	}
	check(exists(mnt + "/models/0/data"), "models/0/data exists");
	ctl := readfile(mnt + "/ctl");
	check(prefix("0 ", ctl), "ctl lists model 0: " + short(ctl));
	info := readfile(mnt + "/models/0/info");
	check(info != nil && info[0] == '{' && contains(info, "\"architecture\""), "models/0/info is JSON: " + short(info));
	st := readfile(mnt + "/models/0/status");
	check(contains(st, "ready"), "models/0/status: " + short(st));

	# the seed's lines: echo "Hello, world!|128|0.8" > data; cat data
	(e, nil) := echo(mnt + "/models/0/data", "Hello, world!|128|0.8\n");
	t := readfile(mnt + "/models/0/data");
	check(e == nil && t != nil, "echo request > data, then cat data: " + short(t));
	check(readfile(mnt + "/models/0/data") == t, "reading data again from 0 gives the same text");

	(e, nil) = echo(mnt + "/models/0/data", "Hello, world!|32|0\n");
	g := readfile(mnt + "/models/0/data");
	if(llambo_c != nil){
		want := llambo_c->infer(lid, "Hello, world!", 32, 0.0);
		check(g == want, "greedy text over Styx equals $Llambo_c's: " + short(g));
	}else
		check(g != nil, "greedy text over Styx: " + short(g));

	fd := sys->open(mnt + "/models/0/data", Sys->ORDWR);
	b := array of byte "Once upon a time|200|0";
	check(fd != nil && sys->write(fd, b, len b) == len b, "write a request on an ORDWR open");
	sys->seek(fd, big 0, Sys->SEEKSTART);
	(s, reads) := readall(fd, 8192);
	want := s;
	if(llambo_c != nil)
		want = llambo_c->infer(lid, "Once upon a time", 200, 0.0);
	check(s != nil && s == want, sys->sprint("the same open reads the text (%d reads)", reads));
	fd = nil;

	if(slowmodel != nil)
		flush();
	else{
		skipped++;
		sys->print("skip the flush check: give test-styx -f and a model with a long context\n");
	}
	errors();
	clone();
	samebothways(g);

	if(!remote){
		(e, nil) = echo(mnt + "/ctl", "free 0");
		check(e == nil && !exists(mnt + "/models/0"), "echo \"free 0\" > ctl removes models/0: " + e);
	}
}

# kill a reader blocked on a long generation: the mount driver flushes
# its read, and with no other reader the generation stops.  The status
# of the request saying "cancelled" shows the flush stopped it; each wait
# is for a condition, with a bound, never for a time.  The flush must
# reach the server while the generation runs: with ignore_eos it runs to
# the end of the context (seconds), and should it still end first (a very
# busy machine), the check is made again, at most three times; a flush
# that does not stop generations fails all three.
flush()
{
	id := loadclone(slowmodel);
	if(id < 0){
		check(0, sys->sprint("load %s for the flush check: %r", slowmodel));
		return;
	}
	data := sys->sprint("%s/models/%d/data", mnt, id);
	parked, tries: int;
	st: string;
	for(tries = 1; ; tries++){
		(parked, st) = flushonce(id, data);
		if(!parked || prefix("cancelled", st) || tries == 3)
			break;
	}
	check(parked && prefix("cancelled", st),
		sys->sprint("a flushed read stops its generation (%d tries; request %s)", tries, st));
	echo(mnt + "/ctl", sys->sprint("free %d", id));
}

# a request, a reader parked beyond its text, the reader killed: whether
# the read was seen parked, and the request's status when it has ended
flushonce(id: int, data: string): (int, string)
{
	(e, nil) := echo(data, "Once upon a time|4000|0.8|seed=3|ignore_eos=1\n");
	if(e != nil)
		return (0, "not written: " + e);
	pidc := chan of int;
	got := chan of int;
	spawn reader(data, pidc, got);
	pid := <-pidc;
	n := <-got;
	# its read far beyond the text has reached the server
	parked := n > 0 && await(id, "waiting reads 1", 1);
	kill(pid);
	# the request ends; what ended it is in its status
	await(id, "generating", 0);
	return (parked, request(id));
}

loadclone(path: string): int
{
	fd := sys->open(mnt + "/clone", Sys->ORDWR);
	if(fd == nil)
		return -1;
	buf := array[32] of byte;
	n := sys->read(fd, buf, len buf);
	if(n <= 0 || sys->fprint(fd, "load %s 1 0", path) < 0)
		return -1;
	return int string buf[0:n];
}

reader(data: string, pidc: chan of int, got: chan of int)
{
	pidc <-= sys->pctl(0, nil);
	fd := sys->open(data, Sys->OREAD);
	buf := array[16] of byte;
	n := sys->read(fd, buf, len buf);
	got <-= n;
	# far beyond the text: this read waits on the server until it is flushed
	sys->pread(fd, buf, len buf, big 1000000000);
}

# the request line of the model's status: this mount's latest request
# ("generating, waiting reads 1", "cancelled", "done"; the native server
# adds its tokens), or nil
request(id: int): string
{
	st := readfile(sys->sprint("%s/models/%d/status", mnt, id));
	(nil, lines) := sys->tokenize(st, "\n");
	for(; lines != nil; lines = tl lines){
		l := hd lines;
		if(prefix("request ", l))
			return l[len "request ":];
	}
	return nil;
}

# wait, at most two minutes, until the request line contains s (want 1)
# or does not (want 0); whether it came to that
await(id: int, s: string, want: int): int
{
	for(i := 0; i < 6000; i++){
		if(contains(request(id), s) == want)
			return 1;
		sys->sleep(20);
	}
	return 0;
}

errors()
{
	(e, nil) := echo(mnt + "/ctl", "fre 0");
	check(prefix("unknown command: fre", e), "an unknown ctl command: " + e);
	(e, nil) = echo(mnt + "/ctl", "free 7");
	check(contains(e, "no such model: 7"), "free of an unknown id: " + e);
	(e, nil) = echo(mnt + "/ctl", "load");
	check(prefix("usage: load", e), "load without a path: " + e);
	(e, nil) = echo(mnt + "/ctl", "load " + model + "-missing.gguf");
	check(contains(e, "load failed") || contains(e, "refused"), "a load of a missing file: " + e);
	check(!exists(mnt + "/models/7"), "models/7 does not exist");
}

clone()
{
	fd := sys->open(mnt + "/clone", Sys->ORDWR);
	buf := array[32] of byte;
	n := 0;
	if(fd != nil)
		n = sys->read(fd, buf, len buf);
	id := -1;
	if(n > 0)
		id = int string buf[0:n];
	check(id > 0, sys->sprint("clone gives a new id: %d", id));
	r := sys->fprint(fd, "load %s 1 0", model);
	ok := r > 0 && exists(sys->sprint("%s/models/%d/info", mnt, id));
	why := "";
	if(!ok)
		why = sys->sprint(": %r");
	check(ok, sys->sprint("a load written to clone loads model %d%s", id, why));
	fd = nil;
	# a read on data before any request says what to do
	dfd := sys->open(sys->sprint("%s/models/%d/data", mnt, id), Sys->OREAD);
	sys->werrstr("");
	k := -1;
	if(dfd != nil)
		k = sys->read(dfd, buf, len buf);
	e := sys->sprint("%r");
	check(k < 0 && contains(e, "write"), "reading data with no request says how to write one: " + e);
	(e, nil) = echo(mnt + "/ctl", sys->sprint("free %d", id));
	check(e == nil && !exists(sys->sprint("%s/models/%d", mnt, id)), "free the clone's model: " + e);
}

samebothways(want: string)
{
	if(llambo == nil){
		check(0, sys->sprint("load %s: %r", Llambo->PATH));
		return;
	}
	e := llambo->init(mnt);
	r := llambo->infer(ref Request(0, "Hello, world!", 32, 0.0, nil));
	check(e == nil && r.err == nil && r.text == want, sys->sprint("llambo module over %s gives the same text: %s", llambo->backend(), short(r.text)));
	c := chan of string;
	spawn streamto(ref Request(0, "Hello, world!", 32, 0.0, nil), c);
	s := "";
	while((p := <-c) != nil)
		s += p;
	check(s == want, "llambo->stream over Styx gives the same text");
	if(llambo_c == nil)
		return;
	e = llambo->init(nil);
	r = llambo->infer(ref Request(lid, "Hello, world!", 32, 0.0, nil));
	check(e == nil && r.err == nil && r.text == want, sys->sprint("llambo module through %s gives the same text", llambo->backend()));
}

streamto(r: ref Request, c: chan of string)
{
	llambo->stream(r, c);
}

echo(file, s: string): (string, int)
{
	fd := sys->open(file, Sys->OWRITE|Sys->OTRUNC);
	if(fd == nil)
		return (sys->sprint("%r"), -1);
	b := array of byte s;
	if(sys->write(fd, b, len b) != len b)
		return (sys->sprint("%r"), -1);
	return (nil, len b);
}

readall(fd: ref Sys->FD, bufsize: int): (string, int)
{
	data := array[0] of byte;
	buf := array[bufsize] of byte;
	reads := 0;
	while((n := sys->read(fd, buf, len buf)) > 0){
		reads++;
		d := array[len data + n] of byte;
		d[0:] = data;
		d[len data:] = buf[0:n];
		data = d;
	}
	if(n < 0)
		return (nil, reads);
	return (string data, reads);
}

readfile(name: string): string
{
	fd := sys->open(name, Sys->OREAD);
	if(fd == nil)
		return nil;
	(s, nil) := readall(fd, 8192);
	return s;
}

exists(name: string): int
{
	(ok, nil) := sys->stat(name);
	return ok >= 0;
}

kill(pid: int)
{
	fd := sys->open("/prog/" + string pid + "/ctl", Sys->OWRITE);
	if(fd != nil)
		sys->fprint(fd, "kill");
}

prefix(p, s: string): int
{
	return len s >= len p && s[0:len p] == p;
}

contains(s, t: string): int
{
	for(i := 0; i + len t <= len s; i++)
		if(s[i:i+len t] == t)
			return 1;
	return 0;
}

short(s: string): string
{
	if(len s > 60)
		s = s[0:60] + "...";
	for(i := 0; i < len s; i++)
		if(s[i] == '\n')
			s[i] = ' ';
	return "\"" + s + "\"";
}
