package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
)

// fakeTarget answers tasks without processes: it prints what the workload
// expects (or garbage, or fails) and reports fixed phase times.
type fakeTarget struct {
	mu     sync.Mutex
	execNS float64
	// behave decides, per cell key, what goes wrong: "", "wrong", "trap", "crash".
	behave   map[string]string
	tasks    []deploy.Task // every task but prepare steps
	prepares int
	// cancelAfter cancels the run after this many tasks (0: never).
	cancelAfter int
	cancel      context.CancelFunc
	// spread, per cell key, is the standard deviation of a per-process
	// log shift of every time the process reports (0: none), drawn from
	// a generator seeded by the cell and process, so it is the same
	// whatever order the tasks run in.
	spread map[string]float64
}

// shift is a process's time factor.
func (f *fakeTarget) shift(t deploy.Task) float64 {
	sd := f.spread[t.Cell.Key()]
	if sd == 0 {
		return 1
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", t.Cell.Key(), t.Process)
	return math.Exp(sd * rand.New(rand.NewSource(int64(h.Sum64()))).NormFloat64())
}

func (f *fakeTarget) Name() string                    { return "local" }
func (f *fakeTarget) Available(context.Context) error { return nil }

func (f *fakeTarget) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	f.mu.Lock()
	if t.Job.Op == runners.OpPrepare {
		f.prepares++
	} else {
		f.tasks = append(f.tasks, t)
	}
	n := len(f.tasks)
	f.mu.Unlock()
	if f.cancelAfter > 0 && n > f.cancelAfter {
		f.cancel()
		return deploy.Outcome{}, ctx.Err()
	}
	out := deploy.Outcome{RuntimeVersion: "v0-test"}
	ev := func(phase string, iter int, warm bool, ns float64) {
		out.Events = append(out.Events, runners.Event{Type: runners.EventPhase, Phase: phase, Iteration: iter, Warmup: warm, NS: ns})
	}
	behave := f.behave[t.Cell.Key()]
	stdout := expected(t)
	if behave == "wrong" {
		stdout = "42\n"
	}
	sum := sha256.Sum256([]byte(stdout))
	output := func(iter int, warm bool) {
		out.Events = append(out.Events, runners.Event{Type: runners.EventOutput, Iteration: iter, Warmup: warm,
			Output: &runners.Output{StdoutSHA256: hex.EncodeToString(sum[:]), StdoutHead: stdout, StdoutBytes: int64(len(stdout))}})
	}
	switch t.Job.Op {
	case runners.OpPrepare:
		out.Events = append(out.Events, runners.Event{Type: runners.EventArtifact, ArtifactBytes: 1234})
		return out, nil
	case runners.OpCallCost:
		for i := 0; i < t.Job.Warmup+t.Job.Iterations; i++ {
			ev(results.PhaseCall, i, i < t.Job.Warmup, 7)
		}
		return out, nil
	}
	switch behave {
	case "trap":
		out.Err = runners.Errorf(runners.KindTrap, "wasm trap: unreachable")
		return out, nil
	case "crash":
		out.Err = &runners.Error{Kind: runners.KindCrash, Message: "worker closed its output (signal: aborted)", Stderr: "fatal: boom"}
		return out, nil
	}
	x := f.shift(t)
	ev(results.PhaseInit, 0, t.Job.Op == runners.OpWarm, 1000)
	ev(results.PhaseCompile, 0, t.Job.Op == runners.OpWarm, 2000)
	if t.Job.Op == runners.OpCold {
		ev(results.PhaseInstantiate, 0, false, 300)
		ev(results.PhaseExecute, 0, false, f.execNS*x)
		output(0, false)
		out.Spawn, out.Total = time.Millisecond, 2*time.Millisecond+time.Duration(f.execNS*x)
		return out, nil
	}
	for i := 0; i < t.Job.Warmup+t.Job.Iterations; i++ {
		ev(results.PhaseInstantiate, i, i < t.Job.Warmup, 300)
		ev(results.PhaseExecute, i, i < t.Job.Warmup, f.execNS*x)
		output(i, i < t.Job.Warmup)
	}
	return out, nil
}

func expected(t deploy.Task) string {
	name, param := t.Cell.Workload, t.Cell.Param
	if name == CalibrationWorkload {
		name, param = "fib", t.Job.Args[0]
	}
	w, err := workloads.Get(name)
	if err != nil {
		return ""
	}
	n, _ := strconv.ParseInt(param, 10, 64)
	e, err := w.Expect(t.Cell.Lang, n)
	if err != nil {
		return ""
	}
	return string(e.Stdout)
}

