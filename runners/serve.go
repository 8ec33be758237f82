package runners

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// started is taken as early as a Go program can: before main runs. The
// orchestrator subtracts its own clock before exec from it to get the
// spawn phase.
var started = time.Now()

// Main is the whole of a Go worker's main: os.Exit(runners.Main(r)).
func Main(r Runner) int {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-version", "--version", "version":
			fmt.Printf("%s %s\n", r.Name(), r.Version())
			return 0
		default:
			fmt.Fprintf(os.Stderr, "bench-%s is a bench worker: it reads jobs as JSON lines on stdin.\n"+
				"Run it through the orchestrator: bench run --runtime %s\n", r.Name(), r.Name())
			return 2
		}
	}
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" && lambdaMain != nil {
		return lambdaMain(r)
	}
	return Serve(context.Background(), r, os.Stdin, os.Stdout, os.Stderr)
}

// lambdaMain, when set (by the Lambda bootstrap support), serves the Lambda
// Runtime API instead of the stdin protocol.
var lambdaMain func(Runner) int

// Serve runs the worker protocol until in reaches EOF and returns the
// process exit code.
func Serve(ctx context.Context, r Runner, in io.Reader, out, errw io.Writer) int {
	w := &worker{r: r, em: &emitter{w: out}, errw: errw, exit: os.Exit}
	w.em.emit(Event{Type: EventHello, Runtime: r.Name(), Version: r.Version(), Tiers: r.Tiers(),
		StartUnixNano: started.UnixNano(), ExecUnixNano: execUnixNano(r), PID: os.Getpid()})
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var job Job
		if err := json.Unmarshal(sc.Bytes(), &job); err != nil {
			w.em.emit(Event{Type: EventError, Error: Errorf(KindBadJob, "cannot decode job: %v", err)})
			continue
		}
		if err := w.do(ctx, job); err != nil {
			w.em.emit(Event{Type: EventError, Job: job.ID, Error: Classify(err, KindInternal), MaxRSS: PeakRSS()})
		} else {
			w.em.emit(Event{Type: EventDone, Job: job.ID, MaxRSS: PeakRSS()})
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(errw, "%s worker: reading jobs: %v\n", r.Name(), err)
		return 1
	}
	return 0
}

// emitter writes events as JSON lines; safe for the watchdog goroutine.
type emitter struct {
	mu sync.Mutex
	w  io.Writer
}

func (e *emitter) emit(ev Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		b, _ = json.Marshal(Event{Type: EventError, Job: ev.Job, Error: Errorf(KindInternal, "encode event: %v", err)})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(append(b, '\n'))
}

type worker struct {
	r    Runner
	em   *emitter
	errw io.Writer
	exit func(int)
}

func (w *worker) tier(name string) (TierInfo, error) {
	var names []string
	for _, t := range w.r.Tiers() {
		if t.Name == name {
			if t.Unavailable != "" {
				return t, Errorf(KindUnsupported, "%s tier %q is unavailable: %s", w.r.Name(), name, t.Unavailable)
			}
			return t, nil
		}
		names = append(names, t.Name)
	}
	return TierInfo{}, Errorf(KindBadJob, "%s has no tier %q (tiers: %v)", w.r.Name(), name, names)
}

func (w *worker) phase(job Job, name string, iter int, warm bool, d time.Duration) {
	w.em.emit(Event{Type: EventPhase, Job: job.ID, Phase: name, Iteration: iter, Warmup: warm, NS: float64(d.Nanoseconds())})
}

