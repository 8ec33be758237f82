// Package confine runs a worker process inside bubblewrap (bwrap): a
// mount namespace whose root holds only what the worker needs, for the
// runtimes whose own WASI cannot keep a guest inside its preopened
// folders (node:wasi, Wasmer 2.0).
//
// The root is an empty tmpfs with, bound at their own paths: the worker's
// executable and the shared libraries it loads (as ldd lists them), any
// file its arguments name (the Node.js worker script), the job's module
// and stdin (read-only), its ahead-of-time artifact folder (read-only:
// only a prepare job, which runs no guest, writes it, and runs
// unconfined), and its preopened folders (read-write); plus /proc, a
// minimal /dev and an empty /tmp. Every namespace bwrap can unshare is
// unshared (user, IPC, PID, network, UTS, cgroup). A guest that gets past
// its runtime's WASI then finds nothing of the host's but those files.
//
// The worker learns it is confined from runners.EnvSandbox in its
// environment, and then reports when its own process image began
// (runners.Event.ExecUnixNano), from which the orchestrator computes the
// sandbox phase: bwrap's share of spawn.
package confine
