package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/container"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/conformance"
	"github.com/wasmbench/bench/workloads/custom"
)

// knownRejects are the test modules each runtime here refuses, by tier:
// wazero v1.12 keeps the threads proposal behind an experimental flag the
// runner does not set; wasmtime 39's Pulley interpreter is built without
// threads; Wasmer 2.0 validates without threads, and its single-pass
// compiler has no SIMD. wasmtime v25 (Cranelift) and Node.js 20 (V8) run
// them all.
var knownRejects = map[string][]string{
	"wazero":     {"interp/atomics", "jit/atomics", "aot/atomics"},
	"wasmtime39": {"interpreter/atomics", "interpreter-aot/atomics"},
	"wasmer":     {"baseline/simd", "baseline/atomics", "jit/atomics", "aot/atomics"},
}

// binDir is the folder of worker binaries for tests: $BENCH_BIN_DIR, else
// the repository's bin/ when make build filled it; "" skips (fails in CI).
func binDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("BENCH_BIN_DIR")
	if d == "" {
		d, _ = filepath.Abs("../../bin")
	}
	if _, err := os.Stat(filepath.Join(d, "bench-wazero")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no workers in %s (BENCH_BIN_DIR): run make build", d)
		}
		t.Skipf("no workers in %s: run make build (or set BENCH_BIN_DIR) to run this test", d)
	}
	return d
}

// TestCustomSuiteEveryRunner runs the bring-your-own-wasm conformance
// suite over every wasm worker built here.
func TestCustomSuiteEveryRunner(t *testing.T) {
	dir := binDir(t)
	ran := 0
	for _, rt := range Discover(context.Background(), dir) {
		if rt.Native {
			continue // a custom wasm module has no native build
		}
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Unavailable != "" {
				if os.Getenv("CI") == "true" && rt.Name != "node" {
					t.Fatalf("%s is unavailable: %s", rt.Name, rt.Unavailable)
				}
				t.Skipf("%s is unavailable: %s", rt.Name, rt.Unavailable)
			}
			ran++
			for _, tier := range rt.Tiers {
				if tier.Unavailable != "" {
					continue
				}
				cmd, err := rt.Command(tier.Name)
				if err != nil {
					t.Fatal(err)
				}
				// A command per tier: node fixes its tier at start-up.
				conformance.RunCustom(t, conformance.CustomConfig{Command: cmd, Runtime: rt.Name,
					Tiers: []string{tier.Name}, Rejects: rejectsOf(rt.Name, tier.Name)})
			}
		})
	}
	if ran == 0 {
		t.Fatal("no wasm runtime ran")
	}
}

func rejectsOf(runtime, tier string) []string {
	var out []string
	for _, r := range knownRejects[runtime] {
		if filepath.Dir(r) == tier {
			out = append(out, r)
		}
	}
	return out
}

