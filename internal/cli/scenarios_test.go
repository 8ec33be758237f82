package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy/targets"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, writing name.got beside it
// when they differ (and rewriting it with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from what the command printed (in %s.got); go test -update rewrites it", path, path)
	}
}

func TestScenariosList(t *testing.T) {
	s, out, errb := testState(t)
	if code := Run(s, []string{"scenarios"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	golden(t, "scenarios.golden", out.Bytes())
}

func TestScenariosShow(t *testing.T) {
	s, out, _ := testState(t)
	if code := Run(s, []string{"scenarios", "show", "precompile"}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	sc, err := scenarios.Load("precompile")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), sc.Text) {
		t.Errorf("show printed something else than the file:\n%s", out.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scenarios", "show", "nope"}, `unknown scenario "nope" (scenarios: edge-size, node-vs-wasm-image, precompile, runtimes-primes-fib;`},
		{[]string{"scenarios", "show"}, "want no argument (list) or show NAME"},
		{[]string{"scenarios", "list", "x"}, "want no argument (list) or show NAME"},
	} {
		s, _, errb := testState(t)
		if code := Run(s, c.args); code != ExitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want %q", strings.Join(c.args, " "), code, errb.String(), c.want)
		}
	}
}

// TestScenarioFlags: a flag that changes the question is refused; one that
// changes sampling or output overrides the scenario.
func TestScenarioFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--scenario", "precompile", "--runtime", "wazero", "--memory", "1769", "--out", out},
			"--scenario precompile sets the matrix and environment itself; --memory, --runtime would change the question it answers: drop them, " +
				"or copy the file (bench scenarios show precompile > mine.scenario), edit it and run --scenario ./mine.scenario"},
		{[]string{"run", "--scenario", "precompile", "--resume", out}, "--resume would change the question"},
		{[]string{"run", "--scenario", "nope", "--out", out}, `--scenario: unknown scenario "nope"`},
		{[]string{"run", "--scenario", "./none.scenario", "--out", out}, "--scenario: scenario open ./none.scenario: no such file"},
	} {
		s, _, errb := testState(t)
		if code := Run(s, c.args); code != ExitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("bench %s: exit %d, stderr %q; want %q", strings.Join(c.args, " "), code, errb.String(), c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused scenario run created its output folder")
	}

	sc, err := scenarios.Load("precompile")
	if err != nil {
		t.Fatal(err)
	}
	var o run.Options
	if err := applyScenario(&o, sc, map[string]bool{"samples": true, "out": true}); err != nil {
		t.Fatal(err)
	}
	if o.Scenario != "precompile" || !reflect.DeepEqual(o.Memory, []int{128}) || o.FunctionTimeout.String() != "3s" || o.Budget.String() != "10s" || o.AutoBudget ||
		o.Precision != 0.1 || o.MinCold != 3 || !reflect.DeepEqual(o.Tiers, []string{"jit", "aot"}) || !reflect.DeepEqual(o.Params["fib"], []int64{25}) {
		b, _ := json.Marshal(o)
		t.Errorf("options from precompile: %s", b)
	}
}

// TestScenarioTargets: the targets a scenario file may name are the ones
// bench run has.
func TestScenarioTargets(t *testing.T) {
	tg, closeAll, err := targets.New(targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAll() }()
	var have []string
	for n := range tg {
		have = append(have, n)
	}
	want := append([]string(nil), scenarios.Targets...)
	sort.Strings(have)
	sort.Strings(want)
	if !reflect.DeepEqual(have, want) {
		t.Errorf("deploy/targets has %v, scenarios.Targets %v: make them the same", have, want)
	}
}

// TestRunScenarioEndToEnd runs a small scenario file of your own on the
// local target with the real wazero worker: the run folder keeps the file
// and names it in run.json, and the summary bench run prints, report.md,
// report.html and bench report on the folder all open with the question
// and a verdict.
func TestRunScenarioEndToEnd(t *testing.T) {
	bin := os.Getenv("BENCH_BIN_DIR")
	if bin == "" {
		bin, _ = filepath.Abs("../../bin")
	}
	if _, err := os.Stat(filepath.Join(bin, "bench-wazero")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no bench-wazero in %s (BENCH_BIN_DIR): run make build", bin)
		}
		t.Skipf("no bench-wazero in %s: run make build (or set BENCH_BIN_DIR) to run this test", bin)
	}
	const text = `# A small scenario for the test: seconds on the local target.
name: tiny-local
question: Does wazero's AOT tier start a small fib faster than its JIT?
runtimes: wazero
tiers: jit, aot
workloads: fib
langs: c
param: fib=15
targets: local
samples: 3
budget: 200ms
compare: tier jit vs aot
verdict: faster
figures: cold, warm
`
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.scenario")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, stdout, stderr := testState(t)
	s.BinDir = bin
	out := filepath.Join(dir, "run")
	// --samples overrides the file's; --no-calibrate keeps the test short.
	if code := Run(s, []string{"run", "--scenario", file, "--samples", "3", "--no-calibrate", "--out", out}); code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	kept, err := os.ReadFile(filepath.Join(out, scenarios.RunFile))
	if err != nil || string(kept) != text {
		t.Errorf("the run folder does not keep the scenario: %v", err)
	}
	var o run.Options
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil || o.Scenario != "tiny-local" || len(o.Runtimes) != 1 || o.Runtimes[0] != "wazero" {
		t.Errorf("run.json: %v %+v", err, o)
	}
	opens := func(where, got string) {
		t.Helper()
		lines := strings.Split(strings.TrimLeft(got, "\n"), "\n")
		if len(lines) < 3 || strings.Join(strings.Fields(lines[0]), " ") != "scenario tiny-local" ||
			strings.Join(strings.Fields(lines[1]), " ") != "question Does wazero's AOT tier start a small fib faster than its JIT?" ||
			!strings.HasPrefix(strings.Join(strings.Fields(lines[2]), " "), "verdict tier aot against jit: cold start ") {
			t.Errorf("%s does not open with the question and the verdict:\n%s", where, got)
		}
	}
	opens("bench run's summary", stdout.String())
	sum, err := os.ReadFile(filepath.Join(out, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	opens("summary.txt", string(sum))
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<h2>Does wazero&#39;s AOT tier start a small fib faster than its JIT?</h2>") ||
		!strings.Contains(string(html), "<li>tier aot against jit: cold start ") {
		t.Errorf("report.html does not open with the question and the verdict")
	}

	s, stdout, stderr = testState(t)
	if code := Run(s, []string{"report", "--no-charts", out}); code != ExitOK {
		t.Fatalf("bench report: exit %d: %s", code, stderr.String())
	}
	opens("bench report", stdout.String())
}
