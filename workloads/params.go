package workloads

// PrimesDefault is the primes workload's default upper bound, chosen so the
// native C build takes about half a second on the reference machine
// (2-core x86_64, clang 14 -O2: 0.49 s of CPU time for 348513 primes; the
// Go and Rust builds take the same within 5%). Its Quick value, an eighth of
// it, takes about 20 ms.
const PrimesDefault = 5_000_000
