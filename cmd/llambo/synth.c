/* synth.c - llambo synth: a random model of any family, shape and tensor type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../../src/util/clock.h"

static const char usage[] =
	"usage: llambo synth -o FILE [--arch A] [--shape S] [--type T] [--n-embd N] [--n-layer N] [--n-head N]\n"
	"                    [--n-head-kv N] [--head-dim N] [--n-ff N] [--n-vocab N] [--n-ctx N] [--tied]\n"
	"                    [--n-expert N --n-expert-used N --n-ff-exp N] [--n-swa N] [--swa-pattern N]\n"
	"                    [--rope-base F] [--rope-scaling linear|yarn|longrope] [--rope-factor F] [--n-ctx-orig N]\n"
	"                    [--vocab VOCAB.gguf] [--seed S]\n"
	"archs:  llama qwen2 qwen3 qwen3moe gemma2 gemma3 phi3 smollm3 (llama with --n-expert: Mixtral)\n"
	"shapes: tinyllama qwen3-1.7b gemma3-1b (the dimensions of those models; flags after it change them)\n"
	"types:  F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS (every matrix),\n"
	"        Q2_K_M Q3_K_M Q4_K_M Q5_K_M (llama-quantize's mixes); default: a small Q8_0 llama\n"
	"--vocab: the tokenizer keys (and chat template) of a GGUF file, e.g. llama.cpp's ggml-vocab-*.gguf\n";

/* The number after flag: positive, below max, whole when integer */
static double
numarg(const char *flag, const char *v, double max, int integer)
{
	char *end;
	double x;

	if(v == NULL)
		cli_die("%s needs a value", flag);
	x = strtod(v, &end);
	if(end == v || *end != 0 || !(x > 0 && x <= max) || (integer && x != (int)x))
		cli_die("%s: bad value '%s'", flag, v);
	return x;
}

int
cmd_synth(int argc, char **argv)
{
	SynthSpec s;
	const char *out = NULL;
	double t0;
	int i;

	synth_defaults(&s);
	for(i = 0; i < argc; i++){
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define FLAG(x) (strcmp(a, x) == 0)
#define INT(x, field) else if(FLAG(x)){ s.field = (int)numarg(a, v, 1 << 24, 1); i++; }
#define FLT(x, field) else if(FLAG(x)){ s.field = (float)numarg(a, v, 1e12, 0); i++; }
#define STR(x, field) else if(FLAG(x) && v){ s.field = v; i++; }
		if(FLAG("-h") || FLAG("--help")){
			fputs(usage, stdout);
			return 0;
		}else if(FLAG("-o") && v){
			out = v; i++;
		}else if(FLAG("--seed") && v){
			s.seed = strtoull(v, NULL, 10); i++;
		}else if(FLAG("--tied")){
			s.tied = 1;
		}else if(FLAG("--shape") && v){
			if(synth_shape(&s, v) < 0)
				cli_die("%s", llambo_last_error());
			i++;
		}
		STR("--type", type) STR("--arch", arch) STR("--rope-scaling", rope_scaling) STR("--vocab", vocab)
		INT("--n-embd", n_embd) INT("--n-layer", n_layer) INT("--n-head", n_head) INT("--head-dim", head_dim)
		INT("--n-head-kv", n_head_kv) INT("--n-ff", n_ff) INT("--n-vocab", n_vocab) INT("--n-ctx", n_ctx)
		INT("--n-expert", n_expert) INT("--n-expert-used", n_expert_used) INT("--n-ff-exp", n_ff_exp)
		INT("--n-swa", n_swa) INT("--swa-pattern", swa_pattern) INT("--n-ctx-orig", n_ctx_orig)
		FLT("--rope-base", rope_base) FLT("--rope-factor", rope_factor)
		else{
			fprintf(stderr, "llambo: bad argument %s\n%s", a, usage);
			return 2;
		}
#undef STR
#undef FLT
#undef INT
#undef FLAG
	}
	if(out == NULL){
		fputs(usage, stderr);
		return 2;
	}
	t0 = lb_now_ms();
	if(synth_write(&s, out) < 0)
		cli_die("%s: %s", out, llambo_last_error());
	fprintf(stderr, "llambo: wrote %s (%s %s, %d layers, n_embd %d) in %.1f s\n", out, s.arch, s.type, s.n_layer,
		s.n_embd, (lb_now_ms() - t0) / 1e3);
	return 0;
}
