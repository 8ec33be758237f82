package runners

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/results"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	events, err := protocolOut()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-%s: %v\n", r.Name(), err)
		return 1
	}
	return Serve(context.Background(), r, os.Stdin, events, os.Stderr)
}

// protocolOut moves the event stream off file descriptor 1: events go to
// a duplicate of it (closed on exec), and fd 1 then points at /dev/null.
// Nothing a runtime or a guest writes to fd 1 can break the protocol, and
// a runner may point fd 1 at a guest's stdout file while the guest runs
// (wasmer does), without the watchdog's events landing there.
func protocolOut() (*os.File, error) {
	fd, err := syscall.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("duplicate the event stream (fd 1): %w", err)
	}
	syscall.CloseOnExec(fd)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	if err := syscall.Dup3(int(null.Fd()), 1, 0); err != nil {
		return nil, fmt.Errorf("point fd 1 at %s: %w", os.DevNull, err)
	}
	return os.NewFile(uintptr(fd), "events"), nil
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

// maxMessage bounds an error's message and stderr in an event, so that
// every event line stays far below the client's limit (MaxEventLine).
const maxMessage = 64 << 10

func (e *emitter) emit(ev Event) {
	if ev.Error != nil && (len(ev.Error.Message) > maxMessage || len(ev.Error.Stderr) > maxMessage) {
		c := *ev.Error
		if len(c.Message) > maxMessage {
			c.Message = c.Message[:maxMessage] + fmt.Sprintf("... (truncated: %d bytes in all)", len(c.Message))
		}
		if len(c.Stderr) > maxMessage {
			c.Stderr = c.Stderr[len(c.Stderr)-maxMessage:]
		}
		ev.Error = &c
	}
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
	if job.MaxOutputBytes < 0 {
		return Errorf(KindBadJob, "negative output limit %d", job.MaxOutputBytes)
	}
	scratch := job.IODir
	if scratch == "" {
		dir, err := NewIODir("")
		if err != nil {
			return fmt.Errorf("scratch dir: %w", err)
		}
		defer os.RemoveAll(dir)
		scratch = dir
	} else if st, err := os.Stat(scratch); err != nil || !st.IsDir() {
		return Errorf(KindBadJob, "I/O folder %s: not a folder", scratch)
	}

	if job.Target != nil && job.Op != OpPrepare {
		return Errorf(KindBadJob, "a target is for the prepare step only, not %s", job.Op)
	}
	cfg := EngineConfig{Tier: job.Tier, MaxMemoryBytes: job.MaxMemoryBytes, ArtifactDir: job.ArtifactDir, Target: job.Target}
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
		t, targets := eng.(Targeter)
		if job.Target != nil && !targets {
			return Errorf(KindUnsupported, "%s tier %s cannot compile for a target (%s): its artifact is not machine code for one CPU",
				w.r.Name(), job.Tier, job.Target)
		}
		path, size, err := p.Prepare(ctx, src)
		if err != nil {
			return wrap(err, KindCompile, "%s: prepare %s", w.r.Name(), job.Module.Name)
		}
		ev := Event{Type: EventArtifact, Job: job.ID, ArtifactPath: path, ArtifactBytes: size}
		if targets {
			ev.Target = t.Target()
		}
		w.em.emit(ev)
		return nil
	}
	warmSetup := job.Op != OpCold
	w.phase(job, results.PhaseInit, 0, warmSetup, dInit)

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
	compilePhase := results.PhaseCompile
	if eng.Loads() {
		compilePhase = results.PhaseLoad
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
	case OpSoak:
		return w.soak(ctx, job, mod, scratch)
	default:
		return Errorf(KindBadJob, "unknown op %q (want prepare, cold, warm, callcost or soak)", job.Op)
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
// and execute phases and the output. The guest's stdout and stderr go to
// files in dir, capped at the job's output limit by the kernel
// (RLIMIT_FSIZE), and are read back in pieces: a guest printing gigabytes
// costs the worker no memory.
func (w *worker) execute(ctx context.Context, job Job, mod Module, dir string, iter int, warm bool) error {
	base := filepath.Join(dir, fileSafe(job.ID)+"-"+strconv.Itoa(iter))
	stdout, stderr := base+".stdout", base+".stderr"
	for _, p := range []string{stdout, stderr} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return fmt.Errorf("scratch file: %w", err)
		}
	}
	keepFile := job.KeepStdout && job.IODir != ""
	defer func() {
		if !keepFile {
			os.Remove(stdout)
		}
		os.Remove(stderr)
	}()
	limit := job.MaxOutputBytes
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	var benchStart, benchEnd time.Time
	io := IO{
		Args: append([]string{job.Module.Name}, job.Args...), Env: job.Env,
		StdinPath: job.StdinPath, StdoutPath: stdout, StderrPath: stderr, Dirs: job.Dirs,
		BenchStart:     func() { benchStart = time.Now() },
		BenchEnd:       func() { benchEnd = time.Now() },
		MaxOutputBytes: limit,
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
			select {
			case <-done:
			case <-time.After(limit + WatchdogGrace(limit)):
				w.em.emit(Event{Type: EventError, Job: job.ID, Error: Errorf(KindTimeout,
					"execution exceeded %v and %s cannot interrupt it: worker exited", limit, w.r.Name())})
				w.exit(3)
			}
		}()
	}
	restore := limitFileSize(limit + 1)
	t0 = time.Now()
	code, err := inst.Run(runCtx)
	dExec := time.Since(t0)
	restore()
	if e := overOutputLimit(stdout, stderr, limit); e != nil {
		e.Message = fmt.Sprintf("%s: run %s: %s", w.r.Name(), job.Module.Name, e.Message)
		e.Stderr = tail(stderr)
		return e
	}
	if err != nil {
		def := KindTrap
		if runCtx.Err() != nil {
			def = KindTimeout
		}
		e := wrap(err, def, "%s: run %s", w.r.Name(), job.Module.Name)
		e.Stderr = tail(stderr)
		return e
	}
	w.phase(job, results.PhaseInstantiate, iter, warm, dInst)
	if !benchStart.IsZero() && !benchEnd.IsZero() {
		w.phase(job, results.PhaseExecute, iter, warm, benchEnd.Sub(benchStart))
		w.phase(job, results.PhaseExecuteAll, iter, warm, dExec)
	} else {
		w.phase(job, results.PhaseExecute, iter, warm, dExec)
	}
	out, err := ReadOutput(stdout, stderr)
	if err != nil {
		return err
	}
	out.ExitCode = code
	switch {
	case keepFile:
		out.StdoutPath = stdout
	case job.KeepStdout && out.StdoutBytes <= KeepStdoutMax:
		if out.Stdout, err = os.ReadFile(stdout); err != nil {
			return fmt.Errorf("read guest stdout: %w", err)
		}
	}
	w.em.emit(Event{Type: EventOutput, Job: job.ID, Iteration: iter, Warmup: warm, Output: out})
	if code != 0 {
		return &Error{Kind: KindExit, Message: fmt.Sprintf("%s exited with code %d", job.Module.Name, code), Stderr: out.Stderr}
	}
	return nil
}

