implement Llambo;

#
# The high-level Llambo module: the builtin $Llambo_c when emu has it,
# otherwise the Styx interface (llambo_styx, or the native server) at a
# mount point.  See module/llambo.m.
#

include "sys.m";
	sys: Sys;
include "llambo_c.m";
	llambo_c: Llambo_c;
include "llambo.m";

mnt: string;	# nil: the builtin module is in use

init(m: string): string
{
	sysinit();
	mnt = m;
	if(m == nil){
		llambo_c = load Llambo_c Llambo_c->PATH;
		if(llambo_c != nil)
			return nil;
		mnt = MOUNT;
	}
	(ok, nil) := sys->stat(mnt + "/ctl");
	if(ok < 0)
		return sys->sprint("no $Llambo_c in this emu and no Llambo Styx server at %s: %r", mnt);
	return nil;
}

# Request's functions work without init
sysinit()
{
	if(sys == nil)
		sys = load Sys Sys->PATH;
}

backend(): string
{
	if(mnt == nil)
		return "builtin " + Llambo_c->PATH;
	return "styx " + mnt;
}

Request.new(model: int, prompt: string): ref Request
{
	return ref Request(model, prompt, MAXTOKENS, TEMPERATURE, nil);
}

Request.opttext(r: self ref Request): string
{
	sysinit();
	s := sys->sprint("max_tokens=%d|temperature=%g", r.max_tokens, r.temperature);
	for(l := r.opts; l != nil; l = tl l){
		(k, v) := hd l;
		s += "|" + k + "=" + v;
	}
	return s;
}

Request.text(r: self ref Request): string
{
	sysinit();
	s := sys->sprint("%s|%d|%g", r.prompt, r.max_tokens, r.temperature);
	for(l := r.opts; l != nil; l = tl l){
		(k, v) := hd l;
		s += "|" + k + "=" + v;
	}
	return s;
}

# The request grammar, written down in README.md ("Requests") and read by
# libllambo's request.c; tests/requests.txt holds the cases both must read
# alike (test-request runs them here).

Kint, Kreal, Kseed, Kstop: con iota;
MAXSTOPS: con 8;
SEEDRANDOM: con "4294967295";	# LLAMBO_SEED_RANDOM
FLOATZERO: con 7.006492321624085e-46;	# 2^-150: a number at most this much above 0 is 0 as a float

Key: adt {
	name:	string;
	kind:	int;
	lo, hi:	real;
	above:	int;	# lo itself is out of range
	range:	string;	# what the error says it must be
};

keys: array of Key;

# the library's defaults (llambo_default_params) of the keys after max_tokens and temperature
DEFAULTS: con "top_k=40 top_p=0.95 min_p=0.05 repeat_penalty=1 repeat_last_n=64";

initkeys()
{
	if(keys != nil)
		return;
	keys = array[] of {
		Key("max_tokens", Kint, 0.0, 16777216.0, 0, "a whole number from 0 to 16777216"),
		Key("temperature", Kreal, 0.0, 100.0, 0, "a number from 0 to 100"),
		Key("top_k", Kint, 0.0, 1000000.0, 0, "a whole number from 0 to 1000000"),
		Key("top_p", Kreal, 0.0, 1.0, 1, "a number above 0, at most 1"),
		Key("min_p", Kreal, 0.0, 1.0, 0, "a number from 0 to 1"),
		Key("repeat_penalty", Kreal, 0.0, 100.0, 1, "a number above 0, at most 100"),
		Key("repeat_last_n", Kint, 0.0, 1048576.0, 0, "a whole number from 0 to 1048576"),
		Key("seed", Kseed, 0.0, 0.0, 0, "a whole number from 0 to 18446744073709551615"),
		Key("stop", Kstop, 1.0, 256.0, 0, "1 to 256 bytes"),
		Key("ignore_eos", Kint, 0.0, 1.0, 0, "0 or 1"),
	};
}

findkey(name: string): ref Key
{
	initkeys();
	for(i := 0; i < len keys; i++)
		if(keys[i].name == name)
			return ref keys[i];
	return nil;
}

