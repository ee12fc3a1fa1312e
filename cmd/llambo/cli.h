/* cli.h - what the llambo subcommands share: flags in llama.cpp's habits, and the default model. */
#ifndef LLAMBO_CLI_H
#define LLAMBO_CLI_H

#include <stdint.h>

#include "llambo.h"
#include "../../src/model/synth.h"

typedef struct Opts {
	const char *model;	/* -m */
	const char *prompt;	/* -p */
	const char *out;	/* -o */
	int n_predict;	/* -n */
	int n_prompt;	/* bench: -p as a number */
	int threads;	/* -t */
	int n_ctx;	/* -c */
	int reps;	/* -r */
	int use_mmap;	/* --no-mmap clears it */
	int n_gpu_layers;	/* -ngl */
	int exact;	/* --exact: the reference (dequantize + float) path */
	int membw;	/* bench --membw: the read-bandwidth probe */
	const char *type_k, *type_v;	/* -ctk, -ctv: the KV cache's types (llambo_set_kv_types), "f16" unless given */
	int depth;	/* bench -d: positions already in the cache when each test starts */
	int nseq;	/* bench -B: the engine's step of this many sequences (stepbench.c) */
	int verbose;
	llambo_request *req;	/* -n --temp --seed --top-k --top-p --min-p --repeat-penalty --repeat-last-n --stop, read as request keys */
	const char *ids;	/* logits: --ids "1 2 3" teacher-forces these ids instead of -p */
	int n_gen;	/* logits: --gen N greedy steps after the prompt, rows appended */
	const char *file;	/* -f: tokenize's text, template's messages */
	const char *tmpl;	/* --template NAME: a built-in chat format */
	const char *sys;	/* -sys: the system message of chat and run --chat */
	int chat;	/* run --chat: the prompt is one user message in the model's chat format */
	int list;	/* template --list */
	int no_add_ass;	/* template --no-add-ass: no assistant prompt at the end */
	int no_bos;	/* tokenize --no-bos: no BOS/EOS added */
	int parse_special;	/* tokenize --parse-special: the texts of special tokens are those tokens */
	char *rest[8];	/* arguments after the subcommand that are not flags (the first 8) */
	int nrest;
} Opts;

/* Parses argv (after the subcommand); exits with a usage message on a bad flag. */
void cli_parse(Opts *o, int argc, char **argv, const char *usage);
/* The prompt from -p or the first plain argument; exits with the usage when there is none. */
void cli_need_prompt(Opts *o, const char *usage);
/* Loads o->model (or the default); exits non-zero with the reason on failure. */
int cli_load(Opts *o);
/* The default model (defmodel.c): $LLAMBO_MODEL or ../shared's aidreams260K; NULL when neither is there. */
const char *cli_default_model(void);
/* Loads the built-in model (random weights, a vocabulary of words), saying so on standard error. */
int cli_load_builtin(Opts *o);
/* The chat template a GGUF file names, read from its metadata only (any architecture): 1, or 0 with *t NULL when it has none; -1 on error. */
int cli_file_template(const char *path, char **t);
/* Exits with the list of built-in templates unless name is one of them. */
void cli_need_builtin(const char *name);
long cli_peak_rss_kb(void);
_Noreturn void cli_die(const char *fmt, ...);

int cmd_run(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int bench_steps(int id, const Opts *o, int nseq);	/* stepbench.c: bench -B's line */
int cmd_logits(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_chat(int argc, char **argv);
#endif
