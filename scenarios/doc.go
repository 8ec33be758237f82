// Package scenarios holds the stories bench reproduces as small text
// files — the question, the matrix, the environment and how the verdict is
// formed — and parses them: the shipped ones are embedded, and a user's
// own file is read the same way, its errors naming the file and line.
//
// A scenario file is one "key: value" per line; a line whose first
// non-blank character is '#' is a comment, and blank lines are skipped:
//
//	name: precompile
//	question: At 128 MB with Lambda's 3 s timeout, ...?
//	runtimes: wasmer, wasmtime, wazero
//	tiers: jit, aot
//	workloads: fib
//	langs: go
//	param: fib=20
//	targets: lambda-local
//	memory: 128
//	function-timeout: 3s
//	compare: tier jit vs aot
//	verdict: limit
//
// Keys lists every key with what it takes. bench run --scenario fills
// its options from a Scenario (internal/cli); the report computes the
// verdict from the run's records (report/scenario.go).
package scenarios
