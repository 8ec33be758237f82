package run

import (
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// A call-cost cell takes CallCostProcesses processes (so its per-call
// figure has an interval), and a resume continues from the ones it has.
func TestCallCostCellsTakeEnoughProcesses(t *testing.T) {
	rts := []*Runtime{{RuntimeSpec: RuntimeSpec{Name: "wazero"}, Version: "v1", Tiers: []runners.TierInfo{{Name: "jit"}}}}
	r := &runner{o: Options{}}
	cell := results.Cell{Runtime: "wazero", Tier: "jit", Workload: "noop", Lang: "wat", Target: "local"}
	task := func(p int) results.Record {
		c := &Cell{Cell: cell}
		return results.Record{Kind: results.KindTask, Cell: cell, Task: taskID(c, taskCallCost, p), Process: p}
	}
	for n := 0; n <= CallCostProcesses; n++ {
		var prior []results.Record
		for p := 0; p < n; p++ {
			prior = append(prior, task(p))
		}
		states := r.callCostCells(rts, []string{"local"}, prior)
		if len(states) != 1 {
			t.Fatalf("%d call-cost cells, want 1", len(states))
		}
		s := states[0]
		if want := n >= CallCostProcesses; s.done != want || s.calls != n || s.nextProc != n {
			t.Errorf("after %d processes: done %v calls %d next process %d; want done %v, %d, %d", n, s.done, s.calls, s.nextProc, want, n, n)
		}
	}
	if CallCostProcesses < 3 {
		t.Errorf("CallCostProcesses = %d: fewer than 3 processes give no interval", CallCostProcesses)
	}
}
