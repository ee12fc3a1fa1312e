/* bench.h - llambo-9p bench: the 9P server's numbers, measured in one process. */
#ifndef LLAMBO_9P_BENCH_H
#define LLAMBO_9P_BENCH_H

int bench_main(int argc, char **argv);

#endif
