// primes: prints the count of primes <= N + "\n" for N = os.Args[1]
// (decimal), testing each odd candidate by trial division with odd divisors
// up to its square root (uint32 arithmetic). A WASI command; the same source
// is the native build.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -o primes.wasm .
//	go build -trimpath -buildvcs=false -o ../../../bin/native/primes-go .

package main

import (
	"os"
	"strconv"
)

func countPrimes(n uint32) uint32 {
	if n < 2 {
		return 0
	}
	count := uint32(1) // 2
	for i := uint32(3); i <= n; i += 2 {
		prime := uint32(1)
		for d := uint32(3); d*d <= i; d += 2 {
			if i%d == 0 {
				prime = 0
				break
			}
		}
		count += prime
	}
	return count
}

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: primes N\n")
		os.Exit(2)
	}
	n, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil || n > 1_000_000_000 {
		os.Stderr.WriteString("primes: N must be a decimal from 0 to 1000000000, not " + os.Args[1] + "\n")
		os.Exit(2)
	}
	os.Stdout.WriteString(strconv.FormatUint(uint64(countPrimes(uint32(n))), 10) + "\n")
}