func testRuntimes() []*Runtime {
	return []*Runtime{
		{RuntimeSpec: RuntimeSpec{Name: "wazero", Binary: "bench-wazero"}, Version: "v1.12.0", Tiers: []runners.TierInfo{
			{Name: "jit"}, {Name: "aot", Prepared: true}, {Name: "interp"}}},
		{RuntimeSpec: RuntimeSpec{Name: "wasmer", Binary: "bench-wasmer"}, Unavailable: "worker bench-wasmer not found"},
		{RuntimeSpec: RuntimeSpec{Name: "wasmtime", Binary: "bench-wasmtime"}, Version: "v25.0.0", Tiers: []runners.TierInfo{
			{Name: "interpreter", Unavailable: "Pulley is not built in"}}},
	}
}

func testConfig(t *testing.T, ft *fakeTarget) Config {
	o := Defaults(true)
	o.Workloads = []string{"fib", "primes"}
	o.Langs = []string{"c", "go"}
	o.Seed = 1
	return Config{Options: o, Out: filepath.Join(t.TempDir(), "run"), BinDir: t.TempDir(),
		Targets: map[string]deploy.Target{"local": ft}, Runtimes: testRuntimes(), Preparer: ft, Argv: []string{"bench", "run", "--quick"}}
}

func count(recs []results.Record, pred func(results.Record) bool) int {
	n := 0
	for _, r := range recs {
		if pred(r) {
			n++
		}
	}
	return n
}

func TestRunRecordsEveryCellVerified(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	cfg := testConfig(t, ft)
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := res.Records
	if recs[0].Kind != results.KindEnv || recs[0].Env == nil || len(recs[0].Env.Command) == 0 {
		t.Fatalf("first record is not the env fingerprint with the command: %+v", recs[0])
	}
	// 3 tiers x 2 workloads x 2 langs = 12 cells + 3 call-cost cells.
	if res.Cells != 15 || res.Failed != 0 {
		t.Fatalf("cells %d failed %d, want 15 and 0", res.Cells, res.Failed)
	}
	if n := count(recs, func(r results.Record) bool { return r.Kind == results.KindNote && strings.Contains(r.Note, "wasmer") }); n != 1 {
		t.Errorf("want one note saying wasmer is unavailable, got %d", n)
	}
	cold := map[string]int{}
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Phase == results.PhaseExecute {
			if !r.Verified {
				t.Errorf("unverified execute sample: %+v", r)
			}
			if r.Cold {
				cold[r.Key()]++
			}
		}
	}
	for k, n := range cold {
		if n < cfg.Options.MinCold {
			t.Errorf("%s: %d cold samples, want at least %d", k, n, cfg.Options.MinCold)
		}
	}
	if len(cold) != 12 {
		t.Errorf("cold samples in %d cells, want 12", len(cold))
	}
	if n := count(recs, func(r results.Record) bool { return r.Phase == results.PhaseArtifactBytes && r.Tier == "aot" }); n != 4 {
		t.Errorf("artifact_bytes records for aot cells: %d, want 4", n)
	}
	if n := count(recs, func(r results.Record) bool { return r.Phase == results.PhaseCall && r.Unit == results.UnitNSCall }); n == 0 {
		t.Error("no call-cost samples")
	}
	if n := count(recs, func(r results.Record) bool { return r.Phase == results.PhaseExecute && !r.Cold && r.Warmup }); n == 0 {
		t.Error("warm-up executions were not recorded")
	}
	// Prepare runs once per runtime, tier and module, not per cell sample:
	// four workload modules and the no-op module.
	if ft.prepares != 5 {
		t.Errorf("prepare ran %d times, want once per aot module (5)", ft.prepares)
	}
}

func TestRunInterleavesCells(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	if _, err := Run(context.Background(), testConfig(t, ft)); err != nil {
		t.Fatal(err)
	}
	// In the first len(cells) tasks every cell appears once: a round.
	seen := map[string]bool{}
	for _, task := range ft.tasks[:12] {
		if seen[task.Cell.Key()] {
			t.Fatalf("cell %s ran twice before every cell ran once", task.Cell.Key())
		}
		seen[task.Cell.Key()] = true
	}
	// And the order is not grouped by runtime tier: some tier changes
	// between consecutive tasks at least a few times.
	changes := 0
	for i := 1; i < len(ft.tasks); i++ {
		if ft.tasks[i].Cell.Tier != ft.tasks[i-1].Cell.Tier {
			changes++
		}
	}
	if changes < 5 {
		t.Errorf("tier changed only %d times in %d tasks: not interleaved", changes, len(ft.tasks))
	}
}