func (w *worker) do(ctx context.Context, job Job) error {
	if _, err := w.tier(job.Tier); err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "bench-io-")
	if err != nil {
		return fmt.Errorf("scratch dir: %w", err)
	}
	defer os.RemoveAll(scratch)

	cfg := EngineConfig{Tier: job.Tier, MaxMemoryBytes: job.MaxMemoryBytes, ArtifactDir: job.ArtifactDir}
	t0 := time.Now()
	eng, err := w.r.NewEngine(ctx, cfg)
	if err != nil {
		return wrap(err, KindInternal, "%s: init tier %s", w.r.Name(), job.Tier)
	}
	dInit := time.Since(t0)
	defer eng.Close(ctx)

	if job.Op == OpPrepare {
		p, ok := eng.(Preparer)
		if !ok {
			return Errorf(KindBadJob, "%s tier %s has no ahead-of-time artifact to prepare", w.r.Name(), job.Tier)
		}
		src, err := readSource(job.Module)
		if err != nil {
			return err
		}
		path, size, err := p.Prepare(ctx, src)
		if err != nil {
			return wrap(err, KindCompile, "%s: prepare %s", w.r.Name(), job.Module.Name)
		}
		w.em.emit(Event{Type: EventArtifact, Job: job.ID, ArtifactPath: path, ArtifactBytes: size})
		return nil
	}
	warmSetup := job.Op != OpCold
	w.phase(job, PhaseInit, 0, warmSetup, dInit)

	t0 = time.Now()
	src, err := readSource(job.Module)
	if err != nil {
		return err
	}
	mod, err := eng.Compile(ctx, src)
	if err != nil {
		verb := "compile"
		if eng.Loads() {
			verb = "load artifact for"
		}
		return wrap(err, KindCompile, "%s: %s %s", w.r.Name(), verb, job.Module.Name)
	}
	dCompile := time.Since(t0)
	defer mod.Close(ctx)
	compilePhase := PhaseCompile
	if eng.Loads() {
		compilePhase = PhaseLoad
	}
	w.phase(job, compilePhase, 0, warmSetup, dCompile)

	switch job.Op {
	case OpCold:
		return w.execute(ctx, job, mod, scratch, 0, false)
	case OpWarm:
		n := job.Warmup + job.Iterations
		if n <= 0 {
			return Errorf(KindBadJob, "warm job with no iterations")
		}
		for i := 0; i < n; i++ {
			if err := w.execute(ctx, job, mod, scratch, i, i < job.Warmup); err != nil {
				return err
			}
		}
		return nil
	case OpCallCost:
		return w.callCost(ctx, job, mod, scratch)
	default:
		return Errorf(KindBadJob, "unknown op %q (want prepare, cold, warm or callcost)", job.Op)
	}
}

func readSource(m ModuleRef) (Source, error) {
	b, err := os.ReadFile(m.Path)
	if err != nil {
		return Source{}, Errorf(KindBadJob, "read module %s: %v", m.Name, err)
	}
	return Source{Name: m.Name, Path: m.Path, Wasm: b}, nil
}

// execute instantiates mod and runs _start once, reporting the instantiate
// and execute phases and the output.
func (w *worker) execute(ctx context.Context, job Job, mod Module, scratch string, iter int, warm bool) error {
	stdout := filepath.Join(scratch, "stdout")
	stderr := filepath.Join(scratch, "stderr")
	for _, p := range []string{stdout, stderr} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return fmt.Errorf("scratch file: %w", err)
		}
	}
	var benchStart, benchEnd time.Time
	io := IO{
		Args: append([]string{job.Module.Name}, job.Args...), Env: job.Env,
		StdinPath: job.StdinPath, StdoutPath: stdout, StderrPath: stderr, Dirs: job.Dirs,
		BenchStart: func() { benchStart = time.Now() },
		BenchEnd:   func() { benchEnd = time.Now() },
	}
	t0 := time.Now()
	inst, err := mod.Instantiate(ctx, io)
	if err != nil {
		e := wrap(err, KindUnsupported, "%s: instantiate %s", w.r.Name(), job.Module.Name)
		e.Stderr = tail(stderr)
		return e
	}
	dInst := time.Since(t0)
	defer inst.Close(ctx)

	runCtx := ctx
	if job.TimeoutNS > 0 {
		var cancel context.CancelFunc
		limit := time.Duration(job.TimeoutNS)
		runCtx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
		// A runtime that cannot interrupt its guest gets a grace period,
		// then the worker reports the timeout and exits.
		done := make(chan struct{})
		defer close(done)
		go func() {
			grace := limit/10 + 2*time.Second
			select {
			case <-done:
			case <-time.After(limit + grace):
				w.em.emit(Event{Type: EventError, Job: job.ID, Error: Errorf(KindTimeout,
					"execution exceeded %v and %s cannot interrupt it: worker exited", limit, w.r.Name())})
				w.exit(3)
			}
		}()
	}
	t0 = time.Now()
	code, err := inst.Run(runCtx)
	dExec := time.Since(t0)
	if err != nil {
		def := KindTrap
		if runCtx.Err() != nil {
			def = KindTimeout
		}
		e := wrap(err, def, "%s: run %s", w.r.Name(), job.Module.Name)
		e.Stderr = tail(stderr)
		return e
	}
	w.phase(job, PhaseInstantiate, iter, warm, dInst)
	if !benchStart.IsZero() && !benchEnd.IsZero() {
		w.phase(job, PhaseExecute, iter, warm, benchEnd.Sub(benchStart))
		w.phase(job, PhaseExecuteAll, iter, warm, dExec)
	} else {
		w.phase(job, PhaseExecute, iter, warm, dExec)
	}
	out, err := ReadOutput(stdout, stderr, job.KeepStdout)
	if err != nil {
		return err
	}
	out.ExitCode = code
	w.em.emit(Event{Type: EventOutput, Job: job.ID, Iteration: iter, Warmup: warm, Output: out})
	if code != 0 {
		return &Error{Kind: KindExit, Message: fmt.Sprintf("%s exited with code %d", job.Module.Name, code), Stderr: out.Stderr}
	}
	return nil
}

