package runners_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmbench/bench/results"
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
//	big:N[:err]  writes N bytes of 'x' to stdout (stderr with ":err") in
//	             64 KiB writes; exit code 1 when a write fails
//	flood        fails with a 64 MiB error message
//	stop         the worker writes half an event line and stops itself
//	             (SIGSTOP): no watchdog of its own can run
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
	case strings.HasPrefix(i.m, "big:"):
		spec := strings.TrimPrefix(i.m, "big:")
		path := i.io.StdoutPath
		if n, ok := strings.CutSuffix(spec, ":err"); ok {
			spec, path = n, i.io.StderrPath
		}
		n, err := strconv.Atoi(spec)
		if err != nil {
			return 0, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := f.Write(chunk[:k]); err != nil {
				return 1, nil
			}
			n -= k
		}
		return 0, nil
	case i.m == "flood":
		return 0, errors.New(strings.Repeat("x", 64<<20))
	case i.m == "stop":
		os.Stdout.WriteString(`{"type":"pha`)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		select {}
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
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("Serve wrote a line that is not an event: %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading Serve's events: %v", err)
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
		case ev.Job == "bench" && ev.Phase == results.PhaseExecute:
			ex = ev.NS
		case ev.Job == "bench" && ev.Phase == results.PhaseExecuteAll:
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

// outputOf returns the job's output event, its error event, and the
// other events.
func outputOf(evs []runners.Event, id string) (out *runners.Output, jobErr *runners.Error) {
	for _, ev := range evs {
		if ev.Job != id {
			continue
		}
		switch ev.Type {
		case runners.EventOutput:
			out = ev.Output
		case runners.EventError:
			jobErr = ev.Error
		}
	}
	return out, jobErr
}

// TestServeOutputInIODir: the guest's output is written into the job's
// I/O folder; a kept stdout stays there as a file the event names (not
// inline), anything else is removed when the execution ends.
func TestServeOutputInIODir(t *testing.T) {
	io := t.TempDir()
	const n = 3 << 20 // larger than KeepStdoutMax: it used to travel base64 in the event
	evs := serve(t,
		jobLine(t, runners.Job{ID: "keep", Op: runners.OpCold, Tier: "t", Module: module(t, fmt.Sprintf("big:%d", n)), IODir: io, KeepStdout: true}),
		jobLine(t, runners.Job{ID: "drop", Op: runners.OpWarm, Tier: "t", Module: module(t, "ok:hello\n"), IODir: io, Iterations: 2}))
	out, jobErr := outputOf(evs, "keep")
	if jobErr != nil || out == nil {
		t.Fatalf("keep: error %v, output %+v", jobErr, out)
	}
	if out.Stdout != nil {
		t.Errorf("keep: %d bytes of stdout inline in the event; want a file", len(out.Stdout))
	}
	if filepath.Dir(out.StdoutPath) != io {
		t.Fatalf("keep: stdout path %q, want a file in %s", out.StdoutPath, io)
	}
	b, err := os.ReadFile(out.StdoutPath)
	if err != nil || len(b) != n || out.StdoutBytes != n || len(out.StdoutHead) != runners.HeadMax {
		t.Errorf("keep: file %d bytes (%v), event says %d bytes, head %d bytes", len(b), err, out.StdoutBytes, len(out.StdoutHead))
	}
	sum := sha256.Sum256(b)
	if out.StdoutSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("keep: sha256 %s, want %x", out.StdoutSHA256, sum)
	}
	if _, e := outputOf(evs, "drop"); e != nil {
		t.Fatalf("drop: %v", e)
	}
	ents, _ := os.ReadDir(io)
	if len(ents) != 1 || filepath.Join(io, ents[0].Name()) != out.StdoutPath {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the I/O folder holds %v; want only the kept stdout %s", names, filepath.Base(out.StdoutPath))
	}
}

// TestServeInlineStdoutIsBounded: without an I/O folder (a serverless
// target), a kept stdout comes inline only up to KeepStdoutMax.
func TestServeInlineStdoutIsBounded(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	small, big := runners.KeepStdoutMax, runners.KeepStdoutMax+1
	evs := serve(t,
		jobLine(t, runners.Job{ID: "small", Op: runners.OpCold, Tier: "t", Module: module(t, fmt.Sprintf("big:%d", small)), KeepStdout: true}),
		jobLine(t, runners.Job{ID: "big", Op: runners.OpCold, Tier: "t", Module: module(t, fmt.Sprintf("big:%d", big)), KeepStdout: true}))
	if out, e := outputOf(evs, "small"); out == nil || len(out.Stdout) != small {
		t.Errorf("small: output %+v, error %v; want the %d bytes inline", out, e, small)
	}
	if out, e := outputOf(evs, "big"); out == nil || out.Stdout != nil || out.StdoutBytes != int64(big) || out.StdoutPath != "" {
		t.Errorf("big: output %+v, error %v; want hash and head only", out, e)
	}
	if ents, _ := os.ReadDir(os.Getenv("TMPDIR")); len(ents) != 0 {
		t.Errorf("the worker left %d entries in TMPDIR (%s...)", len(ents), ents[0].Name())
	}
}