func TestRunFailuresDoNotStopTheRun(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6, behave: map[string]string{
		"wazero/jit/fib/c/32/local":     "wrong",
		"wazero/interp/fib/go/32/local": "trap",
		"wazero/jit/primes/go/" + strconv.FormatInt(workloads.PrimesDefault/8, 10) + "/local": "crash",
	}}
	res, err := Run(context.Background(), testConfig(t, ft))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 3 {
		t.Fatalf("failed cells %d, want 3", res.Failed)
	}
	fails := map[string]results.Record{}
	for _, r := range res.Records {
		if r.Kind == results.KindFailure {
			fails[r.Key()] = r
		}
	}
	if f := fails["wazero/jit/fib/c/32/local"]; !strings.Contains(f.Error, "not verified") || !strings.Contains(f.Error, "42") {
		t.Errorf("wrong output: failure %+v should say the output was not verified and show it", f)
	}
	if f := fails["wazero/interp/fib/go/32/local"]; f.ErrorKind != "trap" {
		t.Errorf("trap: failure %+v", f)
	}
	for _, r := range res.Records {
		if r.Kind == results.KindSample && r.Key() == "wazero/jit/fib/c/32/local" && r.Phase == results.PhaseExecute && r.Verified {
			t.Error("a sample with the wrong output is marked verified")
		}
	}
	// The other cells still finished with samples.
	if n := count(res.Records, func(r results.Record) bool {
		return r.Kind == results.KindSample && r.Key() == "wazero/jit/fib/go/32/local" && r.Phase == results.PhaseExecute
	}); n == 0 {
		t.Error("a healthy cell has no samples")
	}
}

func TestSlowCellTakesOneSampleAndSkipsWarm(t *testing.T) {
	ft := &fakeTarget{execNS: float64(10 * time.Second)} // over the quick budget
	cfg := testConfig(t, ft)
	cfg.Options.Runtimes = []string{"wazero"}
	cfg.Options.Tiers = []string{"interp"}
	cfg.Options.Workloads = []string{"fib"}
	cfg.Options.Langs = []string{"c"}
	cfg.Options.Budget = time.Nanosecond // the fake's wall time always exceeds it
	cfg.Options.CallCost = false
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.tasks) != 1 || ft.tasks[0].Job.Op != runners.OpCold {
		t.Fatalf("a cell over budget ran %d tasks, want one cold sample", len(ft.tasks))
	}
	var notes []string
	for _, r := range res.Records {
		if r.Kind == results.KindNote && r.Key() == "wazero/interp/fib/c/32/local" {
			notes = append(notes, r.Note)
		}
	}
	want := "stopped on budget without an interval (it needs 3 processes of each kind) after 1 cold and 0 warm processes " +
		"(cold total no interval (1 process), no warm processes: one execution (10s) is longer than the budget (1ns);"
	if len(notes) != 1 || !strings.HasPrefix(notes[0], want) {
		t.Errorf("notes on the slow cell %q, want one starting %q", notes, want)
	}
}

func TestInterruptKeepsSamplesAndResumes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTarget{execNS: 1e6, cancelAfter: 10, cancel: cancel}
	cfg := testConfig(t, ft)
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("run not marked interrupted")
	}
	// Prepare steps commit their samples with a task line too.
	tasks := count(res.Records, func(r results.Record) bool {
		return r.Kind == results.KindTask && !strings.Contains(r.Task, "|"+taskPrepare+"|")
	})
	if tasks != 10 {
		t.Fatalf("kept %d finished tasks, want 10", tasks)
	}
	// Resume: finishes the rest, and never repeats a finished task.
	ft2 := &fakeTarget{execNS: 1e6}
	cfg2 := cfg
	cfg2.Targets = map[string]deploy.Target{"local": ft2}
	cfg2.Preparer = ft2
	cfg2.Resume = true
	res2, err := Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, r := range res2.Records {
		if r.Kind == results.KindTask {
			ids[r.Task]++
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("task %s recorded %d times after resume", id, n)
		}
	}
	prepares := 0
	for id := range ids {
		if strings.Contains(id, "|"+taskPrepare+"|") {
			prepares++
		}
	}
	if len(ft2.tasks)+10 != len(ids)-prepares {
		t.Errorf("resume ran %d tasks; with the 10 kept that is %d, but %d distinct tasks were recorded", len(ft2.tasks), len(ft2.tasks)+10, len(ids))
	}
	if res2.Failed != 0 || res2.Interrupted {
		t.Errorf("resumed run: failed %d interrupted %v", res2.Failed, res2.Interrupted)
	}
}

func TestOutputFolderRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, &fakeTarget{execNS: 1e6})
	cfg.Out = dir
	_, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrNotARun) {
		t.Fatalf("a folder that is not a run: err %v, want ErrNotARun", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "thesis.tex")); string(b) != "precious" {
		t.Fatal("the foreign folder was touched")
	}
	// A finished run is not overwritten either.
	cfg = testConfig(t, &fakeTarget{execNS: 1e6})
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("second run into the same folder: %v, want a hint to --resume", err)
	}
}

