package lambdalocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/deploy/lambdareport"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config describes one function, as Lambda's function configuration does.
type Config struct {
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME; "bench" when empty.
	FunctionName string
	// TaskRoot is the unpacked package on this machine; the bootstrap at
	// its root is what runs.
	TaskRoot string
	// Handler is _HANDLER; "bootstrap" when empty.
	Handler string
	// MemoryMB is the function's memory size; 128 (Lambda's default)
	// when zero.
	MemoryMB int
	// ScaleCPU gives each environment the CPU Lambda gives MemoryMB
	// (LambdaCPU), by a cgroup CPU quota or the launcher's own; else an
	// environment may use the whole machine.
	ScaleCPU bool
	// Timeout is the function timeout: it bounds each invocation, and an
	// INIT re-run inside one; 3 s (Lambda's default) when zero, at most
	// MaxTimeout.
	Timeout time.Duration
	// InitTimeout bounds an environment's INIT (launch to the first
	// /next); 10 s, Lambda's, when zero. An INIT that runs over is
	// re-run inside the first invocation, under Timeout, as Lambda does.
	InitTimeout time.Duration
	// Env is the function's environment variables.
	Env map[string]string
	// Region is AWS_REGION; "us-east-1" when empty.
	Region string
	// Launcher starts execution environments; a local process (Process)
	// when nil.
	Launcher Launcher
	// Log, when set, receives what CloudWatch would: the environments'
	// output and a START, END and REPORT line per invocation.
	Log io.Writer
}

// Launcher starts execution environments: a local process, a container.
type Launcher interface {
	// Name is the launcher's name in messages: "process", "docker", "runc".
	Name() string
	// TaskRoot is LAMBDA_TASK_ROOT as the bootstrap sees it, for the
	// package unpacked at dir on this machine.
	TaskRoot(dir string) string
	// Launch starts one environment and returns without waiting for it.
	Launch(ctx context.Context, s LaunchSpec) (Proc, error)
	// MemoryLimit says how the launcher enforces the memory size when the
	// host has no memory cgroup to give it, or "".
	MemoryLimit() string
}

// CPULimiter is implemented by a launcher that gives an environment its
// CPU share itself (LaunchSpec.CPU: a container engine's CPU quota), so
// the host's cgroup does not.
type CPULimiter interface {
	// CPULimit says how the launcher applies a share.
	CPULimit(s CPUShare) string
}

// MaxTimeout is Lambda's largest function timeout, 900 s.
const MaxTimeout = lambdalimits.MaxTimeout

// LaunchSpec is what a launcher needs to start one environment.
type LaunchSpec struct {
	ID string
	// Env is the environment's whole environment, Lambda's variables
	// included (AWS_LAMBDA_RUNTIME_API points at 127.0.0.1).
	Env []string
	// Dir is the unpacked package on this machine.
	Dir string
	// Tmp is a fresh writable folder on this machine for the
	// environment's /tmp.
	Tmp      string
	MemoryMB int
	// Cgroup is the environment's cgroup, nil when the host made none.
	// When it does not limit memory (Cgroup.LimitsMemory), the launcher
	// enforces MemoryMB its own way.
	Cgroup *Cgroup
	// CPU is the share a CPULimiter launcher applies; zero otherwise.
	CPU CPUShare
	// Output receives the environment's stdout and stderr; the process
	// launcher hands it to the bootstrap directly.
	Output *os.File
}

// Proc is a launched environment.
type Proc interface {
	// Wait blocks until the environment is gone and says how it ended.
	Wait() error
	// Kill ends the environment at once; Wait then returns.
	Kill()
	// Peak is the environment's peak memory in bytes as the launcher sees
	// it, 0 when unknown; the host also reads its cgroup's.
	Peak() int64
	// OOMKilled reports whether the launcher knows the environment was
	// killed for exceeding its memory.
	OOMKilled() bool
}

// Phaser is implemented by a Proc whose launch has parts worth
// reporting (a container's create and start).
type Phaser interface {
	LaunchPhases() map[string]time.Duration
}

