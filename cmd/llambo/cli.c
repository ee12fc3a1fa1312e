/* cli.c - flags and helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/chat/chat.h"
#include "cli.h"
#include "../../src/runtime/pool.h"
#include "../../src/util/clock.h"

_Noreturn void
cli_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "llambo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

long
cli_peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
num(const char *flag, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d;

	if(v == NULL)
		cli_die("%s needs a value", flag);
	d = strtod(v, &end);
	if(end == v || *end != 0 || !(d >= lo && d <= hi))
		cli_die("%s: bad value '%s' (expected %g..%g)", flag, v, lo, hi);
	*out = d;
	return 0;
}

/* The flags that set a request's keys: checked by the request grammar's own parser. */
static const struct {
	const char *flag, *alias, *key;
} keyflags[] = {
	{ "-n", "--n-predict", "max_tokens" }, { "--temp", NULL, "temperature" }, { "--top-k", NULL, "top_k" },
	{ "--top-p", NULL, "top_p" }, { "--min-p", NULL, "min_p" }, { "--repeat-penalty", NULL, "repeat_penalty" },
	{ "--repeat-last-n", NULL, "repeat_last_n" }, { "--seed", "-s", "seed" }, { "--stop", NULL, "stop" },
};

static const char *
keyof(const char *flag)
{
	size_t i;

	for(i = 0; i < sizeof keyflags / sizeof keyflags[0]; i++)
		if(strcmp(flag, keyflags[i].flag) == 0 || (keyflags[i].alias != NULL && strcmp(flag, keyflags[i].alias) == 0))
			return keyflags[i].key;
	return NULL;
}

void
cli_parse(Opts *o, int argc, char **argv, const char *usage)
{
	static llambo_request *req;	/* one for the process (cli_parse runs once), kept to its end */
	const char *key;
	int i;
	double d;

	memset(o, 0, sizeof *o);
	if(req == NULL && (req = llambo_request_new()) == NULL)
		cli_die("out of memory");
	o->req = req;
	o->n_predict = -1;
	o->n_prompt = -1;
	o->use_mmap = 1;
	o->reps = 5;
	o->type_k = o->type_v = "f16";
	for(i = 0; i < argc; i++){
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define FLAG(s) (strcmp(a, s) == 0)
		if(FLAG("-h") || FLAG("--help")){
			fputs(usage, stdout);
			exit(0);
		}else if((key = keyof(a)) != NULL){
			if(v == NULL)
				cli_die("%s needs a value", a);
			if(llambo_request_set(o->req, key, v) < 0)
				cli_die("%s %s: %s", a, v, llambo_last_error());
			if(strcmp(key, "max_tokens") == 0)
				o->n_predict = o->req->params.max_tokens;
			i++;
		}else if(FLAG("-m") || FLAG("--model")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->model = v; i++;
		}else if(FLAG("-p") || FLAG("--prompt")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->prompt = v; i++;
		}else if(FLAG("-o") || FLAG("--output")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->out = v; i++;
		}else if(FLAG("-f") || FLAG("--file")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->file = v; i++;
		}else if(FLAG("--template") || FLAG("--chat-template")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->tmpl = v; i++;
		}else if(FLAG("-sys") || FLAG("--system-prompt")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->sys = v; i++;
		}else if(FLAG("--chat")){
			o->chat = 1;
		}else if(FLAG("--list")){
			o->list = 1;
		}else if(FLAG("--no-add-ass")){
			o->no_add_ass = 1;
		}else if(FLAG("--no-bos")){
			o->no_bos = 1;
		}else if(FLAG("--parse-special")){
			o->parse_special = 1;
		}else if(FLAG("--ids")){
			if(v == NULL) cli_die("%s needs a value", a);
			o->ids = v; i++;
		}else if(FLAG("-t") || FLAG("--threads")){
			num(a, v, 1, 64, &d); o->threads = (int)d; i++;
			if(o->threads > lb_ncpu()){	/* the engine uses at most one thread per processor */
				fprintf(stderr, "llambo: -t %d is more than the %d processors this process may use: using %d\n",
					o->threads, lb_ncpu(), lb_ncpu());
				o->threads = lb_ncpu();
			}
		}else if(FLAG("-c") || FLAG("--ctx-size")){
			num(a, v, 0, 1 << 24, &d); o->n_ctx = (int)d; i++;
		}else if(FLAG("-r") || FLAG("--repetitions")){
			num(a, v, 1, 1000, &d); o->reps = (int)d; i++;
		}else if(FLAG("-ngl") || FLAG("--n-gpu-layers")){
			num(a, v, 0, 100000, &d); o->n_gpu_layers = (int)d; i++;
		}else if(FLAG("--gen")){
			num(a, v, 0, 1 << 20, &d); o->n_gen = (int)d; i++;
		}else if(FLAG("-ctk") || FLAG("--cache-type-k") || FLAG("-ctv") || FLAG("--cache-type-v")){
			int k = FLAG("-ctk") || FLAG("--cache-type-k");
			if(v == NULL) cli_die("%s needs a value", a);
			if(llambo_set_kv_types(k ? v : NULL, k ? NULL : v) < 0)
				cli_die("%s %s: %s", a, v, llambo_last_error());
			*(k ? &o->type_k : &o->type_v) = v; i++;
		}else if(FLAG("-d") || FLAG("--n-depth")){
			num(a, v, 0, 1 << 20, &d); o->depth = (int)d; i++;
		}else if(FLAG("-B") || FLAG("--batch-seqs")){
			num(a, v, 1, 512, &d); o->nseq = (int)d; i++;
		}else if(FLAG("--no-mmap")){
			o->use_mmap = 0;
		}else if(FLAG("--exact")){
			o->exact = 1;
		}else if(FLAG("--membw")){
			o->membw = 1;
		}else if(FLAG("-v") || FLAG("--verbose")){
			o->verbose = 1;
		}else if(a[0] == '-' && a[1] != 0){
			fprintf(stderr, "llambo: unknown flag %s\n%s", a, usage);
			exit(2);
		}else if(o->nrest < (int)(sizeof o->rest / sizeof o->rest[0]))
			o->rest[o->nrest++] = argv[i];
		else
			cli_die("too many arguments: %s", a);
#undef FLAG
	}
	o->req->params.n_threads = o->threads;
	o->req->params.n_ctx = o->n_ctx;
}

