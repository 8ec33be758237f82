package lambdalocal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/deploy/pricing"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/internal/target"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// Extra phases the serverless targets record (Outcome.Extra), from each
// invocation's REPORT in ns and bytes, and from the launcher.
const (
	PhaseInitDuration   = "init_duration"   // REPORT Init Duration: launch to the runtime's first /next
	PhaseDuration       = "duration"        // REPORT Duration: event handed over to response
	PhaseBilledDuration = "billed_duration" // REPORT Billed Duration (INIT included when cold)
	PhaseMaxMemoryUsed  = "max_memory_used" // REPORT Max Memory Used, bytes (the measured peak, not rounded)
	PhasePrice          = "price"           // USD the invocation would cost on Lambda x86_64 (pricing.Default)
)

// Options configures the lambda-local target (and the container targets
// built on it).
type Options struct {
	// Name is the target's name in results; "lambda-local" when empty.
	Name string
	// Launcher starts environments; local processes when nil.
	Launcher Launcher
	// Prepare, when set, is called once for each new function package
	// with the folder it was unpacked into and its files (a container
	// target builds and loads its image there); it returns the package's
	// kind ("image") and size in bytes. When nil the package is the zip.
	Prepare func(ctx context.Context, dir string, files []pkg.File) (kind string, size int64, err error)
	// MemoryMB is the function's memory size when a task names none;
	// 1024 when zero (see DefaultMemoryMB).
	MemoryMB int
	// InitTimeout bounds an environment's init; Lambda's 10 s when zero.
	InitTimeout time.Duration
	// WorkDir holds the unpacked packages; a temporary folder when empty.
	WorkDir string
	// Log, when set, receives the functions' logs and REPORT lines.
	Log io.Writer
}

// DefaultMemoryMB is the memory size of a task that names none. Lambda's
// own default is 128 MB, in which an optimizing compiler compiling a
// 2-4 MB Go-built module does not fit; 1024 MB fits every runtime here.
const DefaultMemoryMB = 1024

// NoTimeout is the invocation timeout of a job with none: Lambda's maximum.
const NoTimeout = 15 * time.Minute

// Target is the lambda-local target: each task's worker, packaged as a
// Lambda function (bootstrap, module, artifact, input), runs under a Host.
type Target struct {
	opts    Options
	mu      sync.Mutex
	workDir string
	pkgs    map[string]*function
}

var _ target.Target = (*Target)(nil)

// New returns the lambda-local target.
func New(opts Options) *Target {
	if opts.Name == "" {
		opts.Name = "lambda-local"
	}
	if opts.Launcher == nil {
		opts.Launcher = Process{}
	}
	if opts.MemoryMB == 0 {
		opts.MemoryMB = DefaultMemoryMB
	}
	return &Target{opts: opts, pkgs: map[string]*function{}}
}

// Name implements target.Target.
func (t *Target) Name() string { return t.opts.Name }

// Available implements target.Target: local processes can always run; the
// memory size is enforced by a cgroup when this machine allows one, else
// by a resource limit (MemoryEnforcement says which).
func (t *Target) Available(context.Context) error { return nil }

// MemoryEnforcement says how this target enforces a function's memory.
func (t *Target) MemoryEnforcement() string {
	h := &Host{cfg: Config{Launcher: t.opts.Launcher}}
	h.memMode, h.memWhy = memoryMode()
	return h.MemoryEnforcement()
}

// Close removes the unpacked packages.
func (t *Target) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.workDir != "" && t.opts.WorkDir == "" {
		os.RemoveAll(t.workDir)
	}
	t.workDir = ""
	t.pkgs = map[string]*function{}
	return nil
}

// function is one unpacked function package.
type function struct {
	dir     string
	env     map[string]string
	stdin   string // the request's stdin_path
	dirs    []runners.Preopen
	kind    string // zip | image
	size    int64
	prepErr error
}

