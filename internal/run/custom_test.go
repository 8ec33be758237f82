package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

// sightglassDir is the committed Sightglass-layout folder of test modules.
const sightglassDir = "../../testdata/sightglass"

// customFake answers a custom module's tasks without processes: each
// runtime prints what print says.
type customFake struct {
	mu    sync.Mutex
	print func(c results.Cell) (stdout, stderr string, err *runners.Error)
	tasks []deploy.Task
}

func (f *customFake) Name() string                    { return "local" }
func (f *customFake) Available(context.Context) error { return nil }

func (f *customFake) Run(_ context.Context, t deploy.Task) (deploy.Outcome, error) {
	f.mu.Lock()
	f.tasks = append(f.tasks, t)
	f.mu.Unlock()
	out := deploy.Outcome{RuntimeVersion: "v0"}
	if t.Job.Op == runners.OpPrepare {
		out.Events = append(out.Events, runners.Event{Type: runners.EventArtifact, ArtifactBytes: 10})
		return out, nil
	}
	stdout, stderr, err := f.print(t.Cell)
	if err != nil {
		out.Err = err
		return out, nil
	}
	n := 1
	if t.Job.Op == runners.OpWarm {
		n = t.Job.Warmup + t.Job.Iterations
	}
	for i := 0; i < n; i++ {
		warm := t.Job.Op == runners.OpWarm && i < t.Job.Warmup
		for _, p := range []string{results.PhaseInit, results.PhaseCompile, results.PhaseInstantiate, results.PhaseExecute} {
			out.Events = append(out.Events, runners.Event{Type: runners.EventPhase, Phase: p, Iteration: i, Warmup: warm, NS: 1000})
		}
		sum := sha256.Sum256([]byte(stdout))
		o := &runners.Output{StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(len(stdout)), Stderr: stderr}
		o.StdoutHead = stdout
		if len(stdout) > 256 {
			o.StdoutHead = stdout[:256]
		}
		if t.Job.KeepStdout {
			o.Stdout = []byte(stdout)
		}
		out.Events = append(out.Events, runners.Event{Type: runners.EventOutput, Iteration: i, Warmup: warm, Output: o})
	}
	if t.Job.Op == runners.OpCold {
		out.Spawn, out.Total = time.Millisecond, 2*time.Millisecond
	}
	return out, nil
}

func fakeRuntimes() []*Runtime {
	return []*Runtime{
		{RuntimeSpec: RuntimeSpec{Name: "wazero", Binary: "bench-wazero"}, Version: "v1", Tiers: []runners.TierInfo{{Name: "jit"}, {Name: "interp"}}},
		{RuntimeSpec: RuntimeSpec{Name: "wasmer", Binary: "bench-wasmer"}, Version: "v2", Tiers: []runners.TierInfo{{Name: "jit"}}},
	}
}

// customRun runs mods through f and returns the records.
func customRun(t *testing.T, f *customFake, out string, mods ...custom.Module) []results.Record {
	t.Helper()
	o := Defaults(true)
	o.Custom, o.Seed, o.MinWarm, o.MaxWarm = mods, 1, 1, 1
	res, err := Run(context.Background(), Config{Options: o, Out: out, BinDir: t.TempDir(),
		Targets: map[string]deploy.Target{"local": f}, Runtimes: fakeRuntimes(), Preparer: f})
	if err != nil {
		t.Fatal(err)
	}
	return res.Records
}

func failures(recs []results.Record) map[string]results.Record {
	out := map[string]results.Record{}
	for _, r := range recs {
		if r.Kind == results.KindFailure {
			out[r.Runtime+"/"+r.Tier+"/"+r.Workload] = r
		}
	}
	return out
}

