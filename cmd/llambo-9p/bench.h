/* bench.h - llambo-9p bench: the 9P server's numbers, measured in one process. */
#ifndef LLAMBO_9P_BENCH_H
#define LLAMBO_9P_BENCH_H

#include "../../src/styx/client.h"

int bench_main(int argc, char **argv);

/* bench.c */
double now(void);	/* seconds, monotonic */
double percentile(double *v, int n, double pct);	/* sorts v */
_Noreturn void die(const char *what);	/* the reason in lb_err, then exit 1 */

/* clients.c: N clients at once through 9P against the in-process server at addr. */
typedef struct ClientsBench {
	const char *addr, *data, *prompt;
	int id;	/* the model */
	int ntok, runs;
} ClientsBench;
void clients_bench(const ClientsBench *b, int n);	/* prints "clients N aggregate ..." */

/* session.c: a session's next turn with its cache kept and after "ctl uncache" (history: tokens of system prompt). */
void session_bench(StyxClient *c, int id, int history, int ntok, int runs);

#endif