// Run implements target.Target.
func (t *Target) Run(ctx context.Context, task target.Task) (target.Outcome, error) {
	switch task.Job.Op {
	case runners.OpPrepare:
		// The artifact is built on this machine and shipped in the package.
		return target.Local{}.Run(ctx, task)
	case runners.OpCold, runners.OpWarm:
	default:
		return target.Outcome{Err: runners.Errorf(runners.KindUnsupported,
			"%s runs cold and warm jobs only, not %q", t.opts.Name, task.Job.Op)}, nil
	}
	fn, err := t.function(ctx, task)
	if err != nil {
		if ctx.Err() != nil {
			return target.Outcome{}, ctx.Err()
		}
		var re *runners.Error
		if errors.As(err, &re) {
			return target.Outcome{Err: re}, nil
		}
		return target.Outcome{}, err
	}
	mem := task.MemoryMB
	if mem == 0 {
		mem = t.opts.MemoryMB
	}
	timeout := NoTimeout
	if task.Job.TimeoutNS > 0 {
		// The function's own timeout (the guest's limit) reports first
		// where the runtime can interrupt the guest; the platform's kills
		// the environment a little later otherwise.
		limit := time.Duration(task.Job.TimeoutNS)
		timeout = limit + limit/10 + 2*time.Second
	}
	env := map[string]string{}
	for k, v := range fn.env {
		env[k] = v
	}
	if pkg.IsNode(task.Worker) && filepath.IsAbs(task.Worker.Path) {
		// Lambda provides node; here it is the worker command's.
		env["PATH"] = filepath.Dir(task.Worker.Path) + ":/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	}
	h, err := NewHost(Config{TaskRoot: fn.dir, MemoryMB: mem, Timeout: timeout, InitTimeout: t.opts.InitTimeout,
		Env: env, Launcher: t.opts.Launcher, Log: t.opts.Log, FunctionName: functionName(task)})
	if err != nil {
		return target.Outcome{}, err
	}
	defer h.Close()

	out := target.Outcome{}
	extra := func(phase string, v float64, unit string, cold bool, iter int, warm bool) {
		out.Extra = append(out.Extra, results.Record{Kind: results.KindSample, Phase: phase, Value: v, Unit: unit,
			Cold: cold, Iteration: iter, Warmup: warm, MemoryMB: mem, Package: fn.kind})
	}
	extra(results.PhasePackageBytes, float64(fn.size), results.UnitBytes, task.Job.Op == runners.OpCold, 0, task.Job.Op == runners.OpWarm)

	n := 1
	if task.Job.Op == runners.OpWarm {
		n = task.Job.Warmup + task.Job.Iterations
		if n <= 0 {
			out.Err = runners.Errorf(runners.KindBadJob, "warm job with no iterations")
			return out, nil
		}
	}
	for i := 0; i < n; i++ {
		warmup := task.Job.Op == runners.OpWarm && i < task.Job.Warmup
		req := runners.LambdaRequest{Args: task.Job.Args, Env: task.Job.Env, StdinPath: fn.stdin, Dirs: fn.dirs, Iteration: i,
			Warmup: warmup, TimeoutNS: task.Job.TimeoutNS, KeepStdout: task.Job.KeepStdout, MaxOutputBytes: task.Job.MaxOutputBytes}
		payload, _ := json.Marshal(req)
		t0 := time.Now()
		resp, rep, err := h.Invoke(ctx, payload)
		total := time.Since(t0)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			return out, err
		}
		cold := task.Job.Op == runners.OpCold
		if rep.Cold {
			// A warm task's first invocation starts its environment: setup.
			setup := task.Job.Op == runners.OpWarm
			extra(PhaseInitDuration, float64(rep.InitDuration), results.UnitNS, cold, i, setup)
			for name, d := range resp.LaunchPhases {
				extra(name, float64(d), results.UnitNS, cold, i, setup)
			}
		}
		extra(PhaseDuration, float64(rep.Duration), results.UnitNS, cold, i, warmup)
		extra(PhaseBilledDuration, float64(rep.BilledDuration), results.UnitNS, cold, i, warmup)
		// What this invocation would cost on Lambda (x86_64, this memory
		// size, the dated price table): the local cost chart's input.
		if price, err := pricing.Default.Invocation(pricing.X86_64, mem, float64(rep.BilledDuration)/1e6); err == nil {
			extra(PhasePrice, price, results.UnitUSD, cold, i, warmup)
			out.Extra[len(out.Extra)-1].PriceUSD = price
			out.Extra[len(out.Extra)-1].Arch = pricing.X86_64
		}
		extra(PhaseMaxMemoryUsed, float64(rep.MaxMemoryUsed), results.UnitBytes, cold, i, warmup)
		if rep.MaxMemoryUsed > out.MaxRSS {
			out.MaxRSS = rep.MaxMemoryUsed
		}
		if resp.FunctionError != "" {
			out.Err = invokeError(resp)
			return out, nil
		}
		var lr runners.LambdaResponse
		if err := json.Unmarshal(resp.Payload, &lr); err != nil {
			out.Err = &runners.Error{Kind: runners.KindCrash, Message: fmt.Sprintf(
				"the function's response is not a bench response: %v: %.200q", err, resp.Payload), Stderr: resp.Logs}
			return out, nil
		}
		out.RuntimeVersion = lr.Version
		for _, ev := range lr.Events {
			if rep.Cold && task.Job.Op == runners.OpWarm && (ev.Phase == runners.PhaseInit ||
				ev.Phase == runners.PhaseCompile || ev.Phase == runners.PhaseLoad) {
				ev.Warmup = true // a warm process's setup, as runners.Serve marks it
			}
			out.Events = append(out.Events, ev)
		}
		if cold {
			out.Total = total
			if lr.StartUnixNano > 0 {
				out.Spawn = time.Duration(lr.StartUnixNano - resp.Launched.UnixNano())
			}
		}
		if lr.Error != nil {
			out.Err = lr.Error
			if out.Err.Stderr == "" {
				out.Err.Stderr = resp.Logs
			}
			return out, nil
		}
	}
	return out, nil
}

