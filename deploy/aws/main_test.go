package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/registry"
	"github.com/wasmbench/bench/workloads"
)

// binDir holds the wazero worker the tests deploy: $BENCH_BIN_DIR's
// (make test) or one built here.
var binDir string

// srcDir is the repository root.
var srcDir string

// sharedBuild is a build folder the tests that build an arm64 worker
// share, so that it is linked once (see Options.BuildDir).
var sharedBuild string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	wd, _ := os.Getwd()
	srcDir = filepath.Clean(filepath.Join(wd, "..", ".."))
	d, err := os.MkdirTemp("", "bench-aws-test-build-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(d)
	sharedBuild = d
	if d := os.Getenv("BENCH_BIN_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bench-wazero")); err == nil {
			binDir = d
		}
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "bench-aws-test-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "bench-wazero"), "./cmd/bench-wazero")
		cmd.Dir = srcDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build bench-wazero: %v\n%s", err, out)
			return 1
		}
		binDir = dir
	}
	return m.Run()
}

// localOnly is an HTTP transport that refuses anything but 127.0.0.1 and
// counts requests: no test may send traffic off this machine.
type localOnly struct {
	t     testing.TB
	n     atomic.Int64
	inner http.RoundTripper
	// seen, when set, hears of every request.
	seen func(*http.Request)
}

func (l *localOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	l.n.Add(1)
	if l.seen != nil {
		l.seen(r)
	}
	host := r.URL.Hostname()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		l.t.Errorf("a request tried to leave the machine: %s %s", r.Method, r.URL)
		return nil, fmt.Errorf("test transport: %s is not 127.0.0.1", host)
	}
	return l.inner.RoundTrip(r)
}

// goCaches are this machine's Go module and build caches, as go env
// gives them before a test changes HOME.
var goCaches = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"GOPATH", "GOMODCACHE", "GOCACHE"} {
		out, err := exec.Command("go", "env", k).Output()
		if v := strings.TrimSpace(string(out)); err == nil && v != "" {
			m[k] = v
		}
	}
	return m
})

// isolate gives the test an environment with static credentials (or none)
// and no shared config, so nothing from this machine's ~/.aws is read.
func isolate(t *testing.T, creds bool) {
	home := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	// Go's caches stay where they are: a cross-built worker would
	// otherwise download and compile everything again under the new HOME.
	for k, v := range goCaches() {
		t.Setenv(k, v)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if creds {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFORTESTS0000")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-tests")
	}
}

// testEnv is a fake cloud and options pointing at it.
type testEnv struct {
	cloud *awstest.Cloud
	tr    *localOnly
	o     Options
	log   *strings.Builder
	// modules is where the tasks' modules and inputs are written, as the
	// orchestrator materializes them into its run folder.
	modules string
	tiers   map[string][]runners.TierInfo // by runtime, the worker's hello
	jobs    int
}

type cellSpec struct {
	runtime, tier, workload, lang string
	n                             int64
}

var fib = cellSpec{"wazero", "jit", "fib", "c", 20}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	isolate(t, true)
	c := awstest.New()
	t.Cleanup(c.Close)
	tr := &localOnly{t: t, inner: http.DefaultTransport}
	e := c.Endpoints()
	log := &strings.Builder{}
	o := Options{
		Region: awstest.Region,
		Arches: []string{ArchX86}, MemoryMB: []int{512}, Packages: []string{PackageZip},
		Cold: 2, Warm: 2, Timeout: 30 * time.Second,
		Out: t.TempDir(), BinDir: binDir, SrcDir: srcDir,
		RoleWait: 5 * time.Second, WaitDelay: 5 * time.Millisecond,
		Client: ClientOptions{
			Endpoints:   Endpoints{Lambda: e.Lambda, IAM: e.IAM, STS: e.STS, S3: e.S3, ECR: e.ECR, Logs: e.Logs},
			HTTPClient:  &http.Client{Transport: tr},
			MaxAttempts: 6,
			Backoff:     retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil }),
		},
		Getenv: os.Getenv,
		Log:    log,
		Argv:   []string{"bench", "deploy", "aws", "--test"},
	}
	return &testEnv{cloud: c, tr: tr, o: o, log: log, modules: t.TempDir(), tiers: map[string][]runners.TierInfo{}}
}

