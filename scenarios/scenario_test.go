package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const good = `# a comment
name: tiny
question: Is it fast?

runtimes: wazero, wasmtime
tiers: jit,aot
workloads: fib
langs: go
param: fib=20,25
targets: lambda-local
memory: 128, 1769
function-timeout: 3s
samples: 3
budget: 2s
precision: 5%
quick: no
compare: tier jit vs aot
verdict: faster
figures: cold, warm
story: one
story: two
`

func TestParseGood(t *testing.T) {
	sc, err := Parse("tiny.scenario", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{Name: "tiny", Question: "Is it fast?", Story: []string{"one", "two"},
		Runtimes: []string{"wazero", "wasmtime"}, Tiers: []string{"jit", "aot"}, Workloads: []string{"fib"}, Langs: []string{"go"},
		Targets: []string{"lambda-local"}, Params: map[string][]int64{"fib": {20, 25}}, Memory: []int{128, 1769},
		FunctionTimeout: 3 * time.Second, Samples: 3, Budget: 2 * time.Second, Precision: 0.05, HasPrecision: true,
		Compare: Compare{Dim: DimTier, A: []string{"jit"}, B: []string{"aot"}}, Verdict: VerdictFaster,
		Figures: []string{FigureCold, FigureWarm}, File: "tiny.scenario", Text: []byte(good)}
	want.Line = sc.Line
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("got  %+v\nwant %+v", sc, want)
	}
	if sc.Line["compare"] != 17 || sc.Line["story"] != 20 {
		t.Errorf("lines %v", sc.Line)
	}
	if got := sc.Compare.String(); got != "tier jit vs aot" {
		t.Errorf("compare %q", got)
	}
}

// TestParseErrors: every error names the file and line, what is wrong and
// what is allowed.
func TestParseErrors(t *testing.T) {
	head := "name: x\nquestion: Why?\nverdict: package-size\n"
	for _, c := range []struct{ name, text, want string }{
		{"unknown key", head + "runtime: wazero\n", `f.scenario:4: unknown key "runtime" (keys: name, question, story, runtimes,`},
		{"no colon", head + "wazero\n", `f.scenario:4: want "key: value" (or a # comment), got "wazero"`},
		{"unknown runtime", head + "runtimes: wazero, wasmr\n", `f.scenario:4: runtimes: unknown runtime "wasmr" (runtimes: native, wazero, wasmtime, wasmtime39, wasmer, node)`},
		{"unknown tier", head + "tiers: turbo\n", `f.scenario:4: tiers: unknown tier "turbo" (tiers: aot, baseline,`},
		{"tier of no runtime", head + "runtimes: wazero\ntiers: tiered\n", `f.scenario:5: tiers: no runtime of the scenario has a tier "tiered" (its runtimes' tiers: aot, interp, jit)`},
		{"unknown workload", head + "workloads: fibo\n", `f.scenario:4: workloads: unknown workload "fibo" (workloads: fib, primes, image)`},
		{"unknown lang", head + "langs: zig\n", `f.scenario:4: langs: unknown language "zig" (languages: c, go, rust)`},
		{"unknown target", head + "targets: aws\n", `f.scenario:4: targets: unknown target "aws" (targets: local, lambda-local, container-local, aws-lambda)`},
		{"param range", head + "param: fib=99\n", `f.scenario:4: param: parameter fib=99 is out of range: n must be from 1 to 50`},
		{"param fixed", head + "param: image=100\n", `f.scenario:4: param: workload image has a fixed parameter`},
		{"param syntax", head + "param: fib\n", `f.scenario:4: param: want NAME=VALUE or NAME=V1,V2,... (e.g. fib=30), got "fib"`},
		{"param twice", head + "param: fib=1\nparam: fib=2\n", `f.scenario:5: param: workload fib is given twice`},
		{"param not in workloads", head + "workloads: primes\nparam: fib=2\n", `f.scenario:5: param: workload fib is not among the scenario's workloads (primes)`},
		{"memory", head + "memory: 64\n", `f.scenario:4: memory: "64" is not a memory size in MB from 128 to 10240 (Lambda's range)`},
		{"memory twice", head + "memory: 128,128\n", `f.scenario:4: memory: 128 MB is given twice`},
		{"timeout", head + "function-timeout: 3\n", `f.scenario:4: function-timeout: "3" is not a duration from 1ms to 15m0s (e.g. 3s, 500ms)`},
		{"samples", head + "samples: 0\n", `f.scenario:4: samples: "0" is not a number of processes from 1 to 10000`},
		{"precision", head + "precision: 100\n", `f.scenario:4: precision: "100" is not a percentage from 0 up to, not including, 100`},
		{"quick", head + "quick: maybe\n", `f.scenario:4: quick: "maybe" is neither yes nor no`},
		{"duplicate", head + "name: y\n", `f.scenario:4: name given twice (first on line 1); it takes one line`},
		{"empty value", head + "runtimes:\n", `f.scenario:4: runtimes has no value; it takes runtimes, comma-separated`},
		{"bad name", "name: Big Name\n", `f.scenario:1: name: "Big Name" is not a name`},
		{"question mark", "question: It is.\n", `f.scenario:1: question: a question ends in '?': "It is."`},
		{"no question", "name: x\nverdict: limit\n", `f.scenario: no question line; every scenario has a name, a question and a verdict`},
		{"bad verdict", "verdict: best\n", `f.scenario:1: verdict: unknown verdict "best" (verdicts: limit, faster, package-size)`},
		{"compare syntax", head + "compare: tier jit aot\n", `f.scenario:4: compare: want DIM A[,A...] vs B[,B...] with DIM one of runtime, tier, target, lang, memory (e.g. tier jit vs aot), got "tier jit aot"`},
		{"compare unknown", head + "compare: tier jit vs fast\n", `f.scenario:4: compare: unknown tier "fast"`},
		{"compare both sides", head + "compare: tier jit vs jit\n", `f.scenario:4: compare: tier jit is on both sides`},
		{"compare outside matrix", head + "tiers: jit, aot\ncompare: tier jit vs interp\n", `f.scenario:5: compare: tier interp is not in the scenario's tiers line (jit, aot)`},
		{"compare memory without sizes", head + "compare: memory 128 vs 1769\n", `f.scenario:4: compare: memory sizes are compared, but the scenario has no memory line`},
		{"limit without compare", "name: x\nquestion: Why?\nverdict: limit\n", `f.scenario:3: verdict: a limit verdict sets cells against each other: add a compare line`},
		{"figures without faster", head + "figures: cold\n", `f.scenario:4: figures: figures are what a faster verdict compares; this scenario's verdict is package-size`},
		{"unknown figure", head + "figures: speed\n", `f.scenario:4: figures: unknown figure "speed" (figures: cold, init, warm, memory, cost)`},
		{"control character", head + "story: a\x00b\n", `f.scenario:4: a control character`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.scenario", []byte(c.text))
			var se *Error
			if err == nil || !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got  %v\nwant %s...", err, c.want)
			}
		})
	}
}

