package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/scenarios"
)

// scen builds records for the verdict tests: cells by "runtime/tier",
// each with cold processes (phase total) and warm processes (execute), or
// a failure.
type scen struct {
	recs []results.Record
	task int
}

func (b *scen) cell(rt, tier string) results.Cell {
	return results.Cell{Runtime: rt, Tier: tier, Workload: "fib", Lang: "go", Param: "25", Target: "lambda-local"}
}

// add adds one process per value of phase, cold or warm.
func (b *scen) add(rt, tier string, mem int, phase string, cold bool, unit string, vals ...float64) {
	for _, v := range vals {
		b.task++
		b.recs = append(b.recs, results.Record{Kind: results.KindSample, Cell: b.cell(rt, tier), Phase: phase, Cold: cold,
			Value: v, Unit: unit, Verified: true, Task: fmt.Sprintf("t%d", b.task), MemoryMB: mem, Package: "zip"})
	}
}

func (b *scen) fail(rt, tier string, kind, msg string) {
	b.recs = append(b.recs, results.Record{Kind: results.KindFailure, Cell: b.cell(rt, tier), ErrorKind: kind, Error: msg})
}

func parseScenario(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("t.scenario", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

const initTimeout = "timeout in phase invoke: the INIT ran past Lambda's 10 s init limit (phase init), was re-run inside the invocation and ran past the function timeout (3 s, Lambda's default) there"

func TestLimitVerdict(t *testing.T) {
	var b scen
	b.fail("wazero", "jit", "timeout", initTimeout)
	b.add("wazero", "jit", 128, results.PhaseTotal, true, results.UnitNS, 10.1e9) // one process passed before the one that failed
	b.add("wazero", "aot", 128, results.PhaseTotal, true, results.UnitNS, 700e6, 720e6, 680e6)
	b.add("wazero", "aot", 0, results.PhaseArtifactBytes, false, results.UnitBytes, 8e6) // prepared outside any environment: no memory size
	b.fail("wasmer", "jit", "timeout", initTimeout)
	b.add("wasmer", "aot", 128, results.PhaseTotal, true, results.UnitNS, 400e6, 410e6, 390e6)
	b.fail("wasmtime", "jit", "crash", "the worker died")
	b.recs = append(b.recs, results.Record{Kind: results.KindNote, Cell: results.Cell{Runtime: "wasmtime", Tier: "aot"}, Note: "tier unavailable: no artifact support"})
	d := FromRecords(b.recs)
	d.Scenario = parseScenario(t, "name: p\nquestion: Does it fit?\nruntimes: wazero, wasmer, wasmtime\ntiers: jit, aot\nmemory: 128\n"+
		"compare: tier jit vs aot\nverdict: limit\nstory: it did not\n")
	v := d.Verdict()
	wantHead := []string{"tier jit: 2 of 3 cells crossed a limit, 0 passed", "tier aot: every cell (2) passed, cold start 400 ms to 700 ms"}
	if !reflect.DeepEqual(v.Headline, wantHead) {
		t.Errorf("headline\n%q\nwant\n%q", v.Headline, wantHead)
	}
	wantLines := []string{
		"lambda-local · fib(25) · go · 128 MB: wazero jit failed: timeout: " + initTimeout + " (after 1 cold process that passed, cold start 10.1 s); wazero aot passed, cold start 700 ms ±7.4% (3 processes)",
		"lambda-local · fib(25) · go · 128 MB: wasmtime jit failed, but not on a limit: crash: the worker died",
		"lambda-local · fib(25) · go · 128 MB: wasmer jit failed: timeout: " + initTimeout + "; wasmer aot passed, cold start 400 ms ±6.4% (3 processes)",
		"did not run: wasmtime aot: tier unavailable: no artifact support",
	}
	if !reflect.DeepEqual(v.Lines, wantLines) {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(v.Lines, "\n"), strings.Join(wantLines, "\n"))
	}

	// The summary opens with the question and the verdict.
	var sum bytes.Buffer
	if err := d.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sum.String(), "scenario   p\nquestion   Does it fit?\nverdict    tier jit: 2 of 3 cells crossed a limit, 0 passed\n"+
		"           tier aot: every cell (2) passed, cold start 400 ms to 700 ms\npublished  it did not\nhow        each cell either failed") {
		t.Errorf("the summary does not open with the verdict:\n%s", sum.String())
	}
}