func (w *worker) callCost(ctx context.Context, job Job, mod Module, scratch string) error {
	name := job.Export
	if name == "" {
		name = "noop"
	}
	calls := job.CallsPerBatch
	if calls <= 0 {
		calls = 10000
	}
	inst, err := mod.Instantiate(ctx, IO{Args: []string{job.Module.Name},
		StdoutPath: filepath.Join(scratch, "stdout"), StderrPath: filepath.Join(scratch, "stderr")})
	if err != nil {
		return wrap(err, KindUnsupported, "%s: instantiate %s", w.r.Name(), job.Module.Name)
	}
	defer inst.Close(ctx)
	f, err := inst.Func(name)
	if err != nil {
		return wrap(err, KindUnsupported, "%s: export %q of %s", w.r.Name(), name, job.Module.Name)
	}
	for b := 0; b < job.Warmup+job.Iterations; b++ {
		t0 := time.Now()
		for i := 0; i < calls; i++ {
			if err := f(ctx); err != nil {
				return wrap(err, KindTrap, "%s: call %s", w.r.Name(), name)
			}
		}
		d := time.Since(t0)
		w.em.emit(Event{Type: EventPhase, Job: job.ID, Phase: PhaseCall, Iteration: b, Warmup: b < job.Warmup,
			NS: float64(d.Nanoseconds()) / float64(calls)})
	}
	return nil
}

// wrap classifies err, keeping a kind the runner already set, and
// prefixes its message with what the worker was doing ("wazero: compile
// fib.c.wasm: ...") — also when the runner returned an *Error, whose
// message Classify alone would pass on without that context.
func wrap(err error, def ErrorKind, format string, args ...any) *Error {
	e := *Classify(err, def)
	e.Message = fmt.Sprintf(format, args...) + ": " + e.Message
	return &e
}

// PeakRSS is this process's peak resident set (VmHWM) in bytes, or 0.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// ReadOutput hashes a finished execution's stdout file and keeps the heads
// and tails a human needs.
func ReadOutput(stdoutPath, stderrPath string, keep bool) (*Output, error) {
	b, err := os.ReadFile(stdoutPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read guest stdout: %w", err)
	}
	sum := sha256.Sum256(b)
	out := &Output{StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(len(b)), Stderr: tail(stderrPath)}
	head := b
	if len(head) > 256 {
		head = head[:256]
	}
	out.StdoutHead = string(head)
	if keep {
		out.Stdout = b
	}
	return out, nil
}

// tail returns the last 4 KiB of a file, or "".
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}