func TestCompareMemoryNormalized(t *testing.T) {
	sc, err := Parse("m", []byte("name: m\nquestion: Q?\nmemory: 128,1769\ncompare: memory 128MB vs 1769\nverdict: faster\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sc.Compare, Compare{Dim: DimMemory, A: []string{"128"}, B: []string{"1769"}}) {
		t.Errorf("compare %+v", sc.Compare)
	}
	if !reflect.DeepEqual(sc.Figures, DefaultFigures) {
		t.Errorf("figures %v, want the default %v", sc.Figures, DefaultFigures)
	}
}

// TestShipped: every shipped scenario parses, is named after its file and
// asks one question.
func TestShipped(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sc := range all {
		names = append(names, sc.Name)
		if strings.Count(sc.Question, "?") != 1 {
			t.Errorf("%s: the question is not one sentence: %q", sc.Name, sc.Question)
		}
	}
	for _, want := range []string{"edge-size", "node-vs-wasm-image", "precompile", "runtimes-primes-fib"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("no shipped scenario %s (have %v)", want, names)
		}
	}
	if !reflect.DeepEqual(names, Names()) {
		t.Errorf("All %v, Names %v", names, Names())
	}
}

func TestLoad(t *testing.T) {
	sc, err := Load("precompile")
	if err != nil || sc.Name != "precompile" || sc.File != "precompile.scenario" {
		t.Fatalf("%v %+v", err, sc)
	}
	if _, err := Load("nope"); err == nil || !strings.Contains(err.Error(), `unknown scenario "nope" (scenarios: edge-size,`) {
		t.Errorf("nope: %v", err)
	}
	p := filepath.Join(t.TempDir(), "mine.scenario")
	if err := os.WriteFile(p, []byte("name: mine\nquestion: Mine?\nverdict: package-size\nruntimes: nodejs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || err.Error() != p+`:4: runtimes: unknown runtime "nodejs" (runtimes: native, wazero, wasmtime, wasmtime39, wasmer, node)` {
		t.Errorf("bad file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.scenario")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParse: Parse never panics, and what it accepts has a name, a
// question and a verdict, and parses again to the same scenario.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	all, _ := All()
	for _, sc := range all {
		f.Add(sc.Text)
	}
	f.Add([]byte("name: x\nquestion: ?\nverdict: limit\ncompare: memory 128 vs 256\nmemory: 128,256\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse("fuzz", b)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.File != "fuzz" {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		if sc.Name == "" || sc.Question == "" || sc.Verdict == "" {
			t.Fatalf("accepted without name, question or verdict: %+v", sc)
		}
		again, err := Parse("fuzz", b)
		if err != nil || !reflect.DeepEqual(again, sc) {
			t.Fatalf("not deterministic: %v", err)
		}
	})
}