// Response is what an invocation returned, as the Invoke API reports it.
type Response struct {
	// Payload is the function's response, or on failure the error
	// document {"errorType": ..., "errorMessage": ...}.
	Payload []byte
	// FunctionError is "Unhandled" when the invocation failed (the
	// X-Amz-Function-Error header), "" otherwise.
	FunctionError string
	// ErrorType is the failure's type: the one the function posted (to
	// /error or /init/error), or the platform's: Runtime.ExitError,
	// Runtime.OutOfMemory, Sandbox.Timedout.
	ErrorType string
	// InitError is true when the failure happened during the
	// environment's init.
	InitError bool
	// Cold is true when this invocation started a new environment.
	Cold bool
	// SuppressedInit is true when the environment's INIT ran past
	// Config.InitTimeout and was re-run inside this invocation under the
	// function timeout, as Lambda does; FirstInit is how long the first
	// INIT ran before it was cut off. Launched and Ready are then the
	// re-run's.
	SuppressedInit bool
	FirstInit      time.Duration
	// ExitCode is the runtime's exit status when it exited on its own
	// (ErrorType Runtime.ExitError); -1 when a signal ended it.
	ExitCode int
	// Logs is what the environment wrote during the invocation (and its
	// init, when cold): the last 4 KiB, as Invoke's LogType Tail.
	Logs string
	// Times on this machine's clock: the environment's launch, its first
	// /next, the event handed over, the response (or failure).
	Launched, Ready, Delivered, Done time.Time
	// LaunchPhases are the launcher's own phases of a cold start.
	LaunchPhases map[string]time.Duration
}

// Host is a local Lambda: it runs one function's bootstrap in execution
// environments (a fresh process each, as Lambda's fresh microVM) that
// reach its Runtime API on 127.0.0.1, one invocation at a time; a live
// environment serves the next invocation warm.
type Host struct {
	cfg     Config
	memMode string // cgroup1, cgroup2, or "" (why in memWhy)
	memWhy  string
	// cpuMode is how the CPU share is applied: cgroup1, cgroup2,
	// launcher, or "" (why in cpuWhy).
	cpuMode  string
	cpuWhy   string
	share    CPUShare
	mu       sync.Mutex
	env      *environment
	cleanups []func()
}

// NewHost returns a host for a function. It checks the package (a bootstrap
// in TaskRoot for the process launcher) but starts nothing.
func NewHost(cfg Config) (*Host, error) {
	if cfg.FunctionName == "" {
		cfg.FunctionName = "bench"
	}
	if cfg.Handler == "" {
		cfg.Handler = "bootstrap"
	}
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = lambdalimits.DefaultMemoryMB
	}
	if cfg.MemoryMB < 1 {
		return nil, fmt.Errorf("lambda-local: memory size %d MB", cfg.MemoryMB)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = lambdalimits.DefaultTimeout
	}
	if cfg.Timeout < 0 || cfg.Timeout > MaxTimeout {
		return nil, fmt.Errorf("lambda-local: function timeout %v: it must be positive and at most Lambda's maximum, %v", cfg.Timeout, MaxTimeout)
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = lambdalimits.InitTimeout
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Launcher == nil {
		cfg.Launcher = Process{}
	}
	if cfg.TaskRoot == "" {
		return nil, errors.New("lambda-local: no task root (the unpacked package)")
	}
	if _, ok := cfg.Launcher.(Process); ok {
		st, err := os.Stat(filepath.Join(cfg.TaskRoot, "bootstrap"))
		if err != nil {
			return nil, fmt.Errorf("lambda-local: the package has no bootstrap: %w", err)
		}
		if st.Mode().Perm()&0o111 == 0 {
			return nil, fmt.Errorf("lambda-local: %s is not executable", filepath.Join(cfg.TaskRoot, "bootstrap"))
		}
	}
	h := &Host{cfg: cfg}
	h.memMode, h.memWhy = cgroupMode("memory")
	h.cpuMode, h.cpuWhy, h.share = cpuMode(cfg)
	return h, nil
}

