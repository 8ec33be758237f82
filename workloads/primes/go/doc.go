// Command primes is the primes workload in Go: it prints the count of
// primes up to argv[1], by trial division.
package main
