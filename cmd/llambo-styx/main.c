/*
 * llambo-styx - serves llambo's models as a 9P2000 (Styx) file tree:
 *
 *	llambo-styx [-a tcp!127.0.0.1!9999] [-m DIR]... [-r] [-D]
 *	mount -A tcp!127.0.0.1!9999 /n/llambo		(Inferno)
 *	mount {os llambo-styx -i >[1=0]} /n/llambo	(hosted Inferno, on stdin/stdout)
 *	9p -a tcp!127.0.0.1!9999 ls models		(plan9port)
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llambo.h"
#include "../../src/styx/srv.h"
#include "../../src/util/error.h"

enum { MAXADDRS = 4, MAXPRELOAD = 16 };

/* The usage: on standard output with exit 0 when asked for (-h), else on standard error with exit 2. */
static void
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
		"usage: llambo-styx [options]       (with none: serve tcp!127.0.0.1!9999)\n"
		"  -h, --help    this text\n"
		"  -a ADDR       listen on ADDR: tcp!HOST!PORT, tcp!*!PORT, unix!/path (repeatable;\n"
		"                default tcp!127.0.0.1!9999 unless -i is given)\n"
		"  -i            serve one connection on stdin/stdout (mount {os llambo-styx -i >[1=0]} /n/llambo)\n"
		"  -m DIR        models may be loaded from DIR only (repeatable; needed beyond loopback)\n"
		"  -P, --any-path  allow loading any path even when listening beyond loopback\n"
		"  -r            read-only: clients may not load or free models\n"
		"  -O            a session's model file loads the model it names from the -m directories on first use\n"
		"  -l PATH       load PATH before serving (repeatable)\n"
		"  -D            trace every 9P message to stderr\n"
		"  -ctk TYPE, -ctv TYPE  the KV cache's K and V types of the models loaded (also --cache-type-k,\n"
		"                --cache-type-v): f16 (default) f32 bf16 q8_0 q4_0 q4_1 iq4_nl q5_0 q5_1\n"
		"limits: -c conns (64) -f fids per connection (256) -p pending requests per connection (64)\n"
		"        -g generations in progress, all models (64) -L loads at once (2)\n"
		"        -k KV cache MiB per model (default: 16 contexts of 4096 tokens within a quarter of the\n"
		"           memory the weights leave); each model batches its generations in one pass over the\n"
		"           weights, each reserving cache for its prompt and max_tokens; past the budget they wait\n"
		"           in a queue of 64 per model (status shows it), and past that are refused as busy\n"
		"        -N models loaded (32) -G generations held per connection (16) -C clone ids per connection (8)\n"
		"        -R clone ids in all (32; -N, -L and -R add up to at most 256)\n"
		"        -n max_tokens per request (4096) -s request bytes per connection (262144)\n"
		"        -o output bytes per generation (1048576)\n"
		"        -t threads per generation (0: every core) -M msize (131096)\n"
		"        -w write timeout s (60): a client whose socket takes nothing for that long is dropped,\n"
		"           its generations cancelled (no client waits for another)\n"
		"        -T handshake timeout s (5): a connection must finish Tversion and Tattach, and a\n"
		"           message once begun must keep arriving, within it (an attached mount may idle)\n"
		"        -S sessions open at once (16) -e of them made by one connection (8)\n"
		"        -H history bytes per session (1048576) -x tokens of context per session (0: 4096, within\n"
		"           the model's); a session's cache counts against its model's KV budget (-k)\n"
		"        -I seconds a session may idle before its cache is given back (600; 0: never); a turn that\n"
		"           needs a cache the KV budget has no room for takes the least recently used idle one's\n"
		"        -B MiB of model files loaded at once (no budget): past it a load first unloads the least\n"
		"           recently used models nothing generates with\n");
	exit(asked ? 0 : 2);
}