// cpuMode says how a function's CPU share is applied here.
func cpuMode(cfg Config) (mode, why string, share CPUShare) {
	if !cfg.ScaleCPU {
		return "", "CPU scaling is off", CPUShare{}
	}
	machine, _ := machineCPU()
	share = withWeight(LambdaCPU(cfg.MemoryMB), machine)
	if _, ok := cfg.Launcher.(CPULimiter); ok {
		return "launcher", "", share
	}
	mode, why = cgroupMode("cpu")
	if mode == "" {
		return "", why, CPUShare{}
	}
	return mode, "", fitQuota(share)
}

// FromZip unpacks a deployment zip into a temporary folder and returns a
// host for it; Close removes the folder.
func FromZip(zipPath string, cfg Config) (*Host, error) {
	dir, err := os.MkdirTemp("", "bench-lambda-task-")
	if err != nil {
		return nil, fmt.Errorf("lambda-local: %w", err)
	}
	if err := Unzip(zipPath, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg.TaskRoot = dir
	h, err := NewHost(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	h.cleanups = append(h.cleanups, func() { os.RemoveAll(dir) })
	return h, nil
}

// Config is the host's function configuration, defaults filled in.
func (h *Host) Config() Config { return h.cfg }

// MemoryEnforcement says how the memory size is enforced and measured.
func (h *Host) MemoryEnforcement() string {
	switch h.memMode {
	case "cgroup2":
		return "cgroup v2 memory.max (swap 0), peak from memory.peak"
	case "cgroup1":
		return "cgroup v1 memory.limit_in_bytes (and memsw), peak from memory.max_usage_in_bytes"
	}
	if l := h.cfg.Launcher.MemoryLimit(); l != "" {
		return l + " (no memory cgroup: " + h.memWhy + ")"
	}
	return "not enforced: " + h.memWhy
}

// CPU is the CPU share each environment gets; zero when CPU is not
// scaled (CPUEnforcement says why).
func (h *Host) CPU() CPUShare { return h.share }

// CPUEnforcement says what CPU an environment gets, and how: the quota
// and the cgroup file or launcher option that applies it, or why CPU is
// not scaled. It says so when this machine has fewer CPUs than the
// function's memory size would get on Lambda.
func (h *Host) CPUEnforcement() string {
	machine, what := machineCPU()
	s := h.share
	switch h.cpuMode {
	case "cgroup1":
		return cpuNote(s, fmt.Sprintf("cgroup v1 cfs quota %d/%d us, cpu.shares %d", s.QuotaUS, s.PeriodUS, s.Shares), machine, what)
	case "cgroup2":
		return cpuNote(s, fmt.Sprintf("cgroup v2 cpu.max %d %d, cpu.weight %d", s.QuotaUS, s.PeriodUS, s.Weight()), machine, what)
	case "launcher":
		return cpuNote(s, h.cfg.Launcher.(CPULimiter).CPULimit(s), machine, what)
	}
	want := LambdaCPU(h.cfg.MemoryMB).VCPU()
	return fmt.Sprintf("cpu not scaled (%s): an environment may use all of this machine's %s at any memory size, "+
		"where Lambda would give %d MB %.3f vCPU", h.cpuWhy, what, h.cfg.MemoryMB, want)
}

// Recycle ends the live environment, if any: the next invocation is cold.
func (h *Host) Recycle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.env != nil {
		h.env.destroy()
		h.env = nil
	}
}

// Close ends every environment and removes what the host made.
func (h *Host) Close() error {
	h.Recycle()
	for _, f := range h.cleanups {
		f()
	}
	h.cleanups = nil
	return nil
}

// Invoke runs one invocation, in the live environment or a new one, and
// returns the response and its REPORT. A failure of the function or its
// environment (init error, crash, timeout, out of memory) is a Response
// with FunctionError set, as Lambda's Invoke API reports it; the error is
// for the host's own failures and ctx's.
//
// A new environment's INIT has Config.InitTimeout. One that runs over is
// cut off and run again inside the invocation, where it and the handler
// share the function timeout (Lambda's "suppressed init"). Lambda's
// developer guide, "Understanding the Lambda execution environment
// lifecycle" (docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
// "The Init phase is limited to 10 seconds. If all three tasks do not
// complete within 10 seconds, Lambda retries the Init phase at the time of
// the first function invocation with the configured function timeout."
// As in Lambda's logs, an INIT_REPORT line with Status: timeout marks each
// INIT cut off, and the REPORT of the invocation then has no Init
// Duration: its Duration holds the re-run INIT.
func (h *Host) Invoke(ctx context.Context, payload []byte) (Response, lambdareport.Report, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var resp Response
	if h.env != nil && h.env.gone() {
		h.env.destroy()
		h.env = nil
	}
	if h.env == nil {
		e, err := h.launch(ctx)
		if err != nil {
			return resp, lambdareport.Report{}, err
		}
		h.env = e
		resp.Cold = true
	}
	e := h.env
	inv := &invocation{id: newRequestID(), payload: payload, timeout: h.cfg.Timeout, handed: make(chan struct{}),
		done: make(chan result, 1)}
	e.logs.flush()
	var mark int64 // a cold invocation's logs include the init's
	if !resp.Cold {
		mark = e.logs.mark()
	}
	var firstLogs string // a suppressed INIT's first run's output
	h.logf("START RequestId: %s Version: $LATEST\n", inv.id)
	rep := lambdareport.Report{RequestID: inv.id, MemorySizeMB: h.cfg.MemoryMB, Cold: resp.Cold}
	resp.Launched = e.launched
	timedOut := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, h.cfg.Timeout.Seconds())

	fail := func(errType, msg, status string) (Response, lambdareport.Report, error) {
		now := time.Now()
		resp.FunctionError, resp.ErrorType, resp.Done = "Unhandled", errType, now
		resp.Payload = errorDoc(errType, msg)
		rep.Status = status
		if status == "error" {
			rep.ErrorType = errType
		}
		delivered, _ := inv.times()
		resp.Delivered = delivered
		switch {
		case resp.SuppressedInit:
			rep.Duration = now.Sub(e.launched) // the re-run INIT is part of the invocation
		case !delivered.IsZero():
			rep.Duration = now.Sub(delivered)
		}
		if resp.Cold {
			ready := e.readyTime()
			if ready.IsZero() {
				ready = now
			}
			resp.Ready = ready
			if !resp.SuppressedInit {
				rep.InitDuration = ready.Sub(e.launched)
			}
		}
		rep.MaxMemoryUsed = e.peak()
		e.proc.Kill()
		select {
		case <-e.exited: // all its output is in the log file
		case <-time.After(10 * time.Second):
		}
		resp.Logs = lastBytes(firstLogs+e.logs.since(mark), logTail)
		e.destroy()
		h.env = nil
		return h.finish(resp, rep)
	}

	// Hand the event over at the runtime's next /next: within the INIT
	// limit when cold, within the function timeout when the INIT is
	// re-run; a warm runtime that never asks again times the invocation
	// out.
	wait := h.cfg.Timeout
	if resp.Cold {
		wait = h.cfg.InitTimeout
	}
	handover := time.NewTimer(wait)
	defer handover.Stop()
wait:
	for {
		select {
		case e.pending <- inv:
			break wait
		case ie := <-e.initErr:
			resp.InitError = true
			// The bootstrap exits after reporting; let it, to collect its output.
			select {
			case <-e.exited:
			case <-time.After(2 * time.Second):
			}
			return fail(ie.errType, ie.message, "error")
		case <-e.exited:
			// An init error posted just before the exit wins: when both
			// are ready, select takes either.
			select {
			case ie := <-e.initErr:
				resp.InitError = true
				return fail(ie.errType, ie.message, "error")
			default:
			}
			resp.InitError = !e.isReady()
			t, msg := e.exitReason(inv.id)
			resp.ExitCode = e.exitCode()
			return fail(t, msg, "error")
		case <-handover.C:
			switch {
			case !resp.Cold:
				return fail("Sandbox.Timedout", timedOut, "timeout")
			case resp.SuppressedInit:
				// The re-run INIT ran out the function timeout.
				h.logf("INIT_REPORT Init Duration: %s ms\tPhase: invoke\tStatus: timeout\n", lambdareport.MS(time.Since(e.launched)))
				resp.InitError = true
				return fail("Sandbox.Timedout", timedOut, "timeout")
			}
			// The INIT ran past its limit: cut it off, and run it again in
			// a fresh environment as part of this invocation.
			resp.FirstInit = time.Since(e.launched)
			h.logf("INIT_REPORT Init Duration: %s ms\tPhase: init\tStatus: timeout\n", lambdareport.MS(resp.FirstInit))
			e.proc.Kill()
			select {
			case <-e.exited:
			case <-time.After(10 * time.Second):
			}
			firstLogs = e.logs.String()
			e.destroy()
			h.env = nil
			again, err := h.launch(ctx)
			if err != nil {
				return resp, rep, err
			}
			h.env, e = again, again
			resp.SuppressedInit, rep.SuppressedInit = true, true
			resp.Launched = e.launched
			inv.start = e.launched // the function timeout runs from the re-run's start
			handover.Reset(h.cfg.Timeout - time.Since(e.launched))
		case <-ctx.Done():
			e.destroy()
			h.env = nil
			return resp, rep, ctx.Err()
		}
	}
	if resp.Cold {
		resp.LaunchPhases = e.launchPhases()
	}
	<-inv.handed // the runtime's /next has marked the delivery and set the deadline
	_, deadline := inv.times()
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	var res result
	select {
	case res = <-inv.done:
	case <-e.exited:
		// A response or error posted just before the exit wins.
		select {
		case res = <-inv.done:
		default:
			t, msg := e.exitReason(inv.id)
			resp.ExitCode = e.exitCode()
			return fail(t, msg, "error")
		}
	case <-timeout.C:
		return fail("Sandbox.Timedout", timedOut, "timeout")
	case <-ctx.Done():
		e.destroy()
		h.env = nil
		return resp, rep, ctx.Err()
	}
	resp.Delivered, _ = inv.times()
	resp.Done = res.at
	resp.Ready = e.readyTime()
	resp.Payload = res.body
	if res.isErr {
		resp.FunctionError, resp.ErrorType = "Unhandled", res.errType
	}
	switch {
	case resp.SuppressedInit:
		rep.Duration = res.at.Sub(e.launched)
	case resp.Cold:
		rep.Duration = res.at.Sub(resp.Delivered)
		rep.InitDuration = resp.Ready.Sub(e.launched)
	default:
		rep.Duration = res.at.Sub(resp.Delivered)
	}
	rep.MaxMemoryUsed = e.peak()
	resp.Logs = e.logs.since(mark)
	e.logs.flush()
	return h.finish(resp, rep)
}

