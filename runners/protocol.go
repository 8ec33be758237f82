package runners

// The worker protocol: JSON lines over the worker's stdin (jobs in) and
// stdout (events out). A worker first writes one EventHello, then answers
// each job with zero or more events and exactly one EventDone or EventError
// carrying the job's ID. It exits when its stdin reaches EOF. Anything the
// worker (not the guest) wants to say to a human goes to its stderr.
//
// Every worker speaks it: the Go workers through Serve, the Node.js worker
// (runners/node/worker.mjs) by hand. Change both together.

// Op is what a job asks a worker to do.
type Op string

const (
	// OpPrepare compiles the module and writes the tier's ahead-of-time
	// artifact into Job.ArtifactDir; the worker reports EventArtifact.
	OpPrepare Op = "prepare"
	// OpCold is one cold sample: runtime init, compile (or load the
	// artifact), instantiate and execute once, each phase reported.
	OpCold Op = "cold"
	// OpWarm compiles once, then instantiates and executes Warmup+Iterations
	// times, a fresh instance of the same compiled module each time.
	OpWarm Op = "warm"
	// OpCallCost instantiates once and calls the export Job.Export
	// (no arguments, no results) Iterations times per batch; each EventPhase
	// "call" carries the mean nanoseconds of one call over a batch.
	OpCallCost Op = "callcost"
	// OpSoak compiles once, then runs Iterations executions in the one
	// process and reports, after each, the process's resident set (an
	// EventPhase of phase results.PhaseSoakRSS, Bytes set). With Export
	// set the executions are calls of that export ([] -> []) on one live
	// instance, made once ("live-instance": state, and any memory the
	// guest grows, persists from call to call); without it each is a
	// fresh instance running _start, as OpWarm ("fresh-instance").
	OpSoak Op = "soak"
)

// Job is one unit of work for a worker.
type Job struct {
	ID   string `json:"id"`
	Op   Op     `json:"op"`
	Tier string `json:"tier"`
	// Module is the wasm file (for the native runtime: the native
	// executable) the job runs.
	Module ModuleRef `json:"module"`
	// Args are the guest's argv[1:]; argv[0] is Module.Name.
	Args []string          `json:"args,omitempty"`
	Env  map[string]string `json:"env,omitempty"`
	// StdinPath, when set, is fed to the guest as its stdin.
	StdinPath string    `json:"stdin_path,omitempty"`
	Dirs      []Preopen `json:"dirs,omitempty"`
	// Warmup and Iterations count executions for OpWarm and batches for
	// OpCallCost. Warm-up executions are reported with Warmup set.
	Warmup     int `json:"warmup,omitempty"`
	Iterations int `json:"iterations,omitempty"`
	// CallsPerBatch is how many calls one OpCallCost batch makes.
	CallsPerBatch int `json:"calls_per_batch,omitempty"`
	// TimeoutNS bounds each execution; 0 means none.
	TimeoutNS int64 `json:"timeout_ns,omitempty"`
	// MaxMemoryBytes caps the guest's linear memory where the runtime can;
	// 0 means the runtime's default.
	MaxMemoryBytes int64 `json:"max_memory_bytes,omitempty"`
	// ArtifactDir holds the tier's ahead-of-time artifact: written by
	// OpPrepare, read by OpCold and OpWarm on an AOT tier.
	ArtifactDir string `json:"artifact_dir,omitempty"`
	// Target, on OpPrepare, is the machine the artifact is compiled for:
	// an architecture and the CPU features the code may use. Without it
	// the artifact is for this machine, with every feature its CPU has. A
	// tier that cannot compile for it fails the job (KindUnsupported)
	// rather than compile for something else.
	Target *Target `json:"target,omitempty"`
	// Export is the function OpCallCost calls, and the one an OpSoak
	// with a live instance calls.
	Export string `json:"export,omitempty"`
	// KeepStdout asks the worker to keep the guest's whole stdout for the
	// orchestrator: as a file in IODir (Output.StdoutPath) when IODir is
	// set, else inline (Output.Stdout) when it is at most KeepStdoutMax
	// bytes. Without it only the hash, size and head travel.
	KeepStdout bool `json:"keep_stdout,omitempty"`
	// IODir is the folder, made and removed by the orchestrator, where the
	// worker writes each execution's stdout and stderr files. A worker
	// given none makes a temporary folder of its own (IOPrefix) and
	// removes it when the job ends.
	IODir string `json:"io_dir,omitempty"`
	// MaxOutputBytes bounds what the guest may write to stdout, and to
	// stderr, in one execution; a write past it fails and the execution
	// fails with KindOutputLimit. 0 means DefaultMaxOutput.
	MaxOutputBytes int64 `json:"max_output_bytes,omitempty"`
}

// Invocations is how many invocations a serverless target makes of one
// environment for the job: Warmup+Iterations for a warm job, Iterations
// for a soak, one otherwise.
func (j Job) Invocations() int {
	switch j.Op {
	case OpWarm:
		return j.Warmup + j.Iterations
	case OpSoak:
		return j.Iterations
	}
	return 1
}

// DefaultMaxOutput is the output limit of a job that sets none.
const DefaultMaxOutput = 64 << 20

// KeepStdoutMax bounds a stdout returned inline (Output.Stdout): an event
// is one line of JSON and stays small.
const KeepStdoutMax = 1 << 20

// MaxEventLine bounds one event line. Events are small (an inline stdout
// is at most KeepStdoutMax); a longer line means a broken worker, which
// the client kills rather than read without end.
const MaxEventLine = 4 << 20

