// logs: writes a progress line per step to stderr and the result to
// stdout; both streams are checked against logs.stderr.expected and
// logs.stdout.expected.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -o logs.wasm logs.c && wasm-strip logs.wasm
#include <stdio.h>

#include "bench.h"

int main(void) {
	unsigned long sum = 0;
	bench_start();
	for (int step = 1; step <= 3; step++) {
		for (unsigned long i = 0; i < 100000; i++) {
			sum += i % (unsigned long)(step + 6);
		}
		fprintf(stderr, "step %d done\n", step);
	}
	bench_end();
	printf("sum %lu\n", sum);
	return 0;
}
