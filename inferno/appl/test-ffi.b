implement TestFfi;

#
# test-ffi [-o resultfile] [model.gguf]
#
# The test suite of the builtin module $Llambo_c.  Prints one line per
# check and ends with "N passed, N failed, N skipped"; with -o it also
# writes "pass" or "fail" to resultfile (deploy.sh test-ffi reads it
# through '#U').  Without a model (a host path; LLAMBO_MODEL in the
# environment also names one) the checks that need one are skipped.
#

include "sys.m";
	sys: Sys;
include "draw.m";
include "arg.m";
include "env.m";
include "llambo_c.m";
	llambo_c: Llambo_c;
	Gen: import llambo_c;

TestFfi: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

passed, failed, skipped: int;

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("test-ffi [-o resultfile] [model.gguf]");
	result: string;
	while((c := arg->opt()) != 0)
		case c {
		'o' =>	result = arg->earg();
		* =>	arg->usage();
		}
	argv = arg->argv();
	model: string;
	if(argv != nil)
		model = hd argv;
	else if((env := load Env Env->PATH) != nil)
		model = env->getenv("LLAMBO_MODEL");

	run(model);
	sys->print("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if(result != nil){
		fd := sys->create(result, Sys->OWRITE, 8r644);
		if(fd == nil)
			sys->fprint(sys->fildes(2), "test-ffi: cannot create %s: %r\n", result);
		else if(failed == 0 && passed > 0)
			sys->fprint(fd, "pass\n");
		else
			sys->fprint(fd, "fail\n");
	}
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

skip(what: string)
{
	skipped++;
	sys->print("skip %s\n", what);
}

# the error string, and clear it
errstr(): string
{
	e := sys->sprint("%r");
	sys->werrstr("");
	return e;
}

run(model: string)
{
	llambo_c = load Llambo_c Llambo_c->PATH;
	check(llambo_c != nil, "load Llambo_c " + Llambo_c->PATH);
	if(llambo_c == nil)
		return;
	badinputs();
	if(model == nil){
		skip("the checks that need a model: give test-ffi a model path");
		return;
	}
	id := llambo_c->load_model(model, 1, 0);
	check(id >= 0, sys->sprint("load_model %s -> %d (%r)", model, id));
	if(id < 0)
		return;
	info(id);
	tokens(id);
	inference(id);
	streaming(id);
	concurrency(id);
	timing(id);
	lifecycle(id, model);
}

badinputs()
{
	sys->werrstr("");
	id := llambo_c->load_model("/nonexistent/model.gguf", 1, 0);
	e := errstr();
	check(id == -1 && e != nil, "load_model of a missing file fails with a reason: " + e);
	id = llambo_c->load_model("/etc/hostname", 1, 0);
	e = errstr();
	check(id == -1 && e != nil, "load_model of a file that is not GGUF fails: " + e);
	id = llambo_c->load_model(nil, 1, 0);
	e = errstr();
	check(id == -1 && e != nil, "load_model(nil) fails: " + e);

	check(llambo_c->free_model(4242) == -1 && errstr() != nil, "free_model of an unknown id fails");
	check(llambo_c->free_model(-1) == -1, "free_model(-1) fails");
	check(llambo_c->get_model_info(4242) == nil && errstr() != nil, "get_model_info of an unknown id is nil");
	check(llambo_c->tokenize(4242, "hi") == nil && errstr() != nil, "tokenize with an unknown id is nil");
	r := llambo_c->infer(4242, "hi", 8, 0.0);
	e = errstr();
	check(r == "" && e != nil, "infer with an unknown id is \"\": " + e);
	check(llambo_c->start(4242, "hi", "") == nil && errstr() != nil, "start with an unknown id is nil");
	check(llambo_c->status(4242) == nil, "status of an unknown id is nil");

	check(llambo_c->next(nil) == nil && errstr() != nil, "next(nil) is nil with a reason");
	(err, nil, nil) := llambo_c->finish(nil);
	check(err != nil, "finish(nil) gives an error");
	llambo_c->cancel(nil);
	forged := ref Gen(0);
	check(llambo_c->next(forged) == nil && errstr() != nil, "next of a Gen not made by start is refused");
}

