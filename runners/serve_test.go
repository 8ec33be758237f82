package runners_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
)

// The fake runner's modules are text: what the module's bytes say is what
// it does when run.
//
//	ok:TEXT      writes TEXT to stdout and returns
//	exit:N       returns exit code N
//	trap         fails with a plain error
//	bench        calls BenchStart and BenchEnd around a short sleep
//	die          the worker writes to its stderr and exits 7 mid-job
//	hang         ignores its context forever
//	waitctx      blocks until its context ends and returns its error
//	unsupported  (at compile) a KindUnsupported *Error
type fakeRunner struct{}

func (fakeRunner) Name() string    { return "fake" }
func (fakeRunner) Version() string { return "v0" }
func (fakeRunner) Tiers() []runners.TierInfo {
	return []runners.TierInfo{
		{Name: "t", Description: "the fake tier"},
		{Name: "gone", Description: "a tier this machine lacks", Unavailable: "no such hardware"},
	}
}
func (fakeRunner) NewEngine(context.Context, runners.EngineConfig) (runners.Engine, error) {
	return fakeEngine{}, nil
}

type fakeEngine struct{}

func (fakeEngine) Loads() bool                 { return false }
func (fakeEngine) Close(context.Context) error { return nil }
func (fakeEngine) Compile(_ context.Context, src runners.Source) (runners.Module, error) {
	if string(src.Wasm) == "unsupported" {
		return nil, runners.Errorf(runners.KindUnsupported, "uses a feature the fake lacks")
	}
	return fakeModule(src.Wasm), nil
}

type fakeModule string

func (fakeModule) Close(context.Context) error { return nil }
func (m fakeModule) Instantiate(_ context.Context, io runners.IO) (runners.Instance, error) {
	return &fakeInstance{m: string(m), io: io}, nil
}

type fakeInstance struct {
	m  string
	io runners.IO
}

func (i *fakeInstance) Close(context.Context) error { return nil }
func (i *fakeInstance) Func(string) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}
func (i *fakeInstance) Run(ctx context.Context) (int, error) {
	switch {
	case strings.HasPrefix(i.m, "ok:"):
		return 0, os.WriteFile(i.io.StdoutPath, []byte(strings.TrimPrefix(i.m, "ok:")), 0o644)
	case strings.HasPrefix(i.m, "exit:"):
		return strconv.Atoi(strings.TrimPrefix(i.m, "exit:"))
	case i.m == "trap":
		return 0, errors.New("fake trap")
	case i.m == "bench":
		time.Sleep(time.Millisecond)
		i.io.BenchStart()
		time.Sleep(time.Millisecond)
		i.io.BenchEnd()
		return 0, nil
	case i.m == "die":
		fmt.Fprintln(os.Stderr, "fake worker dying")
		os.Exit(7)
	case i.m == "hang":
		select {}
	case i.m == "waitctx":
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return 0, fmt.Errorf("fake module %q: unknown behaviour", i.m)
}

const workerEnv = "BENCH_RUNNERS_FAKE_WORKER"

// TestFakeWorker is not a test: fakeCommand runs the test binary with only
// this test selected and workerEnv set, and it then serves the protocol.
// (The package's TestMain, in lambda_test.go, is the internal tests'.)
func TestFakeWorker(t *testing.T) {
	if os.Getenv(workerEnv) != "1" {
		t.Skip("the fake worker, started by the client tests")
	}
	os.Args = os.Args[:1] // runners.Main reads its own arguments
	os.Exit(runners.Main(fakeRunner{}))
}

func fakeCommand() runners.Command {
	return runners.Command{Path: os.Args[0], Args: []string{"-test.run=^TestFakeWorker$"}, Env: []string{workerEnv + "=1"}}
}

// module writes a fake module and returns its reference.
func module(t *testing.T, behaviour string) runners.ModuleRef {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(p, []byte(behaviour), 0o644); err != nil {
		t.Fatal(err)
	}
	return runners.ModuleRef{Name: "m.wasm", Path: p}
}

// serve runs Serve in-process on the given input lines and returns the
// events it wrote.
func serve(t *testing.T, lines ...string) []runners.Event {
	t.Helper()
	var out, errw bytes.Buffer
	code := runners.Serve(context.Background(), fakeRunner{}, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, &errw)
	if code != 0 {
		t.Fatalf("Serve returned %d; stderr: %s", code, errw.String())
	}
	var evs []runners.Event
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("Serve wrote a line that is not an event: %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 || evs[0].Type != runners.EventHello {
		t.Fatalf("Serve's first event is not a hello: %+v", evs)
	}
	return evs[1:]
}

func jobLine(t *testing.T, job runners.Job) string {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeBadJobLineThenGoodJob(t *testing.T) {
	good := runners.Job{ID: "j1", Op: runners.OpCold, Tier: "t", Module: module(t, "ok:hi\n")}
	evs := serve(t, "{not json", jobLine(t, good))
	if len(evs) == 0 || evs[0].Type != runners.EventError || evs[0].Error.Kind != runners.KindBadJob {
		t.Fatalf("after a bad line: %+v; want a bad_job error", evs)
	}
	last := evs[len(evs)-1]
	if last.Type != runners.EventDone || last.Job != "j1" {
		t.Errorf("the job after a bad line ended with %+v; want done", last)
	}
}

func TestServeTiers(t *testing.T) {
	for _, tc := range []struct {
		tier string
		kind runners.ErrorKind
		says string
	}{
		{"nope", runners.KindBadJob, "tiers: [t gone]"},
		{"gone", runners.KindUnsupported, "no such hardware"},
	} {
		evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: tc.tier, Module: module(t, "ok:")}))
		if len(evs) != 1 || evs[0].Type != runners.EventError || evs[0].Error.Kind != tc.kind || !strings.Contains(evs[0].Error.Message, tc.says) {
			t.Errorf("tier %q: %+v; want one %s error saying %q", tc.tier, evs, tc.kind, tc.says)
		}
	}
}

