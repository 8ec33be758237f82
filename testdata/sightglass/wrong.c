// wrong: prints three lines; wrong.stdout.expected deliberately disagrees
// on the second one, so the harness must report the cell as a failure
// with the first differing line, never as verified samples.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -o wrong.wasm wrong.c && wasm-strip wrong.wasm
#include <stdio.h>

#include "bench.h"

int main(void) {
	bench_start();
	int x = 6 * 7;
	bench_end();
	printf("first line\nanswer %d\nlast line\n", x);
	return 0;
}
