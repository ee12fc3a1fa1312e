#
# Llambo_c: libllambo as an Inferno builtin module.
#
# The module is compiled into emu (it is not a .dis file), so it is loaded
# by its builtin name:
#
#	include "llambo_c.m";
#		llambo_c: Llambo_c;
#	llambo_c = load Llambo_c Llambo_c->PATH;
#
# load returns nil when the running emu was built without it: build
# emu-llambo with ./build-ffi.sh build, or use the Styx interface
# (llambo_styx, or the Llambo module of llambo.m, which picks either;
# see BUILD-FFI.md).
#
# Paths given to load_model are paths on the host (the engine opens and
# maps the file itself), not names in the Inferno namespace.
#
# Every call that can take long (loading, tokenizing, generating) runs on
# a thread of its own and releases the Dis interpreter meanwhile: other
# Limbo threads keep running.  Any number of Limbo threads may call into
# the module at once, on one model or several.
#
# On failure a function returns -1 (or nil, or "") and sets the
# process's error string: print it with %r.
#
Llambo_c: module
{
	PATH:	con "$Llambo_c";

	# Load a GGUF model from the host file path.  use_mmap 1 maps the
	# file (the weights are used in place), 0 reads it into memory.
	# n_gpu_layers > 0 is accepted and ignored (CPU only; the info
	# says so).  Returns the model id (the lowest free, from 0), or -1.
	load_model:	fn(path: string, use_mmap: int, n_gpu_layers: int): int;

	# Forget a model.  Generations still running on it finish first;
	# the id is reused only after that.  Returns 0, or -1 (no such model).
	free_model:	fn(model_id: int): int;

	# The token ids of text, with the beginning-of-sequence token when
	# the model wants one.  nil on failure.
	tokenize:	fn(model_id: int, text: string): array of int;

	# Generate up to max_tokens tokens after prompt and return the text.
	# temperature 0.0 is greedy (deterministic); above 0 samples with
	# the library's defaults (top_k 40, top_p 0.95, min_p 0.05).
	# Returns "" on failure (and sets %r).
	infer:	fn(model_id: int, prompt: string, max_tokens: int, temperature: real): string;

	# JSON text: architecture, parameters, quantization, context,
	# vocabulary, file, backend.  nil on failure.
	get_model_info:	fn(model_id: int): string;

	# Beyond the seed: what the Styx server needs.

	# Reserve the lowest free id without loading anything (the clone
	# file); load_into loads a model into a reserved id.  Both return
	# -1 on failure; load_into returns 0 on success.
	reserve:	fn(): int;
	load_into:	fn(model_id: int, path: string, use_mmap: int, n_gpu_layers: int): int;

	# The ids in use, ascending.
	models:	fn(): array of int;

	# One line of "key value" pairs separated by spaces: state (empty,
	# loading, ready), generations (running now), tokens (generated
	# since load), tok/s (of the last finished generation), path.
	# nil for no such model.
	status:	fn(model_id: int): string;

	# A generation that delivers its text as it is made.
	Gen: adt {
		model:	int;	# the model it runs on
	};

	# Start generating.  opts is "" or fields "key=value" separated by
	# '|': max_tokens, temperature, top_k, top_p, min_p,
	# repeat_penalty, repeat_last_n, seed, stop (repeatable), read
	# as a data file's options are (README.md, "Requests": the same
	# keys, ranges and errors).  nil on failure (a bad option, no
	# such model).
	start:	fn(model_id: int, prompt: string, opts: string): ref Gen;

	# The text made since the last call, waiting while there is none
	# and the generation runs; nil when it is over.  One Limbo thread
	# at a time may wait on a generation.
	next:	fn(g: ref Gen): string;

	# Stop the generation soon; a waiting next returns nil.
	cancel:	fn(g: ref Gen);

	# How it ended, once next has returned nil: (err, why, ntokens).
	# err is nil, or the reason it failed; why is "eog" (the model
	# ended it), "length" (max_tokens), "context" (context full),
	# "stop" (a stop string), "cancelled", or "failed"; ntokens is the
	# number of tokens generated.
	finish:	fn(g: ref Gen): (string, string, int);

	# Dropping the last reference to a Gen cancels it and frees it.
};
