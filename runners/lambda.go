package runners

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/wasmbench/bench/results"
)

// The Lambda bootstrap mode of every Go worker. When AWS_LAMBDA_RUNTIME_API
// is set, Main does what a real function does: during the init phase it
// creates the runtime for the function's tier and compiles (or loads) the
// function's module, both named by the environment variables below; then
// it serves invocations through github.com/aws/aws-lambda-go, each one a
// fresh instance of the compiled module running _start once. The
// Node.js-hosted function (runners/node/lambda.mjs) speaks the same
// request and response.

// The function configuration a bench bootstrap reads at init.
const (
	// EnvTier is the tier to run ("jit", "aot", ...).
	EnvTier = "BENCH_TIER"
	// EnvModule is the wasm module (the native executable for the native
	// runtime), relative to LAMBDA_TASK_ROOT unless absolute.
	EnvModule = "BENCH_MODULE"
	// EnvModuleName is the guest's argv[0]; the module's base name if unset.
	EnvModuleName = "BENCH_MODULE_NAME"
	// EnvArtifactDir holds an AOT tier's prepared artifact, relative to
	// LAMBDA_TASK_ROOT unless absolute.
	EnvArtifactDir = "BENCH_ARTIFACT_DIR"
	// EnvMaxMemoryBytes caps the guest's linear memory (Job.MaxMemoryBytes).
	EnvMaxMemoryBytes = "BENCH_MAX_MEMORY_BYTES"
)

// ErrorTypePrefix starts the errorType a bench bootstrap posts to
// /init/error ("Bench.not_prepared"): the rest is the ErrorKind.
const ErrorTypePrefix = "Bench."

// LambdaRequest is the invocation event of a bench function.
type LambdaRequest struct {
	// Args are the guest's argv[1:].
	Args []string          `json:"args,omitempty"`
	Env  map[string]string `json:"env,omitempty"`
	// StdinPath is a file fed to the guest as stdin, relative to
	// LAMBDA_TASK_ROOT unless absolute (a file shipped in the package).
	StdinPath string `json:"stdin_path,omitempty"`
	// Stdin is the guest's stdin itself (base64 in JSON); it wins over
	// StdinPath.
	Stdin []byte `json:"stdin,omitempty"`
	// Dirs are the guest's preopened folders, each Host relative to
	// LAMBDA_TASK_ROOT unless absolute (folders shipped in the package;
	// read-only on AWS Lambda).
	Dirs []Preopen `json:"dirs,omitempty"`
	// Iteration and Warmup label the events of this invocation.
	Iteration int  `json:"iteration,omitempty"`
	Warmup    bool `json:"warmup,omitempty"`
	// TimeoutNS bounds the guest's execution inside the function (where
	// the runtime can interrupt it); the platform's timeout still applies.
	TimeoutNS int64 `json:"timeout_ns,omitempty"`
	// KeepStdout returns the whole stdout in the response when it is at
	// most KeepStdoutMax bytes (Output.Stdout).
	KeepStdout bool `json:"keep_stdout,omitempty"`
	// MaxOutputBytes is Job.MaxOutputBytes: 0 means DefaultMaxOutput.
	MaxOutputBytes int64 `json:"max_output_bytes,omitempty"`
	// Soak makes the invocation one execution of a soak (OpSoak): the
	// response's events end with the bootstrap's resident set after it
	// (phase results.PhaseSoakRSS). With Export set, the execution is a
	// call of that export on the environment's one live instance, made by
	// its first such invocation, instead of _start on a fresh instance.
	Soak   bool   `json:"soak,omitempty"`
	Export string `json:"export,omitempty"`
}

// LambdaResponse is what a bench function returns.
type LambdaResponse struct {
	Runtime string `json:"runtime"`
	Version string `json:"version"`
	Tier    string `json:"tier"`
	Module  string `json:"module"`
	// StartUnixNano is when the bootstrap process started (its main, as
	// EventHello's), PID its process id.
	StartUnixNano int64 `json:"start_unix_nano"`
	PID           int   `json:"pid"`
	// Invocation counts this environment's invocations from 0. Cold is
	// true on the first, whose Events start with the init and compile (or
	// load) phases timed during the environment's init.
	Invocation int  `json:"invocation"`
	Cold       bool `json:"cold"`
	// Events are the invocation's phase and output events, as a worker
	// would have written them.
	Events []Event `json:"events"`
	// Error is the guest's (or runtime's) failure, if any: the events
	// before it still count. A failed guest is a successful invocation at
	// the Lambda level; only a broken request is a function error.
	Error *Error `json:"error,omitempty"`
}

