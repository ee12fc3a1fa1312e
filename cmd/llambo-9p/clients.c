/*
 * clients.c - llambo-9p bench -c: N clients generating at once, each on its
 * own 9P connection and thread, all asking for the same number of tokens
 * (ignore_eos=1) at the same moment.  One line per N:
 *
 *	clients N aggregate X t/s per-client Y t/s first-byte P50 A ms P99 B ms
 *
 * aggregate: the tokens the model generated in the round over the round's
 * wall time; per-client: each client's tokens over its own time from request
 * to end of text, averaged; first byte: from the write of the request to the
 * first byte of text (percentiles over every client of every run).  Then the
 * scheduler's steps, to set beside the engine's (llambo bench -B N):
 *
 *	scheduler clients N steps S of M ms cpu C ms
 *
 * S: the round's steps (the median over the runs), M: the round's wall time
 * over them, C: the process's CPU time over them (every thread's: the
 * scheduler's, the server's and the clients'; beside llambo bench -B N's cpu,
 * what serving adds, in a measure others' load on the machine moves less).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../include/llambo.h"
#include "../../src/styx/client.h"
#include "bench.h"
#include "../../src/util/clock.h"

typedef struct Client {
	const char *addr, *data;
	char req[256];
	pthread_barrier_t *go;
	double start, first, end;
} Client;

static void *
client(void *arg)
{
	Client *k = arg;
	StyxClient *c = styxc_dial(k->addr);
	char buf[8192];
	uint64_t off = 0;
	long n;
	int fid = -1;

	if(c == NULL || (fid = styxc_open(c, k->data, STYX_ORDWR)) < 0)
		die(k->data);
	pthread_barrier_wait(k->go);
	k->start = now();
	if(styxc_write(c, fid, 0, k->req, strlen(k->req)) < 0)
		die("write the request");
	while((n = styxc_read(c, fid, off, buf, sizeof buf)) > 0){
		if(off == 0)
			k->first = now();
		off += (uint64_t)n;
	}
	if(n < 0)
		die("read the text");
	k->end = now();
	styxc_clunk(c, fid);
	styxc_close(c);
	return NULL;
}

/*
 * One round of n clients: the aggregate rate; first-byte times (ms) appended to fb, the mean per-client rate
 * in *perclient, the scheduler's steps in *steps, its time a step in *stepms and the process's CPU time a step in *stepcpu.
 */
static double
round_of(const ClientsBench *b, int n, double *fb, int *nfb, double *perclient, double *steps, double *stepms, double *stepcpu)
{
	pthread_t *th = calloc((size_t)n, sizeof *th);
	Client *k = calloc((size_t)n, sizeof *k);
	pthread_barrier_t go;
	llambo_status s0, s1;
	double t0 = 0, t1 = 0, sum = 0, c0, c1;
	int i;

	if(th == NULL || k == NULL)
		die("out of memory");
	pthread_barrier_init(&go, NULL, (unsigned)n);
	llambo_model_status(b->id, &s0);
	c0 = lb_cpu_ms();
	for(i = 0; i < n; i++){
		k[i].addr = b->addr;
		k[i].data = b->data;
		k[i].go = &go;
		snprintf(k[i].req, sizeof k[i].req, "%s %d|%d|0|ignore_eos=1", b->prompt, i, b->ntok);
		pthread_create(&th[i], NULL, client, &k[i]);
	}
	for(i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	llambo_model_status(b->id, &s1);
	c1 = lb_cpu_ms();
	for(i = 0; i < n; i++){
		t0 = i == 0 || k[i].start < t0 ? k[i].start : t0;
		t1 = i == 0 || k[i].end > t1 ? k[i].end : t1;
		fb[(*nfb)++] = (k[i].first - k[i].start) * 1e3;
		sum += b->ntok / (k[i].end - k[i].start);
	}
	*perclient = sum / n;
	*steps = (double)(s1.steps - s0.steps);
	*stepms = *steps > 0 ? (t1 - t0) * 1e3 / *steps : 0;
	*stepcpu = *steps > 0 ? (c1 - c0) / *steps : 0;
	pthread_barrier_destroy(&go);
	free(th);
	free(k);
	return (double)(s1.tokens_generated - s0.tokens_generated) / (t1 - t0);
}

void
clients_bench(const ClientsBench *b, int n)
{
	double *fb = calloc((size_t)n * b->runs, sizeof *fb), *agg = calloc((size_t)b->runs, sizeof *agg);
	double *pc = calloc((size_t)b->runs, sizeof *pc), *st = calloc((size_t)b->runs, sizeof *st);
	double *sms = calloc((size_t)b->runs, sizeof *sms), *scpu = calloc((size_t)b->runs, sizeof *scpu);
	int r, nfb = 0;

	if(fb == NULL || agg == NULL || pc == NULL || st == NULL || sms == NULL || scpu == NULL)
		die("out of memory");
	for(r = 0; r < b->runs; r++)
		agg[r] = round_of(b, n, fb, &nfb, &pc[r], &st[r], &sms[r], &scpu[r]);
	printf("clients %d aggregate %.1f t/s per-client %.1f t/s first-byte P50 %.0f ms P99 %.0f ms\n", n,
		percentile(agg, b->runs, 50), percentile(pc, b->runs, 50), percentile(fb, nfb, 50), percentile(fb, nfb, 99));
	printf("scheduler clients %d steps %.0f of %.2f ms cpu %.2f ms\n", n, percentile(st, b->runs, 50), percentile(sms, b->runs, 50),
		percentile(scpu, b->runs, 50));
	fflush(stdout);
	free(fb);
	free(agg);
	free(pc);
	free(st);
	free(sms);
	free(scpu);
}