func TestFasterVerdict(t *testing.T) {
	var b scen
	for _, mem := range []int{256, 1024} {
		// node: 320 ms cold, 180 ms warm; wazero 45 and 32 ms at 256 MB,
		// and as slow as node warm at 1024 MB.
		b.add("node", "tiered", mem, results.PhaseTotal, true, results.UnitNS, 320e6, 330e6, 310e6, 325e6)
		b.add("wazero", "aot", mem, results.PhaseTotal, true, results.UnitNS, 45e6, 46e6, 44e6, 45.5e6)
		if mem == 256 {
			b.add("node", "tiered", mem, results.PhaseExecute, false, results.UnitNS, 180e6, 185e6, 175e6, 182e6)
			b.add("wazero", "aot", mem, results.PhaseExecute, false, results.UnitNS, 32e6, 33e6, 31e6, 32.5e6)
		} else {
			b.add("node", "tiered", mem, results.PhaseExecute, false, results.UnitNS, 180e6, 180.4e6, 179.6e6, 180.2e6)
			b.add("wazero", "aot", mem, results.PhaseExecute, false, results.UnitNS, 180.1e6, 180.3e6, 179.8e6, 180e6)
		}
	}
	for _, mem := range []int{256, 1024} {
		b.recs = append(b.recs, results.Record{Kind: results.KindFailure, Cell: b.cell("wasmer", "aot"), MemoryMB: mem, ErrorKind: "crash", Error: "the worker died"})
	}
	d := FromRecords(b.recs)
	d.Scenario = parseScenario(t, "name: f\nquestion: Faster?\nruntimes: node, wazero, wasmer\nmemory: 256, 1024\n"+
		"compare: runtime node vs wazero, wasmer\nverdict: faster\nfigures: cold, warm\n")
	v := d.Verdict()
	wantHead := []string{
		"runtime wazero against node: cold start faster 2 of 2; warm execute faster 1 of 2, equivalent 1 of 2",
		"runtime wasmer against node: not measured in 2 pairs (a cell failed or did not run)",
	}
	if !reflect.DeepEqual(v.Headline, wantHead) {
		t.Errorf("headline\n%q\nwant\n%q", v.Headline, wantHead)
	}
	if len(v.Lines) != 6 || v.Lines[5] != "wasmer aot vs node tiered, every figure, lambda-local · fib(25) · go · 1024 MB: not measured: wasmer aot measured none of the figures (failed: crash: the worker died)" ||
		!strings.HasPrefix(v.Lines[0], "wazero aot vs node tiered, cold start, lambda-local · fib(25) · go · 256 MB: 45.1 ms vs 321 ms, 0.14×") ||
		!strings.HasSuffix(v.Lines[0], ": faster") || !strings.HasSuffix(v.Lines[4], ": equivalent") {
		t.Errorf("lines:\n%s", strings.Join(v.Lines, "\n"))
	}
	if !strings.Contains(v.Method, "Benjamini-Hochberg") {
		t.Errorf("method %q", v.Method)
	}
}

func TestPackageVerdict(t *testing.T) {
	var b scen
	b.add("wazero", "jit", 0, results.PhasePackageBytes, true, results.UnitBytes, 900e3)
	b.add("wazero", "aot", 0, results.PhasePackageBytes, true, results.UnitBytes, 3.1e6)
	b.add("wasmer", "aot", 0, results.PhasePackageBytes, true, results.UnitBytes, 60e6)
	d := FromRecords(b.recs)
	d.Scenario = parseScenario(t, "name: e\nquestion: Small?\nverdict: package-size\n")
	v := d.Verdict()
	wantHead := []string{"1 of 3 zipped packages fit a viewer trigger (1 MB); 2 of 3 fit an origin trigger (50 MB)",
		"smallest 879 KiB (wazero jit at lambda-local · fib(25) · go), largest 57.2 MiB (wasmer aot at lambda-local · fib(25) · go)"}
	if !reflect.DeepEqual(v.Headline, wantHead) {
		t.Errorf("headline\n%q\nwant\n%q", v.Headline, wantHead)
	}
	if len(v.Lines) != 3 || !strings.HasSuffix(v.Lines[1], "fits origin triggers only (1.96 MiB over the viewer limit)") {
		t.Errorf("lines:\n%s", strings.Join(v.Lines, "\n"))
	}
}

// TestScenarioFromFolder: Load finds the run folder's scenario; one that
// no longer parses is said in place of a verdict, not an error.
func TestScenarioFromFolder(t *testing.T) {
	var b scen
	b.add("wazero", "aot", 0, results.PhasePackageBytes, true, results.UnitBytes, 900e3)
	dir := t.TempDir()
	var buf bytes.Buffer
	for _, r := range b.recs {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(line, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, results.FileName), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil || d.Verdict() != nil {
		t.Fatalf("a run without a scenario: %v %+v", err, d.Verdict())
	}
	if err := os.WriteFile(filepath.Join(dir, scenarios.RunFile), []byte("name: e\nquestion: Small?\nverdict: package-size\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err = Load(dir); err != nil || d.Verdict() == nil || d.Verdict().Question != "Small?" {
		t.Fatalf("%v %+v", err, d.Verdict())
	}
	if err := os.WriteFile(filepath.Join(dir, scenarios.RunFile), []byte("name: e\nverdict: package-size\nruntimes: gone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	if err := d.WriteMarkdown(&md, nil); err != nil {
		t.Fatal(err)
	}
	want := "the run's scenario file could not be read, so there is no verdict: " + filepath.Base(dir) + "/scenario.txt:3: runtimes: unknown runtime \"gone\""
	if !strings.Contains(md.String(), want) {
		t.Errorf("report.md does not say the scenario is unreadable:\n%s", md.String())
	}
}
