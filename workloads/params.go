package workloads

// PrimesDefault is the primes workload's default upper bound, chosen so the
// native C build takes about half a second on the reference machine
// (2-core x86_64; see RATIONALE.md for the measurement).
const PrimesDefault = 5_000_000
