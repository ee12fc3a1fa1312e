implement TestRequest;

#
# test-request [-o resultfile] requests.txt
#
# The request vectors (tests/requests.txt: one grammar, README.md's
# "Requests") read by the Limbo parser, Request.parse of the Llambo module:
# each must read as libllambo's parser reads it (tests/test_request.c).
# Ends with "N passed, N failed, N skipped"; -o writes pass or fail.
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
	Request: import llambo;

TestRequest: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	bufio = load Bufio Bufio->PATH;
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("test-request [-o resultfile] requests.txt");
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
	f := bufio->open(hd argv, Bufio->OREAD);
	if(f == nil){
		sys->print("cannot open %s: %r\n", hd argv);
		raise "fail:open";
	}
	passed := 0;
	failed := 0;
	lineno := 0;
	while((line := f.gets('\n')) != nil){
		lineno++;
		if(line[len line - 1] == '\n')
			line = line[0:len line - 1];
		if(line == nil || line[0] == '#')
			continue;
		for(i := 0; i < len line && line[i] != '\t'; i++)
			;
		if(i == len line){
			sys->print("requests.txt:%d: no tab between the request and the result\n", lineno);
			failed++;
			continue;
		}
		want := line[i+1:];
		(r, got) := Request.parse(0, unescape(line[0:i]));
		if(r != nil)
			got = r.describe();
		if(got == want)
			passed++;
		else{
			sys->print("requests.txt:%d\n  want %s\n  got  %s\n", lineno, want, got);
			failed++;
		}
	}
	sys->print("%d passed, %d failed, 0 skipped\n", passed, failed);
	if(result != nil && (fd := sys->create(result, Sys->OWRITE, 8r644)) != nil){
		if(failed == 0 && passed > 0)
			sys->fprint(fd, "pass");
		else
			sys->fprint(fd, "fail");
	}
}

hexval(c: int): int
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

# the escapes of the vectors' requests: \n \r \t \\ \xNN
unescape(s: string): string
{
	o := "";
	for(i := 0; i < len s; i++){
		c := s[i];
		if(c != '\\' || i + 1 == len s){
			o[len o] = c;
			continue;
		}
		c = s[++i];
		if(c == 'x' && i + 2 < len s && hexval(s[i+1]) >= 0 && hexval(s[i+2]) >= 0){
			o[len o] = hexval(s[i+1]) << 4 | hexval(s[i+2]);
			i += 2;
			continue;
		}
		case c {
		'n' =>	c = '\n';
		'r' =>	c = '\r';
		't' =>	c = '\t';
		}
		o[len o] = c;
	}
	return o;
}
