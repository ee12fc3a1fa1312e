/*
 * clock.h - times in ms, as doubles (rates, step and first-byte times):
 * one definition for the engine, the server and the commands.
 */
#ifndef LB_CLOCK_H
#define LB_CLOCK_H

#include <time.h>

/* ms on a monotonic clock. */
static inline double
lb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The CPU time of every thread of the process, ms: beside a wall time on a shared machine. */
static inline double
lb_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
