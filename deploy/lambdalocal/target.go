package lambdalocal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/deploy/pricing"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
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
	// FunctionTimeout is the function timeout: it bounds each
	// invocation, and an INIT re-run inside one; Lambda's default, 3 s,
	// when zero; at most MaxTimeout. A job's own TimeoutNS is the guest's
	// limit, enforced inside the function by the runtime.
	FunctionTimeout time.Duration
	// InitTimeout bounds an environment's init; Lambda's 10 s when zero.
	InitTimeout time.Duration
	// NoCPUScaling lets every environment use the whole machine's CPU at
	// any memory size, instead of the share Lambda gives that size.
	NoCPUScaling bool
	// WorkDir holds the unpacked packages; a temporary folder when empty.
	WorkDir string
	// Log, when set, receives the functions' logs and REPORT lines.
	Log io.Writer
}

// DefaultMemoryMB is the memory size of a task that names none. Lambda's
// own default is 128 MB, in which an optimizing compiler compiling a
// 2-4 MB Go-built module does not fit; 1024 MB fits every runtime here.
const DefaultMemoryMB = 1024

// DefaultTimeout is Lambda's default function timeout. Lambda's developer
// guide, "Configure Lambda function timeout"
// (docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html): "The
// default value for this setting is 3 seconds, but you can adjust this in
// increments of 1 second up to a maximum value of 900 seconds."
const DefaultTimeout = lambdalimits.DefaultTimeout

// Target is the lambda-local target: each task's worker, packaged as a
// Lambda function (bootstrap, module, artifact, input), runs under a Host.
type Target struct {
	opts    Options
	mu      sync.Mutex
	workDir string
	pkgs    map[string]*function
}

var (
	_ deploy.Target = (*Target)(nil)
	_ deploy.Closer = (*Target)(nil)
	_ deploy.Sized  = (*Target)(nil)
)

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
	if opts.FunctionTimeout == 0 {
		opts.FunctionTimeout = DefaultTimeout
	}
	return &Target{opts: opts, pkgs: map[string]*function{}}
}

// Name implements deploy.Target.
func (t *Target) Name() string { return t.opts.Name }

// DefaultMemoryMB implements deploy.Sized: the memory size of a task that
// names none.
func (t *Target) DefaultMemoryMB() int { return t.opts.MemoryMB }

// Available implements deploy.Target: local processes can always run
// (their memory size and CPU share are enforced by a cgroup when this
// machine allows one: MemoryEnforcement and CPUScaling say how), unless
// the function timeout is beyond Lambda's.
func (t *Target) Available(context.Context) error { return t.checkTimeout(t.opts.FunctionTimeout) }

// checkTimeout refuses a function timeout Lambda would not take.
func (t *Target) checkTimeout(d time.Duration) error {
	if d < 0 || d > MaxTimeout {
		return fmt.Errorf("%s: function timeout %v: it must be positive and at most Lambda's maximum, %v", t.opts.Name, d, MaxTimeout)
	}
	return nil
}

// MemoryEnforcement says how this target enforces a function's memory.
func (t *Target) MemoryEnforcement() string {
	h := &Host{cfg: Config{Launcher: t.opts.Launcher}}
	h.memMode, h.memWhy = cgroupMode("memory")
	return h.MemoryEnforcement()
}

// CPUScaling says what CPU an environment of a memory size (0: the
// default) gets here, and how, or why CPU is not scaled.
func (t *Target) CPUScaling(memoryMB int) string {
	if memoryMB == 0 {
		memoryMB = t.opts.MemoryMB
	}
	cfg := Config{Launcher: t.opts.Launcher, MemoryMB: memoryMB, ScaleCPU: !t.opts.NoCPUScaling}
	h := &Host{cfg: cfg}
	h.cpuMode, h.cpuWhy, h.share = cpuMode(cfg)
	return h.CPUEnforcement()
}

// FunctionTimeout is the function timeout the target applies.
func (t *Target) FunctionTimeout() time.Duration { return t.opts.FunctionTimeout }

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

