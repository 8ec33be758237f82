package runners

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as a bootstrap: with BENCH_TEST_BOOTSTRAP set,
// TestMain runs Main with a fake runner, as cmd/bench-* do with theirs.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_TEST_BOOTSTRAP") == "1" {
		os.Args = os.Args[:1]
		os.Exit(Main(fakeRunner{}))
	}
	os.Exit(m.Run())
}

// fakeRunner "runs" a module by printing its argv and stdin; the argument
// "trap" traps and "exit3" exits with code 3. Its module must start with
// the wasm magic.
type fakeRunner struct{}

func (fakeRunner) Name() string    { return "fake" }
func (fakeRunner) Version() string { return "v0" }
func (fakeRunner) Tiers() []TierInfo {
	return []TierInfo{{Name: "jit"}, {Name: "aot", Prepared: true}, {Name: "gone", Unavailable: "not here"}}
}
func (fakeRunner) NewEngine(_ context.Context, cfg EngineConfig) (Engine, error) {
	return fakeEngine{cfg}, nil
}

type fakeEngine struct{ cfg EngineConfig }

func (e fakeEngine) Loads() bool                 { return e.cfg.Tier == "aot" }
func (fakeEngine) Close(context.Context) error   { return nil }
func (fakeModule) Close(context.Context) error   { return nil }
func (fakeInstance) Close(context.Context) error { return nil }
func (fakeInstance) Func(string) (func(context.Context) error, error) {
	return nil, errors.New("no exports")
}
func (e fakeEngine) Compile(_ context.Context, src Source) (Module, error) {
	if e.Loads() {
		if _, err := os.Stat(filepath.Join(e.cfg.ArtifactDir, "artifact")); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotPrepared, err)
		}
	}
	if !bytes.HasPrefix(src.Wasm, []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	return fakeModule{}, nil
}

type fakeModule struct{}

func (fakeModule) Instantiate(_ context.Context, io IO) (Instance, error) {
	return fakeInstance{io}, nil
}

type fakeInstance struct{ io IO }

func (i fakeInstance) Run(context.Context) (int, error) {
	var in []byte
	if i.io.StdinPath != "" {
		b, err := os.ReadFile(i.io.StdinPath)
		if err != nil {
			return 0, err
		}
		in = b
	}
	out := strings.Join(i.io.Args, " ") + "|" + string(in)
	if err := os.WriteFile(i.io.StdoutPath, []byte(out), 0o644); err != nil {
		return 0, err
	}
	for _, a := range i.io.Args {
		switch a {
		case "trap":
			return 0, errors.New("unreachable executed")
		case "exit3":
			return 3, nil
		}
	}
	return 0, nil
}

// fakeAPI is the smallest Runtime API: it hands out queued events and
// records what the bootstrap posts.
type fakeAPI struct {
	events  chan []byte
	mu      sync.Mutex
	results map[string]chan posted
	initErr chan posted
	n       int
}

type posted struct {
	kind string // response | error | init
	body []byte
	hdr  http.Header
}