func TestPlanRejectsBadNames(t *testing.T) {
	rts := testRuntimes()
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Runtimes: []string{"wasm3"}}, "unknown runtime \"wasm3\" (valid: native, wazero, wasmtime, wasmtime39, wasmer, node)"},
		{Options{Tiers: []string{"turbo"}}, "unknown tier \"turbo\""},
		{Options{Workloads: []string{"sort"}}, "unknown workload \"sort\" (valid: fib, primes, image)"},
		{Options{Langs: []string{"zig"}}, "unknown language \"zig\""},
		{Options{Params: map[string][]int64{"fib": {99}}}, "fib=99 is out of range"},
		{Options{Params: map[string][]int64{"image": {100}}}, "fixed parameter"},
		{Options{Params: map[string][]int64{"nope": {1}}}, "unknown workload \"nope\""},
		{Options{Runtimes: []string{"wasmer"}}, "nothing to run: runtime unavailable"},
	} {
		_, _, err := Plan(tc.o, rts, []string{"local"}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Plan(%+v): %v, want %q", tc.o, err, tc.want)
		}
	}
	if _, err := ParseParams([]string{"fib=25,x"}); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Errorf("ParseParams malformed: %v", err)
	}
	p, err := ParseParams([]string{"fib=25,30", "primes=1000"})
	if err != nil || len(p["fib"]) != 2 || p["primes"][0] != 1000 {
		t.Errorf("ParseParams: %v %v", p, err)
	}
}

func TestETAIgnoresCallCostCells(t *testing.T) {
	o := Defaults(false)
	states := []*cellState{
		{Cell: &Cell{}, callCost: true, done: true, elapsed: time.Millisecond},
		{Cell: &Cell{}, done: true, elapsed: 4 * time.Second},
		{Cell: &Cell{}, elapsed: time.Second},
		{Cell: &Cell{}},
		{Cell: &Cell{}, callCost: true},
	}
	p := newProgress(nil, false, states, o)
	// The rest of its budget for the started cell, a whole budget for the
	// fresh one, 0.2s for the call-cost cell.
	if got, want := p.eta(), (2*o.Budget - time.Second + 200*time.Millisecond).Round(time.Second); got != want {
		t.Errorf("eta %v, want %v", got, want)
	}
}

func TestDefaultMatrixLeavesInterpretersOut(t *testing.T) {
	tiersOf := func(o Options) map[string]bool {
		cells, notes, err := Plan(o, testRuntimes(), []string{"local"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, c := range cells {
			got[c.Tier] = true
		}
		if !o.Quick && len(o.Tiers) == 0 {
			found := false
			for _, n := range notes {
				found = found || (n.Tier == "interp" && n.Note == OutOfDefault)
			}
			if !found {
				t.Error("no note says why the interpreter is left out")
			}
		}
		return got
	}
	// An unavailable interpreter is noted as unavailable, not as left out.
	_, notes, _ := Plan(Defaults(false), testRuntimes(), []string{"local"}, t.TempDir())
	for _, n := range notes {
		if n.Runtime == "wasmtime" && !strings.Contains(n.Note, "Pulley is not built in") {
			t.Errorf("wasmtime's unavailable interpreter noted as %q", n.Note)
		}
	}
	if got := tiersOf(Defaults(false)); got["interp"] || !got["jit"] || !got["aot"] {
		t.Errorf("default matrix tiers %v: want jit and aot, not interp", got)
	}
	if got := tiersOf(Defaults(true)); !got["interp"] {
		t.Errorf("quick matrix tiers %v: want interp too", got)
	}
	o := Defaults(false)
	o.Tiers = []string{"interp"}
	if got := tiersOf(o); !got["interp"] || len(got) != 1 {
		t.Errorf("--tier interp: tiers %v", got)
	}
	// --quick keeps interpreters off the fixed-size image workload, and
	// says so, unless --tier names them.
	interpImage := func(o Options) (cells, notes int) {
		cs, ns, err := Plan(o, testRuntimes(), []string{"local"}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Tier == "interp" && c.Cell.Workload == "image" {
				cells++
			}
		}
		for _, n := range ns {
			if n.Tier == "interp" && n.Workload == "image" && n.Note == OutOfQuick {
				notes++
			}
		}
		return cells, notes
	}
	img, err := workloads.Get("image")
	if err != nil {
		t.Fatal(err)
	}
	langs := len(img.Langs)
	if c, n := interpImage(Defaults(true)); c != 0 || n != langs {
		t.Errorf("--quick: %d interpreter image cells and %d notes, want none and one per language (%d)", c, n, langs)
	}
	o = Defaults(true)
	o.Tiers = []string{"interp"}
	if c, n := interpImage(o); c != langs || n != 0 {
		t.Errorf("--quick --tier interp: %d interpreter image cells and %d notes, want %d and none", c, n, langs)
	}
}
