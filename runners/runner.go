package runners

import (
	"context"
	"errors"
	"fmt"
)

// Runner adapts one wasm runtime to the harness. It lives inside a worker
// process; Serve does all the timing around its methods (the Sightglass
// boundary: create, compile, instantiate, execute, free).
type Runner interface {
	// Name is the runtime's name as it appears in results: "wazero".
	Name() string
	// Version is the runtime's version, e.g. "v1.12.0".
	Version() string
	// Tiers lists every tier the runtime knows, available or not.
	Tiers() []TierInfo
	// NewEngine creates the runtime for a tier (the "init" phase).
	NewEngine(ctx context.Context, cfg EngineConfig) (Engine, error)
}

// EngineConfig configures one engine.
type EngineConfig struct {
	Tier           string
	MaxMemoryBytes int64 // 0: runtime default
	// ArtifactDir is where an AOT tier's artifact is written by Prepare and
	// read by Load.
	ArtifactDir string
	// Target, when set, is what Prepare compiles for (Job.Target). An
	// engine that cannot compile for it fails NewEngine or Prepare with
	// KindUnsupported, saying why.
	Target *Target
}

// Engine is a runtime configured for one tier.
type Engine interface {
	// Compile turns wasm bytes into an executable module (the "compile"
	// phase). On an AOT tier it loads the prepared artifact instead (the
	// "load" phase) and returns an error wrapping ErrNotPrepared when
	// there is none; Loads reports which of the two it does.
	Compile(ctx context.Context, src Source) (Module, error)
	// Loads is true when Compile loads an ahead-of-time artifact.
	Loads() bool
	Close(ctx context.Context) error
}

// Preparer is implemented by engines whose tier has an ahead-of-time
// artifact: Prepare compiles src and writes the artifact into
// EngineConfig.ArtifactDir, returning its path and size.
type Preparer interface {
	Prepare(ctx context.Context, src Source) (path string, size int64, err error)
}

// Targeter is implemented by engines whose artifact is machine code
// (TierInfo.MachineCode): Target is what Prepare compiled for, with the
// features its compiler was allowed to use.
type Targeter interface {
	Target() *Target
}

// Source is a module to compile.
type Source struct {
	Name string // human name for messages
	Path string // on disk
	Wasm []byte // its bytes
}

// Module is a compiled module.
type Module interface {
	// Instantiate links imports (WASI preview1, and bench.start/bench.end
	// when the module imports them) and creates an instance without
	// running _start.
	Instantiate(ctx context.Context, io IO) (Instance, error)
	Close(ctx context.Context) error
}

// Instance is one instance of a module.
type Instance interface {
	// Run calls _start and returns the guest's exit code (0 when _start
	// returned normally). A trap is an error, an exit code is not.
	Run(ctx context.Context) (exitCode int, err error)
	// Func returns a callable for an exported function of type [] -> [].
	Func(name string) (func(ctx context.Context) error, error)
	Close(ctx context.Context) error
}

// IO is the guest's environment for one instance. Stdout and stderr go to
// files because some runtimes (wasmtime-go) can only write WASI output to a
// file.
type IO struct {
	Args       []string // argv, including argv[0]
	Env        map[string]string
	StdinPath  string // "" for an empty stdin
	StdoutPath string
	StderrPath string
	Dirs       []Preopen
	// BenchStart and BenchEnd, when non-nil, back the imports bench.start
	// and bench.end ([] -> []) of Sightglass-style modules.
	BenchStart func()
	BenchEnd   func()
	// MaxOutputBytes is the job's output limit. Serve enforces it on the
	// files (RLIMIT_FSIZE during Run); a runner that writes StdoutPath and
	// StderrPath itself after buffering the guest's output must not keep
	// more than MaxOutputBytes+1 of either in memory.
	MaxOutputBytes int64
}

// ErrorKind classifies why a job failed; the orchestrator branches on it.
type ErrorKind string

const (
	KindCompile     ErrorKind = "compile"     // not a valid module, or the runtime rejected it
	KindUnsupported ErrorKind = "unsupported" // a missing import or feature (named in Message)
	KindTrap        ErrorKind = "trap"        // the guest trapped
	KindExit        ErrorKind = "exit"        // the guest exited non-zero
	KindTimeout     ErrorKind = "timeout"     // an execution exceeded Job.TimeoutNS
	KindMemory      ErrorKind = "memory"      // the guest exceeded the memory cap
	KindNotPrepared ErrorKind = "not_prepared"
	KindBadJob      ErrorKind = "bad_job"      // the job itself is wrong (unknown tier, missing file)
	KindCrash       ErrorKind = "crash"        // the worker died (orchestrator-side)
	KindOutput      ErrorKind = "output"       // the guest's output is not the expected one (orchestrator-side)
	KindOutputLimit ErrorKind = "output_limit" // the guest wrote more than Job.MaxOutputBytes to stdout or stderr
	KindInternal    ErrorKind = "internal"
)

// Error is a classified failure. It travels in EventError.
type Error struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
	// Stderr is the guest's (or, for KindCrash, the worker's) stderr tail.
	Stderr string `json:"stderr,omitempty"`
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Message }

// Errorf returns an *Error of the given kind.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// ErrNotPrepared is wrapped by Engine.Compile on an AOT tier with no artifact.
var ErrNotPrepared = errors.New("no ahead-of-time artifact: run the prepare step first")

// Classify turns any error into an *Error, keeping a kind already set and
// defaulting to def.
func Classify(err error, def ErrorKind) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrNotPrepared) {
		return &Error{Kind: KindNotPrepared, Message: err.Error()}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Message: err.Error()}
	}
	return &Error{Kind: def, Message: err.Error()}
}