func TestServeColdPhasesAndOutput(t *testing.T) {
	evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "ok:hello\n")}))
	var phases []string
	var out *runners.Output
	for _, ev := range evs {
		switch ev.Type {
		case runners.EventPhase:
			phases = append(phases, ev.Phase)
			if ev.NS <= 0 {
				t.Errorf("phase %s: %v ns", ev.Phase, ev.NS)
			}
		case runners.EventOutput:
			out = ev.Output
		}
	}
	if got := strings.Join(phases, ","); got != "init,compile,instantiate,execute" {
		t.Errorf("phases %s", got)
	}
	if out == nil || out.StdoutHead != "hello\n" || out.StdoutBytes != 6 || out.ExitCode != 0 {
		t.Errorf("output %+v", out)
	}
}

func TestServeExitCodeAndBenchMarkers(t *testing.T) {
	evs := serve(t,
		jobLine(t, runners.Job{ID: "exit", Op: runners.OpCold, Tier: "t", Module: module(t, "exit:3")}),
		jobLine(t, runners.Job{ID: "bench", Op: runners.OpCold, Tier: "t", Module: module(t, "bench")}))
	var exitErr *runners.Error
	var exitOut *runners.Output
	ex, all := 0.0, 0.0
	for _, ev := range evs {
		switch {
		case ev.Job == "exit" && ev.Type == runners.EventError:
			exitErr = ev.Error
		case ev.Job == "exit" && ev.Type == runners.EventOutput:
			exitOut = ev.Output
		case ev.Job == "bench" && ev.Phase == runners.PhaseExecute:
			ex = ev.NS
		case ev.Job == "bench" && ev.Phase == runners.PhaseExecuteAll:
			all = ev.NS
		}
	}
	if exitErr == nil || exitErr.Kind != runners.KindExit || exitOut == nil || exitOut.ExitCode != 3 {
		t.Errorf("exit 3: error %+v, output %+v; want KindExit and an output with code 3", exitErr, exitOut)
	}
	if ex <= 0 || all <= 0 || ex > all {
		t.Errorf("bench markers: execute %v ns, execute_all %v ns; want 0 < execute <= execute_all", ex, all)
	}
}

