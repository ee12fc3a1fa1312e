implement Chat;

#
# chat [-d dir] [-m model] [-s system] [-n maxtokens] [-t temperature]
#
# A conversation on the terminal, a session of the Llambo module
# (llambo.m's Session, over a native llambo-styx server's sessions):
# each line of standard input is a user message, and the reply is
# streamed to standard output as the model makes it.  The session keeps
# the conversation (and its KV cache) between lines; it is closed at the
# end of the input.  dir holds the server's new file: a mount of its llm
# tree (mount -A tcp!server!9999 /n/llm llm), or its sessions/ directory
# (by default /n/llm, else /n/llambo/sessions).
#

include "sys.m";
	sys: Sys;
include "draw.m";
include "arg.m";
include "bufio.m";
	bufio: Bufio;
	Iobuf: import bufio;
include "llambo_c.m";
include "llambo.m";
	llambo: Llambo;
	Session: import llambo;

Chat: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

stderr: ref Sys->FD;

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	bufio = load Bufio Bufio->PATH;
	stderr = sys->fildes(2);
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("chat [-d dir] [-m model] [-s system] [-n maxtokens] [-t temperature]");
	dir: string;
	settings: list of (string, string);
	while((c := arg->opt()) != 0)
		case c {
		'd' =>	dir = arg->earg();
		'm' =>	settings = ("model", arg->earg()) :: settings;
		's' =>	settings = ("system", arg->earg()) :: settings;
		'n' =>	settings = ("maxtokens", arg->earg()) :: settings;
		't' =>	settings = ("temperature", arg->earg()) :: settings;
		* =>	arg->usage();
		}
	if(arg->argv() != nil)
		arg->usage();
	llambo = load Llambo Llambo->PATH;
	if(llambo == nil)
		fail(sys->sprint("cannot load %s: %r", Llambo->PATH));
	(session, err) := Session.new(dir);
	if(session == nil)
		fail(err);
	for(; settings != nil; settings = tl settings){
		(file, value) := hd settings;
		if((err = session.set(file, value)) != nil)
			fail(file + ": " + err);
	}
	input := bufio->fopen(sys->fildes(0), Bufio->OREAD);
	while((line := input.gets('\n')) != nil){
		if(line[len line - 1] == '\n')
			line = line[0:len line - 1];
		if(line == "")
			continue;
		if((err = reply(session, line)) != nil)
			sys->fprint(stderr, "chat: %s\n", err);
		sys->print("\n");
	}
	session.ctl("close");
}

# The reply to line, printed as it is made; nil, or why it failed.
reply(s: ref Session, line: string): string
{
	c := chan of string;
	ec := chan of string;
	spawn streamer(s, line, c, ec);
	while((text := <-c) != nil)
		sys->print("%s", text);
	return <-ec;
}

streamer(s: ref Session, line: string, c: chan of string, ec: chan of string)
{
	ec <-= s.stream(line, c);
}

fail(why: string)
{
	sys->fprint(stderr, "chat: %s\n", why);
	raise "fail:" + why;
}
