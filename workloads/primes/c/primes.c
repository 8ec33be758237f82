// primes: prints the count of primes <= N + "\n" for N = argv[1] (decimal),
// testing each odd candidate by trial division with odd divisors up to its
// square root (u32 arithmetic). A WASI command; the same source is the
// native build.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	clang --target=wasm32-wasi -O2 -o primes.wasm primes.c && wasm-strip primes.wasm
//	clang -O2 -o ../../../bin/native/primes-c primes.c
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t count_primes(uint32_t n) {
	if (n < 2) {
		return 0;
	}
	uint32_t count = 1; // 2
	for (uint32_t i = 3; i <= n; i += 2) {
		int prime = 1;
		for (uint32_t d = 3; d * d <= i; d += 2) {
			if (i % d == 0) {
				prime = 0;
				break;
			}
		}
		count += prime;
	}
	return count;
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: primes N\n");
		return 2;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' || n > 1000000000) {
		fprintf(stderr, "primes: N must be a decimal from 0 to 1000000000, not %s\n", argv[1]);
		return 2;
	}
	printf("%" PRIu32 "\n", count_primes((uint32_t)n));
	return 0;
}
