implement FfiExample;

#
# ffi-example [-n max_tokens] [-t temperature] model.gguf prompt
#
# Loads a model through the builtin module $Llambo_c, generates after
# the prompt and prints the generated text, as the native llambo run
# does.  The model path is a host path.
# The defaults are 128 tokens at temperature 0 (greedy: the same text
# every time, the same as the native llambo -n 128 --temp 0).
#

include "sys.m";
	sys: Sys;
include "draw.m";
include "arg.m";
include "llambo_c.m";
	llambo_c: Llambo_c;

FfiExample: module
{
	init:	fn(nil: ref Draw->Context, argv: list of string);
};

init(nil: ref Draw->Context, argv: list of string)
{
	sys = load Sys Sys->PATH;
	arg := load Arg Arg->PATH;
	arg->init(argv);
	arg->setusage("ffi-example [-n max_tokens] [-t temperature] model.gguf prompt");
	max_tokens := 128;
	temperature := 0.0;
	while((c := arg->opt()) != 0)
		case c {
		'n' =>	max_tokens = int arg->earg();
		't' =>	temperature = real arg->earg();
		* =>	arg->usage();
		}
	argv = arg->argv();
	if(len argv != 2)
		arg->usage();
	path := hd argv;
	prompt := hd tl argv;

	llambo_c = load Llambo_c Llambo_c->PATH;
	if(llambo_c == nil)
		fail(sys->sprint("cannot load %s: %r (run emu-llambo; see BUILD-FFI.md)", Llambo_c->PATH));

	model_id := llambo_c->load_model(path, 1, 0);
	if(model_id < 0)
		fail(sys->sprint("load_model %s: %r", path));

	t0 := sys->millisec();
	sys->werrstr("");
	result := llambo_c->infer(model_id, prompt, max_tokens, temperature);
	ms := sys->millisec() - t0;
	if(result == nil && (err := sys->sprint("%r")) != nil)
		fail("infer: " + err);	# "" is also what an empty generation gives
	sys->print("%s\n", result);
	sys->fprint(sys->fildes(2), "[%d ms]\n", ms);

	llambo_c->free_model(model_id);
}

fail(msg: string)
{
	sys->fprint(sys->fildes(2), "ffi-example: %s\n", msg);
	raise "fail:error";
}