func newFakeAPI(t *testing.T) (*fakeAPI, string) {
	a := &fakeAPI{events: make(chan []byte, 8), results: map[string]chan posted{}, initErr: make(chan posted, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return a, ln.Addr().String()
}

func (a *fakeAPI) result(id string) chan posted {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.results[id] == nil {
		a.results[id] = make(chan posted, 1)
	}
	return a.results[id]
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/2018-06-01/runtime/"
	p := strings.TrimPrefix(r.URL.Path, base)
	body, _ := io.ReadAll(r.Body)
	switch {
	case p == "invocation/next":
		select {
		case ev := <-a.events:
			a.mu.Lock()
			a.n++
			id := fmt.Sprintf("req-%d", a.n)
			a.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:t")
			w.Write(ev)
		case <-r.Context().Done():
		}
	case p == "init/error":
		a.initErr <- posted{"init", body, r.Header}
		w.WriteHeader(http.StatusAccepted)
	case strings.HasPrefix(p, "invocation/"):
		rest := strings.TrimPrefix(p, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		a.result(id) <- posted{kind, body, r.Header}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// startBootstrap runs the test binary as a bootstrap against api.
func startBootstrap(t *testing.T, api string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append([]string{"BENCH_TEST_BOOTSTRAP=1", "AWS_LAMBDA_RUNTIME_API=" + api,
		"TMPDIR=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("bootstrap stderr:\n%s", stderr.String())
		}
	})
	return cmd
}

func taskRoot(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "task"), 0o755)
	os.WriteFile(filepath.Join(dir, "task", "m.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	os.WriteFile(filepath.Join(dir, "task", "input"), []byte("from-file"), 0o644)
	return dir
}

func invoke(t *testing.T, a *fakeAPI, id string, req LambdaRequest) (LambdaResponse, posted) {
	t.Helper()
	b, _ := json.Marshal(req)
	a.events <- b
	select {
	case p := <-a.result(id):
		var resp LambdaResponse
		if p.kind == "response" {
			if err := json.Unmarshal(p.body, &resp); err != nil {
				t.Fatalf("response %s: %v", p.body, err)
			}
		}
		return resp, p
	case <-time.After(30 * time.Second):
		t.Fatalf("no result for %s", id)
	}
	return LambdaResponse{}, posted{}
}

func phases(evs []Event) string {
	var s []string
	for _, e := range evs {
		if e.Type == EventPhase {
			s = append(s, e.Phase)
		} else {
			s = append(s, string(e.Type))
		}
	}
	return strings.Join(s, ",")
}

func TestLambdaBootstrapInvocations(t *testing.T) {
	a, api := newFakeAPI(t)
	root := taskRoot(t)
	startBootstrap(t, api, "LAMBDA_TASK_ROOT="+root, EnvTier+"=jit", EnvModule+"=task/m.wasm", EnvModuleName+"=fib.c.wasm")

	r1, p := invoke(t, a, "req-1", LambdaRequest{Args: []string{"30"}, Iteration: 0})
	if p.kind != "response" {
		t.Fatalf("first invocation: %s %s", p.kind, p.body)
	}
	if !r1.Cold || r1.Invocation != 0 || r1.Runtime != "fake" || r1.Tier != "jit" || r1.Module != "fib.c.wasm" || r1.PID == 0 {
		t.Errorf("first response header: %+v", r1)
	}
	if got := phases(r1.Events); got != "init,compile,instantiate,execute,output" {
		t.Errorf("first response events %s", got)
	}
	out := r1.Events[len(r1.Events)-1].Output
	if out == nil || out.StdoutHead != "fib.c.wasm 30|" || r1.Error != nil {
		t.Errorf("first output %+v, error %v", out, r1.Error)
	}
	for _, ev := range r1.Events {
		if ev.Job != "req-1" {
			t.Errorf("event %+v not labelled with the request id", ev)
		}
	}

	r2, _ := invoke(t, a, "req-2", LambdaRequest{Args: []string{"x"}, StdinPath: "task/input", Iteration: 5, Warmup: true})
	if r2.Cold || r2.Invocation != 1 {
		t.Errorf("second response: cold %v invocation %d", r2.Cold, r2.Invocation)
	}
	if got := phases(r2.Events); got != "instantiate,execute,output" {
		t.Errorf("second response events %s", got)
	}
	for _, ev := range r2.Events {
		if ev.Iteration != 5 || !ev.Warmup {
			t.Errorf("event %+v: want iteration 5, warmup", ev)
		}
	}
	if h := r2.Events[2].Output.StdoutHead; h != "fib.c.wasm x|from-file" {
		t.Errorf("stdin from the package: %q", h)
	}

	r3, _ := invoke(t, a, "req-3", LambdaRequest{Stdin: []byte("inline\x00bytes")})
	if h := r3.Events[len(r3.Events)-1].Output.StdoutHead; h != "fib.c.wasm|inline\x00bytes" {
		t.Errorf("inline stdin: %q", h)
	}

	r4, _ := invoke(t, a, "req-4", LambdaRequest{Args: []string{"trap"}})
	if r4.Error == nil || r4.Error.Kind != KindTrap || !strings.Contains(r4.Error.Message, "unreachable") {
		t.Errorf("trap: %+v", r4.Error)
	}
	r5, _ := invoke(t, a, "req-5", LambdaRequest{Args: []string{"exit3"}})
	if r5.Error == nil || r5.Error.Kind != KindExit || phases(r5.Events) != "instantiate,execute,output" {
		t.Errorf("exit 3: %+v, events %s", r5.Error, phases(r5.Events))
	}
	r6, _ := invoke(t, a, "req-6", LambdaRequest{StdinPath: "task/missing"})
	if r6.Error == nil || r6.Error.Kind != KindBadJob {
		t.Errorf("missing stdin: %+v", r6.Error)
	}
	// The environment survives guest failures.
	r7, _ := invoke(t, a, "req-7", LambdaRequest{})
	if r7.Error != nil || r7.Invocation != 6 {
		t.Errorf("after failures: %+v", r7)
	}
}

func TestLambdaBootstrapInitErrors(t *testing.T) {
	root := taskRoot(t)
	os.WriteFile(filepath.Join(root, "task", "bad.wasm"), []byte("not wasm"), 0o644)
	for _, c := range []struct {
		name string
		env  []string
		kind ErrorKind
		msg  string
	}{
		{"no config", nil, KindBadJob, EnvTier},
		{"missing module", []string{EnvTier + "=jit", EnvModule + "=task/nope.wasm"}, KindBadJob, "nope.wasm"},
		{"bad module", []string{EnvTier + "=jit", EnvModule + "=task/bad.wasm"}, KindCompile, "not a wasm module"},
		{"unknown tier", []string{EnvTier + "=warp", EnvModule + "=task/m.wasm"}, KindBadJob, "warp"},
		{"unavailable tier", []string{EnvTier + "=gone", EnvModule + "=task/m.wasm"}, KindUnsupported, "not here"},
		{"not prepared", []string{EnvTier + "=aot", EnvModule + "=task/m.wasm", EnvArtifactDir + "=task/artifact"}, KindNotPrepared, "prepare"},
		{"bad memory", []string{EnvTier + "=jit", EnvModule + "=task/m.wasm", EnvMaxMemoryBytes + "=lots"}, KindBadJob, "lots"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, api := newFakeAPI(t)
			cmd := startBootstrap(t, api, append([]string{"LAMBDA_TASK_ROOT=" + root}, c.env...)...)
			select {
			case p := <-a.initErr:
				var body struct{ ErrorType, ErrorMessage string }
				json.Unmarshal(p.body, &body)
				if body.ErrorType != ErrorTypePrefix+string(c.kind) || !strings.Contains(body.ErrorMessage, c.msg) {
					t.Errorf("init error %s", p.body)
				}
				if h := p.hdr.Get("Lambda-Runtime-Function-Error-Type"); h != body.ErrorType {
					t.Errorf("error type header %q", h)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("no init error posted")
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("bootstrap exit: %v, want status 1", err)
			}
		})
	}
}

func TestLambdaStdinProtocolStaysDefault(t *testing.T) {
	// Without AWS_LAMBDA_RUNTIME_API the same binary speaks JSON lines.
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = []string{"BENCH_TEST_BOOTSTRAP=1"}
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var hello Event
	if err := json.Unmarshal(bytes.TrimSpace(out), &hello); err != nil || hello.Type != EventHello || hello.Runtime != "fake" {
		t.Errorf("hello %q: %v", out, err)
	}
}
