/*
 * bench.c - the 9P server's numbers, in one process over a real loopback
 * socket:
 *
 *  1. time from writing a request to the first byte read through 9P, next to
 *     the time to the first piece of the same generation through the C API;
 *  2. small reads (models/N/status at offset 0) per second with 1 and 16
 *     connections, each its own thread;
 *  3. with -c: N clients generating at once (clients.c).
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../include/llambo.h"
#include "../../src/styx/client.h"
#include "../../src/styx/srv.h"
#include "../../src/util/error.h"
#include "bench.h"

enum { MAXRUNS = 100, MAXCONNS = 16 };

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
percentile(double *v, int n, double pct)
{
	double at;
	int i;

	qsort(v, (size_t)n, sizeof *v, cmpd);
	at = pct / 100 * (n - 1);
	i = (int)at;
	return i + 1 < n ? v[i] + (at - i) * (v[i + 1] - v[i]) : v[n - 1];
}

static double
median(double *v, int n)
{
	return percentile(v, n, 50);
}

_Noreturn void
die(const char *what)
{
	fprintf(stderr, "llambo-9p bench: %s: %s\n", what, lb_errstr());
	exit(1);
}

static int
firstpiece(const char *piece, size_t len, void *arg)
{
	double *t = arg;

	(void)piece;
	(void)len;
	if(*t == 0)
		*t = now();
	return 0;
}

/* Seconds to the first piece through the C API (greedy, n tokens). */
static double
capi_first(int id, const char *prompt, int n)
{
	llambo_params p;
	double t0, first = 0;
	char *text;

	llambo_default_params(&p);
	p.max_tokens = n;
	p.temperature = 0;
	p.on_token = firstpiece;
	p.cb_arg = &first;
	t0 = now();
	if((text = llambo_generate(id, prompt, &p, NULL)) == NULL)
		die("llambo_generate");
	llambo_free(text);
	return first - t0;
}

/* Seconds from the write of the request to the first byte read through 9P. */
static double
styx_first(StyxClient *c, const char *data, const char *req)
{
	char buf[8192];
	double t0, first;
	uint64_t off;
	long k;
	int fid = styxc_open(c, data, STYX_ORDWR);

	if(fid < 0)
		die(data);
	t0 = now();
	if(styxc_write(c, fid, 0, req, strlen(req)) < 0 || (k = styxc_read(c, fid, 0, buf, sizeof buf)) <= 0)
		die("generation through 9P");
	first = now() - t0;
	for(off = (uint64_t)k; (k = styxc_read(c, fid, off, buf, sizeof buf)) > 0; off += (uint64_t)k)
		;
	styxc_clunk(c, fid);
	return first;
}

typedef struct Reader {
	const char *addr, *status;
	double until;
	long reads;
} Reader;

static void *
reader(void *arg)
{
	Reader *r = arg;
	StyxClient *c = styxc_dial(r->addr);
	char buf[1024];
	int fid;

	if(c == NULL || (fid = styxc_open(c, r->status, STYX_OREAD)) < 0)
		die(r->status);
	while(now() < r->until){
		if(styxc_read(c, fid, 0, buf, sizeof buf) <= 0)
			die("read status");
		r->reads++;
	}
	styxc_close(c);
	return NULL;
}

/* Reads of status per second over n connections for seconds. */
static double
status_rate(const char *addr, const char *status, int n, double seconds)
{
	pthread_t th[MAXCONNS];
	Reader r[MAXCONNS];
	double t0 = now();
	long total = 0;
	int i;

	for(i = 0; i < n; i++){
		r[i] = (Reader){ addr, status, t0 + seconds, 0 };
		pthread_create(&th[i], NULL, reader, &r[i]);
	}
	for(i = 0; i < n; i++){
		pthread_join(th[i], NULL);
		total += r[i].reads;
	}
	return total / (now() - t0);
}

static int
loadmodel(StyxClient *c, const char *path)
{
	char cmd[PATH_MAX + 16], list[4096];
	long n;
	int fid, id = -1;

	snprintf(cmd, sizeof cmd, "load %s", path);
	if((fid = styxc_open(c, "ctl", STYX_ORDWR)) < 0 || styxc_write(c, fid, 0, cmd, strlen(cmd)) < 0)
		die(cmd);
	if((n = styxc_read(c, fid, 0, list, sizeof list - 1)) <= 0)
		die("ctl");
	list[n] = 0;
	sscanf(list, "%d", &id);
	styxc_clunk(c, fid);
	return id;
}

/* -c 1,2,4,8,16: N clients at once for each N; then the process's peak memory beside the model's and the cache's. */
static int
concurrent(const char *list, ClientsBench *b, const char *real)
{
	llambo_status st;
	struct rusage ru;
	struct stat sb;
	const char *p;
	int n;

	for(p = list; *p != 0; p += strspn(p, ",")){
		n = atoi(p);
		if(n < 1 || n > 256){
			fprintf(stderr, "llambo-9p bench: -c wants client counts from 1 to 256, as 1,2,4,8,16\n");
			return 2;
		}
		clients_bench(b, n);
		p += strspn(p, "0123456789");
	}
	getrusage(RUSAGE_SELF, &ru);
	llambo_model_status(b->id, &st);
	stat(real, &sb);
	printf("peak RSS %.0f MiB (model file %.0f MiB, KV cache budget %.0f MiB)\n", ru.ru_maxrss / 1024.0,
		sb.st_size / 1048576.0, st.kv_budget / 1048576.0);
	return 0;
}

