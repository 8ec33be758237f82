package run

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/container"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads/custom"
)

const soakDir = "../../testdata/soak"

// TestSoakModulesMatchWAT rebuilds testdata/soak's modules from their WAT
// sources (make soak-testdata) and compares the bytes.
func TestSoakModulesMatchWAT(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wat2wasm is missing (apt-get install wabt)")
		}
		t.Skip("wat2wasm is missing (apt-get install wabt)")
	}
	for _, name := range []string{"leak", "noleak"} {
		src := filepath.Join(soakDir, name+".wat")
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		cmd := "wat2wasm " + name + ".wat -o " + name + ".wasm"
		if !bytes.Contains(b, []byte(cmd)) {
			t.Errorf("%s does not give its rebuild command %q", src, cmd)
		}
		out := filepath.Join(t.TempDir(), name+".wasm")
		if b, err := exec.Command("wat2wasm", src, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", src, err, b)
		}
		got, _ := os.ReadFile(out)
		want, err := os.ReadFile(filepath.Join(soakDir, name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/soak/%s.wasm differs from its WAT source: run make soak-testdata and commit", name)
		}
	}
}

// TestSoakFlagsTheLeak runs the leaking module and its twin under --soak
// 400 with a live instance, on lambda-local, local and (where a container
// engine runs) container-local, for wazero and the Node.js-hosted
// function: the report flags every leak cell and no other,
// and each soak keeps its series out of the statistics.
func TestSoakFlagsTheLeak(t *testing.T) {
	dir := binDir(t)
	mods, err := custom.Load([]string{filepath.Join(soakDir, "leak.wasm"), filepath.Join(soakDir, "noleak.wasm")}, nil, "", nil,
		filepath.Join(soakDir, "stdout.expected"))
	if err != nil {
		t.Fatal(err)
	}
	lambda := lambdalocal.New(lambdalocal.Options{})
	defer lambda.Close()
	targets := map[string]deploy.Target{"lambda-local": lambda, "local": local.Local{}}
	tnames := []string{"lambda-local", "local"}
	ctr, err := container.New(container.Options{Engine: container.Docker})
	if err == nil && ctr.Available(context.Background()) == nil {
		defer ctr.Close()
		targets["container-local"] = ctr
		tnames = append(tnames, "container-local")
	} else {
		t.Logf("container-local is not tested here: %v", err)
	}
	o := Defaults(true)
	o.Custom, o.CallCost, o.Seed, o.Targets, o.NoCalibrate = mods, false, 5, tnames, true
	o.Runtimes, o.Tiers = []string{"wazero", "node"}, []string{"jit"}
	o.MinCold, o.MaxCold, o.MinWarm, o.MaxWarm, o.Warmup, o.Iterations = 1, 1, 1, 1, 0, 1
	o.Budget = 10 * time.Minute
	const n = 400
	o.Soak, o.SoakExport = n, "handle"
	t0 := time.Now()
	res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(t.TempDir(), "run"), BinDir: dir, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run with soaks: %v", time.Since(t0).Round(time.Millisecond))
	perCell := map[string]map[string]int{}
	for _, r := range res.Records {
		switch {
		case r.Kind == results.KindFailure:
			t.Errorf("%s failed: %s: %s\n%s", r.Key(), r.ErrorKind, r.Error, r.Stderr)
		case r.Kind == results.KindSample && results.IsSoakPhase(r.Phase):
			if taskKind(r.Task) != taskSoak || r.Warmup || r.Cold || r.WarmMode != LiveInstance {
				t.Errorf("soak record %+v: want task kind soak, not warm-up, not cold, live-instance", r)
			}
			if perCell[r.Key()] == nil {
				perCell[r.Key()] = map[string]int{}
			}
			perCell[r.Key()][r.Phase]++
		case r.Kind == results.KindNote && strings.HasPrefix(r.Note, SoakFailedNotePrefix):
			t.Errorf("%s: %s", r.Key(), r.Note)
		}
	}
	d := report.FromRecords(res.Records)
	soaks := d.Soaks()
	ran := map[string]bool{}
	for _, s := range soaks {
		key := s.Cell.Key()
		ran[s.Cell.Runtime] = true
		wantMax := n // the serverless targets record Max Memory Used
		if s.Cell.Target == "local" {
			wantMax = 0
		}
		if got := perCell[key]; got[results.PhaseSoakRSS] != n || got[results.PhaseSoakMaxMemory] != wantMax {
			t.Errorf("%s: %v soak records, want %d %s and %d %s", key, got, n, results.PhaseSoakRSS, wantMax, results.PhaseSoakMaxMemory)
		}
		v := s.Verdict()
		t.Logf("%s: %s slope %.0f B/invocation [%.0f, %.0f], exceeds memory at %d; %s", key, v.Phase, v.Fit.Slope, v.Fit.Lo, v.Fit.Hi,
			s.ExceedsAt(), s.Note)
		if want := s.Cell.Workload == "leak"; s.Leak() != want {
			t.Errorf("%s: leak %v, want %v (%s slope %.0f [%.0f, %.0f] bytes an invocation)", key, s.Leak(), want, v.Phase,
				v.Fit.Slope, v.Fit.Lo, v.Fit.Hi)
		}
		if s.Cell.Target != "local" && s.Leak() && s.ExceedsAt() <= n {
			t.Errorf("%s: exceeds %d MB at invocation %d, within a soak that did not run out", key, s.MemoryMB, s.ExceedsAt())
		}
	}
	if !ran["wazero"] {
		t.Fatalf("no wazero soak: %d soaks", len(soaks))
	}
	if want := 2 * len(tnames) * len(ran); len(soaks) != want {
		t.Errorf("%d soaks, want %d (2 modules × %d targets × %d runtimes)", len(soaks), want, len(tnames), len(ran))
	}
	for _, s := range d.Series {
		if results.IsSoakPhase(s.Phase) {
			t.Errorf("soak phase %s in a statistics series", s.Phase)
		}
	}
	var sum bytes.Buffer
	if err := d.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "LEAK (max memory used)") || !strings.Contains(sum.String(), "no leak (max memory used)") {
		t.Errorf("the summary's soak section lacks a verdict:\n%s", sum.String())
	}
}

