implement Chat;

#
# chat [-d dir] [-m model] [-s system] [-n maxtokens] [-t temperature]
#
# A conversation on the terminal through a llambo server's sessions:
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
	dir := "";
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
	if(dir == ""){
		dir = "/n/llambo/sessions";
		(ok, nil) := sys->stat("/n/llm/new");
		if(ok == 0)
			dir = "/n/llm";
	}
	name := readline(dir + "/new");
	if(name == nil)
		fail(sys->sprint("cannot make a session in %s: %r", dir));
	session := dir + "/" + name;
	for(; settings != nil; settings = tl settings){
		(file, value) := hd settings;
		if(writefile(session + "/" + file, value) < 0)
			fail(sys->sprint("%s: %r", file));
	}
	input := bufio->fopen(sys->fildes(0), Bufio->OREAD);
	while((line := input.gets('\n')) != nil){
		if(line[len line - 1] == '\n')
			line = line[0:len line - 1];
		if(line == "")
			continue;
		if(writefile(session + "/ask", line) < 0 || stream(session + "/stream") < 0)
			sys->fprint(stderr, "chat: %r\n");
		sys->print("\n");
	}
	writefile(session + "/ctl", "close");
}

# The reply, as it is made: the stream file read to its end.
stream(file: string): int
{
	fd := sys->open(file, Sys->OREAD);
	if(fd == nil)
		return -1;
	out := sys->fildes(1);
	buf := array[Sys->ATOMICIO] of byte;
	while((n := sys->read(fd, buf, len buf)) > 0)
		sys->write(out, buf, n);
	return n;
}

# The first line of a file, without its newline; nil if it cannot be read.
readline(file: string): string
{
	fd := sys->open(file, Sys->OREAD);
	if(fd == nil)
		return nil;
	buf := array[256] of byte;
	n := sys->read(fd, buf, len buf);
	if(n <= 0)
		return nil;
	s := string buf[0:n];
	for(i := 0; i < len s; i++)
		if(s[i] == '\n')
			return s[0:i];
	return s;
}

writefile(file: string, text: string): int
{
	fd := sys->open(file, Sys->OWRITE | Sys->OTRUNC);
	if(fd == nil)
		return -1;
	b := array of byte text;
	if(sys->write(fd, b, len b) != len b)
		return -1;
	return 0;
}

fail(why: string)
{
	sys->fprint(stderr, "chat: %s\n", why);
	raise "fail:" + why;
}