// fileSafe keeps the letters, digits, '.', '_' and '-' of a job ID, for a
// file name.
func fileSafe(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || len(b) > 64 {
		return "job"
	}
	return string(b)
}

// WatchdogGrace is how long past its time limit the worker lets a guest
// its runtime cannot interrupt run before it reports the timeout and
// exits; the client waits a little longer than that (see client.Client.Await).
func WatchdogGrace(limit time.Duration) time.Duration { return limit/10 + 2*time.Second }

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
		w.em.emit(Event{Type: EventPhase, Job: job.ID, Phase: results.PhaseCall, Iteration: b, Warmup: b < job.Warmup,
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
func PeakRSS() int64 { return procStatusBytes("VmHWM:") }

// RSS is this process's resident set now (VmRSS) in bytes, or 0.
func RSS() int64 { return procStatusBytes("VmRSS:") }

// procStatusBytes reads a kB field of /proc/self/status, in bytes.
func procStatusBytes(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// ReadOutput hashes a finished execution's stdout file as it reads it, in
// pieces, and keeps the head of stdout and the tail of stderr that a human
// needs.
func ReadOutput(stdoutPath, stderrPath string) (*Output, error) {
	out := &Output{}
	h := sha256.New()
	head := &headWriter{max: HeadMax}
	f, err := os.Open(stdoutPath)
	switch {
	case err == nil:
		n, err := io.Copy(io.MultiWriter(h, head), f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read guest stdout: %w", err)
		}
		out.StdoutBytes = n
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read guest stdout: %w", err)
	}
	out.StdoutSHA256 = hex.EncodeToString(h.Sum(nil))
	out.StdoutHead = string(head.b)
	out.Stderr, out.StderrBytes = tailSize(stderrPath, TailMax)
	return out, nil
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	max int
	b   []byte
}

func (h *headWriter) Write(p []byte) (int, error) {
	if n := h.max - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// tail returns the last TailMax bytes of a file, or "".
func tail(path string) string {
	s, _ := tailSize(path, TailMax)
	return s
}

// tailSize returns the last n bytes of a file (read from there, not
// whole) and the file's size.
func tailSize(path string, n int64) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	k, _ := f.ReadAt(b, off)
	return string(b[:k]), st.Size()
}

// overOutputLimit returns a KindOutputLimit error when the guest wrote
// more than limit bytes to stdout or stderr: the files are capped at
// limit+1 bytes, so one byte more is the sign.
func overOutputLimit(stdoutPath, stderrPath string, limit int64) *Error {
	for _, f := range []struct{ path, name string }{{stdoutPath, "stdout"}, {stderrPath, "stderr"}} {
		st, err := os.Stat(f.path)
		if err != nil || st.Size() <= limit {
			continue
		}
		return Errorf(KindOutputLimit, "the guest wrote more than %s to %s in one execution: over the output limit "+
			"(raise it with bench run --max-output; the default is %s)", SizeText(limit), f.name, SizeText(DefaultMaxOutput))
	}
	return nil
}

// SizeText is "64 MiB", "1.5 KiB" or "100 bytes": a byte count as the
// worker and its client write it in messages.
func SizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
	case n >= 1<<10:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<10)), ".0") + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}