Request.parse(model: int, s: string): (ref Request, string)
{
	sysinit();
	for(i := 0; i < len s; i++)
		if(s[i] == 0)
			return (nil, "bad request: it contains a NUL byte");
	if(len s > 0 && s[len s - 1] == '\n')
		s = s[0:len s - 1];
	f := split(s, '|');
	nopt := len f;
	while(nopt > 1 && optkey(f[nopt-1]) != nil)
		nopt--;
	r := Request.new(model, nil);
	n := nopt;
	err: string;
	if(n >= 3 && numberor(f[n-2], Kint, 1) && numberor(f[n-1], Kreal, 1)){
		if((err = setnumber(r, "max_tokens", f[n-2])) != nil || (err = setnumber(r, "temperature", f[n-1])) != nil)
			return (nil, err);
		n -= 2;
	}else if(n >= 2 && numberor(f[n-1], Kint, 0)){
		if((err = setnumber(r, "max_tokens", f[n-1])) != nil)
			return (nil, err);
		n--;
	}
	# in the order written: the last of a key wins, stop strings keep their order
	for(i = nopt; i < len f; i++){
		k := optkey(f[i]);
		if((err = r.set(k, f[i][len k + 1:])) != nil)
			return (nil, err);
	}
	r.prompt = f[0];
	for(i = 1; i < n; i++)
		r.prompt += "|" + f[i];
	return (r, nil);
}

# Sets key to v, checked as request.c checks it; nil, or the error.
Request.set(r: self ref Request, key: string, v: string): string
{
	sysinit();
	k := findkey(key);
	if(k == nil)
		return sys->sprint("bad request: unknown key \"%s\"", key);
	if(k.kind == Kstop){
		b := len array of byte v;
		if(b < 1 || b > int k.hi)
			return badvalue(k, v);
		nstop := 0;
		for(l := r.opts; l != nil; l = tl l)
			if((hd l).t0 == "stop")
				nstop++;
		if(nstop == MAXSTOPS)
			return sys->sprint("bad request: at most %d stop strings", MAXSTOPS);
		r.opts = append(r.opts, (key, v));
		return nil;
	}
	v = trim(v);
	if(k.kind == Kreal && !isreal(v) || k.kind != Kreal && !isint(v))
		return badvalue(k, v);
	if(k.kind == Kseed){
		if(v[0] == '-' || len nozeros(v) > 20 || len nozeros(v) == 20 && nozeros(v) > "18446744073709551615")
			return badvalue(k, v);
	}else{
		# in range both as written and as the engine's float: below 2^-150 a float is 0
		x := real noplus(v);
		if(x < k.lo || x > k.hi || k.above && x <= k.lo + FLOATZERO)
			return badvalue(k, v);
	}
	case key {
	"max_tokens" =>
		r.max_tokens = int real noplus(v);
	"temperature" =>
		r.temperature = real noplus(v);
	* =>
		r.opts = append(del(r.opts, key), (key, v));
	}
	return nil;
}

badvalue(k: ref Key, v: string): string
{
	if(len v > 64)
		v = v[0:64];
	return sys->sprint("bad request: %s must be %s, not \"%s\"", k.name, k.range, v);
}

# max_tokens or temperature from a field, unless it is empty
setnumber(r: ref Request, key: string, f: string): string
{
	if(trim(f) == nil)
		return nil;
	return r.set(key, f);
}

# is f, blanks dropped, empty (when that is allowed) or a number of the kind?
numberor(f: string, kind: int, emptyok: int): int
{
	f = trim(f);
	if(f == nil)
		return emptyok;
	if(kind == Kint)
		return isint(f);
	return isreal(f);
}

blank(c: int): int
{
	return c == ' ' || c == '\t' || c == '\r';
}

trim(s: string): string
{
	i := 0;
	while(i < len s && blank(s[i]))
		i++;
	j := len s;
	while(j > i && blank(s[j-1]))
		j--;
	return s[i:j];
}

noplus(s: string): string
{
	if(len s > 0 && s[0] == '+')
		return s[1:];
	return s;
}

