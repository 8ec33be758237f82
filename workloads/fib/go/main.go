// fib: prints fibonacci(n) + "\n", computed by naive recursion on
// uint64, for n = os.Args[1] (decimal). A WASI command; the same source is
// the native build.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -o fib.wasm .
//	go build -trimpath -buildvcs=false -o ../../../bin/native/fib-go .

package main

import (
	"os"
	"strconv"
)

func fib(n uint32) uint64 {
	if n < 2 {
		return uint64(n)
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: fib N\n")
		os.Exit(2)
	}
	n, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil || n > 93 {
		os.Stderr.WriteString("fib: N must be a decimal from 0 to 93, not " + os.Args[1] + "\n")
		os.Exit(2)
	}
	os.Stdout.WriteString(strconv.FormatUint(fib(uint32(n)), 10) + "\n")
}
