package lambdalocal

import (
	"context"
	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/deploy/pricing"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
)

// fibTask is a task running the C fib workload on bench-wazero.
func fibTask(t testing.TB, op runners.Op, tier string, n int64) deploy.Task {
	t.Helper()
	w, err := workloads.Get("fib")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := w.Wasm("c")
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(t.TempDir(), "fib.c.wasm")
	if err := os.WriteFile(mod, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return deploy.Task{
		Cell:   results.Cell{Runtime: "wazero", Tier: tier, Workload: "fib", Lang: "c", Param: "20", Target: "lambda-local"},
		Worker: client.Command{Path: build(t, "github.com/wasmbench/bench/cmd/bench-wazero", "bench-wazero")},
		Job: runners.Job{ID: "j", Op: op, Tier: tier, Module: runners.ModuleRef{Name: "fib.c.wasm", Path: mod},
			Args: w.Args(n)},
		MemoryMB: 512,
	}
}

// testTarget is the target for tests that are not about the function
// timeout: a minute, so that a CPU share of a busy machine does not fail
// them.
func testTarget(opts Options) *Target {
	if opts.FunctionTimeout == 0 {
		opts.FunctionTimeout = time.Minute
	}
	return New(opts)
}

func checkFib(t *testing.T, out deploy.Outcome, n int64, outputs int) {
	t.Helper()
	w, _ := workloads.Get("fib")
	exp, err := w.Expect("c", n)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, ev := range out.Events {
		if ev.Type == runners.EventOutput {
			got++
			if err := exp.Check(ev.Output); err != nil {
				t.Errorf("output %d: %v", got, err)
			}
		}
	}
	if got != outputs {
		t.Errorf("%d outputs, want %d", got, outputs)
	}
}

func extras(out deploy.Outcome) map[string][]results.Record {
	m := map[string][]results.Record{}
	for _, r := range out.Extra {
		m[r.Phase] = append(m[r.Phase], r)
	}
	return m
}

func phaseList(evs []runners.Event) string {
	var s []string
	for _, e := range evs {
		if e.Type == runners.EventPhase {
			s = append(s, e.Phase)
		} else {
			s = append(s, string(e.Type))
		}
	}
	return strings.Join(s, ",")
}

func TestTargetColdAndWarmWazero(t *testing.T) {
	tg := testTarget(Options{})
	defer tg.Close()
	ctx := context.Background()

	out, err := tg.Run(ctx, fibTask(t, runners.OpCold, "jit", 20))
	if err != nil {
		t.Fatal(err)
	}
	if out.Err != nil {
		t.Fatalf("cold: %v\n%s", out.Err, out.Err.Stderr)
	}
	checkFib(t, out, 20, 1)
	if got := phaseList(out.Events); got != "init,compile,instantiate,execute,output" {
		t.Errorf("cold events %s", got)
	}
	if out.RuntimeVersion == "" || out.Spawn <= 0 || out.Total <= out.Spawn || out.MaxRSS <= 0 {
		t.Errorf("cold outcome: version %q spawn %v total %v maxrss %d", out.RuntimeVersion, out.Spawn, out.Total, out.MaxRSS)
	}
	ex := extras(out)
	for _, p := range []string{results.PhaseInitDuration, results.PhaseDuration, results.PhaseBilledDuration, results.PhaseMaxMemoryUsed, results.PhasePackageBytes} {
		if len(ex[p]) != 1 || ex[p][0].Value <= 0 || !ex[p][0].Cold || ex[p][0].MemoryMB != 512 || ex[p][0].Package != "zip" {
			t.Errorf("extra %s: %+v", p, ex[p])
		}
	}
	// The price is what Lambda would bill for this REPORT (512 MB, x86_64).
	billed := ex[results.PhaseBilledDuration][0].Value
	wantUSD, _ := pricing.Default.Invocation(pricing.X86_64, 512, billed/1e6)
	if p := ex[results.PhasePrice]; len(p) != 1 || p[0].Unit != results.UnitUSD || p[0].Value != wantUSD || p[0].PriceUSD != wantUSD {
		t.Errorf("price %+v, want %g USD for %v ns billed at 512 MB", p, wantUSD, billed)
	}
	// Every record carries the CPU share of 512 MB, and says how it was
	// applied, or why not.
	note := tg.CPUScaling(512)
	for _, r := range out.Extra {
		if r.Note != note {
			t.Errorf("%s: note %q, want %q", r.Phase, r.Note, note)
		}
		if want := LambdaCPU(512).VCPU(); strings.HasPrefix(note, "cpu quota") && r.CPUQuota != want {
			t.Errorf("%s: cpu quota %v, want %v", r.Phase, r.CPUQuota, want)
		}
	}
	if !strings.HasPrefix(note, "cpu quota 0.289 vCPU for 512 MB") && !strings.HasPrefix(note, "cpu not scaled (") {
		t.Errorf("note %q", note)
	}
	// The client's total holds the environment's init and the invocation.
	if init, dur := ex[results.PhaseInitDuration][0].Value, ex[results.PhaseDuration][0].Value; float64(out.Total) < init+dur {
		t.Errorf("client total %v < init %v + duration %v", out.Total, init, dur)
	}

	task := fibTask(t, runners.OpWarm, "jit", 20)
	task.Job.Warmup, task.Job.Iterations = 1, 2
	out, err = tg.Run(ctx, task)
	if err != nil || out.Err != nil {
		t.Fatalf("warm: %v %v", err, out.Err)
	}
	checkFib(t, out, 20, 3)
	want := "init,compile,instantiate,execute,output,instantiate,execute,output,instantiate,execute,output"
	if got := phaseList(out.Events); got != want {
		t.Errorf("warm events %s", got)
	}
	for _, ev := range out.Events {
		setup := ev.Phase == results.PhaseInit || ev.Phase == results.PhaseCompile
		if (setup || ev.Iteration == 0) != ev.Warmup {
			t.Errorf("warm event %+v: warmup flag wrong", ev)
		}
	}
	ex = extras(out)
	if len(ex[results.PhaseDuration]) != 3 || len(ex[results.PhaseInitDuration]) != 1 || !ex[results.PhaseInitDuration][0].Warmup {
		t.Errorf("warm extras: %+v", out.Extra)
	}
	for i, r := range ex[results.PhaseDuration] {
		if r.Iteration != i || r.Warmup != (i == 0) || r.Cold {
			t.Errorf("warm duration %d: %+v", i, r)
		}
	}
	if out.Total != 0 || out.Spawn != 0 {
		t.Errorf("a warm task has a client total %v / spawn %v", out.Total, out.Spawn)
	}
}

func TestTargetAOTArtifactIsPackaged(t *testing.T) {
	tg := testTarget(Options{})
	defer tg.Close()
	ctx := context.Background()
	prep := fibTask(t, runners.OpPrepare, "aot", 20)
	prep.Job.ArtifactDir = t.TempDir()
	out, err := tg.Run(ctx, prep)
	if err != nil || out.Err != nil {
		t.Fatalf("prepare: %v %v", err, out.Err)
	}
	cold := fibTask(t, runners.OpCold, "aot", 20)
	cold.Job.ArtifactDir = prep.Job.ArtifactDir
	out, err = tg.Run(ctx, cold)
	if err != nil || out.Err != nil {
		t.Fatalf("aot cold: %v %v", err, out.Err)
	}
	checkFib(t, out, 20, 1)
	if got := phaseList(out.Events); got != "init,load,instantiate,execute,output" {
		t.Errorf("aot cold events %s", got)
	}
}

func TestTargetFailures(t *testing.T) {
	tg := testTarget(Options{})
	defer tg.Close()
	ctx := context.Background()

	// A module that does not compile fails the environment's init.
	bad := fibTask(t, runners.OpCold, "jit", 20)
	os.WriteFile(bad.Job.Module.Path, []byte("\x00asm\x01\x00\x00\x00garbage"), 0o644)
	out, err := tg.Run(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if out.Err == nil || out.Err.Kind != runners.KindCompile || !strings.Contains(out.Err.Message, "init") ||
		!strings.Contains(out.Err.Stderr, "init failed") {
		t.Errorf("bad module: %+v", out.Err)
	}
	if len(extras(out)[results.PhaseInitDuration]) != 1 {
		t.Errorf("an init failure still has its REPORT: %+v", out.Extra)
	}

	// An AOT tier whose artifact was never prepared.
	np := fibTask(t, runners.OpCold, "aot", 20)
	np.Job.ArtifactDir = t.TempDir()
	out, _ = tg.Run(ctx, np)
	if out.Err == nil || out.Err.Kind != runners.KindNotPrepared {
		t.Errorf("aot without artifact: %+v", out.Err)
	}

	// The guest's timeout, enforced inside the function (wazero stops it).
	slow := fibTask(t, runners.OpCold, "interp", 45)
	slow.Job.TimeoutNS = 200e6
	out, _ = tg.Run(ctx, slow)
	if out.Err == nil || out.Err.Kind != runners.KindTimeout {
		t.Errorf("fib(45) in 200 ms: %+v", out.Err)
	}

	// A guest that exits non-zero.
	ex := fibTask(t, runners.OpCold, "jit", 20)
	ex.Job.Args = []string{"not-a-number"}
	out, _ = tg.Run(ctx, ex)
	if out.Err == nil || (out.Err.Kind != runners.KindExit && out.Err.Kind != runners.KindTrap) {
		t.Errorf("bad argument: %+v", out.Err)
	}

	cc := fibTask(t, runners.OpCallCost, "jit", 20)
	out, _ = tg.Run(ctx, cc)
	if out.Err == nil || out.Err.Kind != runners.KindUnsupported {
		t.Errorf("callcost: %+v", out.Err)
	}
}

// A handler past the function timeout fails the cell as a timeout that
// names the phase and the limit; the guest's own limit (none here) does
// not extend it.
func TestTargetFunctionTimeout(t *testing.T) {
	tg := New(Options{FunctionTimeout: 500 * time.Millisecond})
	defer tg.Close()
	out, err := tg.Run(context.Background(), fibTask(t, runners.OpCold, "interp", 45))
	if err != nil {
		t.Fatal(err)
	}
	if out.Err == nil || out.Err.Kind != runners.KindTimeout ||
		!strings.Contains(out.Err.Message, "timeout in phase invoke: the handler ran past the function timeout (0.5 s)") ||
		!strings.Contains(out.Err.Message, "Task timed out after 0.50 seconds") {
		t.Fatalf("fib(45) under a 0.5 s function timeout: %+v", out.Err)
	}
	if d := extras(out)[results.PhaseDuration]; len(d) != 1 || d[0].Value < 500e6 {
		t.Errorf("the timed-out invocation's duration: %+v", d)
	}
}

// A task's own function timeout (bench run --function-timeout) is the
// one its environment gets, over the target's.
func TestTargetTaskFunctionTimeout(t *testing.T) {
	tg := New(Options{FunctionTimeout: time.Minute})
	defer tg.Close()
	task := fibTask(t, runners.OpCold, "interp", 45)
	task.FunctionTimeout = 500 * time.Millisecond
	out, err := tg.Run(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	if out.Err == nil || out.Err.Kind != runners.KindTimeout ||
		!strings.Contains(out.Err.Message, "the handler ran past the function timeout (0.5 s)") {
		t.Fatalf("fib(45) with a task's 0.5 s function timeout: %+v", out.Err)
	}
	task.FunctionTimeout = MaxTimeout + time.Second
	if _, err := tg.Run(context.Background(), task); err == nil || !strings.Contains(err.Error(), "function timeout 15m1s") {
		t.Errorf("a task's function timeout past Lambda's maximum: %v", err)
	}
}

// fakeTask is a task whose function is fakefn, set up by the FAKEFN_*
// settings in its module file.
func fakeTask(t *testing.T, settings string) deploy.Task {
	t.Helper()
	task := fibTask(t, runners.OpCold, "jit", 20)
	task.Worker = client.Command{Path: build(t, "github.com/wasmbench/bench/deploy/lambdalocal/testdata/fakefn", "fakefn")}
	if err := os.WriteFile(task.Job.Module.Path, []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return task
}

// An INIT past its limit is re-run inside the invocation: the samples say
// so, and the first INIT is a suppressed_init sample, not an
// init_duration.
func TestTargetSuppressedInit(t *testing.T) {
	tg := New(Options{InitTimeout: 200 * time.Millisecond, FunctionTimeout: time.Minute})
	defer tg.Close()
	out, err := tg.Run(context.Background(), fakeTask(t, "FAKEFN_MODE=slow-init FAKEFN_SLEEP_MS=400"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Err != nil {
		t.Fatalf("suppressed init: %+v", out.Err)
	}
	ex := extras(out)
	if len(ex[results.PhaseInitDuration]) != 0 || len(ex[results.PhaseSuppressedInit]) != 1 || ex[results.PhaseSuppressedInit][0].Value < 200e6 {
		t.Errorf("init samples: %+v", out.Extra)
	}
	if d := ex[results.PhaseDuration]; len(d) != 1 || d[0].Value < 400e6 {
		t.Errorf("the duration does not hold the re-run INIT: %+v", d)
	}
	for _, r := range out.Extra {
		if r.Phase != results.PhasePackageBytes && !strings.Contains(r.Note, "suppressed init: the INIT ran past Lambda's 0.2 s init limit") {
			t.Errorf("%s: note %q", r.Phase, r.Note)
		}
	}
}

// A re-run INIT past the function timeout fails the cell as a timeout in
// phase invoke, naming both limits.
func TestTargetSuppressedInitTimesOut(t *testing.T) {
	tg := New(Options{InitTimeout: 200 * time.Millisecond, FunctionTimeout: 300 * time.Millisecond})
	defer tg.Close()
	out, err := tg.Run(context.Background(), fakeTask(t, "FAKEFN_MODE=slow-init FAKEFN_SLEEP_MS=60000"))
	if err != nil {
		t.Fatal(err)
	}
	want := "timeout in phase invoke: the INIT ran past Lambda's 0.2 s init limit (phase init), was re-run inside the " +
		"invocation and ran past the function timeout (0.3 s) there: RequestId: "
	if out.Err == nil || out.Err.Kind != runners.KindTimeout || !strings.HasPrefix(out.Err.Message, want) {
		t.Fatalf("got %+v\nwant kind timeout, message %q...", out.Err, want)
	}
	if len(extras(out)[results.PhaseSuppressedInit]) != 1 {
		t.Errorf("no suppressed_init sample: %+v", out.Extra)
	}
}

func TestTargetFunctionTimeoutOption(t *testing.T) {
	if d := New(Options{}).FunctionTimeout(); d != 3*time.Second {
		t.Errorf("default function timeout %v, want Lambda's 3 s", d)
	}
	for _, bad := range []time.Duration{-time.Second, MaxTimeout + time.Second} {
		tg := New(Options{FunctionTimeout: bad})
		err := tg.Available(context.Background())
		if err == nil || !strings.Contains(err.Error(), "function timeout") || !strings.Contains(err.Error(), "15m0s") {
			t.Errorf("function timeout %v: %v", bad, err)
		}
		if _, err := tg.Run(context.Background(), fibTask(t, runners.OpCold, "jit", 20)); err == nil {
			t.Errorf("function timeout %v: Run went ahead", bad)
		}
	}
}

// invokeError names the phase and the limit of every timeout.
func TestInvokeErrorNamesPhaseAndLimit(t *testing.T) {
	cfg := Config{Timeout: 3 * time.Second, InitTimeout: 10 * time.Second}
	payload := errorDoc("Sandbox.Timedout", "RequestId: x Error: Task timed out after 3.00 seconds")
	for _, c := range []struct {
		name string
		resp Response
		want string
	}{
		{"handler", Response{Cold: true, Delivered: time.Now()},
			"timeout in phase invoke: the handler ran past the function timeout (3 s, Lambda's default)"},
		{"warm runtime never asked", Response{},
			"timeout in phase invoke: the warm runtime did not ask for the event within the function timeout (3 s, Lambda's default)"},
		{"re-run INIT", Response{Cold: true, SuppressedInit: true, InitError: true},
			"timeout in phase invoke: the INIT ran past Lambda's 10 s init limit (phase init), was re-run inside the invocation and ran past the function timeout (3 s, Lambda's default) there"},
		{"handler after a re-run INIT", Response{Cold: true, SuppressedInit: true, Delivered: time.Now()},
			"timeout in phase invoke: the INIT ran past Lambda's 10 s init limit (phase init) and was re-run inside the invocation; with it the handler ran past the function timeout (3 s, Lambda's default)"},
	} {
		c.resp.FunctionError, c.resp.ErrorType, c.resp.Payload = "Unhandled", "Sandbox.Timedout", payload
		e := invokeError(c.resp, lambdareport.Report{}, cfg, 0)
		if e.Kind != runners.KindTimeout || !strings.HasPrefix(e.Message, c.want+": RequestId: x Error: Task timed out after 3.00 seconds") {
			t.Errorf("%s: %s %q\nwant prefix %q", c.name, e.Kind, e.Message, c.want)
		}
	}
	cfg.Timeout = 30 * time.Second
	resp := Response{FunctionError: "Unhandled", ErrorType: "Sandbox.Timedout", Payload: payload, Delivered: time.Now()}
	if e := invokeError(resp, lambdareport.Report{}, cfg, 0); !strings.Contains(e.Message, "the function timeout (30 s)") {
		t.Errorf("a set timeout: %q", e.Message)
	}
	// A worker that exits because it cannot interrupt a guest past the
	// job's own limit timed out too; exiting so otherwise is a crash.
	exit3 := Response{FunctionError: "Unhandled", ErrorType: "Runtime.ExitError", ExitCode: 3,
		Payload: errorDoc("Runtime.ExitError", "RequestId: x Error: Runtime exited with error: exit status 3")}
	if e := invokeError(exit3, lambdareport.Report{Duration: 2 * time.Second}, cfg, 200*time.Millisecond); e.Kind != runners.KindTimeout ||
		!strings.Contains(e.Message, "timeout in phase invoke: the guest ran past its own limit (200ms)") {
		t.Errorf("exit 3 past the guest's limit: %s %q", e.Kind, e.Message)
	}
	if e := invokeError(exit3, lambdareport.Report{Duration: 100 * time.Millisecond}, cfg, 200*time.Millisecond); e.Kind != runners.KindCrash {
		t.Errorf("exit 3 before the guest's limit: %s %q", e.Kind, e.Message)
	}
}

func TestTargetMemoryExceeded(t *testing.T) {
	tg := testTarget(Options{})
	defer tg.Close()
	// A function that allocates 256 MB in 64 MB (fakefn reads the size from
	// the request's env). A real runtime squeezed into a few MB can make
	// the kernel thrash on its executable's pages for long before it kills.
	task := fibTask(t, runners.OpCold, "jit", 20)
	task.Worker = client.Command{Path: build(t, "github.com/wasmbench/bench/deploy/lambdalocal/testdata/fakefn", "fakefn")}
	task.Job.Env = map[string]string{"FAKEFN_ALLOC_MB": "256"}
	task.MemoryMB = 64
	out, err := tg.Run(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("memory: %s", tg.MemoryEnforcement())
	if out.Err == nil || out.Err.Kind != runners.KindMemory || !strings.Contains(out.Err.Message, "Runtime.OutOfMemory") {
		t.Fatalf("256 MB in a 64 MB function: %+v", out.Err)
	}
}

// nodeWorker is the Node.js worker command from the source tree.
func nodeWorker(t *testing.T, tier string) client.Command {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "runners", "node", "worker.mjs")
	flags := map[string][]string{"baseline": {"--liftoff-only"}, "jit": {"--no-liftoff"}, "tiered": nil}[tier]
	return client.Command{Path: node, Args: append(append([]string{"--no-warnings"}, flags...), script)}
}

func TestTargetNodeHostedFunction(t *testing.T) {
	tg := testTarget(Options{})
	defer tg.Close()
	ctx := context.Background()
	task := fibTask(t, runners.OpWarm, "baseline", 20)
	task.Worker = nodeWorker(t, "baseline")
	task.Cell.Runtime = "node"
	task.Job.Iterations = 2
	out, err := tg.Run(ctx, task)
	if err != nil || out.Err != nil {
		t.Fatalf("node warm: %v %+v", err, out.Err)
	}
	checkFib(t, out, 20, 2)
	if got := phaseList(out.Events); got != "init,compile,instantiate,execute,output,instantiate,execute,output" {
		t.Errorf("node events %s", got)
	}
	if !strings.HasPrefix(out.RuntimeVersion, "v") {
		t.Errorf("node version %q", out.RuntimeVersion)
	}

	// The bootstrap picks node's flags for the tier: a jit function whose
	// worker runs baseline would fail its init; this one must not.
	jit := fibTask(t, runners.OpCold, "jit", 20)
	jit.Worker = nodeWorker(t, "jit")
	out, err = tg.Run(ctx, jit)
	if err != nil || out.Err != nil {
		t.Fatalf("node jit cold: %v %+v", err, out.Err)
	}
	checkFib(t, out, 20, 1)

	bad := fibTask(t, runners.OpCold, "tiered", 20)
	bad.Worker = nodeWorker(t, "tiered")
	os.WriteFile(bad.Job.Module.Path, []byte("garbage"), 0o644)
	out, _ = tg.Run(ctx, bad)
	if out.Err == nil || out.Err.Kind != runners.KindCompile || !strings.Contains(out.Err.Message, "init") {
		t.Errorf("node bad module: %+v", out.Err)
	}
}
