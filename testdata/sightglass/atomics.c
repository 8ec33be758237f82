// atomics: adds 0..9 into a C11 atomic counter; built with -matomics the
// adds are wasm atomic read-modify-write instructions (the threads
// proposal), which a runtime without threads must reject, naming them.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -matomics -o atomics.wasm atomics.c && wasm-strip atomics.wasm
#include <stdatomic.h>
#include <stdio.h>

#include "bench.h"

static _Atomic int counter;

int main(void) {
	bench_start();
	for (int i = 0; i < 10; i++) {
		atomic_fetch_add(&counter, i);
	}
	bench_end();
	printf("counter %d\n", atomic_load(&counter));
	return 0;
}