func init() { lambdaMain = serveLambda }

// serveLambda is Main in bootstrap mode.
func serveLambda(r Runner) int {
	ctx := context.Background()
	fn, err := newLambdaFunction(ctx, r, os.Getenv)
	if err != nil {
		e := Classify(err, KindInternal)
		fmt.Fprintf(os.Stderr, "bench bootstrap (%s): init failed: %v\n", r.Name(), e)
		if perr := postInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), e); perr != nil {
			fmt.Fprintf(os.Stderr, "bench bootstrap: %v\n", perr)
		}
		return 1
	}
	lambda.StartWithOptions(fn.Handle, lambda.WithContext(ctx))
	return 1 // StartWithOptions returns only by exiting the process
}

// postInitError tells the Runtime API that init failed.
func postInitError(api string, e *Error) error {
	body, _ := json.Marshal(map[string]any{
		"errorMessage": e.Message,
		"errorType":    ErrorTypePrefix + string(e.Kind),
		"stackTrace":   []string{},
	})
	url := "http://" + api + "/2018-06-01/runtime/init/error"
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post init error: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", ErrorTypePrefix+string(e.Kind))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post init error: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post init error: status %s", resp.Status)
	}
	return nil
}

// LambdaFunction is a bench function after its init: a compiled module
// ready to be instantiated once per invocation.
type LambdaFunction struct {
	w        *worker
	buf      *bytes.Buffer
	mu       sync.Mutex
	tier     string
	module   ModuleRef
	mod      Module
	scratch  string
	taskRoot string
	setup    []Event // init and compile, for the first response
	invokes  int
	// live is a soak's live instance (LambdaRequest.Export), kept for the
	// environment's life once made.
	live *liveInstance
}

// newLambdaFunction is the init phase: engine and compiled module.
func newLambdaFunction(ctx context.Context, r Runner, getenv func(string) string) (*LambdaFunction, error) {
	taskRoot := getenv("LAMBDA_TASK_ROOT")
	if taskRoot == "" {
		taskRoot, _ = os.Getwd()
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(taskRoot, p)
	}
	tier, modPath := getenv(EnvTier), abs(getenv(EnvModule))
	if tier == "" || modPath == "" {
		return nil, Errorf(KindBadJob, "%s: the function needs %s and %s in its environment", r.Name(), EnvTier, EnvModule)
	}
	name := getenv(EnvModuleName)
	if name == "" {
		name = filepath.Base(modPath)
	}
	var maxMem int64
	if s := getenv(EnvMaxMemoryBytes); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, Errorf(KindBadJob, "%s=%q: %v", EnvMaxMemoryBytes, s, err)
		}
		maxMem = n
	}
	buf := &bytes.Buffer{}
	fn := &LambdaFunction{
		w:   &worker{r: r, em: &emitter{w: buf}, errw: os.Stderr, exit: os.Exit},
		buf: buf, tier: tier, module: ModuleRef{Name: name, Path: modPath}, taskRoot: taskRoot,
	}
	if _, err := fn.w.tier(tier); err != nil {
		return nil, err
	}
	// Lambda's only writable place is /tmp (TMPDIR here when set).
	scratch, err := NewIODir("")
	if err != nil {
		return nil, Errorf(KindInternal, "%s: scratch dir: %v", r.Name(), err)
	}
	fn.scratch = scratch

	cfg := EngineConfig{Tier: tier, MaxMemoryBytes: maxMem, ArtifactDir: abs(getenv(EnvArtifactDir))}
	t0 := time.Now()
	eng, err := r.NewEngine(ctx, cfg)
	if err != nil {
		return nil, Classify(fmt.Errorf("%s: init tier %s: %w", r.Name(), tier, err), KindInternal)
	}
	dInit := time.Since(t0)
	t0 = time.Now()
	src, err := readSource(fn.module)
	if err != nil {
		return nil, err
	}
	mod, err := eng.Compile(ctx, src)
	if err != nil {
		verb := "compile"
		if eng.Loads() {
			verb = "load artifact for"
		}
		return nil, Classify(fmt.Errorf("%s: %s %s: %w", r.Name(), verb, name, err), KindCompile)
	}
	dCompile := time.Since(t0)
	fn.mod = mod
	compilePhase := results.PhaseCompile
	if eng.Loads() {
		compilePhase = results.PhaseLoad
	}
	fn.setup = []Event{
		{Type: EventPhase, Phase: results.PhaseInit, NS: float64(dInit.Nanoseconds())},
		{Type: EventPhase, Phase: compilePhase, NS: float64(dCompile.Nanoseconds())},
	}
	// The engine lives as long as the environment: Lambda freezes and
	// finally kills the process; nothing is closed.
	return fn, nil
}