void
cli_need_prompt(Opts *o, const char *usage)
{
	if(o->prompt == NULL && o->nrest > 0)
		o->prompt = o->rest[0];
	if(o->prompt == NULL){
		fputs(usage, stderr);
		exit(2);
	}
}

int
cli_file_template(const char *path, char **t)
{
	GGUFFile f;
	int rc;

	*t = NULL;
	if(gguf_open(&f, path, 1) < 0)
		return -1;
	rc = chat_file_template(&f, t);
	gguf_close(&f);
	return rc;
}

void
cli_need_builtin(const char *name)
{
	const char *names[128];
	int i, n = llambo_chat_builtin_templates(names, 128);

	for(i = 0; i < n && i < 128; i++)
		if(strcmp(names[i], name) == 0)
			return;
	fprintf(stderr, "llambo: --template %s: no such built-in template; there are:", name);
	for(i = 0; i < n && i < 128; i++)
		fprintf(stderr, " %s", names[i]);
	fprintf(stderr, "\n");
	exit(2);
}

/* Loads the model, saying so on standard error when it is big enough to take a while (or with -v). */
int
cli_load(Opts *o)
{
	double t0 = lb_now_ms();
	struct stat st;
	int id, tell;

	if(o->model == NULL && (o->model = cli_default_model()) == NULL)
		return cli_load_builtin(o);
	tell = o->verbose || (stat(o->model, &st) == 0 && st.st_size > (64 << 20));
	if(tell)
		fprintf(stderr, "llambo: loading %s (%.0f MiB, %s)...\n", o->model,
			stat(o->model, &st) == 0 ? st.st_size / 1048576.0 : 0.0, o->use_mmap ? "mapped" : "read");
	id = llambo_load_model(o->model, o->use_mmap, o->n_gpu_layers);
	if(id < 0)
		cli_die("%s: %s", o->model, llambo_last_error());
	if(tell)
		fprintf(stderr, "llambo: loaded in %.1f ms\n", lb_now_ms() - t0);
	return id;
}
