// Command fib is the fib workload in Go: it prints fibonacci(argv[1])
// computed by naive recursion.
package main