// Handle serves one invocation: a fresh instance of the compiled module
// runs _start once (a soak's invocation: see LambdaRequest.Soak). It is the handler given to aws-lambda-go; every
// failure it can name is in the response's Error, so its error is nil.
func (fn *LambdaFunction) Handle(ctx context.Context, req LambdaRequest) (LambdaResponse, error) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	r := fn.w.r
	resp := LambdaResponse{Runtime: r.Name(), Version: r.Version(), Tier: fn.tier, Module: fn.module.Name,
		StartUnixNano: started.UnixNano(), PID: os.Getpid(), Invocation: fn.invokes, Cold: fn.invokes == 0}
	fn.invokes++
	id := strconv.Itoa(resp.Invocation)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		id = lc.AwsRequestID
	}
	if resp.Cold {
		for _, ev := range fn.setup {
			ev.Job, ev.Iteration, ev.Warmup = id, req.Iteration, req.Warmup
			resp.Events = append(resp.Events, ev)
		}
	}
	job := Job{ID: id, Op: OpWarm, Tier: fn.tier, Module: fn.module, Args: req.Args, Env: req.Env,
		StdinPath: req.StdinPath, TimeoutNS: req.TimeoutNS, KeepStdout: req.KeepStdout, MaxOutputBytes: req.MaxOutputBytes}
	if job.MaxOutputBytes < 0 {
		resp.Error = Errorf(KindBadJob, "negative output limit %d", job.MaxOutputBytes)
		return resp, nil
	}
	if job.StdinPath != "" && !filepath.IsAbs(job.StdinPath) {
		job.StdinPath = filepath.Join(fn.taskRoot, job.StdinPath)
	}
	if req.Stdin != nil {
		p := filepath.Join(fn.scratch, "stdin")
		if err := os.WriteFile(p, req.Stdin, 0o600); err != nil {
			resp.Error = Errorf(KindInternal, "%s: write stdin: %v", r.Name(), err)
			return resp, nil
		}
		job.StdinPath = p
	}
	if job.StdinPath != "" {
		if _, err := os.Stat(job.StdinPath); err != nil {
			resp.Error = Errorf(KindBadJob, "stdin: %v", err)
			return resp, nil
		}
	}
	for _, d := range req.Dirs {
		if !filepath.IsAbs(d.Host) {
			d.Host = filepath.Join(fn.taskRoot, d.Host)
		}
		if st, err := os.Stat(d.Host); err != nil || !st.IsDir() {
			resp.Error = Errorf(KindBadJob, "preopened folder %s (guest %s): not a folder in the function package", d.Host, d.Guest)
			return resp, nil
		}
		job.Dirs = append(job.Dirs, d)
	}
	fn.buf.Reset()
	var err error
	switch {
	case req.Soak && req.Export != "":
		job.Export = req.Export
		if fn.live == nil {
			fn.live, err = fn.w.instantiateLive(ctx, job, fn.mod, fn.scratch, req.Iteration)
		}
		if err == nil {
			err = fn.w.soakExecution(ctx, job, fn.mod, fn.live, fn.scratch, req.Iteration)
		}
	case req.Soak:
		err = fn.w.soakExecution(ctx, job, fn.mod, nil, fn.scratch, req.Iteration)
	default:
		err = fn.w.execute(ctx, job, fn.mod, fn.scratch, req.Iteration, req.Warmup)
	}
	sc := bufio.NewScanner(bytes.NewReader(fn.buf.Bytes()))
	sc.Buffer(make([]byte, 64<<10), MaxEventLine)
	for sc.Scan() {
		var ev Event
		if jerr := json.Unmarshal(sc.Bytes(), &ev); jerr != nil {
			resp.Error = Errorf(KindInternal, "%s: decode event: %v", r.Name(), jerr)
			return resp, nil
		}
		resp.Events = append(resp.Events, ev)
	}
	if err != nil {
		resp.Error = Classify(err, KindInternal)
	}
	return resp, nil
}
