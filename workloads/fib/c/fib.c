// fib: prints fibonacci(n) + "\n", computed by naive recursion on u64, for
// n = argv[1] (decimal). A WASI command; the same source is the native build.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	clang --target=wasm32-wasi -O2 -o fib.wasm fib.c && wasm-strip fib.wasm
//	clang -O2 -o ../../../bin/native/fib-c fib.c
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fib(uint32_t n) {
	if (n < 2) {
		return n;
	}
	return fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: fib N\n");
		return 2;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' || n > 93) {
		fprintf(stderr, "fib: N must be a decimal from 0 to 93, not %s\n", argv[1]);
		return 2;
	}
	printf("%" PRIu64 "\n", fib((uint32_t)n));
	return 0;
}
