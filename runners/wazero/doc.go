// Package wazero runs wasm modules on github.com/tetratelabs/wazero (pure
// Go) behind the runners.Runner interface, in three tiers: interp (the
// interpreter), jit (the optimizing compiler, compiling the whole module
// at load) and aot (the same compiler with an on-disk compilation cache
// that the prepare step fills).
//
// No tier is built with WithCloseOnContextDone(true), the option that
// lets a context deadline stop a running guest: measured here, it makes
// the compiler's code call into Go on every loop iteration (fib 15-20x
// slower) and makes every call from the host start a goroutine (a no-op
// call 35 ns -> 1-2 us, in both engines), which would misstate wazero's
// speed. A guest that overruns its timeout is ended instead by
// runners.Serve's watchdog, which reports KindTimeout and ends the worker
// (the tiers' Limits say so); a cold sample has a worker of its own
// anyway. Guests see the host's real clocks, sleep and crypto/rand.
//
// The memory cap (Job.MaxMemoryBytes) is enforced by an
// experimental.MemoryAllocator rather than WithMemoryLimitPages: the limit
// is the same, but the runner sees each memory.grow it refuses, so a guest
// that then traps or exits is reported as KindMemory with the size it
// asked for, not as an unexplained trap.
//
// Preopened folders are not wazero's DirFS, which lets the kernel follow
// a link out of the folder, but rootFS (rootfs.go): a file system over
// Go's os.Root that follows a link only while it stays inside.
package wazero
