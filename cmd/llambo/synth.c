/* synth.c - llambo synth: a random llama model of any shape and tensor type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo synth -o FILE [--type T] [--n-embd N] [--n-layer N] [--n-head N] [--n-head-kv N]\n"
	"                    [--n-ff N] [--n-vocab N] [--n-ctx N] [--tied] [--seed S] [--shape tinyllama]\n"
	"types: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K (every matrix),\n"
	"       Q2_K_M Q3_K_M Q4_K_M Q5_K_M (llama-quantize's mixes); default: a small Q8_0 model\n";

static int
intarg(const char *flag, const char *v)
{
	char *end;
	long x;

	if(v == NULL)
		cli_die("%s needs a value", flag);
	x = strtol(v, &end, 10);
	if(end == v || *end != 0 || x <= 0 || x > 1 << 24)
		cli_die("%s: bad value '%s'", flag, v);
	return (int)x;
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
#define INT(x, field) else if(FLAG(x)){ s.field = intarg(a, v); i++; }
		if(FLAG("-h") || FLAG("--help")){
			fputs(usage, stdout);
			return 0;
		}else if(FLAG("-o") && v){
			out = v; i++;
		}else if(FLAG("--type") && v){
			s.type = v; i++;
		}else if(FLAG("--seed") && v){
			s.seed = strtoull(v, NULL, 10); i++;
		}else if(FLAG("--tied")){
			s.tied = 1;
		}else if(FLAG("--shape") && v && strcmp(v, "tinyllama") == 0){
			s.n_embd = 2048; s.n_layer = 22; s.n_head = 32; s.n_head_kv = 4;
			s.n_ff = 5632; s.n_vocab = 32000; s.n_ctx = 2048; i++;
		}
		INT("--n-embd", n_embd) INT("--n-layer", n_layer) INT("--n-head", n_head)
		INT("--n-head-kv", n_head_kv) INT("--n-ff", n_ff) INT("--n-vocab", n_vocab) INT("--n-ctx", n_ctx)
		else{
			fprintf(stderr, "llambo: bad argument %s\n%s", a, usage);
			return 2;
		}
#undef INT
#undef FLAG
	}
	if(out == NULL){
		fputs(usage, stderr);
		return 2;
	}
	t0 = cli_now_ms();
	if(synth_write(&s, out) < 0)
		cli_die("%s: %s", out, llambo_last_error());
	fprintf(stderr, "llambo: wrote %s (%s, %d layers, n_embd %d) in %.1f s\n", out, s.type, s.n_layer, s.n_embd,
		(cli_now_ms() - t0) / 1e3);
	return 0;
}
