// checksum: reads input.txt from its working directory (the benchmark
// folder, preopened as "."), or the file argv[1] names ("-": stdin),
// counts its lines and words outside the measured region, then, between
// bench.start and bench.end, folds the bytes into an FNV-1a hash 2000
// times; prints the counts and the hash.
//
// Built (from this folder) by `make custom-testdata`:
//
//	clang --target=wasm32-wasi -O2 -o checksum.wasm checksum.c && wasm-strip checksum.wasm
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

int main(int argc, char **argv) {
	const char *name = argc > 1 ? argv[1] : "input.txt";
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (f == NULL) {
		fprintf(stderr, "checksum: open %s: %s\n", name, strerror(errno));
		return 1;
	}
	static unsigned char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	if (f != stdin) {
		fclose(f);
	}
	int lines = 0, words = 0, inword = 0;
	for (size_t i = 0; i < n; i++) {
		int space = buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t';
		lines += buf[i] == '\n';
		words += !space && !inword;
		inword = !space;
	}
	// Unmeasured work before the region, so that execute_all clearly
	// exceeds execute.
	volatile uint32_t spin = 0;
	for (uint32_t i = 0; i < 2000000; i++) {
		spin += i;
	}
	bench_start();
	uint32_t h = 2166136261u;
	for (int r = 0; r < 2000; r++) {
		for (size_t i = 0; i < n; i++) {
			h = (h ^ buf[i]) * 16777619u;
		}
	}
	bench_end();
	printf("lines %d\nwords %d\nbytes %zu\nfnv1a %08x\n", lines, words, n, (unsigned)h);
	return 0;
}
