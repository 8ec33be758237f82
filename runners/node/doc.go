// Package node runs wasm modules on Node.js (V8) through a worker script,
// worker.mjs, embedded here and started by Command with the V8 flags of
// one tier.
//
// worker.mjs speaks the JSON-lines protocol of runners/protocol.go by hand,
// with the same phases, events and error kinds as the Go workers'
// runners.Serve, and runs WASI preview1 guests through node:wasi. It also
// exports hello and runJob for the Node.js-hosted Lambda handler
// (lambda.mjs); its stdin loop runs only when it is node's entry script.
//
// Tiers. V8's compiler flags are fixed per process, so a worker serves the
// one tier its flags select and answers a job for another tier with
// KindBadJob. baseline is --liftoff-only (Liftoff, no tier-up: in V8 11
// --liftoff --no-wasm-tier-up does not stop dynamic tier-up to TurboFan),
// jit is --no-liftoff (TurboFan only), tiered is V8's default. aot is
// listed as unavailable: Node.js 20 has no way to save compiled wasm code
// (v8.serialize of a WebAssembly.Module writes only a header that
// v8.deserialize rejects; a startup snapshot has no WebAssembly).
//
// Phases. The hello's start time is taken at the top of the script, so
// spawn includes Node's bootstrap and init is almost nothing (it applies
// the job's memory cap). compile is reading the file plus the synchronous
// new WebAssembly.Module, which decodes and validates every function but,
// with V8 11's default lazy compilation, generates code for a function
// only at its first call: that code generation lands in the first execute.
//
// Timeouts. A guest runs synchronously on the worker's only JavaScript
// thread, so no JavaScript timer can fire while it runs. When a job has a
// timeout, the worker runs the guest inside a node:vm script with the
// timeout option: node's watchdog thread then calls V8's
// TerminateExecution, which stops wasm code at its next loop or call check;
// the worker reports KindTimeout and serves the next job in the same
// process. The watchdog costs one native thread per
// execution (tens of microseconds, outside the timed execute region). Running each
// execution in a worker_threads Worker instead would add a Node.js
// environment's start-up (tens of milliseconds) to every execution. A guest
// blocked inside one host call (a long poll_oneoff sleep) is stopped only
// when the call returns, or by the orchestrator killing the worker.
//
// Fast API calls. The worker turns off V8's fast API calls
// (--no-turbo-fast-api-calls, set at run time before any wasm is compiled):
// Node.js 20's WASI functions are fast calls from wasm, and uvwasi's
// allocator can start a garbage collection inside one, which aborted the
// process (or corrupted its heap) on the Go image workload in every tier.
// The guest's WASI calls then take V8's ordinary API path; the image
// workload makes under a hundred of them.
//
// Memory cap. Job.MaxMemoryBytes sets V8's --wasm-max-mem-pages at run
// time, before the module is instantiated: a memory whose declared minimum
// is over it fails to instantiate (KindMemory), and memory.grow past it
// returns -1, after which a guest that traps or exits non-zero with its
// memory within 1/16 of the cap (or an out-of-memory message on stderr) is
// reported as KindMemory, as in the wasmtime runner.
//
// Sandbox. node:wasi is no sandbox: it refuses a link whose text leads
// out of a preopen, but follows links to folders wherever they lead. The
// orchestrator runs a local worker whose job has a preopened folder inside
// bubblewrap (runners/confine); there the hello carries exec_unix_nano
// (performance.timeOrigin) for the sandbox phase. lambda.mjs, which has no
// bubblewrap, refuses the guest's path_symlink instead (job
// refuse_symlinks), its package holding no links.
package node
