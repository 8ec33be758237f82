package aws

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// TestSoakOnLambda: a soak task on the fake cloud, whose functions run
// the real bootstrap: one fresh environment, N invocations of the export
// on one live instance, each giving Max Memory Used (soak_max_memory) and
// the bootstrap's resident set (a soak_rss event).
func TestSoakOnLambda(t *testing.T) {
	dir := filepath.Join(srcDir, "testdata", "soak")
	e := newTestEnv(t)
	const n = 100
	var fns [][]step
	for _, m := range []string{"leak", "noleak"} {
		task := e.task(t, fib, runners.OpSoak)
		task.Cell.Workload, task.Cell.Lang, task.Cell.Param = m, "", ""
		task.Job.Module = runners.ModuleRef{Name: m + ".wasm", Path: filepath.Join(dir, m+".wasm")}
		task.Job.Args, task.Job.Iterations, task.Job.Export = nil, n, "handle"
		fns = append(fns, []step{{Task: task}})
	}
	s, err := e.run(context.Background(), fns)
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if f := s.failures(); len(f) > 0 {
		t.Fatalf("%s: %v\n%s", f[0].Cell.Workload, f[0].out.Err, e.log)
	}
	for _, d := range s.done {
		mem := samples(d.out.Extra, results.PhaseSoakMaxMemory)
		iters := map[int]bool{}
		for _, r := range mem {
			iters[r.Iteration] = true
			if r.Unit != results.UnitBytes || r.Value <= 0 {
				t.Errorf("%s: soak_max_memory %+v", d.Cell.Workload, r)
			}
		}
		rss := 0
		for _, ev := range d.out.Events {
			if ev.Type == runners.EventPhase && ev.Phase == results.PhaseSoakRSS {
				rss++
			}
		}
		if len(mem) != n || len(iters) != n || rss != n {
			t.Errorf("%s: %d soak_max_memory samples over %d iterations, %d soak_rss events; want %d each", d.Cell.Workload, len(mem), len(iters), rss, n)
		}
		if got := len(samples(d.out.Extra, results.PhaseMaxMemoryUsed)); got != 0 {
			t.Errorf("%s: %d max_memory_used samples in a soak, want none (soak_max_memory instead)", d.Cell.Workload, got)
		}
	}
}
