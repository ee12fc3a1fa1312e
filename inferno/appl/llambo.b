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

OPTKEYS: con "max_tokens temperature top_k top_p min_p repeat_penalty repeat_last_n seed stop";

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

Request.parse(model: int, s: string): (ref Request, string)
{
	sysinit();
	if(len s > 0 && s[len s - 1] == '\n')
		s = s[0:len s - 1];
	f := split(s, '|');
	n := len f;
	r := Request.new(model, nil);
	opts: list of (string, string);
	while(n > 1 && (k := optkey(f[n-1])) != nil){
		v := f[n-1][len k + 1:];
		case k {
		"max_tokens" =>
			if(!isint(v))
				return (nil, "bad max_tokens: " + v);
			r.max_tokens = int v;
		"temperature" =>
			if(!isreal(v))
				return (nil, "bad temperature: " + v);
			r.temperature = real v;
		* =>
			opts = (k, v) :: opts;
		}
		n--;
	}
	r.opts = opts;
	if(n >= 3 && (f[n-2] == nil || isint(f[n-2])) && (f[n-1] == nil || isreal(f[n-1]))){
		if(f[n-2] != nil)
			r.max_tokens = int f[n-2];
		if(f[n-1] != nil)
			r.temperature = real f[n-1];
		n -= 2;
	}else if(n >= 2 && (f[n-1] == nil || isint(f[n-1]))){
		if(f[n-1] != nil)
			r.max_tokens = int f[n-1];
		n--;
	}
	r.prompt = f[0];
	for(i := 1; i < n; i++)
		r.prompt += "|" + f[i];
	return (r, nil);
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

# the key of a known key=value option, or nil
optkey(f: string): string
{
	for(i := 0; i < len f; i++)
		if(f[i] == '=')
			break;
	if(i == len f || i == 0)
		return nil;
	k := f[0:i];
	(nil, keys) := sys->tokenize(OPTKEYS, " ");
	for(; keys != nil; keys = tl keys)
		if(hd keys == k)
			return k;
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

# a plain non-negative decimal number: digits, at most one point, an exponent
isreal(s: string): int
{
	digits := 0;
	i := 0;
	for(; i < len s && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if(i < len s && s[i] == '.')
		for(i++; i < len s && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if(digits == 0)
		return 0;
	if(i < len s && (s[i] == 'e' || s[i] == 'E')){
		i++;
		if(i < len s && (s[i] == '+' || s[i] == '-'))
			i++;
		if(i == len s)
			return 0;
		for(; i < len s && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	return i == len s;
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
	fd := sys->open(name, Sys->OREAD);
	if(fd == nil)
		return nil;
	data := array[0] of byte;
	buf := array[Sys->ATOMICIO] of byte;
	while((n := sys->read(fd, buf, len buf)) > 0){
		d := array[len data + n] of byte;
		d[0:] = data;
		d[len data:] = buf[0:n];
		data = d;
	}
	if(n < 0)
		return nil;
	return string data;
}