// finish bills the invocation and logs its END and REPORT lines.
func (h *Host) finish(resp Response, rep lambdareport.Report) (Response, lambdareport.Report, error) {
	if rep.Cold {
		rep.BilledDuration = lambdareport.Billed(rep.Duration + rep.InitDuration)
	} else {
		rep.BilledDuration = lambdareport.Billed(rep.Duration)
	}
	h.logf("END RequestId: %s\n%s\n", rep.RequestID, rep)
	return resp, rep, nil
}

func (h *Host) logf(format string, args ...any) {
	if h.cfg.Log != nil {
		fmt.Fprintf(h.cfg.Log, format, args...)
	}
}

func errorDoc(errType, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"errorType": errType, "errorMessage": msg})
	return b
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// invocation is one event on its way through an environment.
type invocation struct {
	id      string
	payload []byte
	timeout time.Duration
	// start is when the function timeout starts to run: the event's
	// delivery, or a re-run INIT's launch. Set before the event is
	// offered to the runtime, or (zero) at delivery.
	start     time.Time
	mu        sync.Mutex
	delivered time.Time
	deadline  time.Time
	handed    chan struct{} // closed once delivered and deadline are set
	done      chan result
}

// deliver marks the event handed to the runtime and returns its deadline.
func (inv *invocation) deliver() time.Time {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.delivered = time.Now()
	start := inv.start
	if start.IsZero() {
		start = inv.delivered
	}
	inv.deadline = start.Add(inv.timeout)
	close(inv.handed)
	return inv.deadline
}

