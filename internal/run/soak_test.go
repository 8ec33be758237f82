package run

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/results"
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
// 400 with a live instance, on lambda-local and local, for wazero and the
// Node.js-hosted function: the report flags every leak cell and no other,
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
	o := Defaults(true)
	o.Custom, o.CallCost, o.Seed, o.Targets, o.NoCalibrate = mods, false, 5, []string{"lambda-local", "local"}, true
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
		wantMax := 0
		if s.Cell.Target == "lambda-local" {
			wantMax = n
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
		if s.Cell.Target == "lambda-local" && s.Leak() && s.ExceedsAt() <= n {
			t.Errorf("%s: exceeds %d MB at invocation %d, within a soak that did not run out", key, s.MemoryMB, s.ExceedsAt())
		}
	}
	if !ran["wazero"] {
		t.Fatalf("no wazero soak: %d soaks", len(soaks))
	}
	if len(soaks) != 2*2*len(ran) {
		t.Errorf("%d soaks, want %d (2 modules × 2 targets × %d runtimes)", len(soaks), 4*len(ran), len(ran))
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