// TestServeOutputLimit: a guest writing past Job.MaxOutputBytes, to stdout
// or stderr, fails with KindOutputLimit naming the limit and the flag,
// and the file never grows past the limit; exactly the limit is fine.
func TestServeOutputLimit(t *testing.T) {
	io := t.TempDir()
	const limit = 100 << 10
	job := func(id, m string) string {
		return jobLine(t, runners.Job{ID: id, Op: runners.OpCold, Tier: "t", Module: module(t, m), IODir: io,
			MaxOutputBytes: limit, KeepStdout: true})
	}
	evs := serve(t, job("at", fmt.Sprintf("big:%d", limit)), job("over", fmt.Sprintf("big:%d", 10*limit)),
		job("err", fmt.Sprintf("big:%d:err", limit+1)))
	if out, e := outputOf(evs, "at"); e != nil || out == nil || out.StdoutBytes != limit {
		t.Errorf("exactly at the limit: error %v, output %+v", e, out)
	}
	for id, stream := range map[string]string{"over": "stdout", "err": "stderr"} {
		out, e := outputOf(evs, id)
		if e == nil || e.Kind != runners.KindOutputLimit {
			t.Errorf("%s: error %v; want %s", id, e, runners.KindOutputLimit)
			continue
		}
		for _, want := range []string{"100 KiB", stream, "--max-output"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("%s: message %q does not say %q", id, e.Message, want)
			}
		}
		if out != nil {
			t.Errorf("%s: an output event for an execution over the limit: %+v", id, out)
		}
	}
	ents, _ := os.ReadDir(io)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Size() > limit+1 {
			t.Errorf("%s is %d bytes: the limit did not stop the writes", e.Name(), info.Size())
		}
	}
}

// TestServeHashesWithoutReadingWhole: hashing a 64 MiB stdout allocates a
// small fraction of it (the worker once read it whole, and sent it whole).
func TestServeHashesWithoutReadingWhole(t *testing.T) {
	const n = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, fmt.Sprintf("big:%d", n)),
		IODir: t.TempDir(), MaxOutputBytes: 2 * n}))
	runtime.ReadMemStats(&after)
	out, e := outputOf(evs, "j")
	if e != nil || out == nil || out.StdoutBytes != n {
		t.Fatalf("error %v, output %+v", e, out)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > n/8 {
		t.Errorf("the worker allocated %d MiB for a %d MiB output; want it streamed", alloc>>20, n>>20)
	}
}

// TestRemoveStaleIODirs: only the I/O folders of processes that are gone
// are removed.
func TestRemoveStaleIODirs(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	mine, err := runners.NewIODir(dir)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, fmt.Sprintf("%s%d-123", runners.IOPrefix, dead.Process.Pid))
	other := filepath.Join(dir, runners.IOPrefix+"nopid")
	for _, d := range []string{stale, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := runners.RemoveStaleIODirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != stale {
		t.Errorf("removed %v; want only %s", removed, stale)
	}
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v; it should be left alone", d, err)
		}
	}
}

// TestClientKillsFloodingWorker: a "worker" writing a line without end
// is killed, and Start fails at once; the client once buffered 256 MiB of
// it, failed, then waited for the process, which was blocked writing.
func TestClientKillsFloodingWorker(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := runners.Start(ctx, runners.Command{Path: cat, Args: []string{"/dev/zero"}})
	if err == nil {
		cl.Kill()
		t.Fatal("Start of cat /dev/zero succeeded")
	}
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindCrash || !strings.Contains(e.Message, "longer than") || !strings.Contains(e.Message, "killed") {
		t.Fatalf("Start = %v; want a KindCrash naming the line limit, the process killed", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Start returned only at the test's deadline")
	}
}

// TestWorkerBoundsErrorMessages: an error of any size travels as a
// bounded event line, and the job fails as such.
func TestWorkerBoundsErrorMessages(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "flood")}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTrap || len(e.Message) > 1<<20 || !strings.Contains(e.Message, "truncated") {
		t.Fatalf("Do = %.200v; want the trap, its message truncated", err)
	}
}

// TestClientKillsSilentWorker: a worker that stops answering in the middle
// of an execution with a time limit (here: stopped, so that its own
// watchdog cannot run) is killed by the client, and the job is a timeout.
func TestClientKillsSilentWorker(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: module(t, "stop"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout || !strings.Contains(e.Message, "killed") {
		t.Fatalf("Do = %v; want the client's KindTimeout", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Do returned only at the test's deadline")
	}
}