/* -H's server: -m a scratch directory, where its sessions are saved, and the model's. */
static int
savedir(StyxConfig *cfg, const char *model, char dirs[2][PATH_MAX])
{
	char *slash;

	snprintf(dirs[0], PATH_MAX, "/tmp/llambo-bench-XXXXXX");
	snprintf(dirs[1], PATH_MAX, "%s", model);
	if((slash = strrchr(dirs[1], '/')) != NULL)
		*slash = 0;
	if(mkdtemp(dirs[0]) == NULL)
		return -1;
	cfg->ndirs = 2;
	cfg->dirs[0] = dirs[0];
	cfg->dirs[1] = dirs[1];
	return 0;
}

int
bench_main(int argc, char **argv)
{
	const char *model = getenv("LLAMBO_MODEL"), *prompt = "Once upon a time", *clients = NULL;
	double tc[MAXRUNS], t9[MAXRUNS], seconds = 2;
	char addr[64], data[64], status[64], req[256], real[PATH_MAX], dirs[2][PATH_MAX];
	int ntok = 32, runs = 10, rset = 0, history = 0, c, i, id;
	StyxConfig cfg;
	StyxClient *cl;
	StyxSrv *s;

	if(model == NULL || model[0] == 0)
		model = "../shared/models/aidreams260K.gguf";
	styx_default_config(&cfg);
	while((c = getopt(argc, argv, "m:n:r:s:p:c:t:k:H:")) != -1){
		switch(c){
		case 'm': model = optarg; break;
		case 'n': ntok = atoi(optarg); break;
		case 'r': runs = atoi(optarg); rset = 1; break;
		case 's': seconds = atof(optarg); break;
		case 'p': prompt = optarg; break;
		case 'c': clients = optarg; break;
		case 't': cfg.lim.gen_threads = atoi(optarg); break;
		case 'k': cfg.lim.kv_budget = atoll(optarg) << 20; break;
		case 'H': history = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: llambo-9p bench [-m model] [-n tokens] [-r runs] [-s seconds] [-p prompt]\n"
				"                       [-c 1,2,4,8,16] [-t threads] [-k KV MiB] [-H history tokens]\n");
			return 2;
		}
	}
	if((clients != NULL || history > 0) && !rset)
		runs = clients != NULL ? 1 : 3;
	if(runs < 1 || runs > MAXRUNS || ntok < 1 || seconds <= 0 || cfg.lim.gen_threads < 0 || cfg.lim.kv_budget < 0
	|| strlen(prompt) > 200 || history < 0 || history > 1000000 || realpath(model, real) == NULL){
		fprintf(stderr, "llambo-9p bench: bad arguments (model %s, 1 to %d runs)\n", model, MAXRUNS);
		return 2;
	}
	cfg.lim.max_tokens = ntok > cfg.lim.max_tokens ? ntok : cfg.lim.max_tokens;
	if(history > 0 && savedir(&cfg, real, dirs) < 0)
		die("mkdtemp");
	if((s = styx_srv_new(&cfg)) == NULL || styx_srv_listen(s, "tcp!127.0.0.1!0") < 0)
		die("server");
	snprintf(addr, sizeof addr, "tcp!127.0.0.1!%d", styx_srv_port(s));
	if((cl = styxc_dial(addr)) == NULL || (id = loadmodel(cl, real)) < 0)
		die(addr);
	snprintf(data, sizeof data, "models/%d/data", id);
	snprintf(status, sizeof status, "models/%d/status", id);
	snprintf(req, sizeof req, "%s|%d|0", prompt, ntok);
	capi_first(id, prompt, ntok);	/* warm the caches once */
	if(history > 0){
		printf("model %s, %d tokens per turn, %d threads\n", real, ntok, cfg.lim.gen_threads);
		session_bench(cl, id, history, ntok, runs);
		styxc_close(cl);
		styx_srv_free(s);
		strcat(dirs[0], "/bench-history");	/* mkdtemp's name is short */
		unlink(dirs[0]);
		*strrchr(dirs[0], '/') = 0;
		rmdir(dirs[0]);
		return 0;
	}
	if(clients != NULL){
		ClientsBench b = { addr, data, prompt, id, ntok, runs };
		printf("model %s, %d tokens per client, %d threads, %d run%s per count\n", real, ntok,
			cfg.lim.gen_threads, runs, runs > 1 ? "s" : "");
		c = concurrent(clients, &b, real);
		styxc_close(cl);
		styx_srv_free(s);
		return c;
	}
	for(i = 0; i < runs; i++){
		tc[i] = capi_first(id, prompt, ntok);
		t9[i] = styx_first(cl, data, req);
	}
	printf("model %s, prompt \"%s\", %d tokens, %d runs\n", real, prompt, ntok, runs);
	printf("first byte: C API %.3f ms, 9P %.3f ms (medians; 9P adds %.3f ms)\n",
		median(tc, runs) * 1e3, median(t9, runs) * 1e3, (median(t9, runs) - median(tc, runs)) * 1e3);
	printf("status reads/s: 1 connection %.0f, 16 connections %.0f\n",
		status_rate(addr, status, 1, seconds), status_rate(addr, status, 16, seconds));
	styxc_close(cl);
	styx_srv_free(s);
	return 0;
}