// times are when the event was handed over and its deadline; zero before.
func (inv *invocation) times() (delivered, deadline time.Time) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.delivered, inv.deadline
}

type result struct {
	body    []byte
	isErr   bool
	errType string
	at      time.Time
}

type initError struct{ errType, message string }

// environment is one execution environment: its Runtime API endpoint,
// its process and its cgroup.
type environment struct {
	h        *Host
	id       string
	srv      *http.Server
	tmp      string
	cg       *Cgroup
	proc     Proc
	logs     *logFile
	launched time.Time

	ready     chan struct{} // closed at the first /next
	readyOnce sync.Once
	readyAt   time.Time // under mu
	initErr   chan initError
	exited    chan struct{}
	exitErr   error
	pending   chan *invocation
	closing   chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	current *invocation
}

// launch starts a new environment: Runtime API listener, /tmp, cgroup,
// then the launcher.
func (h *Host) launch(ctx context.Context) (*environment, error) {
	e := &environment{h: h, id: newRequestID()[:8], ready: make(chan struct{}), initErr: make(chan initError, 1),
		exited: make(chan struct{}), pending: make(chan *invocation), closing: make(chan struct{})}
	logs, err := newLogFile(h.cfg.Log)
	if err != nil {
		return nil, fmt.Errorf("lambda-local: log file: %w", err)
	}
	e.logs = logs
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		logs.close()
		return nil, fmt.Errorf("lambda-local: runtime API listener: %w", err)
	}
	mux := http.NewServeMux()
	const base = "/2018-06-01/runtime"
	mux.HandleFunc("GET "+base+"/invocation/next", e.next)
	mux.HandleFunc("POST "+base+"/invocation/{id}/response", e.respond)
	mux.HandleFunc("POST "+base+"/invocation/{id}/error", e.fail)
	mux.HandleFunc("POST "+base+"/init/error", e.initFail)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "InvalidRequest", "no such Runtime API call: "+r.Method+" "+r.URL.Path)
	})
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()

	fail := func(err error) (*environment, error) {
		e.srv.Close()
		logs.close()
		if e.cg != nil {
			_ = e.cg.Close()
		}
		if e.tmp != "" {
			os.RemoveAll(e.tmp)
		}
		return nil, err
	}
	e.tmp, err = os.MkdirTemp("", "bench-lambda-tmp-")
	if err != nil {
		return fail(fmt.Errorf("lambda-local: /tmp folder: %w", err))
	}
	e.cg = h.cgroup()
	spec := LaunchSpec{ID: e.id, Env: h.lambdaEnv(ln.Addr().String(), h.cfg.Launcher.TaskRoot(h.cfg.TaskRoot), e.id),
		Dir: h.cfg.TaskRoot, Tmp: e.tmp, MemoryMB: h.cfg.MemoryMB, Cgroup: e.cg, Output: e.logs.f}
	if h.cpuMode == "launcher" {
		spec.CPU = h.share
	}
	e.launched = time.Now()
	proc, err := h.cfg.Launcher.Launch(ctx, spec)
	if err != nil {
		return fail(fmt.Errorf("lambda-local: launch %s environment: %w", h.cfg.Launcher.Name(), err))
	}
	e.proc = proc
	go func() {
		e.exitErr = proc.Wait()
		close(e.exited)
	}()
	return e, nil
}