static long
num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if(*s == 0 || *end != 0 || v < lo || v > hi){
		fprintf(stderr, "llambo-styx: bad number %s (want %ld to %ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static void
limit(StyxLimits *l, int c, const char *arg)
{
	switch(c){
	case 'c': l->max_conns = (int)num(arg, 1, 100000); break;
	case 'f': l->max_fids = (int)num(arg, 4, 1000000); break;
	case 'p': l->max_pending = (int)num(arg, 1, 100000); break;
	case 'g': l->max_running = (int)num(arg, 1, 10000); break;
	case 'k': l->kv_budget = num(arg, 1, 1L << 30) << 20; break;
	case 'L': l->max_loads = (int)num(arg, 1, 1000); break;
	case 'N': l->max_models = (int)num(arg, 1, 256); break;
	case 'G': l->max_gens = (int)num(arg, 1, 10000); break;
	case 'C': l->max_clones = (int)num(arg, 1, 256); break;
	case 'R': l->max_reserved = (int)num(arg, 1, 256); break;
	case 'n': l->max_tokens = (int)num(arg, 1, 1000000); break;
	case 's': l->max_request = (size_t)num(arg, 16, 1L << 30); break;
	case 'o': l->max_output = (size_t)num(arg, 16, 1L << 30); break;
	case 't': l->gen_threads = (int)num(arg, 0, 1024); break;
	case 'M': l->max_msize = (uint32_t)num(arg, 8216, 1024 * 1024); break;
	case 'w': l->write_timeout = (int)num(arg, 1, 86400); break;
	case 'T': l->handshake_timeout = (int)num(arg, 1, 86400); break;
	case 'S': l->max_sessions = (int)num(arg, 1, 100000); break;
	case 'e': l->max_conn_sessions = (int)num(arg, 1, 100000); break;
	case 'H': l->max_history = (size_t)num(arg, 16, 1L << 30); break;
	case 'x': l->session_ctx = (int)num(arg, 0, 1 << 20); break;
	case 'B': l->model_budget = num(arg, 1, 1L << 30) << 20; break;
	case 'I': l->idle_reclaim = (int)num(arg, 0, 1 << 30); break;
	default: usage(0);
	}
}

static void
fatal(void)
{
	fprintf(stderr, "llambo-styx: %s\n", lb_errstr());
	exit(1);
}

static void *
waitconn(void *arg)
{
	styx_srv_wait(arg);
	kill(getpid(), SIGUSR1);	/* main's sigwait: the connection has ended */
	return NULL;
}

/* The -i mode: one connection on stdin/stdout; SIGUSR1 comes when stdin ends. */
static void
serve_stdio(StyxSrv *s)
{
	/* 9P owns stdout now: anything else printed goes to stderr */
	int wfd = dup(1);
	pthread_t t;

	dup2(2, 1);
	if(wfd < 0 || styx_srv_serve(s, 0, wfd) < 0)
		fatal();
	if(pthread_create(&t, NULL, waitconn, s) != 0){
		lb_err("cannot start a thread");
		fatal();
	}
	pthread_detach(t);
}

/* Takes -ctk and -ctv (llama.cpp's multi-letter flags, which getopt cannot read) out of argv, setting the KV cache's types. */
static int
kv_flags(int argc, char **argv)
{
	int i, n = 1, k;

	for(i = 1; i < argc; i++){
		const char *a = argv[i];
		if(strcmp(a, "-ctk") != 0 && strcmp(a, "-ctv") != 0 && strcmp(a, "--cache-type-k") != 0
		&& strcmp(a, "--cache-type-v") != 0){
			argv[n++] = argv[i];
			continue;
		}
		if(i + 1 == argc)
			usage(0);
		k = strcmp(a, "-ctk") == 0 || strcmp(a, "--cache-type-k") == 0;
		if(llambo_set_kv_types(k ? argv[i + 1] : NULL, k ? NULL : argv[i + 1]) < 0){
			fprintf(stderr, "llambo-styx: %s %s: %s\n", a, argv[i + 1], llambo_last_error());
			exit(2);
		}
		i++;
	}
	argv[n] = NULL;
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { { "any-path", no_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *addrs[MAXADDRS], *preload[MAXPRELOAD];
	int naddrs = 0, npreload = 0, stdio = 0, c, i, id, sig;
	StyxConfig cfg;
	StyxSrv *s;
	sigset_t set;

	styx_default_config(&cfg);
	argc = kv_flags(argc, argv);
	while((c = getopt_long(argc, argv, "ha:im:OPrl:Dc:f:p:g:k:L:N:G:C:R:n:s:o:t:M:w:T:S:e:H:x:B:I:", longopts, NULL)) != -1){
		switch(c){
		case 'a': if(naddrs == MAXADDRS) usage(0); addrs[naddrs++] = optarg; break;
		case 'i': stdio = 1; break;
		case 'm': if(cfg.ndirs == STYX_MAXDIRS) usage(0); cfg.dirs[cfg.ndirs++] = optarg; break;
		case 'P': cfg.anypath = 1; break;
		case 'r': cfg.readonly = 1; break;
		case 'O': cfg.autoload = 1; break;
		case 'l': if(npreload == MAXPRELOAD) usage(0); preload[npreload++] = optarg; break;
		case 'D': cfg.trace = 1; break;
		case 'h': usage(1); break;
		default: limit(&cfg.lim, c, optarg); break;
		}
	}
	if(optind != argc)
		usage(0);
	if(naddrs == 0 && !stdio)
		addrs[naddrs++] = "tcp!127.0.0.1!9999";
	signal(SIGPIPE, SIG_IGN);
	/* a SIGTERM ignored by whoever started us would be discarded, not queued for sigwait: kill must stop the server */
	signal(SIGTERM, SIG_DFL);
	/* blocked in every thread the server starts; main waits for them below */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if((s = styx_srv_new(&cfg)) == NULL)
		fatal();
	for(i = 0; i < npreload; i++){
		if((id = styx_srv_load(s, preload[i], 1, 0)) < 0)
			fatal();
		fprintf(stderr, "llambo-styx: model %d: %s\n", id, preload[i]);
	}
	for(i = 0; i < naddrs; i++){
		if(styx_srv_listen(s, addrs[i]) < 0)
			fatal();
		fprintf(stderr, "llambo-styx: serving 9P2000 on %s\n", addrs[i]);
	}
	if(stdio)
		serve_stdio(s);
	sigwait(&set, &sig);
	if(sig != SIGUSR1)
		fprintf(stderr, "llambo-styx: signal %d: stopping\n", sig);
	styx_srv_free(s);
	return 0;
}