# the digits of a whole number without its sign and leading zeros ("0" for zero)
nozeros(s: string): string
{
	if(len s > 0 && (s[0] == '+' || s[0] == '-'))
		s = s[1:];
	while(len s > 1 && s[0] == '0')
		s = s[1:];
	return s;
}

append(l: list of (string, string), e: (string, string)): list of (string, string)
{
	if(l == nil)
		return e :: nil;
	return hd l :: append(tl l, e);
}

# l without the pairs of key
del(l: list of (string, string), key: string): list of (string, string)
{
	if(l == nil)
		return nil;
	if((hd l).t0 == key)
		return del(tl l, key);
	return hd l :: del(tl l, key);
}

# the fields of s between sep characters, empty ones included
split(s: string, sep: int): array of string
{
	n := 1;
	for(i := 0; i < len s; i++)
		if(s[i] == sep)
			n++;
	a := array[n] of string;
	j := 0;
	n = 0;
	for(i = 0; i < len s; i++)
		if(s[i] == sep){
			a[n++] = s[j:i];
			j = i + 1;
		}
	a[n] = s[j:];
	return a;
}

# the key of a field key=value with a known key, or nil
optkey(f: string): string
{
	for(i := 0; i < len f; i++)
		if(f[i] == '=')
			break;
	if(i == len f || findkey(f[0:i]) == nil)
		return nil;
	return f[0:i];
}

span(s: string, i: int, set: string): int
{
	j := i;
	for(; j < len s; j++){
		for(k := 0; k < len set && set[k] != s[j]; k++)
			;
		if(k == len set)
			break;
	}
	return j - i;
}

# a whole number: a sign, digits
isint(s: string): int
{
	i := 0;
	if(len s > 0 && (s[0] == '+' || s[0] == '-'))
		i++;
	return i < len s && span(s, i, "0123456789") == len s - i;
}

# a plain decimal number: a sign, digits with at most one point, an exponent
isreal(s: string): int
{
	i := 0;
	if(len s > 0 && (s[0] == '+' || s[0] == '-'))
		i++;
	d := span(s, i, "0123456789");
	i += d;
	f := 0;
	if(i < len s && s[i] == '.'){
		f = span(s, i + 1, "0123456789");
		i += 1 + f;
	}
	if(d + f == 0)
		return 0;
	if(i < len s && (s[i] == 'e' || s[i] == 'E')){
		i++;
		if(i < len s && (s[i] == '+' || s[i] == '-'))
			i++;
		e := span(s, i, "0123456789");
		if(e == 0)
			return 0;
		i += e;
	}
	return i == len s;
}

# what the request reads as, in llambo_request_describe's words
Request.describe(r: self ref Request): string
{
	sysinit();
	# %.6g: C's %g (Dis's own %g writes 15 digits and no leading 0)
	s := sys->sprint("max_tokens=%d temperature=%.6g", r.max_tokens, r.temperature);
	(nil, defs) := sys->tokenize(DEFAULTS, " ");
	for(; defs != nil; defs = tl defs){
		(nil, kv) := sys->tokenize(hd defs, "=");
		k := hd kv;
		v := hd tl kv;
		for(l := r.opts; l != nil; l = tl l)
			if((hd l).t0 == k)
				v = (hd l).t1;
		if(findkey(k).kind == Kint)
			v = string int real noplus(v);
		else
			v = sys->sprint("%.6g", real noplus(v));
		s += " " + k + "=" + v;
	}
	seed := "random";
	for(l := r.opts; l != nil; l = tl l)
		if((hd l).t0 == "seed" && (seed = nozeros((hd l).t1)) == SEEDRANDOM)
			seed = "random";
	s += " seed=" + seed;
	ignore := 0;
	for(l = r.opts; l != nil; l = tl l)
		if((hd l).t0 == "ignore_eos")
			ignore = int real noplus((hd l).t1);
	if(ignore)
		s += " ignore_eos=1";
	for(l = r.opts; l != nil; l = tl l)
		if((hd l).t0 == "stop")
			s += " stop=" + quote((hd l).t1);
	return s + " prompt=" + quote(r.prompt);
}