// cgroup makes a new environment's cgroup: its memory limit and its CPU
// quota, where this machine allows them; nil when it allows neither. A
// controller that fails is not tried again: enforcement falls to the
// launcher (memory) or stops (CPU), and MemoryEnforcement or
// CPUEnforcement says why.
func (h *Host) cgroup() *Cgroup {
	for {
		var spec cgroupSpec
		if h.memMode != "" {
			spec.memory = int64(h.cfg.MemoryMB) << 20
		}
		if h.cpuMode == "cgroup1" || h.cpuMode == "cgroup2" {
			spec.cpu = h.share
		}
		if spec.memory == 0 && spec.cpu.QuotaUS == 0 {
			return nil
		}
		cg, err := newCgroup(spec)
		if err == nil {
			return cg
		}
		var ce *controllerError
		isCtrl := errors.As(err, &ce)
		if !isCtrl || ce.ctrl == "cpu" {
			h.cpuMode, h.cpuWhy, h.share = "", err.Error(), CPUShare{}
		}
		if !isCtrl || ce.ctrl == "memory" {
			h.memMode, h.memWhy = "", err.Error()
		}
	}
}

// lambdaEnv is the environment Lambda gives a custom runtime.
func (h *Host) lambdaEnv(api, taskRoot, envID string) []string {
	c := h.cfg
	day := time.Now().UTC().Format("2006/01/02")
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        c.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + c.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      day + "/[$LATEST]" + envID,
		"AWS_LAMBDA_RUNTIME_API":          api,
		"AWS_REGION":                      c.Region,
		"AWS_DEFAULT_REGION":              c.Region,
		"_HANDLER":                        c.Handler,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH":                 "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:" + taskRoot + ":" + taskRoot + "/lib:/opt/lib",
	}
	for k, v := range c.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func apiError(w http.ResponseWriter, code int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(errorDoc(errType, msg))
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// maxPayload is Lambda's limit on a synchronous response.
const maxPayload = 6 << 20

func (e *environment) next(w http.ResponseWriter, r *http.Request) {
	e.readyOnce.Do(func() {
		e.mu.Lock()
		e.readyAt = time.Now()
		e.mu.Unlock()
		close(e.ready)
	})
	select {
	case inv := <-e.pending:
		deadline := inv.deliver()
		e.mu.Lock()
		e.current = inv
		e.mu.Unlock()
		c := e.h.cfg
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn",
			"arn:aws:lambda:"+c.Region+":000000000000:function:"+c.FunctionName)
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+
			strings.ReplaceAll(inv.id, "-", "")[:24]+";Parent="+strings.ReplaceAll(inv.id, "-", "")[:16]+";Sampled=0")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-e.closing:
	}
}