// HeadMax is the size of Output.StdoutHead, and TailMax that of
// Output.Stderr.
const (
	HeadMax = 256
	TailMax = 4096
)

// IOPrefix starts the name of every temporary I/O folder bench and its
// workers make: IOPrefix + "<pid>-" + random, so that a later run can
// remove the folders of processes that died (client.RemoveStaleIODirs).
const IOPrefix = "bench-io-"

// ModuleRef names a module on disk.
type ModuleRef struct {
	Name string `json:"name"` // human name, e.g. "fib.c.wasm"; the guest's argv[0]
	Path string `json:"path"`
}

// Preopen maps a host directory into the guest's file system.
type Preopen struct {
	Host  string `json:"host"`
	Guest string `json:"guest"`
}

// EventType says what an Event carries.
type EventType string

const (
	EventHello    EventType = "hello"    // Runtime, Version, Tiers, StartUnixNano
	EventPhase    EventType = "phase"    // Phase, Iteration, Warmup, NS (Bytes for a phase in bytes)
	EventOutput   EventType = "output"   // Iteration, Warmup, Output
	EventArtifact EventType = "artifact" // ArtifactBytes, ArtifactPath, Target
	EventDone     EventType = "done"     // the job finished
	EventError    EventType = "error"    // the job failed: Error
)

// Event is one line a worker writes.
type Event struct {
	Type EventType `json:"type"`
	Job  string    `json:"job,omitempty"`

	// EventHello
	Runtime       string     `json:"runtime,omitempty"`
	Version       string     `json:"version,omitempty"`
	Tiers         []TierInfo `json:"tiers,omitempty"`
	StartUnixNano int64      `json:"start_unix_nano,omitempty"`
	// ExecUnixNano, set by a worker running in a sandbox (EnvSandbox), is
	// when its own process image began, after the sandbox's set-up.
	ExecUnixNano int64 `json:"exec_unix_nano,omitempty"`
	PID          int   `json:"pid,omitempty"`

	// EventPhase and EventOutput
	Phase     string  `json:"phase,omitempty"`
	Iteration int     `json:"iteration,omitempty"`
	Warmup    bool    `json:"warmup,omitempty"`
	NS        float64 `json:"ns,omitempty"`
	Output    *Output `json:"output,omitempty"`
	// Bytes is the value of a phase measured in bytes (results.PhaseSoakRSS).
	Bytes int64 `json:"bytes,omitempty"`

	// EventArtifact
	ArtifactBytes int64  `json:"artifact_bytes,omitempty"`
	ArtifactPath  string `json:"artifact_path,omitempty"`
	// Target is what the artifact was compiled for, on a tier whose
	// artifact is machine code (TierInfo.MachineCode): the architecture
	// and the CPU features the compiler was allowed to use.
	Target *Target `json:"target,omitempty"`

	// EventError
	Error *Error `json:"error,omitempty"`

	// EventDone and EventError: the worker's own peak resident set so
	// far (VmHWM), bytes. The OS's rusage cannot give it: a Go parent
	// starts children with vfork, so their ru_maxrss includes the
	// parent's memory from before exec.
	MaxRSS int64 `json:"max_rss,omitempty"`
}

// Output is what one execution of the guest produced. The worker streams
// the guest's stdout and stderr to files and reads them back in pieces:
// no output travels whole in an event, and none is ever whole in memory.
type Output struct {
	ExitCode     int    `json:"exit_code"`
	StdoutSHA256 string `json:"stdout_sha256"`
	StdoutBytes  int64  `json:"stdout_bytes"`
	// StdoutHead is the first HeadMax bytes of stdout, for messages.
	StdoutHead string `json:"stdout_head,omitempty"`
	// StdoutPath is the file holding the whole stdout, when Job.KeepStdout
	// and Job.IODir were set; it lies in IODir.
	StdoutPath string `json:"stdout_path,omitempty"`
	// Stdout is the whole stdout when Job.KeepStdout was set without
	// Job.IODir (a serverless target) and it is at most KeepStdoutMax.
	Stdout []byte `json:"stdout,omitempty"`
	// Stderr is the last TailMax bytes of the guest's stderr.
	Stderr      string `json:"stderr,omitempty"`
	StderrBytes int64  `json:"stderr_bytes,omitempty"`
}

// TierInfo describes one tier a runtime offers, or why it cannot.
type TierInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Unavailable, when set, says why the tier cannot run here.
	Unavailable string `json:"unavailable,omitempty"`
	// Limits lists what the tier cannot enforce, e.g. "no memory cap".
	Limits []string `json:"limits,omitempty"`
	// Prepared is true when the tier needs OpPrepare first.
	Prepared bool `json:"prepared,omitempty"`
	// MachineCode is true when the prepared artifact is machine code for
	// one CPU: OpPrepare takes a Job.Target, and an artifact made without
	// one may use CPU features other machines lack.
	MachineCode bool `json:"machine_code,omitempty"`
	// MemoryCap says how the tier applies Job.MaxMemoryBytes: "" when the
	// guest's linear memory is capped (by the runtime, or by the runner
	// for it), MemoryCapProcess when the whole process running the guest
	// is capped instead, MemoryCapNone when the cap is not applied.
	MemoryCap string `json:"memory_cap,omitempty"`
}

// TierInfo.MemoryCap values.
const (
	// MemoryCapProcess: the process that runs the guest has its data
	// segment capped (RLIMIT_DATA), not the guest's linear memory alone
	// (the native runner's child process).
	MemoryCapProcess = "process"
	// MemoryCapNone: the cap is not applied at all.
	MemoryCapNone = "none"
)
