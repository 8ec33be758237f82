package aws

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/workloads/custom"
)

// TestSoakOnLambda: --soak N on the fake cloud, whose functions run the
// real bootstrap: one fresh environment per function, N invocations of
// the export on one live instance, each recording Max Memory Used and the
// bootstrap's resident set. The report flags the module that leaks a
// page a call and not the one that does not, and no soak record is in
// the summary's figures.
func TestSoakOnLambda(t *testing.T) {
	dir := filepath.Join(srcDir, "testdata", "soak")
	mods, err := custom.Load([]string{filepath.Join(dir, "leak.wasm"), filepath.Join(dir, "noleak.wasm")}, nil, "", nil,
		filepath.Join(dir, "stdout.expected"))
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, fib)
	e.o.Cells, e.o.Notes = customCells(t, mods)
	const n = 400
	e.o.Cold, e.o.Warm, e.o.Soak, e.o.SoakExport = 1, 1, n, "handle"
	res, err := Run(context.Background(), e.o)
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if res.Failed != 0 {
		t.Fatalf("%d failed\n%s", res.Failed, e.log)
	}
	recs := e.records(t)
	perModule := map[string]map[string]int{}
	for _, r := range recs {
		if r.Kind != results.KindSample || !strings.Contains(r.Task, "/soak/") {
			continue
		}
		if perModule[r.Workload] == nil {
			perModule[r.Workload] = map[string]int{}
		}
		perModule[r.Workload][r.Phase]++
		if r.WarmMode != "live-instance" {
			t.Fatalf("soak record not from a live instance: %+v", r)
		}
	}
	for _, m := range []string{"leak", "noleak"} {
		if perModule[m][results.PhaseSoakMaxMemory] != n || perModule[m][results.PhaseSoakRSS] != n {
			t.Errorf("%s: %v soak samples, want %d of each phase", m, perModule[m], n)
		}
	}
	for key, st := range res.Stats {
		if len(st.WarmDurationMS) != 1 {
			t.Errorf("%s: %d warm durations in the summary, want the one warm invoke (no soak invocation)", key, len(st.WarmDurationMS))
		}
	}
	soaks := report.FromRecords(recs).Soaks()
	if len(soaks) != 2 {
		t.Fatalf("%d soaks in the report, want 2", len(soaks))
	}
	for _, s := range soaks {
		if v := s.Verdict(); v != nil {
			t.Logf("%s: %s, slope %.0f B/invocation (%.0f to %.0f), leak %v", s.Cell.Workload, v.Phase, v.Fit.Slope, v.Fit.Lo, v.Fit.Hi, s.Leak())
		}
		if want := s.Cell.Workload == "leak"; s.Leak() != want {
			v := s.Verdict()
			t.Errorf("%s: leak %v, want %v (fit %+v)", s.Cell.Workload, s.Leak(), want, v)
		}
	}
}