// take returns the in-flight invocation with that id and clears it.
func (e *environment) take(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current == nil || e.current.id != id {
		return nil
	}
	inv := e.current
	e.current = nil
	return inv
}

func (e *environment) respond(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	at := time.Now()
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	if len(body) > maxPayload {
		inv.done <- result{isErr: true, errType: "Function.ResponseSizeTooLarge", at: at,
			body: errorDoc("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload))}
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
		return
	}
	inv.done <- result{body: body, at: at}
	accepted(w)
}

func (e *environment) fail(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	at := time.Now()
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	errType := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.ErrorType != "" {
		errType = doc.ErrorType
	}
	if errType == "" {
		errType = "Unhandled"
	}
	inv.done <- result{body: body, isErr: true, errType: errType, at: at}
	accepted(w)
}

func (e *environment) initFail(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &doc)
	if doc.ErrorType == "" {
		doc.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if doc.ErrorType == "" {
		doc.ErrorType = "Runtime.InitError"
	}
	select {
	case e.initErr <- initError{doc.ErrorType, doc.ErrorMessage}:
	default:
	}
	accepted(w)
}

func (e *environment) isReady() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

func (e *environment) readyTime() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.readyAt
}

func (e *environment) gone() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// peak is the environment's Max Memory Used: its cgroup's peak, what the
// limit applies to; the launcher's figure (a process's peak resident set,
// which also counts file pages charged elsewhere) only without a cgroup.
func (e *environment) peak() int64 {
	if e.cg != nil && e.cg.LimitsMemory() {
		if p := e.cg.Peak(); p > 0 {
			return p
		}
	}
	return e.proc.Peak()
}

func (e *environment) launchPhases() map[string]time.Duration {
	if p, ok := e.proc.(Phaser); ok {
		return p.LaunchPhases()
	}
	return nil
}

// exitReason names a dead environment's failure as Lambda does.
func (e *environment) exitReason(reqID string) (errType, msg string) {
	<-e.exited
	how := "exit status 0"
	if e.exitErr != nil {
		how = e.exitErr.Error()
	}
	limited := e.cg != nil && e.cg.LimitsMemory()
	if (limited && (e.cg.OOMKills() > 0 || (sigkilled(e.exitErr) && e.cg.LimitHit()))) ||
		e.proc.OOMKilled() || (!limited && outOfMemory(e.logs.String())) {
		return "Runtime.OutOfMemory", fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", reqID, how)
	}
	return "Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", reqID, how)
}

