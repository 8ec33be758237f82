package conformance

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// WorkerEnv, set to "1", turns a runner's test binary into its worker.
const WorkerEnv = "BENCH_TEST_WORKER"

// ServeIfWorker makes a Go runner's test binary double as its worker. Call
// it first in TestMain: when the binary was started by SelfCommand it
// serves the worker protocol with r and exits; otherwise it returns at
// once.
func ServeIfWorker(r runners.Runner) {
	if os.Getenv(WorkerEnv) == "1" {
		os.Exit(runners.Main(r))
	}
}

// SelfCommand starts the running test binary as a worker (see
// ServeIfWorker).
func SelfCommand() client.Command {
	return client.Command{Path: os.Args[0], Env: []string{WorkerEnv + "=1"}}
}