// worker is the runtime's worker command, as the orchestrator's
// (internal/run's Runtime.Command) for a runtime that is an executable;
// the test skips when bin has none.
func worker(t *testing.T, runtime string) client.Command {
	t.Helper()
	rt, ok := registry.Lookup(runtime)
	if !ok {
		t.Fatalf("no runtime %q in the registry", runtime)
	}
	if rt.Host != "" {
		t.Skipf("%s's worker is a script hosted by %s: not deployed by these tests", runtime, rt.Host)
	}
	p := filepath.Join(binDir, rt.Binary)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no %s worker in %s (make build, then BENCH_BIN_DIR)", runtime, binDir)
	}
	return client.Command{Path: p}
}

// tier is the runtime's tier as its worker's hello describes it.
func (e *testEnv) tier(t *testing.T, w client.Command, runtime, tier string) runners.TierInfo {
	t.Helper()
	if _, ok := e.tiers[runtime]; !ok {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		hello, err := client.Info(ctx, w)
		if err != nil {
			t.Fatalf("%s worker hello: %v", runtime, err)
		}
		e.tiers[runtime] = hello.Tiers
	}
	for _, ti := range e.tiers[runtime] {
		if ti.Name == tier {
			if ti.Unavailable != "" {
				t.Skipf("%s tier %s: %s", runtime, tier, ti.Unavailable)
			}
			return ti
		}
	}
	t.Fatalf("%s has no tier %q", runtime, tier)
	return runners.TierInfo{}
}

