package runners

import "os"

// EnvSandbox, set to "bwrap" in a worker's environment, says the worker
// runs inside bubblewrap (runners/confine). The worker then reports in
// its hello when its own process image began (Event.ExecUnixNano), so
// that the orchestrator can tell bubblewrap's part of spawn.
const EnvSandbox = "BENCH_SANDBOX"

// ExecClock is implemented by a runner that knows when its process image
// began running code (the wasmer runner's C constructor, which runs
// before the Go runtime starts).
type ExecClock interface {
	ExecUnixNano() int64
}

// execUnixNano is the hello's ExecUnixNano: 0 outside a sandbox; the
// runner's exec clock, or else the earliest instant the Go program saw
// (its runtime's start, and any dynamic loading, then count in the
// sandbox phase).
func execUnixNano(r Runner) int64 {
	if os.Getenv(EnvSandbox) == "" {
		return 0
	}
	if c, ok := r.(ExecClock); ok {
		if ns := c.ExecUnixNano(); ns > 0 {
			return ns
		}
	}
	return started.UnixNano()
}