// soakFake is fakeTarget plus soaks: an OpSoak's invocations report a
// resident set, and a Max Memory Used, growing one page an invocation.
type soakFake struct {
	*fakeTarget
	soaks []deploy.Task
	// cancelAfterSoaks cancels the run at this soak (0: never).
	cancelAfterSoaks int
	cancel           context.CancelFunc
}

func (f *soakFake) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	if t.Job.Op != runners.OpSoak {
		return f.fakeTarget.Run(ctx, t)
	}
	f.soaks = append(f.soaks, t)
	if f.cancelAfterSoaks > 0 && len(f.soaks) > f.cancelAfterSoaks {
		f.cancel()
		return deploy.Outcome{}, ctx.Err()
	}
	out := deploy.Outcome{RuntimeVersion: "v0-test"}
	sum := sha256.Sum256([]byte(expected(t)))
	for i := 0; i < t.Job.Iterations; i++ {
		out.Events = append(out.Events,
			runners.Event{Type: runners.EventPhase, Phase: results.PhaseInstantiate, Iteration: i, NS: 300},
			runners.Event{Type: runners.EventPhase, Phase: results.PhaseExecute, Iteration: i, NS: 1e6},
			runners.Event{Type: runners.EventOutput, Iteration: i, Output: &runners.Output{StdoutSHA256: hex.EncodeToString(sum[:]),
				StdoutBytes: int64(len(expected(t)))}},
			runners.Event{Type: runners.EventPhase, Phase: results.PhaseSoakRSS, Iteration: i, Bytes: int64(10<<20 + i*65536)})
		out.Extra = append(out.Extra, results.Record{Kind: results.KindSample, Phase: results.PhaseSoakMaxMemory, Iteration: i,
			Value: float64(2<<20 + i*65536), Unit: results.UnitBytes, MemoryMB: 512},
			results.Record{Kind: results.KindSample, Phase: results.PhaseDuration, Iteration: i, Value: 1e6, Unit: results.UnitNS})
	}
	return out, nil
}

// TestSoakTaskPerCell: with Options.Soak every cell that sampled gets one
// soak task after its sampling, whose two series (and nothing else of
// its invocations) are recorded, tagged and kept out of the statistics;
// an interrupted run resumes with the soaks it has not run, and never
// repeats one.
func TestSoakTaskPerCell(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &soakFake{fakeTarget: &fakeTarget{execNS: 1e6}, cancelAfterSoaks: 2, cancel: cancel}
	cfg := testConfig(t, ft.fakeTarget)
	cfg.Targets = map[string]deploy.Target{"local": ft}
	cfg.Options.Soak, cfg.Options.CallCost = 20, false
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || len(ft.soaks) != 3 {
		t.Fatalf("interrupted %v after %d soak tasks; want interrupted at the third", res.Interrupted, len(ft.soaks))
	}
	ft2 := &soakFake{fakeTarget: &fakeTarget{execNS: 1e6}}
	cfg2 := cfg
	cfg2.Targets, cfg2.Preparer, cfg2.Resume = map[string]deploy.Target{"local": ft2}, ft2.fakeTarget, true
	res2, err := Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	cells := 0
	for _, r := range res2.Records {
		if r.Kind == results.KindNote && isSamplingNote(r.Note) {
			cells++
		}
	}
	if cells == 0 || 2+len(ft2.soaks) != cells {
		t.Fatalf("%d cells; 2 soaks before the interruption and %d after it, want one per cell", cells, len(ft2.soaks))
	}
	for _, s := range ft2.soaks {
		if s.Job.Iterations != 20 || s.Job.Export != "" {
			t.Errorf("soak job %+v: want 20 iterations and no export", s.Job)
		}
	}
	series := map[string]int{}
	tasks := map[string]int{}
	for _, r := range res2.Records {
		switch {
		case r.Kind == results.KindTask && taskKind(r.Task) == taskSoak:
			tasks[r.Key()]++
		case r.Kind == results.KindSample && taskKind(r.Task) == taskSoak:
			if !results.IsSoakPhase(r.Phase) {
				t.Errorf("a soak recorded %s: only its series belong in the results", r.Phase)
			}
			if !r.Verified || r.WarmMode != FreshInstance || r.Warmup || r.Cold {
				t.Errorf("soak record %+v: want verified, fresh-instance, neither warm-up nor cold", r)
			}
			series[r.Key()+" "+r.Phase]++
		}
	}
	for k, n := range tasks {
		if n != 1 {
			t.Errorf("%s: %d soak tasks, want 1", k, n)
		}
		if series[k+" "+results.PhaseSoakRSS] != 20 || series[k+" "+results.PhaseSoakMaxMemory] != 20 {
			t.Errorf("%s: %d resident set and %d Max Memory Used records, want 20 each", k,
				series[k+" "+results.PhaseSoakRSS], series[k+" "+results.PhaseSoakMaxMemory])
		}
	}
	if len(tasks) != cells {
		t.Errorf("%d cells with a soak, want %d", len(tasks), cells)
	}
	d := report.FromRecords(res2.Records)
	if n := len(d.Soaks()); n != cells {
		t.Errorf("the report has %d soaks, want %d", n, cells)
	}
	for _, s := range d.Series {
		if results.IsSoakPhase(s.Phase) {
			t.Errorf("soak phase %s in a statistics series", s.Phase)
		}
	}
	// A finished run resumed again soaks nothing.
	ft3 := &soakFake{fakeTarget: &fakeTarget{execNS: 1e6}}
	cfg3 := cfg2
	cfg3.Targets, cfg3.Preparer = map[string]deploy.Target{"local": ft3}, ft3.fakeTarget
	if _, err := Run(context.Background(), cfg3); err != nil {
		t.Fatal(err)
	}
	if len(ft3.soaks) != 0 {
		t.Errorf("resuming a finished run soaked %d cells again", len(ft3.soaks))
	}
}

