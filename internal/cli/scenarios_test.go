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
	defer closeAll()
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
