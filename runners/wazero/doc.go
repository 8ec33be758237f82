// Package wazero runs wasm modules on github.com/tetratelabs/wazero (pure
// Go) behind the runners.Runner interface, in three tiers: interp (the
// interpreter), jit (the optimizing compiler, compiling the whole module
// at load) and aot (the same compiler with an on-disk compilation cache
// that the prepare step fills).
//
// Only the interpreter is built with WithCloseOnContextDone(true), which
// lets a job's timeout stop a runaway guest inside the worker. In the
// compiler tiers that option makes every loop iteration of the guest call
// into Go (measured here: fib 15-20x slower), which would misstate
// wazero's speed, so they go without it: a compiled guest that overruns
// its timeout is ended by runners.Serve's watchdog, which reports
// KindTimeout and ends the worker (the tiers' Limits say so). Guests see
// the host's real clocks, sleep and crypto/rand.
//
// The memory cap (Job.MaxMemoryBytes) is enforced by an
// experimental.MemoryAllocator rather than WithMemoryLimitPages: the limit
// is the same, but the runner sees each memory.grow it refuses, so a guest
// that then traps or exits is reported as KindMemory with the size it
// asked for, not as an unexplained trap.
package wazero
