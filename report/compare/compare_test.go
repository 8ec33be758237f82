package compare

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/report/internal/golden"
	"github.com/wasmbench/bench/report/internal/synth"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// load writes a synthetic run into a folder and loads it as bench
// compare would.
func load(t *testing.T, o synth.Options, truncate bool) *report.Data {
	t.Helper()
	dir := t.TempDir()
	if err := synth.WriteDir(dir, synth.Run(o), truncate); err != nil {
		t.Fatal(err)
	}
	d, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The pair: NEW makes wazero jit 10% faster and wasmtime jit 8% slower;
// node ran only in NEW, wasmer baseline only in OLD; NEW was cut short.
func pair(t *testing.T) (old, new *report.Data) {
	base := synth.Options{NoServerless: true, NoCallCost: true, Workloads: []string{"primes"}}
	o := base
	o.Seed = 11
	o.Omit = map[string]bool{"node/tiered": true}
	n := base
	n.Seed = 12
	n.Omit = map[string]bool{"wasmer/baseline": true}
	n.Speed = map[string]float64{"wazero/jit": 0.9, "wasmtime/jit": 1.08}
	return load(t, o, false), load(t, n, true)
}

func TestCompareGolden(t *testing.T) {
	old, new := pair(t)
	res := Compare(old, new, "runs/old", "runs/new", Options{FailOnRegression: 0.05})
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/compare.golden", buf.Bytes())
	buf.Reset()
	if err := res.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/compare.md.golden", buf.Bytes())
}

func TestCompareFindsTheChanges(t *testing.T) {
	old, new := pair(t)
	res := Compare(old, new, "old", "new", Options{FailOnRegression: 0.05})
	for _, row := range res.Rows {
		if row.Key.Phase != "execute" || row.Key.Cold {
			continue
		}
		v := row.Cmp.Verdict
		switch row.Key.Runtime + "/" + row.Key.Tier {
		case "wazero/jit":
			if v != stats.Better || row.Cmp.Ratio > 0.93 || row.Cmp.Ratio < 0.87 {
				t.Errorf("%s: %s %.3f, want faster by about 10%%", row.Key.Key(), VerdictText(v, row.Unit), row.Cmp.Ratio)
			}
		case "wasmtime/jit":
			if v != stats.Worse || !row.Regression {
				t.Errorf("%s: %s %.3f, want a regression of about 8%%", row.Key.Key(), VerdictText(v, row.Unit), row.Cmp.Ratio)
			}
		default:
			if v == stats.Better || v == stats.Worse && row.Regression {
				t.Errorf("%s: %s %.3f for an unchanged runtime", row.Key.Key(), VerdictText(v, row.Unit), row.Cmp.Ratio)
			}
		}
	}
	if len(res.Regressions()) == 0 {
		t.Error("no regression found")
	}
	only := func(keys []report.Key, runtime string) bool {
		for _, k := range keys {
			if k.Runtime != runtime {
				return false
			}
		}
		return len(keys) > 0
	}
	if !only(res.OnlyOld, "wasmer") || !only(res.OnlyNew, "node") {
		t.Errorf("only in old %v, only in new %v", res.OnlyOld, res.OnlyNew)
	}
	for _, g := range res.Geomeans {
		if g.Unit == results.UnitBytes && g.Ratio != 1 {
			t.Errorf("sizes did not change, geomean %v", g.Ratio)
		}
	}
	if res.DifferentMachines {
		t.Error("one machine reported as two")
	}
}

func TestTwoMachines(t *testing.T) {
	base := synth.Options{NoServerless: true, NoCallCost: true, Workloads: []string{"image"},
		Omit: map[string]bool{"wazero/interp": true, "wazero/aot": true, "wasmer/baseline": true, "wasmer/jit": true, "node/tiered": true, "wasmtime/jit": true}}
	o, n := base, base
	o.Seed, n.Seed = 21, 22
	n.Host, n.CPU = "laptop", "AMD Ryzen 7 PRO 7840U"
	res := Compare(load(t, o, false), load(t, n, false), "runs/ci", "runs/laptop", Options{})
	if !res.DifferentMachines {
		t.Fatal("different machines not noticed")
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"different machines", "Intel(R) Xeon(R) CPU @ 2.20GHz", "AMD Ryzen 7 PRO 7840U", "host: bench-ci-1 (old) vs laptop (new)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if len(res.Rows) == 0 {
		t.Error("two machines: nothing compared (the comparison must still be made)")
	}
	golden.Check(t, "testdata/machines.golden", buf.Bytes())
}

func TestPhases(t *testing.T) {
	old, new := pair(t)
	all := Compare(old, new, "o", "n", Options{Phases: []string{"all"}})
	def := Compare(old, new, "o", "n", Options{})
	one := Compare(old, new, "o", "n", Options{Phases: []string{"compile"}})
	if len(all.Rows) <= len(def.Rows) || len(one.Rows) == 0 {
		t.Fatalf("rows: all %d, default %d, compile %d", len(all.Rows), len(def.Rows), len(one.Rows))
	}
	for _, r := range one.Rows {
		if r.Key.Phase != "compile" {
			t.Errorf("asked for compile, got %s", r.Key.Phase)
		}
	}
}