// task makes a cell's task the way the orchestrator does (internal/run's
// materialize, modulePath, job and artifactDir): the built-in workload's
// module (and input) written to a file, the job's arguments, timeout and,
// for a tier with a prepare step, its artifact folder for the
// architecture; at the first of the options' memory sizes, architectures
// and package types.
func (e *testEnv) task(t *testing.T, s cellSpec, op runners.Op) deploy.Task {
	t.Helper()
	w, err := workloads.Get(s.workload)
	if err != nil {
		t.Fatal(err)
	}
	cmd := worker(t, s.runtime)
	ti := e.tier(t, cmd, s.runtime, s.tier)
	name := w.ModuleName(s.lang)
	path := filepath.Join(e.modules, name)
	b, err := w.Wasm(s.lang)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e.jobs++
	job := runners.Job{ID: fmt.Sprintf("t%d", e.jobs), Op: op, Tier: s.tier, Module: runners.ModuleRef{Name: name, Path: path},
		Args: w.Args(s.n), TimeoutNS: int64(10 * time.Second)}
	if in := w.Stdin(); in != nil {
		job.StdinPath = filepath.Join(e.modules, w.Name+".input")
		if err := os.WriteFile(job.StdinPath, in, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	task := deploy.Task{Cell: results.Cell{Runtime: s.runtime, Tier: s.tier, Workload: s.workload, Lang: s.lang,
		Param: strconv.FormatInt(s.n, 10), Target: TargetName}, Worker: cmd, Job: job,
		MemoryMB: e.o.MemoryMB[0], Arch: e.o.Arches[0], Package: e.o.Packages[0]}
	if ti.Prepared {
		task.Job.ArtifactDir = artifactDir(e.o.Out, task)
	}
	return task
}

// artifactDir is where the orchestrator keeps a prepared tier's artifact
// for the task's architecture.
func artifactDir(out string, task deploy.Task) string {
	return filepath.Join(out, "artifacts", task.Cell.Runtime+"-"+task.Cell.Tier+"-"+task.Arch, task.Job.Module.Name)
}

// at is a task at another memory size, architecture and package type
// (with its artifact folder for that architecture).
func (e *testEnv) at(task deploy.Task, mem int, arch, kind string) deploy.Task {
	task.MemoryMB, task.Arch, task.Package = mem, arch, kind
	if task.Job.ArtifactDir != "" {
		task.Job.ArtifactDir = artifactDir(e.o.Out, task)
	}
	return task
}

// plan makes the tasks a run of the options asks of each cell at each of
// their memory sizes, architectures and package types, one sequence per
// function: Cold cold tasks, then one warm task of Warm iterations (after
// one warm-up), then a soak of Soak iterations when Soak is set, then a
// burst of Burst invokes when Burst is set.
func (e *testEnv) plan(t *testing.T, specs ...cellSpec) [][]step {
	t.Helper()
	var fns [][]step
	for _, s := range specs {
		for _, kind := range e.o.Packages {
			for _, arch := range e.o.Arches {
				for _, mem := range e.o.MemoryMB {
					var steps []step
					for range e.o.Cold {
						steps = append(steps, step{Task: e.at(e.task(t, s, runners.OpCold), mem, arch, kind)})
					}
					if e.o.Warm > 0 {
						w := e.at(e.task(t, s, runners.OpWarm), mem, arch, kind)
						w.Job.Warmup, w.Job.Iterations = 1, e.o.Warm
						steps = append(steps, step{Task: w})
					}
					if e.o.Soak > 0 {
						k := e.at(e.task(t, s, runners.OpSoak), mem, arch, kind)
						k.Job.Iterations = e.o.Soak
						steps = append(steps, step{Task: k})
					}
					if e.o.Burst > 0 {
						steps = append(steps, step{Task: e.at(e.task(t, s, runners.OpCold), mem, arch, kind), burst: e.o.Burst})
					}
					fns = append(fns, steps)
				}
			}
		}
	}
	return fns
}

// step is one task of a function's sequence: Run, or Burst when burst is
// set.
type step struct {
	deploy.Task
	burst int
}

// done is a finished step and what it measured.
type done struct {
	step
	out deploy.Outcome
	err error
}

// session is what running the steps on one Target gave.
type session struct {
	tg       *Target
	mu       sync.Mutex
	done     []done
	closeErr error
}

// records are the outcomes' Extra records with their task's cell, in the
// order the steps finished.
func (s *session) records() []results.Record {
	var out []results.Record
	for _, d := range s.done {
		for _, r := range d.out.Extra {
			r.Cell = d.Cell
			out = append(out, r)
		}
	}
	return out
}

// failures are the steps whose task failed (Outcome.Err).
func (s *session) failures() []done {
	var out []done
	for _, d := range s.done {
		if d.out.Err != nil {
			out = append(out, d)
		}
	}
	return out
}

// run does with a new Target what the orchestrator does: Available, then
// each function's steps in sequence, functions at once up to the target's
// Concurrency, no new step after an error (ctx's when interrupted), and
// Close. Its error joins Available's or the first Run error, and Close's.
func (e *testEnv) run(ctx context.Context, fns [][]step) (*session, error) {
	tg, err := NewTarget(e.o)
	if err != nil {
		return nil, err
	}
	s := &session{tg: tg}
	if err := tg.Available(ctx); err != nil {
		s.closeErr = tg.Close()
		return s, errors.Join(err, s.closeErr)
	}
	var first error
	sem := make(chan struct{}, tg.Concurrency())
	var wg sync.WaitGroup
	for _, steps := range fns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, st := range steps {
				s.mu.Lock()
				stop := first != nil
				s.mu.Unlock()
				if stop || ctx.Err() != nil {
					return
				}
				d := done{step: st}
				if st.burst > 0 {
					d.out, d.err = tg.Burst(ctx, st.Task, st.burst)
				} else {
					d.out, d.err = tg.Run(ctx, st.Task)
				}
				s.mu.Lock()
				s.done = append(s.done, d)
				if d.err != nil && first == nil {
					first = d.err
				}
				s.mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	s.closeErr = tg.Close()
	return s, errors.Join(first, s.closeErr)
}

func (e *testEnv) assertNothingLeft(t *testing.T) {
	t.Helper()
	if left := e.cloud.Leftovers(); len(left) > 0 {
		t.Errorf("left behind: %v\nlog:\n%s", left, e.log)
	}
}

// samples filters sample records by phase.
func samples(recs []results.Record, phase string) []results.Record {
	var out []results.Record
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Phase == phase {
			out = append(out, r)
		}
	}
	return out
}

// opRecorder records every AWS operation the SDK clients call (a
// middleware on each client's stack) and the registry requests of image
// pushes.
type opRecorder struct {
	mu  sync.Mutex
	ops map[string]int
}

func (r *opRecorder) add(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops == nil {
		r.ops = map[string]int{}
	}
	r.ops[op]++
}

func (r *opRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k := range r.ops {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// record attaches the recorder to a test environment's clients and
// transport.
func (r *opRecorder) record(e *testEnv) {
	e.o.Client.APIOptions = append(e.o.Client.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("benchRecordOperation",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.add(middleware.GetServiceID(ctx) + "." + middleware.GetOperationName(ctx))
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
	registry := strings.TrimPrefix(e.cloud.ECR.RegistryURL, "http://")
	e.tr.seen = func(req *http.Request) {
		if req.URL.Host == registry && strings.HasPrefix(req.URL.Path, "/v2/") && req.URL.Path != "/v2/" {
			r.add("ECR registry.Push")
		}
	}
}