// Run implements deploy.Target.
func (t *Target) Run(ctx context.Context, task deploy.Task) (out deploy.Outcome, err error) {
	switch task.Job.Op {
	case runners.OpPrepare:
		// The artifact is built on this machine and shipped in the package.
		return local.Local{}.Run(ctx, task)
	case runners.OpCold, runners.OpWarm, runners.OpSoak:
	default:
		return deploy.Outcome{Err: runners.Errorf(runners.KindUnsupported,
			"%s runs cold, warm and soak jobs only, not %q", t.opts.Name, task.Job.Op)}, nil
	}
	fn, err := t.function(ctx, task)
	if err != nil {
		if ctx.Err() != nil {
			return deploy.Outcome{}, ctx.Err()
		}
		var re *runners.Error
		if errors.As(err, &re) {
			return deploy.Outcome{Err: re}, nil
		}
		return deploy.Outcome{}, err
	}
	mem := task.MemoryMB
	if mem == 0 {
		mem = t.opts.MemoryMB
	}
	if err := t.Available(ctx); err != nil {
		return deploy.Outcome{}, err
	}
	timeout := t.opts.FunctionTimeout
	if task.FunctionTimeout != 0 {
		if err := t.checkTimeout(task.FunctionTimeout); err != nil {
			return deploy.Outcome{}, err
		}
		timeout = task.FunctionTimeout
	}
	scaleCPU := !t.opts.NoCPUScaling && !task.NoCPUScaling
	env := map[string]string{}
	for k, v := range fn.env {
		env[k] = v
	}
	if pkg.IsNode(task.Worker) && filepath.IsAbs(task.Worker.Path) {
		// Lambda provides node; here it is the worker command's.
		env["PATH"] = filepath.Dir(task.Worker.Path) + ":/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	}
	h, err := NewHost(Config{TaskRoot: fn.dir, MemoryMB: mem, ScaleCPU: scaleCPU, Timeout: timeout,
		InitTimeout: t.opts.InitTimeout, Env: env, Launcher: t.opts.Launcher, Log: t.opts.Log, FunctionName: functionName(task)})
	if err != nil {
		return deploy.Outcome{}, err
	}
	defer h.Close()

	// Every record carries the CPU share as a fact of the run, and a note
	// of how it was applied (or why it was not) and what this machine
	// lacks: known after the first invocation, which makes the first
	// cgroup, and set on the way out.
	var cpuQuota float64
	var cpuNote string
	defer func() {
		for i := range out.Extra {
			out.Extra[i].CPUQuota, out.Extra[i].Note = cpuQuota, results.JoinNotes(cpuNote, out.Extra[i].Note)
		}
	}()
	extra := func(phase string, v float64, unit string, cold bool, iter int, warm bool) {
		out.Extra = append(out.Extra, results.Record{Kind: results.KindSample, Phase: phase, Value: v, Unit: unit,
			Cold: cold, Iteration: iter, Warmup: warm, MemoryMB: mem, Package: fn.kind})
	}
	extra(results.PhasePackageBytes, float64(fn.size), results.UnitBytes, task.Job.Op == runners.OpCold, 0, task.Job.Op == runners.OpWarm)

	// A soak's invocations each record the environment's Max Memory Used
	// as it stands after it (phase soak_max_memory) and, from the
	// bootstrap, its resident set (soak_rss); with Job.Export, on one
	// live instance.
	n := task.Job.Invocations()
	if n <= 0 {
		out.Err = runners.Errorf(runners.KindBadJob, "%s job with no iterations", task.Job.Op)
		return out, nil
	}
	soak := task.Job.Op == runners.OpSoak
	for i := 0; i < n; i++ {
		warmup := task.Job.Op == runners.OpWarm && i < task.Job.Warmup
		req := runners.LambdaRequest{Args: task.Job.Args, Env: task.Job.Env, StdinPath: fn.stdin, Dirs: fn.dirs, Iteration: i,
			Warmup: warmup, TimeoutNS: task.Job.TimeoutNS, KeepStdout: task.Job.KeepStdout, MaxOutputBytes: task.Job.MaxOutputBytes}
		if soak {
			req.Soak, req.Export = true, task.Job.Export
		}
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
		if rep.Cold || cpuNote == "" { // a new environment: the host may have had to give up its CPU cgroup
			cpuQuota, cpuNote = h.CPU().VCPU(), h.CPUEnforcement()
		}
		first := len(out.Extra)
		cold := task.Job.Op == runners.OpCold
		if rep.Cold {
			// A warm task's first invocation starts its environment: setup.
			setup := task.Job.Op == runners.OpWarm
			if resp.SuppressedInit {
				extra(results.PhaseSuppressedInit, float64(resp.FirstInit), results.UnitNS, cold, i, setup)
			} else {
				extra(results.PhaseInitDuration, float64(rep.InitDuration), results.UnitNS, cold, i, setup)
			}
			for name, d := range resp.LaunchPhases {
				extra(name, float64(d), results.UnitNS, cold, i, setup)
			}
		}
		extra(results.PhaseDuration, float64(rep.Duration), results.UnitNS, cold, i, warmup)
		extra(results.PhaseBilledDuration, float64(rep.BilledDuration), results.UnitNS, cold, i, warmup)
		// What this invocation would cost on Lambda (x86_64, this memory
		// size, the dated price table): the local cost chart's input.
		if price, err := pricing.Default.Invocation(pricing.X86_64, mem, float64(rep.BilledDuration)/1e6); err == nil {
			extra(results.PhasePrice, price, results.UnitUSD, cold, i, warmup)
			out.Extra[len(out.Extra)-1].PriceUSD = price
			out.Extra[len(out.Extra)-1].Arch = pricing.X86_64
		}
		if soak {
			extra(results.PhaseSoakMaxMemory, float64(rep.MaxMemoryUsed), results.UnitBytes, cold, i, warmup)
		} else {
			extra(results.PhaseMaxMemoryUsed, float64(rep.MaxMemoryUsed), results.UnitBytes, cold, i, warmup)
		}
		if resp.SuppressedInit {
			for j := first; j < len(out.Extra); j++ {
				out.Extra[j].Note = suppressedNote(resp, h.Config())
			}
		}
		if rep.MaxMemoryUsed > out.MaxRSS {
			out.MaxRSS = rep.MaxMemoryUsed
		}
		if resp.FunctionError != "" {
			out.Err = invokeError(resp, rep, h.Config(), time.Duration(task.Job.TimeoutNS))
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
			if rep.Cold && task.Job.Op == runners.OpWarm && results.IsSetupPhase(ev.Phase) {
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

// suppressedNote says what a suppressed INIT did to an invocation.
func suppressedNote(resp Response, cfg Config) string {
	return fmt.Sprintf("suppressed init: the INIT ran past Lambda's %s init limit (cut off after %.2f s) and was re-run "+
		"inside the invocation, under the %s function timeout; the invocation's duration holds the re-run",
		seconds(cfg.InitTimeout), resp.FirstInit.Seconds(), seconds(cfg.Timeout))
}

// seconds writes a limit as Lambda's documentation does: "3 s", "0.3 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// timeoutMessage names the phase a timed-out invocation was in and the
// limit it crossed.
func timeoutMessage(resp Response, cfg Config) string {
	limit := "the function timeout (" + seconds(cfg.Timeout) + ")"
	if cfg.Timeout == DefaultTimeout {
		limit = "the function timeout (" + seconds(cfg.Timeout) + ", Lambda's default)"
	}
	switch {
	case resp.SuppressedInit && resp.InitError:
		return fmt.Sprintf("timeout in phase invoke: the INIT ran past Lambda's %s init limit (phase init), "+
			"was re-run inside the invocation and ran past %s there", seconds(cfg.InitTimeout), limit)
	case resp.SuppressedInit:
		return fmt.Sprintf("timeout in phase invoke: the INIT ran past Lambda's %s init limit (phase init) and was "+
			"re-run inside the invocation; with it the handler ran past %s", seconds(cfg.InitTimeout), limit)
	case resp.Cold || !resp.Delivered.IsZero():
		return "timeout in phase invoke: the handler ran past " + limit
	default:
		return "timeout in phase invoke: the warm runtime did not ask for the event within " + limit
	}
}

// workerTimeoutExit is the status a bench worker exits with when its guest
// runs past Job.TimeoutNS and the runtime cannot interrupt it
// (runners/serve.go); in a function, the error event it writes first is
// lost with the process.
const workerTimeoutExit = 3

// invokeError classifies a failed invocation; a timeout's message names
// the phase and the limit: the function timeout, or the guest's own limit
// (guestLimit, the job's TimeoutNS) that the runtime could only enforce
// by exiting.
func invokeError(resp Response, rep lambdareport.Report, cfg Config, guestLimit time.Duration) *runners.Error {
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(resp.Payload, &doc)
	msg := doc.ErrorMessage
	if msg == "" {
		msg = string(resp.Payload)
	}
	if resp.ErrorType == "Sandbox.Timedout" {
		return &runners.Error{Kind: runners.KindTimeout, Message: timeoutMessage(resp, cfg) + ": " + msg, Stderr: resp.Logs}
	}
	if resp.ErrorType == "Runtime.ExitError" && resp.ExitCode == workerTimeoutExit && !resp.InitError &&
		guestLimit > 0 && rep.Duration >= guestLimit {
		return &runners.Error{Kind: runners.KindTimeout, Message: fmt.Sprintf("timeout in phase invoke: the guest ran past "+
			"its own limit (%v) and the runtime cannot interrupt it, so the function's worker exited: %s", guestLimit, msg),
			Stderr: resp.Logs}
	}
	kind := runners.KindCrash
	switch t := resp.ErrorType; {
	case strings.HasPrefix(t, runners.ErrorTypePrefix):
		kind = runners.ErrorKind(strings.TrimPrefix(t, runners.ErrorTypePrefix))
	case t == "Runtime.OutOfMemory":
		kind = runners.KindMemory
	}
	where := "invocation"
	if resp.InitError {
		where = "init"
	}
	return &runners.Error{Kind: kind, Message: fmt.Sprintf("%s: %s: %s", where, resp.ErrorType, msg), Stderr: resp.Logs}
}

func functionName(task deploy.Task) string {
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
func (t *Target) function(ctx context.Context, task deploy.Task) (*function, error) {
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