func verifiedSamples(recs []results.Record, workload string) (verified, unverified int) {
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Workload == workload && r.Unit == results.UnitNS {
			if r.Verified {
				verified++
			} else {
				unverified++
			}
		}
	}
	return
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCustomExpectedOutputs(t *testing.T) {
	dir := t.TempDir()
	mod := filepath.Join(sightglassDir, "checksum.wasm")
	good := custom.Module{Name: "good", Path: mod, ExpectStdout: writeFile(t, dir, "good.out", "a\nb\n"),
		ExpectStderr: writeFile(t, dir, "good.err", "log\n")}
	badOut := custom.Module{Name: "badout", Path: mod, ExpectStdout: writeFile(t, dir, "badout.out", "a\nc\n")}
	badErr := custom.Module{Name: "baderr", Path: mod, ExpectStdout: good.ExpectStdout, ExpectStderr: writeFile(t, dir, "baderr.err", "log\nmore\n")}
	f := &customFake{print: func(c results.Cell) (string, string, *runners.Error) { return "a\nb\n", "log\n", nil }}
	recs := customRun(t, f, filepath.Join(dir, "run"), good, badOut, badErr)
	fails := failures(recs)
	if len(fails) != 6 {
		t.Errorf("%d failures, want 6 (badout and baderr on 3 runtime tiers): %v", len(fails), fails)
	}
	for key, r := range fails {
		var want string
		switch r.Workload {
		case "badout":
			want = `not verified: iteration 0: stdout differs from badout.out: line 2: expected "c", got "b"`
		case "baderr":
			want = `not verified: iteration 0: stderr differs from baderr.err: line 2: expected "more", got the end of the output (1 lines)`
		default:
			t.Errorf("%s failed: %s", key, r.Error)
			continue
		}
		if r.Error != want {
			t.Errorf("%s: %q\nwant %q", key, r.Error, want)
		}
	}
	for _, w := range []string{"badout", "baderr"} {
		if v, _ := verifiedSamples(recs, w); v != 0 {
			t.Errorf("%s: %d verified samples from a wrong output", w, v)
		}
	}
	if v, u := verifiedSamples(recs, "good"); v == 0 || u != 0 {
		t.Errorf("good: %d verified, %d unverified samples", v, u)
	}
	// The first cold job of each cell asks for the whole stdout (for the
	// diff), later ones do not.
	kept := map[string]int{}
	for _, task := range f.tasks {
		if task.Job.KeepStdout {
			kept[task.Cell.Key()]++
			if task.Job.Op != runners.OpCold {
				t.Errorf("a %s job asked for the whole stdout", task.Job.Op)
			}
		}
	}
	if len(kept) == 0 {
		t.Error("no job asked for the whole stdout")
	}
	for k, n := range kept {
		if n != 1 {
			t.Errorf("%s: %d jobs kept the whole stdout, want 1", k, n)
		}
	}
}

func TestCustomRuntimesMustAgree(t *testing.T) {
	dir := t.TempDir()
	mod := custom.Module{Name: "checksum", Path: filepath.Join(sightglassDir, "checksum.wasm")}
	agree := func(results.Cell) (string, string, *runners.Error) { return "42\n", "took 3 ms\n", nil }
	out := filepath.Join(dir, "agree")
	recs := customRun(t, &customFake{print: agree}, out, mod)
	if f := failures(recs); len(f) != 0 {
		t.Fatalf("runtimes that agree failed: %v", f)
	}
	if v, u := verifiedSamples(recs, "checksum"); v == 0 || u != 0 {
		t.Errorf("%d verified, %d unverified samples", v, u)
	}
	i := slices.IndexFunc(recs, func(r results.Record) bool {
		return r.Kind == results.KindNote && strings.HasPrefix(r.Note, "checksum has no expected stdout: the first output, from ")
	})
	if i < 0 {
		t.Fatal("no note says which output is the reference")
	}
	ref, err := os.ReadFile(filepath.Join(out, "modules", "checksum.stdout.reference"))
	if err != nil || string(ref) != "42\n" {
		t.Errorf("saved reference %q, %v", ref, err)
	}

	// wasmer disagrees with wazero's two tiers: whichever came first is
	// the reference, and the cells that differ fail naming it.
	disagree := func(c results.Cell) (string, string, *runners.Error) {
		if c.Runtime == "wasmer" {
			return "41\n", "", nil
		}
		return "42\n", "", nil
	}
	refs := map[string]bool{}
	for seed := int64(1); seed <= 30 && len(refs) < 3; seed++ {
		o := Defaults(true)
		o.Custom, o.Seed = []custom.Module{mod}, seed
		res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(dir, "disagree", strconv.FormatInt(seed, 10)),
			BinDir: dir, Targets: map[string]deploy.Target{"local": &customFake{print: disagree}}, Runtimes: fakeRuntimes()})
		if err != nil {
			t.Fatal(err)
		}
		var ref string
		for _, r := range res.Records {
			if r.Kind == results.KindNote {
				if _, after, ok := strings.Cut(r.Note, "the first output, from "); ok {
					ref, _, _ = strings.Cut(after, " (")
				}
			}
		}
		refs[ref] = true
		fails := failures(res.Records)
		wantFailed := []string{"wasmer/jit/checksum"}
		got, want := `"41"`, `"42"`
		if ref == "wasmer/jit" {
			wantFailed = []string{"wazero/interp/checksum", "wazero/jit/checksum"}
			got, want = want, got
		}
		if len(fails) != len(wantFailed) {
			t.Errorf("seed %d, reference %q: failures %v; want %v", seed, ref, fails, wantFailed)
		}
		for _, k := range wantFailed {
			msg := "not verified: iteration 0: stdout disagrees with that of " + ref + " (local), the reference for checksum " +
				"since no expected stdout was given: line 1: expected " + want + ", got " + got
			if fails[k].Error != msg {
				t.Errorf("seed %d: %s: %q\nwant %q", seed, k, fails[k].Error, msg)
			}
		}
	}
	if !refs["wasmer/jit"] || len(refs) < 2 {
		t.Errorf("references over the seeds: %v; want wasmer/jit and a wazero tier (change the seeds)", refs)
	}
}