// TestServeKeepsContextOfClassifiedErrors: a runner's own *Error keeps its
// kind and gains what the worker was doing.
func TestServeKeepsContextOfClassifiedErrors(t *testing.T) {
	evs := serve(t,
		jobLine(t, runners.Job{ID: "u", Op: runners.OpCold, Tier: "t", Module: module(t, "unsupported")}),
		jobLine(t, runners.Job{ID: "trap", Op: runners.OpCold, Tier: "t", Module: module(t, "trap")}))
	want := map[string]struct {
		kind   runners.ErrorKind
		prefix string
	}{
		"u":    {runners.KindUnsupported, "fake: compile m.wasm: uses a feature"},
		"trap": {runners.KindTrap, "fake: run m.wasm: fake trap"},
	}
	for _, ev := range evs {
		if ev.Type != runners.EventError {
			continue
		}
		w := want[ev.Job]
		if ev.Error.Kind != w.kind || !strings.HasPrefix(ev.Error.Message, w.prefix) {
			t.Errorf("job %s: %s %q; want %s starting %q", ev.Job, ev.Error.Kind, ev.Error.Message, w.kind, w.prefix)
		}
		delete(want, ev.Job)
	}
	if len(want) > 0 {
		t.Errorf("no error for jobs %v", want)
	}
}

func start(t *testing.T) *runners.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := runners.Start(ctx, fakeCommand())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Kill)
	return cl
}

func TestClientWorkerDiesMidJob(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "die")}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindCrash {
		t.Fatalf("Do = %v; want a KindCrash *Error", err)
	}
	if !strings.Contains(e.Stderr, "fake worker dying") || !strings.Contains(e.Message, "exit status 7") {
		t.Errorf("crash: message %q, stderr %q; want the exit status and the worker's stderr", e.Message, e.Stderr)
	}
	// The worker is gone: the next job is a crash too, not a hang.
	err = cl.Do(ctx, runners.Job{ID: "k", Op: runners.OpCold, Tier: "t", Module: module(t, "ok:")}, func(runners.Event) {})
	if !errors.As(err, &e) || e.Kind != runners.KindCrash {
		t.Errorf("Do after the crash = %v; want KindCrash", err)
	}
	if _, err := cl.Close(); err == nil {
		t.Error("Close of a crashed worker returned no error")
	}
}

// TestClientTimeoutThenNextJob: a runner that honours its context reports
// KindTimeout, and the same worker serves the next job (Do once waited for
// the worker to exit here, and hung).
func TestClientTimeoutThenNextJob(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "waitctx"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout {
		t.Fatalf("Do = %v; want KindTimeout", err)
	}
	var out *runners.Output
	err = cl.Do(ctx, runners.Job{ID: "k", Op: runners.OpCold, Tier: "t", Module: module(t, "ok:again")}, func(ev runners.Event) {
		if ev.Type == runners.EventOutput {
			out = ev.Output
		}
	})
	if err != nil || out == nil || out.StdoutHead != "again" {
		t.Errorf("the job after a timeout: %v, output %+v", err, out)
	}
	if _, err := cl.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestClientWatchdog: a guest the runner cannot interrupt is reported as
// KindTimeout by the worker's watchdog, which then exits.
func TestClientWatchdog(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "hang"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout || !strings.Contains(e.Message, "cannot interrupt") {
		t.Fatalf("Do = %v; want the watchdog's KindTimeout", err)
	}
	if _, err := cl.Close(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Close = %v; want the watchdog's exit status 3", err)
	}
}

// TestClientContextKillsWorker: when the orchestrator's context ends, Do
// kills the worker and returns the context's error.
func TestClientContextKillsWorker(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "hang")}, func(runners.Event) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v; want context.DeadlineExceeded", err)
	}
	if _, err := cl.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v; want the worker killed", err)
	}
}