info(id: int)
{
	s := llambo_c->get_model_info(id);
	check(s != nil && s[0] == '{' && contains(s, "\"architecture\""),
		"get_model_info is JSON with an architecture: " + short(s));
	st := llambo_c->status(id);
	check(st != nil && contains(st, "state ready"), "status says ready: " + st);
	ids := llambo_c->models();
	found := 0;
	for(i := 0; i < len ids; i++)
		if(ids[i] == id)
			found = 1;
	check(found, "models lists the model");
}

tokens(id: int)
{
	t := llambo_c->tokenize(id, "Hello world");
	check(t != nil && len t >= 2, sys->sprint("tokenize \"Hello world\" gives %d tokens: %s", len t, ints(t)));
	u := llambo_c->tokenize(id, "héllo wörld");
	check(u != nil && len u >= 2, sys->sprint("tokenize of non-ASCII text gives %d tokens", len u));
	# a Limbo int is a WORD: 64 bits in a 64-bit emu, where the ids must still arrive one by one
	nv := jsonint(llambo_c->get_model_info(id), "vocab_size");
	ok := nv > 0 && len t > 0 && t[0] == 1;
	for(i := 0; i < len t; i++)
		if(t[i] < 0 || t[i] >= nv)
			ok = 0;
	check(ok, sys->sprint("token ids start with BOS and lie in the vocabulary (0 to %d)", nv - 1));
	e := llambo_c->tokenize(id, nil);
	check(errstr() == nil || e == nil, "tokenize(nil) is handled");
}

inference(id: int)
{
	a := llambo_c->infer(id, "Once upon a time", 32, 0.0);
	check(a != nil, "greedy infer generates text: " + short(a));
	b := llambo_c->infer(id, "Once upon a time", 32, 0.0);
	check(a == b, "greedy infer is deterministic");
	z := llambo_c->infer(id, "Once upon a time", 0, 0.0);
	check(z == "", "infer with max_tokens 0 is empty");
	s := llambo_c->infer(id, "Once upon a time", 16, 0.8);
	check(s != nil, "sampled infer generates text: " + short(s));
	n := llambo_c->infer(id, nil, 8, 0.0);
	check(1, "infer with a nil prompt returns: " + short(n));
	sys->werrstr("");
	x := llambo_c->infer(id, "hi", -1, 0.0);
	check(x == "" && errstr() != nil, "infer with max_tokens -1 fails");
	x = llambo_c->infer(id, "hi", 8, -1.0);
	check(x == "" && errstr() != nil, "infer with a negative temperature fails");
}

streaming(id: int)
{
	want := llambo_c->infer(id, "Once upon a time", 32, 0.0);
	g := llambo_c->start(id, "Once upon a time", "max_tokens=32|temperature=0");
	check(g != nil, sys->sprint("start a generation (%r)"));
	if(g == nil)
		return;
	got := "";
	pieces := 0;
	while((s := llambo_c->next(g)) != nil){
		got += s;
		pieces++;
	}
	(err, why, ntok) := llambo_c->finish(g);
	check(err == nil && got == want, sys->sprint("streamed text (%d pieces, %d tokens, %s) equals infer's", pieces, ntok, why));

	g = llambo_c->start(id, "Once upon a time", "max_tokens=100000|temperature=0.8|seed=7");
	llambo_c->cancel(g);
	while(llambo_c->next(g) != nil)
		;
	(err, why, nil) = llambo_c->finish(g);
	check(why == "cancelled" || why == "context", "cancel stops a generation: " + why);

	check(llambo_c->start(id, "x", "top_k=abc") == nil && errstr() != nil, "start refuses a bad option");
	check(llambo_c->start(id, "x", "nonsense") == nil && errstr() != nil, "start refuses a field that is not key=value");
	g = llambo_c->start(id, "Once upon a time", "max_tokens=8|temperature=0.7|top_k=20|top_p=0.9|min_p=0.05|seed=42|repeat_penalty=1.1|stop=zzz");
	check(g != nil, "start accepts every option");
	g = nil;	# dropping a running generation cancels and frees it
}