// TestSoakRunsOutOfMemory is the image service's story in small: the
// leaking module soaked at 128 MB on lambda-local runs its environment
// out of memory; the soak stops there with a note that says so, keeps
// the series up to it, flags the leak, and the cell's own results stand.
func TestSoakRunsOutOfMemory(t *testing.T) {
	dir := binDir(t)
	lambda := lambdalocal.New(lambdalocal.Options{})
	defer lambda.Close()
	if how := lambda.MemoryEnforcement(); strings.HasPrefix(how, "not enforced") {
		t.Skipf("lambda-local cannot enforce a memory size here: %s", how)
	}
	mods, err := custom.Load([]string{filepath.Join(soakDir, "leak.wasm")}, nil, "", nil, filepath.Join(soakDir, "stdout.expected"))
	if err != nil {
		t.Fatal(err)
	}
	o := Defaults(true)
	o.Custom, o.CallCost, o.Seed, o.Targets, o.NoCalibrate = mods, false, 5, []string{"lambda-local"}, true
	o.Runtimes, o.Tiers, o.Memory = []string{"wazero"}, []string{"jit"}, []int{128}
	// Near its limit an invocation at 128 MB's CPU share (0.07 of a core)
	// can take seconds reclaiming memory: a function timeout of Lambda's
	// 3 s then ends it first, and the test is about running out of memory.
	o.FunctionTimeout = 60 * time.Second
	o.MinCold, o.MaxCold, o.MinWarm, o.MaxWarm, o.Warmup, o.Iterations = 1, 1, 1, 1, 0, 1
	o.Budget = 10 * time.Minute
	// 64 KiB an invocation (wazero's copies make it more) passes 128 MB
	// well before 3,000.
	o.Soak, o.SoakExport = 3000, "handle"
	res, err := Run(context.Background(), Config{Options: o, Out: filepath.Join(t.TempDir(), "run"), BinDir: dir,
		Targets: map[string]deploy.Target{"lambda-local": lambda}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 {
		t.Errorf("%d cells failed: a soak that runs out of memory is a finding, not a failed cell", res.Failed)
	}
	var note string
	rss := 0
	for _, r := range res.Records {
		switch {
		case r.Kind == results.KindNote && IsSoakNote(r.Note):
			note = r.Note
		case r.Kind == results.KindSample && r.Phase == results.PhaseSoakRSS:
			rss++
		}
	}
	if !strings.HasPrefix(note, SoakFailedNotePrefix) || !strings.Contains(note, "memory") {
		t.Fatalf("soak note %q: want a failed soak of kind memory", note)
	}
	soaks := report.FromRecords(res.Records).Soaks()
	if len(soaks) != 1 || !soaks[0].Failed || !soaks[0].Leak() || soaks[0].MemoryMB != 128 {
		t.Fatalf("soaks %+v: want one, failed, a leak, at 128 MB", soaks)
	}
	if rss < report.SoakMinVerdict || rss >= 3000 {
		t.Errorf("%d invocations completed: want the environment to run out between %d and 3,000", rss, report.SoakMinVerdict)
	}
	t.Logf("%s; projected to exceed 128 MB at invocation %d", note, soaks[0].ExceedsAt())
}