// TestSightglassFolderRealWorkers runs bench run --wasm testdata/sightglass
// (run.Run) with every wasm worker built here, every tier, and checks each
// cell's outcome: the narrowed execute phase, the input file read, the
// wrong expectation and the trap as failures with their diff and trap
// text, the missing import named by every runtime, the feature modules
// refused (naming the feature) exactly where knownRejects says, and the
// others verified.
func TestSightglassFolderRealWorkers(t *testing.T) {
	dir := binDir(t)
	mods, err := custom.Load([]string{sightglassDir}, nil, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	o := Defaults(true)
	o.Custom, o.CallCost, o.Seed, o.NoCalibrate = mods, false, 7, true
	o.MinCold, o.MaxCold, o.MinWarm, o.MaxWarm, o.Warmup, o.Iterations = 2, 2, 1, 1, 1, 2
	o.Budget = 10 * time.Minute // the counts above, not the clock, bound each cell
	o.Runtimes = []string{"wazero", "wasmtime", "wasmtime39", "wasmer", "node"}
	res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(t.TempDir(), "run"), BinDir: dir,
		Targets: map[string]deploy.Target{"local": local.Local{}}})
	if err != nil {
		t.Fatal(err)
	}
	type cellResult struct {
		fail                 *results.Record
		verified, unverified int
		execs                map[string][2]float64 // task/iteration -> execute, execute_all
	}
	cells := map[string]*cellResult{}
	get := func(r results.Record) *cellResult {
		k := r.Runtime + "/" + r.Tier + "/" + r.Workload
		if cells[k] == nil {
			cells[k] = &cellResult{execs: map[string][2]float64{}}
		}
		return cells[k]
	}
	for _, r := range res.Records {
		switch r.Kind {
		case results.KindFailure:
			get(r).fail = &r
		case results.KindSample:
			c := get(r)
			if r.Verified {
				c.verified++
			} else {
				c.unverified++
			}
			k := r.Task + "/" + strconv.Itoa(r.Iteration)
			e := c.execs[k]
			switch r.Phase {
			case results.PhaseExecute:
				e[0] = r.Value
			case results.PhaseExecuteAll:
				e[1] = r.Value
			}
			c.execs[k] = e
		}
	}
	var runtimes []string
	table := map[string]map[string]string{} // module -> runtime/tier -> outcome
	for key, c := range cells {
		parts := strings.SplitN(key, "/", 3)
		rt, tier, mod := parts[0], parts[1], parts[2]
		if !slices.Contains(runtimes, rt+"/"+tier) {
			runtimes = append(runtimes, rt+"/"+tier)
		}
		outcome := "verified"
		if c.fail != nil {
			outcome = c.fail.ErrorKind
		}
		if table[mod] == nil {
			table[mod] = map[string]string{}
		}
		table[mod][rt+"/"+tier] = outcome
		rejected := slices.Contains(knownRejects[rt], tier+"/"+mod)
		switch {
		case mod == "wrong":
			if c.fail == nil || !strings.Contains(c.fail.Error, `stdout differs from wrong.stdout.expected: line 2: expected "answer 41", got "answer 42"`) {
				t.Errorf("%s: %+v; want a failure with the line diff", key, c.fail)
			}
		case mod == "trap":
			if c.fail == nil || c.fail.ErrorKind != string(runners.KindTrap) || !strings.Contains(strings.ToLower(c.fail.Error), "unreachable") {
				t.Errorf("%s: %+v; want a trap naming unreachable", key, c.fail)
			}
		case mod == "missing":
			if c.fail == nil || c.fail.ErrorKind != string(runners.KindUnsupported) || !strings.Contains(c.fail.Error, "host_secret") {
				t.Errorf("%s: %+v; want unsupported naming env.host_secret", key, c.fail)
			}
		case rejected:
			want := map[string]string{"simd": "simd.wasm uses SIMD", "atomics": "atomics.wasm uses threads (atomics)"}[mod]
			if c.fail == nil || c.fail.ErrorKind != string(runners.KindUnsupported) || !strings.HasPrefix(c.fail.Error, want) {
				t.Errorf("%s: %+v; want unsupported starting %q", key, c.fail, want)
			}
		default:
			if c.fail != nil {
				t.Errorf("%s failed: %s: %s", key, c.fail.ErrorKind, c.fail.Error)
				continue
			}
			if c.verified == 0 || c.unverified != 0 {
				t.Errorf("%s: %d verified, %d unverified samples", key, c.verified, c.unverified)
			}
			narrowed := 0
			for k, e := range c.execs {
				if e[1] == 0 {
					continue // a record other than an execution
				}
				narrowed++
				if e[0] <= 0 || e[0] >= e[1] {
					t.Errorf("%s %s: execute %v not within execute_all %v", key, k, e[0], e[1])
				}
			}
			if narrowed < 3 { // 2 cold, 2 warm measured (+1 warm-up)
				t.Errorf("%s: %d executions narrowed by bench.start/bench.end, want at least 3", key, narrowed)
			}
		}
	}
	for _, mod := range []string{"checksum", "logs", "wrong", "trap", "missing", "simd", "atomics"} {
		if len(table[mod]) != len(runtimes) {
			t.Errorf("%s ran in %d cells, want %d", mod, len(table[mod]), len(runtimes))
		}
	}
	// The table for the record: module x runtime/tier -> outcome.
	slices.Sort(runtimes)
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %s\n", "module", strings.Join(runtimes, " "))
	for _, mod := range []string{"checksum", "logs", "wrong", "trap", "missing", "simd", "atomics"} {
		fmt.Fprintf(&b, "%-9s", mod)
		for _, rt := range runtimes {
			fmt.Fprintf(&b, " %-*s", len(rt), table[mod][rt])
		}
		b.WriteString("\n")
	}
	t.Logf("outcomes:\n%s", b.String())
}