ticks: int;

ticker(stop: chan of int)
{
	for(;;) alt {
	<-stop =>
		return;
	* =>
		ticks++;
		sys->sleep(1);
	}
}

concurrency(id: int)
{
	# a Limbo thread keeps running while the engine works: the
	# interpreter is released during infer
	stop := chan of int;
	spawn ticker(stop);
	t0 := sys->millisec();
	during := 0;
	calls := 0;
	while(sys->millisec() - t0 < 300 || calls == 0){
		before := ticks;
		llambo_c->infer(id, "Once upon a time", 64, 0.0);
		during += ticks - before;
		calls++;
	}
	stop <-= 1;
	check(during > 0, sys->sprint("another Limbo thread ran %d times during %d infer calls (%d ms)", during, calls, sys->millisec() - t0));

	# several Limbo threads generating at once on one model
	done := chan of string;
	for(i := 0; i < 3; i++)
		spawn worker(id, done);
	want := llambo_c->infer(id, "The cat", 24, 0.0);
	same := 1;
	for(i = 0; i < 3; i++)
		if(<-done != want)
			same = 0;
	check(same, "three threads generating at once get the greedy text each");
}

worker(id: int, done: chan of string)
{
	done <-= llambo_c->infer(id, "The cat", 24, 0.0);
}

timing(id: int)
{
	n := 64;
	t0 := sys->millisec();
	g := llambo_c->start(id, "Once upon a time", sys->sprint("max_tokens=%d|temperature=0", n));
	while(g != nil && llambo_c->next(g) != nil)
		;
	ms := sys->millisec() - t0;
	if(g == nil){
		check(0, "timing run");
		return;
	}
	(nil, nil, ntok) := llambo_c->finish(g);
	if(ms <= 0)
		ms = 1;
	check(ntok > 0, sys->sprint("timing: %d tokens in %d ms, %.1f tokens/s", ntok, ms, real ntok * 1000.0 / real ms));
}

lifecycle(id: int, model: string)
{
	check(llambo_c->free_model(id) == 0, "free_model");
	check(llambo_c->free_model(id) == -1 && errstr() != nil, "a second free_model of the id fails");
	check(llambo_c->get_model_info(id) == nil, "get_model_info after free is nil");
	check(llambo_c->infer(id, "hi", 4, 0.0) == "" && errstr() != nil, "infer after free fails");
	id2 := llambo_c->load_model(model, 0, 0);
	check(id2 == id, sys->sprint("a load after free reuses the lowest id (%d, without mmap)", id2));
	r := llambo_c->reserve();
	check(r >= 0 && r != id2, sys->sprint("reserve gives a fresh id %d", r));
	check(llambo_c->load_into(r, model, 1, 4) == 0, sys->sprint("load_into the reserved id, n_gpu_layers 4 (%r)"));
	check(llambo_c->infer(r, "Once upon a time", 8, 0.0) == llambo_c->infer(id2, "Once upon a time", 8, 0.0), "two loads of a model generate the same");
	check(llambo_c->free_model(r) == 0 && llambo_c->free_model(id2) == 0, "free both");
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

# the number after "key": in JSON text, or -1
jsonint(s: string, key: string): int
{
	k := "\"" + key + "\":";
	for(i := 0; i + len k <= len s; i++)
		if(s[i:i + len k] == k)
			return int s[i + len k:];
	return -1;
}

ints(a: array of int): string
{
	s := "";
	for(i := 0; i < len a && i < 12; i++)
		s += sys->sprint(" %d", a[i]);
	return s;
}