quote(s: string): string
{
	q := "\"";
	for(i := 0; i < len s; i++){
		c := s[i];
		case c {
		'"' or '\\' =>
			q[len q] = '\\';
			q[len q] = c;
		'\n' =>
			q += "\\n";
		'\r' =>
			q += "\\r";
		'\t' =>
			q += "\\t";
		* =>
			if(c < 16r20 || c == 16r7F)
				q += sys->sprint("\\x%.2x", c);
			else
				q[len q] = c;
		}
	}
	return q + "\"";
}

load_model(path: string, use_mmap: int, n_gpu_layers: int): int
{
	if(mnt == nil)
		return llambo_c->load_model(path, use_mmap, n_gpu_layers);
	fd := sys->open(mnt + "/clone", Sys->ORDWR);
	if(fd == nil)
		return -1;
	buf := array[32] of byte;
	n := sys->read(fd, buf, len buf);
	if(n <= 0)
		return -1;
	id := int string buf[0:n];
	if(sys->fprint(fd, "load %s %d %d", path, use_mmap, n_gpu_layers) < 0)
		return -1;
	return id;
}

free_model(id: int): int
{
	if(mnt == nil)
		return llambo_c->free_model(id);
	fd := sys->open(mnt + "/ctl", Sys->OWRITE);
	if(fd == nil || sys->fprint(fd, "free %d", id) < 0)
		return -1;
	return 0;
}

get_model_info(id: int): string
{
	if(mnt == nil)
		return llambo_c->get_model_info(id);
	return readfile(sys->sprint("%s/models/%d/info", mnt, id));
}

status(id: int): string
{
	if(mnt == nil)
		return llambo_c->status(id);
	return readfile(sys->sprint("%s/models/%d/status", mnt, id));
}

models(): array of int
{
	if(mnt == nil)
		return llambo_c->models();
	fd := sys->open(mnt + "/models", Sys->OREAD);
	if(fd == nil)
		return nil;
	ids: list of int;
	n := 0;
	for(;;){
		(nd, d) := sys->dirread(fd);
		if(nd <= 0)
			break;
		for(i := 0; i < nd; i++){
			ids = int d[i].name :: ids;
			n++;
		}
	}
	a := array[n] of int;
	for(; ids != nil; ids = tl ids)
		a[--n] = hd ids;
	sort(a);
	return a;
}

sort(a: array of int)
{
	for(i := 1; i < len a; i++)
		for(j := i; j > 0 && a[j-1] > a[j]; j--)
			(a[j-1], a[j]) = (a[j], a[j-1]);
}

tokenize(id: int, text: string): array of int
{
	if(mnt == nil)
		return llambo_c->tokenize(id, text);
	sys->werrstr("tokenize is not available over Styx: use emu-llambo");
	return nil;
}

infer(req: ref Request): ref Response
{
	c := chan of string;
	r := ref Response;
	ec := chan of string;
	spawn streamer(req, c, ec);
	while((s := <-c) != nil)
		r.text += s;
	r.err = <-ec;
	return r;
}

streamer(req: ref Request, c: chan of string, ec: chan of string)
{
	ec <-= stream(req, c);
}

stream(req: ref Request, c: chan of string): string
{
	if(mnt == nil)
		return builtinstream(req, c);
	fd := sys->open(sys->sprint("%s/models/%d/data", mnt, req.model), Sys->ORDWR);
	if(fd == nil){
		c <-= nil;
		return sys->sprint("%r");
	}
	b := array of byte req.text();
	if(sys->write(fd, b, len b) != len b){
		c <-= nil;
		return sys->sprint("%r");
	}
	sys->seek(fd, big 0, Sys->SEEKSTART);	# the text starts at offset 0, not after the request
	return pieces(fd, c);
}

# What fd reads until its end, on c in whole UTF-8 sequences, then nil; nil, or the read's error.
pieces(fd: ref Sys->FD, c: chan of string): string
{
	buf := array[Sys->ATOMICIO] of byte;
	rest := 0;	# bytes of an incomplete UTF-8 sequence kept for the next read
	for(;;){
		n := sys->read(fd, buf[rest:], len buf - rest);
		if(n <= 0){
			if(rest > 0)
				c <-= string buf[0:rest];
			c <-= nil;
			if(n < 0)
				return sys->sprint("%r");
			return nil;
		}
		n += rest;
		k := sys->utfbytes(buf, n);
		if(k > 0)	# "" is nil: the end, to the reader
			c <-= string buf[0:k];
		buf[0:] = buf[k:n];
		rest = n - k;
	}
}

