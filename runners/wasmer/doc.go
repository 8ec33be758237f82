// Package wasmer adapts Wasmer 2.x, through github.com/wasmerio/wasmer-go
// v1.0.4 and the libwasmer.so it ships, to the bench worker interfaces.
//
// Tiers: "baseline" is the Singlepass compiler, "jit" is Cranelift, and
// "aot" loads a Cranelift artifact that the prepare step wrote with
// Module.Serialize (Compile then deserializes it: the "load" phase). All
// run on Wasmer's Universal engine; the Dylib engine shells out to gcc at
// run time and leaves files in TMPDIR, so it is not offered. The shipped
// library has no LLVM compiler, so the "llvm" tier is listed as unavailable.
//
// This package is a cgo package and lives in its own Go module: wasmtime-go
// exports the same C wasm_* symbols, and a binary linking both silently
// runs one runtime's calls on the other. Never import it next to wasmtime.
//
// What Wasmer 2.x through wasmer-go cannot do, and how this package copes:
//
//   - No interruption: a running guest cannot be stopped. Run ignores its
//     context once the guest is running; runners.Serve's watchdog reports
//     KindTimeout and ends the worker process.
//   - No memory cap API: EngineConfig.MaxMemoryBytes becomes the module's
//     declared memory maximum, written into its memory section before it
//     is compiled (memcap.go); Wasmer then refuses memory.grow past it, as
//     the spec requires. An AOT artifact is named for the capped bytes.
//   - WASI exit codes, 0 included, come back as a *wasmer.TrapError whose
//     text is "WASI exited with code: N"; Run turns that into an exit code.
//     Go-compiled guests always exit that way.
//   - Stdin and stdout can only be inherited from the worker process (or
//     stdout captured in memory, which would hold all of it), and the
//     worker's stdin is the job pipe. Run points file descriptors 0 and 1
//     at IO.StdinPath (or /dev/null) and IO.StdoutPath for the duration
//     of _start and puts them back after (the events do not use fd 1:
//     see runners.Main), so a guest never reads jobs and its stdout goes
//     straight to its file, under the output limit's RLIMIT_FSIZE.
//     Wasmer reads stdin through Rust's buffered process stdin: a guest
//     that stops reading before EOF could leave bytes in that buffer for
//     the next instance in the same process. The built-in workloads read
//     their stdin to the end. Wasmer flushes stdout after every write.
//   - Stderr is captured in memory by Wasmer; a drain goroutine moves it
//     into IO.StderrPath while the guest runs (capture.go). Fd 2 stays
//     the worker's own, where a Wasmer panic's message goes.
//   - A Go-compiled (wasip1) guest that sleeps (time.Sleep, or a runtime
//     that goes idle waiting on a timer) calls poll_oneoff with a clock,
//     which Wasmer 2.0 does not implement: it panics ("Polling not
//     implemented for clocks yet") across the C boundary and the worker
//     process aborts. The orchestrator records the crash with the worker's
//     stderr; NewEngine catches SIGABRT so that Wasmer's message, not a
//     Go goroutine dump, is what that stderr ends with. The built-in
//     workloads never sleep.
//   - A Go-compiled guest cannot open files in a preopened directory
//     (Wasmer answers "Bad file number"); C and Rust guests can.
//   - Wasmer's WASI opens any host file by absolute path, leaves a
//     preopen by "..", and aborts the process on an absolute link: a
//     path guard (guard.go) refuses such paths in front of its path
//     functions, and the orchestrator runs a worker with a preopen inside
//     bubblewrap (runners/confine) for what Wasmer resolves on the host.
//   - Every compile goes through wasmer.NewModule, which first passes the
//     bytes through Wat2Wasm (a copy for binary input): part of the
//     compile figure, small next to compiling.
package wasmer
