// Package workloads holds the built-in benchmark programs — fib, primes and
// image, each in several source languages — with their committed .wasm
// builds (embedded), inputs, parameters and the oracle each output is
// verified against.
package workloads