builtinstream(req: ref Request, c: chan of string): string
{
	g := llambo_c->start(req.model, req.prompt, req.opttext());
	if(g == nil){
		c <-= nil;
		return sys->sprint("%r");
	}
	while((s := llambo_c->next(g)) != nil)
		c <-= s;
	c <-= nil;
	(err, nil, nil) := llambo_c->finish(g);
	return err;
}

readfile(name: string): string
{
	(text, err) := readtext(name);
	if(err != nil)
		return nil;
	return text;
}

# A whole file: (text, nil), "" and all, or (nil, why).
readtext(name: string): (string, string)
{
	fd := sys->open(name, Sys->OREAD);
	if(fd == nil)
		return (nil, sys->sprint("%r"));
	data := array[0] of byte;
	buf := array[Sys->ATOMICIO] of byte;
	while((n := sys->read(fd, buf, len buf)) > 0){
		d := array[len data + n] of byte;
		d[0:] = data;
		d[len data:] = buf[0:n];
		data = d;
	}
	if(n < 0)
		return (nil, sys->sprint("%r"));
	return (string data, nil);
}

# text written to name in one write; nil, or why it was refused.
writetext(name: string, text: string): string
{
	fd := sys->open(name, Sys->OWRITE | Sys->OTRUNC);
	if(fd == nil)
		return sys->sprint("%r");
	b := array of byte text;
	if(sys->write(fd, b, len b) != len b)
		return sys->sprint("%r");
	return nil;
}

# Conversations: the files of a native server's sessions (README.md, "Conversations").

# Where sessions are made: d, or the mount init chose, or infernode's /n/llm, or MOUNT's.
sessionsdir(d: string): string
{
	if(d != nil)
		return d;
	if(mnt != nil)
		return mnt + "/sessions";
	(ok, nil) := sys->stat("/n/llm/new");
	if(ok == 0)
		return "/n/llm";
	return MOUNT + "/sessions";
}

Session.new(sessions: string): (ref Session, string)
{
	sysinit();
	d := sessionsdir(sessions);
	(name, err) := readtext(d + "/new");
	if(err != nil)
		return (nil, sys->sprint("no session made in %s (a native llambo-styx serves sessions): %s", d, err));
	for(i := 0; i < len name && name[i] != '\n'; i++)
		;
	name = name[0:i];
	return (ref Session(d + "/" + name, name), nil);
}

Session.open(sessions: string, name: string): (ref Session, string)
{
	sysinit();
	d := sessionsdir(sessions) + "/" + name;
	(ok, nil) := sys->stat(d + "/ctl");
	if(ok < 0)
		return (nil, sys->sprint("no session %s: %r", d));
	return (ref Session(d, name), nil);
}

Session.set(s: self ref Session, file: string, value: string): string
{
	return writetext(s.dir + "/" + file, value);
}

Session.get(s: self ref Session, file: string): string
{
	return readfile(s.dir + "/" + file);
}

Session.ask(s: self ref Session, msg: string): (string, string)
{
	if((err := writetext(s.dir + "/ask", msg)) != nil)
		return (nil, err);
	return readtext(s.dir + "/ask");
}

Session.stream(s: self ref Session, msg: string, c: chan of string): string
{
	err := writetext(s.dir + "/ask", msg);
	fd: ref Sys->FD;
	if(err == nil && (fd = sys->open(s.dir + "/stream", Sys->OREAD)) == nil)
		err = sys->sprint("%r");
	if(err != nil){
		c <-= nil;
		return err;
	}
	return pieces(fd, c);
}

Session.ctl(s: self ref Session, cmd: string): string
{
	if(cmd == "compact")
		return writetext(s.dir + "/compact", cmd);
	return writetext(s.dir + "/ctl", cmd);
}
