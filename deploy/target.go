package deploy

import (
	"context"
	"time"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// Target runs tasks somewhere. Implementations: deploy/local,
// deploy/lambdalocal, deploy/container.
type Target interface {
	// Name is the target's name in results: "local", "lambda-local", ...
	Name() string
	// Available returns nil, or an error saying why the target cannot run
	// on this machine and what to do about it.
	Available(ctx context.Context) error
	// Run executes one task. A failure of the guest, runtime or worker is
	// reported in Outcome.Err, not as an error; an error means the target
	// itself broke (and ctx's error when interrupted).
	Run(ctx context.Context, t Task) (Outcome, error)
}

// Task is one unit of scheduled work for one cell.
type Task struct {
	Cell results.Cell
	// Worker starts the runtime's worker binary (or, for Node.js, node
	// with the worker script). Serverless targets package it as the
	// bootstrap.
	Worker client.Command
	// Job is what the worker is asked to do (Op cold, warm, prepare or
	// callcost); its paths are on this machine.
	Job runners.Job
	// Process numbers the fresh process/environment within the cell.
	Process int
	// MemoryMB is the configured memory of a serverless environment.
	MemoryMB int
	// FunctionTimeout is a serverless environment's function timeout
	// (0: the target's own, Lambda's 3 s by default).
	FunctionTimeout time.Duration
	// NoCPUScaling gives a serverless environment the whole machine's
	// CPU instead of the share Lambda gives its memory size.
	NoCPUScaling bool
}

// Outcome is what a task measured.
type Outcome struct {
	// RuntimeVersion is what the worker said in its hello.
	RuntimeVersion string
	// Events are the worker's phase, output and artifact events, in order.
	Events []runners.Event
	// Spawn is exec (or environment creation) to the worker's main, and
	// Total is client-side start to result; both zero for warm tasks.
	Spawn, Total time.Duration
	// Sandbox is the part of Spawn a sandbox took (bubblewrap's set-up,
	// from exec to the worker's own process image), zero when the worker
	// ran unconfined.
	Sandbox time.Duration
	// MaxRSS is the worker's peak resident set, bytes, when known.
	MaxRSS int64
	// Extra holds target-specific samples (a Lambda REPORT's Init
	// Duration, Billed Duration, Max Memory Used; container start), with
	// Phase, Value, Unit, Cold, Iteration set; the orchestrator fills in
	// the cell and task.
	Extra []results.Record
	// Err is the task's failure, if any; events before it still count.
	Err *runners.Error
}

// Sized is implemented by targets whose environments have a memory size
// (the serverless ones): the orchestrator makes one cell per size of a
// run's memory sweep, and gives each task its cell's size; a run that
// names none uses DefaultMemoryMB.
type Sized interface {
	DefaultMemoryMB() int
}

// Closer is implemented by targets that make things while they run
// (unpacked function packages, loaded images, runc bundles): Close
// removes them. The orchestrator's caller closes every target it made
// (deploy/targets).
type Closer interface {
	Close() error
}
