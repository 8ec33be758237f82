// bench.h: the two imports of the Sightglass benchmark protocol. The host
// records the time between bench_start() and bench_end() as the execute
// phase; both are [] -> [] functions of the module "bench".
#ifndef BENCH_H
#define BENCH_H
__attribute__((import_module("bench"), import_name("start"))) void bench_start(void);
__attribute__((import_module("bench"), import_name("end"))) void bench_end(void);
#endif
