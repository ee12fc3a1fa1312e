#
# Llambo: LLM inference for Limbo programs, whichever way this emu has it.
#
#	include "llambo.m";
#		llambo: Llambo;
#		Request: import llambo;
#	llambo = load Llambo Llambo->PATH;
#	err := llambo->init(nil);
#	id := llambo->load_model("/host/path/model.gguf", 1, 0);
#	resp := llambo->infer(Request.new(id, "Hello!"));
#	if(resp.err == nil) sys->print("%s\n", resp.text);
#
# init uses the builtin module $Llambo_c when the running emu has it
# (emu-llambo, see llambo_c(2)) and otherwise the Styx interface mounted
# at MOUNT: a local llambo_styx (mount {llambo_styx} /n/llambo), a server
# on the host (mount {os /path/to/llambo-styx -i >[1=0]} /n/llambo) or a
# remote one (mount -A tcp!server!9999 /n/llambo).  The results are the
# same either way.  Model paths are paths on the host that runs the engine.
#
# Functions that fail return -1 or nil and set the error string (%r).
#
# Conversations (a native llambo-styx server's sessions):
#	(s, err) := Session.new(nil);
#	s.set("temperature", "0");
#	(reply, err) = s.ask("Hello!");	# the next ask continues it
#	s.ctl("close");
#
Llambo: module
{
	PATH:	con "/dis/lib/llambo.dis";
	MOUNT:	con "/n/llambo";

	MAXTOKENS:	con 128;	# the defaults of a request
	TEMPERATURE:	con 0.8;

	# A generation request; the other sampling fields travel as
	# key=value options: top_k, top_p, min_p, repeat_penalty,
	# repeat_last_n, seed, stop (stop may be given more than once).
	Request: adt {
		model:	int;
		prompt:	string;
		max_tokens:	int;
		temperature:	real;
		opts:	list of (string, string);

		new:	fn(model: int, prompt: string): ref Request;
		# prompt|max_tokens|temperature[|key=value...], what the
		# data file of the Styx interface takes
		text:	fn(r: self ref Request): string;
		# the opts as the builtin module's start takes them
		opttext:	fn(r: self ref Request): string;
		# parse a request written to models/N/data, as README.md
		# ("Requests") writes the grammar down and libllambo reads
		# it: one trailing newline dropped; key=value fields with
		# known keys at the end are options; before them an
		# optional max_tokens and temperature (either may be empty
		# for its default); the rest, '|' and all, is the prompt.
		# (nil, error) if a number or an option is bad.
		parse:	fn(model: int, s: string): (ref Request, string);
		# set one key as an option of a request would: nil, or the error
		set:	fn(r: self ref Request, key: string, value: string): string;
		# every parameter and the prompt, one line, as
		# llambo_request_describe writes it (for tests and people)
		describe:	fn(r: self ref Request): string;
	};

	Response: adt {
		text:	string;	# the generated text
		err:	string;	# nil, or why it failed
	};

	# Choose the interface: mnt nil tries $Llambo_c, then MOUNT; a
	# directory name uses the Styx interface there only.  Returns nil,
	# or why neither is available.
	init:	fn(mnt: string): string;
	# "builtin $Llambo_c" or "styx /n/llambo"
	backend:	fn(): string;

	load_model:	fn(path: string, use_mmap: int, n_gpu_layers: int): int;
	free_model:	fn(model_id: int): int;
	get_model_info:	fn(model_id: int): string;
	status:	fn(model_id: int): string;
	models:	fn(): array of int;
	# Styx has no tokenizer file: over Styx this returns nil and says so.
	tokenize:	fn(model_id: int, text: string): array of int;

	# The whole generation.
	infer:	fn(req: ref Request): ref Response;
	# The text as it is made: each piece on c, then nil; returns what
	# infer's Response.err would be.
	stream:	fn(req: ref Request, c: chan of string): string;

	# A conversation with memory: a session of a native llambo-styx
	# server, which keeps its messages, settings and KV cache between
	# turns (a turn evaluates only its new tokens), in the model's chat
	# template.  Sessions live in the server's sessions/ directory (or
	# the root of an attach to llm, infernode's layout), whichever
	# backend init chose: the builtin module and llambo_styx have none.
	Session: adt {
		dir:	string;	# the directory of its files: sessions/NAME
		name:	string;	# any connection that knows it reaches it

		# A new session in sessions (nil: the one init's mount has,
		# MOUNT/sessions, or /n/llm); (nil, why) if there is none.
		new:	fn(sessions: string): (ref Session, string);
		# One made before, by its name.
		open:	fn(sessions: string, name: string): (ref Session, string);
		# A setting: model (an id or a name of the server's -m
		# directories), system, temperature, maxtokens, options
		# (key=value|...), prefill.  nil, or why it was refused.
		set:	fn(s: self ref Session, file: string, value: string): string;
		# The text of one of its files: context (the messages as
		# JSON), history, usage, model, system, ...; nil with %r.
		get:	fn(s: self ref Session, file: string): string;
		# The reply to a user message, whole: (text, nil) or (nil, why).
		ask:	fn(s: self ref Session, msg: string): (string, string);
		# The reply as it is made: each piece on c, then nil; returns
		# nil, or why it failed.
		stream:	fn(s: self ref Session, msg: string, c: chan of string): string;
		# reset, uncache, compact, save NAME, restore NAME, close.
		ctl:	fn(s: self ref Session, cmd: string): string;
	};
};