// invokeError classifies a failed invocation.
func invokeError(resp Response) *runners.Error {
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(resp.Payload, &doc)
	msg := doc.ErrorMessage
	if msg == "" {
		msg = string(resp.Payload)
	}
	kind := runners.KindCrash
	switch t := resp.ErrorType; {
	case strings.HasPrefix(t, runners.ErrorTypePrefix):
		kind = runners.ErrorKind(strings.TrimPrefix(t, runners.ErrorTypePrefix))
	case t == "Sandbox.Timedout":
		kind = runners.KindTimeout
	case t == "Runtime.OutOfMemory":
		kind = runners.KindMemory
	}
	where := "invocation"
	if resp.InitError {
		where = "init"
	}
	return &runners.Error{Kind: kind, Message: fmt.Sprintf("%s: %s: %s", where, resp.ErrorType, msg), Stderr: resp.Logs}
}

func functionName(task target.Task) string {
	c := task.Cell
	parts := []string{"bench"}
	for _, p := range []string{c.Runtime, c.Tier, c.Workload, c.Lang} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	name := strings.Join(parts, "-")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// function builds (once per worker, module, artifact and input) the
// task's function package and unpacks it.
func (t *Target) function(ctx context.Context, task target.Task) (*function, error) {
	job := task.Job
	h := sha256.New()
	parts := append([]string{task.Worker.Path, job.Module.Path, job.Module.Name, job.ArtifactDir,
		job.StdinPath, job.Tier, strconv.FormatInt(job.MaxMemoryBytes, 10)}, task.Worker.Args...)
	for _, d := range job.Dirs {
		parts = append(parts, "dir", d.Host, d.Guest)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	key := hex.EncodeToString(h.Sum(nil))[:16]
	t.mu.Lock()
	defer t.mu.Unlock()
	if fn, ok := t.pkgs[key]; ok {
		return fn, fn.prepErr
	}
	if t.workDir == "" {
		if t.opts.WorkDir != "" {
			t.workDir = t.opts.WorkDir
		} else {
			d, err := os.MkdirTemp("", "bench-"+t.opts.Name+"-")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.opts.Name, err)
			}
			t.workDir = d
		}
	}
	var extra []pkg.File
	env := map[string]string{
		runners.EnvTier:       job.Tier,
		runners.EnvModule:     pkg.ModuleDir + "/" + filepath.Base(job.Module.Path),
		runners.EnvModuleName: job.Module.Name,
	}
	if job.ArtifactDir != "" {
		files, err := pkg.Dir(job.ArtifactDir, pkg.ArtifactDir)
		if err != nil {
			return nil, runners.Errorf(runners.KindNotPrepared, "%s: artifact: %v", t.opts.Name, err)
		}
		extra = append(extra, files...)
		env[runners.EnvArtifactDir] = pkg.ArtifactDir
	}
	if job.MaxMemoryBytes > 0 {
		env[runners.EnvMaxMemoryBytes] = strconv.FormatInt(job.MaxMemoryBytes, 10)
	}
	fn := &function{dir: filepath.Join(t.workDir, key), env: env, kind: "zip"}
	// The stdin file and preopened folders travel in the package.
	in, err := pkg.PackInputs(job.StdinPath, job.Dirs)
	if err != nil {
		return nil, runners.Errorf(runners.KindBadJob, "%s: %v", t.opts.Name, err)
	}
	extra = append(extra, in.Files...)
	fn.stdin, fn.dirs = in.StdinPath, in.Dirs
	files, err := pkg.Files(task.Worker, job.Module.Path, extra...)
	if err != nil {
		return nil, runners.Errorf(runners.KindBadJob, "%s: package: %v", t.opts.Name, err)
	}
	zipPath := fn.dir + ".zip"
	size, err := pkg.ZipFile(zipPath, files)
	if err != nil {
		return nil, runners.Errorf(runners.KindBadJob, "%s: package: %v", t.opts.Name, err)
	}
	fn.size = size
	if err := os.MkdirAll(fn.dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", t.opts.Name, err)
	}
	if err := Unzip(zipPath, fn.dir); err != nil {
		return nil, err
	}
	if t.opts.Prepare != nil {
		kind, size, err := t.opts.Prepare(ctx, fn.dir, files)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// Remember the failure: every task of this package would repeat it.
			fn.prepErr = &runners.Error{Kind: runners.KindInternal, Message: err.Error()}
			t.pkgs[key] = fn
			return fn, fn.prepErr
		}
		fn.kind, fn.size = kind, size
	}
	t.pkgs[key] = fn
	return fn, nil
}
