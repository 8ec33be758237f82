package aws

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/wasmbench/bench/deploy/aws/awstest"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
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
}

type cellSpec struct {
	runtime, tier, workload, lang string
	n                             int64
}

func cells(t *testing.T, specs ...cellSpec) ([]*run.Cell, []results.Record) {
	t.Helper()
	rts := run.Discover(context.Background(), binDir)
	var all []*run.Cell
	var notes []results.Record
	for _, s := range specs {
		o := run.Options{Runtimes: []string{s.runtime}, Tiers: []string{s.tier}, Workloads: []string{s.workload},
			Langs: []string{s.lang}, Params: map[string][]int64{s.workload: {s.n}}}
		c, n, err := run.Plan(o, rts, []string{Target}, binDir)
		if err != nil {
			t.Fatalf("plan %+v: %v", s, err)
		}
		all = append(all, c...)
		notes = append(notes, n...)
	}
	return all, notes
}

var fib = cellSpec{"wazero", "jit", "fib", "c", 20}

func newTestEnv(t *testing.T, specs ...cellSpec) *testEnv {
	t.Helper()
	isolate(t, true)
	c := awstest.New()
	t.Cleanup(c.Close)
	tr := &localOnly{t: t, inner: http.DefaultTransport}
	cl, notes := cells(t, specs...)
	e := c.Endpoints()
	log := &strings.Builder{}
	o := Options{
		Region: awstest.Region, Cells: cl, Notes: notes,
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
	return &testEnv{cloud: c, tr: tr, o: o, log: log}
}

func (e *testEnv) records(t *testing.T) []results.Record {
	t.Helper()
	recs, skipped, err := results.ReadFile(filepath.Join(e.o.Out, results.FileName))
	if err != nil || len(skipped) > 0 {
		t.Fatalf("read results: %v (skipped %v)", err, skipped)
	}
	return recs
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

func kinds(recs []results.Record, k results.Kind) []results.Record {
	var out []results.Record
	for _, r := range recs {
		if r.Kind == k {
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