func TestCustomFailureOfOneRuntime(t *testing.T) {
	mod := custom.Module{Name: "simd", Path: filepath.Join(sightglassDir, "simd.wasm"),
		ExpectStdout: filepath.Join(sightglassDir, "simd.stdout.expected")}
	f := &customFake{print: func(c results.Cell) (string, string, *runners.Error) {
		if c.Runtime == "wasmer" {
			return "", "", runners.Errorf(runners.KindCompile, "wasmer: compile simd.wasm: singlepass compiler: Compilation error: not yet implemented: V128Const")
		}
		return "sum 3276000\n", "", nil
	}}
	recs := customRun(t, f, filepath.Join(t.TempDir(), "run"), mod)
	fails := failures(recs)
	if len(fails) != 1 || fails["wasmer/jit/simd"].ErrorKind != string(runners.KindUnsupported) ||
		!strings.HasPrefix(fails["wasmer/jit/simd"].Error, "simd.wasm uses SIMD, which this runtime and tier reject") {
		t.Errorf("failures %+v; want wasmer/jit only, unsupported, naming SIMD", fails)
	}
	if v, _ := verifiedSamples(recs, "simd"); v == 0 {
		t.Error("the other runtimes recorded no verified samples")
	}
}

func TestCustomEmptyExpectationAndReusedOptions(t *testing.T) {
	dir := t.TempDir()
	mods := []custom.Module{
		{Name: "quiet", Path: filepath.Join(sightglassDir, "checksum.wasm"), ExpectStdout: writeFile(t, dir, "quiet.out", "")},
		{Name: "free", Path: filepath.Join(sightglassDir, "checksum.wasm")},
	}
	print := func(out string) func(results.Cell) (string, string, *runners.Error) {
		return func(c results.Cell) (string, string, *runners.Error) {
			if c.Workload == "quiet" {
				return "", "", nil
			}
			return out, "", nil
		}
	}
	// The same modules (and so the same Options) in two runs: the second
	// has a reference of its own.
	for i, out := range []string{"42\n", "41\n"} {
		recs := customRun(t, &customFake{print: print(out)}, filepath.Join(dir, strconv.Itoa(i)), mods...)
		if f := failures(recs); len(f) != 0 {
			t.Errorf("run %d: failures %v", i, f)
		}
		if v, u := verifiedSamples(recs, "quiet"); v == 0 || u != 0 {
			t.Errorf("run %d: an empty expected stdout: %d verified, %d unverified samples", i, v, u)
		}
		if !slices.ContainsFunc(recs, func(r results.Record) bool {
			return r.Kind == results.KindNote && strings.HasPrefix(r.Note, "free has no expected stdout")
		}) {
			t.Errorf("run %d: no reference note", i)
		}
	}
}