// exitCode is a dead environment's exit status, -1 when a signal ended it.
func (e *environment) exitCode() int {
	<-e.exited
	var ee *exec.ExitError
	if errors.As(e.exitErr, &ee) {
		return ee.ExitCode()
	}
	if e.exitErr != nil {
		return -1
	}
	return 0
}

// sigkilled reports whether a process (or a container engine's foreground
// process, exiting 128+9) ended by SIGKILL.
func sigkilled(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return true
	}
	return ee.ExitCode() == 128+int(syscall.SIGKILL)
}

// outOfMemory recognizes a runtime's own out-of-memory death (an
// allocation refused), for when no cgroup enforced the memory size.
func outOfMemory(logs string) bool {
	for _, s := range []string{"runtime: out of memory", "runtime: cannot allocate memory", "Cannot allocate memory",
		"JavaScript heap out of memory", "Fatal process out of memory", "memory allocation of"} {
		if strings.Contains(logs, s) {
			return true
		}
	}
	return false
}

// destroy ends the environment: process, cgroup, endpoint, /tmp.
func (e *environment) destroy() {
	e.closeOnce.Do(func() {
		close(e.closing)
		if e.proc != nil {
			e.proc.Kill()
			select {
			case <-e.exited:
			case <-time.After(10 * time.Second):
			}
		}
		if e.cg != nil {
			_ = e.cg.Close()
		}
		e.srv.Close()
		os.RemoveAll(e.tmp)
		e.logs.flush()
		e.logs.close()
	})
}

// logFile keeps an environment's output in a file the process writes
// directly, so everything it wrote before answering is there when the
// answer arrives; an invocation asks for what came after a mark.
type logFile struct {
	mu     sync.Mutex
	f      *os.File
	teeOff int64
	tee    io.Writer
}

func newLogFile(tee io.Writer) (*logFile, error) {
	f, err := os.CreateTemp("", "bench-lambda-log-")
	if err != nil {
		return nil, err
	}
	return &logFile{f: f, tee: tee}, nil
}

func (l *logFile) size() int64 {
	st, err := l.f.Stat()
	if err != nil {
		return 0
	}
	return st.Size()
}

func (l *logFile) read(from, to int64) string {
	if to <= from {
		return ""
	}
	b := make([]byte, to-from)
	n, _ := l.f.ReadAt(b, from)
	return string(b[:n])
}

func (l *logFile) mark() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size()
}

// logTail is how much of its output an invocation returns: 4 KiB, as
// Invoke's LogType Tail.
const logTail = 4096

// since returns the last logTail bytes written after mark.
func (l *logFile) since(mark int64) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := l.size()
	if end-mark > logTail {
		mark = end - logTail
	}
	return l.read(mark, end)
}

// lastBytes is the last n bytes of s.
func lastBytes(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// String is the last 64 KiB of the output.
func (l *logFile) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := l.size()
	return l.read(max(0, end-64<<10), end)
}

// flush copies what the tee has not seen yet to it.
func (l *logFile) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tee == nil {
		return
	}
	end := l.size()
	if end > l.teeOff {
		_, _ = io.WriteString(l.tee, l.read(l.teeOff, end))
		l.teeOff = end
	}
}

func (l *logFile) close() {
	l.f.Close()
	os.Remove(l.f.Name())
}
