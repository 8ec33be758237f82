// trap: prints a line, then executes the unreachable instruction (a trap
// in every runtime).
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -o trap.wasm trap.c && wasm-strip trap.wasm
#include <stdio.h>

#include "bench.h"

int main(void) {
	bench_start();
	printf("about to trap\n");
	fflush(stdout);
	__builtin_trap();
	bench_end();
	return 0;
}
