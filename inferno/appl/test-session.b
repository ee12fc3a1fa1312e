implement TestSession;

#
# test-session [-o resultfile] sessions
#
# The Llambo module's conversations (llambo.m's Session) on a native
# llambo-styx server whose sessions are at the directory sessions (deploy.sh
# test-llm: an attach to llm): a session made, set and asked twice, its
# second turn keeping the first's cache; a second session streaming the
# same first reply; the first reached again by its name; a closed one gone.
# Ends with "N passed, N failed, N skipped"; -o writes pass or fail.
#

include "sys.m";
	sys: Sys;
include "draw.m";
include "arg.m";
include "llambo_c.m";
include "llambo.m";
	llambo: Llambo;
	Session: import llambo;

TestSession: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

passed, failed: int;

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("test-session [-o resultfile] sessions");
	result: string;
	while((c := arg->opt()) != 0)
		case c {
		'o' =>	result = arg->earg();
		* =>	arg->usage();
		}
	argv = arg->argv();
	if(len argv != 1)
		arg->usage();
	llambo = load Llambo Llambo->PATH;
	if(llambo == nil){
		sys->print("cannot load %s: %r\n", Llambo->PATH);
		raise "fail:load";
	}
	run(hd argv);
	sys->print("%d passed, %d failed, 0 skipped\n", passed, failed);
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

QUESTION: con "What is the capital of France";

run(dir: string)
{
	(a, err) := Session.new(dir);
	check(a != nil && len a.name == 32, "Session.new: " + err);
	if(a == nil)
		return;
	greedy(a);
	(r1, e1) := a.ask(QUESTION);
	check(e1 == nil && r1 != nil, "ask: " + short(r1) + " " + e1);
	(r2, e2) := a.ask("And of Italy?");
	check(e2 == nil && r2 != nil, "a second ask: " + short(r2) + " " + e2);
	u := a.get("usage");
	check(kept(u) > 0, "the second turn kept the first's cache: " + short(u));

	(b, nil) := Session.new(dir);
	if(b != nil){
		greedy(b);
		(s, e) := streamed(b, QUESTION);
		check(e == nil && s == r1, "stream gives ask's reply on a new session: " + short(s) + " " + e);
		b.ctl("close");
	}

	(again, e3) := Session.open(dir, a.name);
	check(again != nil, "Session.open by name: " + e3);
	if(again != nil){
		ctx := again.get("context");
		check(count(ctx, "\"role\"") == 4 && contains(ctx, "of Italy?"), "its context holds the four messages: " + short(ctx));
	}
	check(a.set("temperature", "7") != nil, "a bad temperature is refused");
	check(a.ctl("close") == nil, "ctl close");
	check(a.get("usage") == nil, "a closed session is gone");
	(nosuch, e4) := Session.new("/nonexistent");
	check(nosuch == nil && e4 != nil, "no sessions where there is no server: " + e4);
}

greedy(s: ref Session)
{
	check(s.set("temperature", "0") == nil && s.set("maxtokens", "8") == nil, "set temperature and maxtokens");
}

streamed(s: ref Session, msg: string): (string, string)
{
	c := chan of string;
	ec := chan of string;
	spawn streamer(s, msg, c, ec);
	text := "";
	while((t := <-c) != nil)
		text += t;
	return (text, <-ec);
}

streamer(s: ref Session, msg: string, c: chan of string, ec: chan of string)
{
	ec <-= s.stream(msg, c);
}

# usage's "last turn: N tokens kept in the cache"
kept(u: string): int
{
	p := "last turn: ";
	for(i := 0; i + len p <= len u; i++)
		if(u[i:i+len p] == p)
			return int u[i+len p:];
	return -1;
}

count(s, t: string): int
{
	n := 0;
	for(i := 0; i + len t <= len s; i++)
		if(s[i:i+len t] == t)
			n++;
	return n;
}

contains(s, t: string): int
{
	return count(s, t) > 0;
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