// TestCustomModulesOnServerlessTargets: a --wasm module and its inputs
// (the Sightglass folder preopened as ".", a --stdin file) reach the
// function package of lambda-local and, where a container engine runs,
// container-local.
func TestCustomModulesOnServerlessTargets(t *testing.T) {
	dir := binDir(t)
	fromDir, err := custom.Load([]string{filepath.Join(sightglassDir, "checksum.wasm")}, nil, "",
		[]string{sightglassDir + ":."}, filepath.Join(sightglassDir, "checksum.stdout.expected"))
	if err != nil {
		t.Fatal(err)
	}
	fromStdin, err := custom.Load([]string{filepath.Join(sightglassDir, "checksum.wasm")}, []string{"-"},
		filepath.Join(sightglassDir, "input.txt"), nil, filepath.Join(sightglassDir, "checksum.stdout.expected"))
	if err != nil {
		t.Fatal(err)
	}
	fromStdin[0].Name = "checksum-stdin"
	lambda := lambdalocal.New(lambdalocal.Options{})
	defer lambda.Close()
	targets := map[string]deploy.Target{"lambda-local": lambda}
	tnames := []string{"lambda-local"}
	ctr, err := container.New(container.Options{Engine: container.Docker})
	if err == nil && ctr.Available(context.Background()) == nil {
		defer ctr.Close()
		targets["container-local"] = ctr
		tnames = append(tnames, "container-local")
	} else {
		t.Logf("container-local is not tested here: %v", err)
	}
	o := Defaults(true)
	o.Custom, o.CallCost, o.Seed, o.Targets, o.NoCalibrate = append(fromDir, fromStdin...), false, 3, tnames, true
	o.Runtimes, o.Tiers = []string{"wazero", "node"}, []string{"jit"}
	o.MinCold, o.MaxCold, o.MinWarm, o.MaxWarm, o.Warmup, o.Iterations = 1, 1, 1, 1, 0, 2
	// A budget no loaded machine exhausts: the minimums, not the clock,
	// decide how many samples each cell takes.
	o.Budget = 10 * time.Minute
	res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(t.TempDir(), "run"), BinDir: dir, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	verified := map[string]int{}
	for _, r := range res.Records {
		switch {
		case r.Kind == results.KindFailure:
			t.Errorf("%s failed: %s: %s\n%s", r.Key(), r.ErrorKind, r.Error, r.Stderr)
		case r.Kind == results.KindSample && r.Phase == results.PhaseExecute && r.Verified:
			verified[r.Runtime+"/"+r.Workload+"/"+r.Target]++
		}
	}
	for _, rt := range []string{"wazero", "node"} {
		for _, tg := range tnames {
			for _, m := range []string{"checksum", "checksum-stdin"} {
				if n := verified[rt+"/"+m+"/"+tg]; n < 3 { // 1 cold + 2 warm
					t.Errorf("%s/%s/%s: %d verified executions, want 3", rt, m, tg, n)
				}
			}
		}
	}
}
