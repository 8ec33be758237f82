package compare

import (
	"bytes"
	"encoding/json"
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

// The changes are found in most rows and never the wrong way; a row with
// a wild process may stay inconclusive (the synthetic runs have one: a
// wazero jit process with three spikes in five executions).
func TestCompareFindsTheChanges(t *testing.T) {
	old, new := pair(t)
	res := Compare(old, new, "old", "new", Options{FailOnRegression: 0.05})
	found := map[string]int{}
	for _, row := range res.Rows {
		c := row.Cmp
		if row.Regression != (c.Verdict == stats.Worse && c.Lo > 1.05) {
			t.Errorf("%s: regression %v with %s %.3f (%.3f–%.3f): a regression is significantly worse with the interval above 1.05",
				row.Key.Key(), row.Regression, VerdictText(c.Verdict, row.Unit), c.Ratio, c.Lo, c.Hi)
		}
		if row.Key.Phase != "execute" || row.Key.Cold {
			continue
		}
		v := c.Verdict
		switch rt := row.Key.Runtime + "/" + row.Key.Tier; rt {
		case "wazero/jit":
			if v == stats.Worse {
				t.Errorf("%s: slower, want faster", row.Key.Key())
			}
			if v == stats.Better && (c.Ratio > 0.93 || c.Ratio < 0.87) {
				t.Errorf("%s: faster by %.3f, want about 10%%", row.Key.Key(), c.Ratio)
			}
			if v == stats.Better {
				found[rt]++
			}
		case "wasmtime/jit":
			if v == stats.Better {
				t.Errorf("%s: faster, want slower", row.Key.Key())
			}
			if v == stats.Worse {
				found[rt]++
			}
		default:
			if v == stats.Better || v == stats.Worse {
				t.Errorf("%s: %s %.3f for an unchanged runtime", row.Key.Key(), VerdictText(v, row.Unit), c.Ratio)
			}
		}
	}
	if found["wazero/jit"] < 2 || found["wasmtime/jit"] < 2 {
		t.Errorf("changes found in %v of 3 languages each, want at least 2", found)
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

// Two identical synthetic runs (A/A, different seeds): at most 5% of the
// timing rows come out faster or slower, over several pairs of runs.
func TestAACompare(t *testing.T) {
	rows, wrong := 0, 0
	for seed := uint64(100); seed < 106; seed++ {
		base := synth.Options{NoServerless: true, NoCallCost: true, Workloads: []string{"fib", "primes"}}
		a, b := base, base
		a.Seed, b.Seed = seed, seed+1000
		res := Compare(load(t, a, false), load(t, b, false), "a", "b", Options{})
		for _, row := range res.Rows {
			if row.Unit != results.UnitNS {
				continue
			}
			rows++
			if v := row.Cmp.Verdict; v == stats.Better || v == stats.Worse {
				wrong++
				t.Logf("A/A seed %d: %s %s %s %.3f (%.3f–%.3f) q=%.3f", seed, row.Key.Key(), PhaseLabel(row.Key),
					VerdictText(v, row.Unit), row.Cmp.Ratio, row.Cmp.Lo, row.Cmp.Hi, row.Cmp.Q)
			}
		}
	}
	t.Logf("A/A: %d of %d timing rows faster or slower", wrong, rows)
	if float64(wrong) > 0.05*float64(rows) {
		t.Errorf("A/A: %d of %d timing rows faster or slower, want at most 5%%", wrong, rows)
	}
}

// A real 30% difference on every runtime and tier (the same module doing
// 30% more work) is reported as slower on every warm row, and the
// regression gate at 5% names every one of them.
func TestThirtyPercentEverywhere(t *testing.T) {
	base := synth.Options{NoServerless: true, NoCallCost: true, Workloads: []string{"primes"}}
	a, b := base, base
	a.Seed, b.Seed = 31, 32
	b.Speed = map[string]float64{}
	for _, rt := range []string{"native/native", "wazero/interp", "wazero/jit", "wazero/aot", "wasmtime/jit", "wasmtime/aot", "wasmer/baseline", "wasmer/jit", "node/tiered"} {
		b.Speed[rt] = 1.3
	}
	res := Compare(load(t, a, false), load(t, b, false), "a", "b", Options{FailOnRegression: 0.05})
	n := 0
	for _, row := range res.Rows {
		if row.Key.Phase != "execute" || row.Key.Cold {
			continue
		}
		n++
		if row.Cmp.Verdict != stats.Worse || !row.Regression {
			t.Errorf("%s: %s %.3f (%.3f–%.3f), regression %v; want slower and a regression", row.Key.Key(),
				VerdictText(row.Cmp.Verdict, row.Unit), row.Cmp.Ratio, row.Cmp.Lo, row.Cmp.Hi, row.Regression)
		}
	}
	if n < 20 {
		t.Fatalf("only %d warm rows", n)
	}
	code, why := res.Exit()
	if code != ExitRegressed || !strings.Contains(why, "primes(5000000) · c · wasmtime jit · warm execute") {
		t.Errorf("exit %d: %s", code, why)
	}
}

// Too little data never gives a verdict: one process per side (a
// single warm process and a single cold sample) is inconclusive and says
// why.
func TestOneProcessPerSide(t *testing.T) {
	base := synth.Options{NoServerless: true, NoCallCost: true, NoCalibration: true, Workloads: []string{"primes"},
		ColdProcesses: 1, WarmProcesses: 1}
	a, b := base, base
	a.Seed, b.Seed = 41, 42
	b.Speed = map[string]float64{"wazero/jit": 1.5}
	res := Compare(load(t, a, false), load(t, b, false), "a", "b", Options{})
	for _, row := range res.Rows {
		c := row.Cmp
		if row.Unit == results.UnitBytes && c.Exact {
			continue
		}
		if c.Verdict != stats.Inconclusive || !strings.Contains(c.Note, "too few processes (n=1 vs 1; need 3)") {
			t.Errorf("%s %s: %s, note %q", row.Key.Key(), PhaseLabel(row.Key), VerdictText(c.Verdict, row.Unit), c.Note)
		}
	}
}

func TestJSON(t *testing.T) {
	old, new := pair(t)
	res := Compare(old, new, "runs/old", "runs/new", Options{FailOnRegression: 0.05})
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/compare.json.golden", buf.Bytes())
	var doc struct {
		Schema string  `json:"schema"`
		Method string  `json:"method"`
		Alpha  float64 `json:"alpha"`
		FDR    struct {
			Method string
			Level  float64
			Tested int
		}
		Rows        []map[string]any `json:"rows"`
		Regressions []int            `json:"regressions"`
		Exit        struct {
			Status int
			Reason string
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchema || doc.Method != stats.MethodName || doc.Alpha != 0.05 || doc.FDR.Method != "benjamini-hochberg" || doc.FDR.Tested != res.Tested {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Rows) != len(res.Rows) || len(doc.Regressions) != len(res.Regressions()) || doc.Exit.Status != ExitRegressed || doc.Exit.Reason == "" {
		t.Errorf("%d rows, regressions %v, exit %+v", len(doc.Rows), doc.Regressions, doc.Exit)
	}
	for _, i := range doc.Regressions {
		r := doc.Rows[i]
		if r["regression"] != true || r["class"] != "worse" || r["lo"].(float64) <= 1.05 {
			t.Errorf("regression row %d: %v", i, r)
		}
	}
	for _, r := range doc.Rows {
		for _, k := range []string{"ratio", "lo", "hi", "p", "q", "verdict", "class", "old", "new", "phase", "cold", "unit"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %v lacks %q", r["label"], k)
			}
		}
	}
}
