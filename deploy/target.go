package deploy

import (
	"context"
	"io"
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
	// Arch and Package are the environment's architecture ("x86_64",
	// "arm64") and package type ("zip", "image") on a target that offers
	// several (Varied); empty elsewhere.
	Arch, Package string
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

// Varied is implemented by targets whose environments come in several
// architectures and package types (AWS Lambda): the orchestrator makes
// one cell per architecture and package a run names (--arch, --package;
// the first of each list when it names none) and gives each task its
// cell's, as it does memory sizes for Sized targets.
type Varied interface {
	Arches() []string
	Packages() []string
}

// Concurrent is implemented by remote targets whose environments run on
// machines of their own, so that tasks of different cells may run at the
// same time without disturbing each other's measurements: Concurrency is
// how many at most. One cell's tasks stay in sequence.
type Concurrent interface {
	Concurrency() int
}

// Preparer is implemented by targets that make a cell's ahead-of-time
// artifact themselves (for the task's architecture, which may not be this
// machine's): the orchestrator gives them the cell's OpPrepare task
// instead of running it in a local process. The outcome's artifact event
// reports the artifact's size; Job.ArtifactDir is where the orchestrator
// expects it, and the target's later tasks of the cell find it there.
type Preparer interface {
	Prepare(ctx context.Context, t Task) (Outcome, error)
}

// Burster is implemented by targets that can fire invocations at one
// function at once (AWS Lambda): a burst task forces a new environment,
// then makes n concurrent invocations, and reports in Outcome.Extra each
// invocation's figures and one results.PhaseBurstColdStarts sample, the
// number that started a new environment.
type Burster interface {
	Burst(ctx context.Context, t Task, n int) (Outcome, error)
}

// DryRunner is implemented by targets whose runs cost money or make
// things elsewhere (AWS Lambda): DryRun builds what each task would
// need (one cold task per cell) and writes the plan, its sizes and its
// cost to w, and sends nothing anywhere.
type DryRunner interface {
	DryRun(ctx context.Context, tasks []Task, w io.Writer) error
}

// Noted is implemented by targets with facts every run on them must
// record (a region, the prices used): the orchestrator writes them as
// notes once the target is available.
type Noted interface {
	Notes() []string
}

// Closer is implemented by targets that make things while they run
// (unpacked function packages, loaded images, runc bundles): Close
// removes them. The orchestrator's caller closes every target it made
// (deploy/targets).
type Closer interface {
	Close() error
}
