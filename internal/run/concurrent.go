package run

import (
	"context"
	"sort"
	"sync"

	"github.com/wasmbench/bench/deploy"
)

// Several cells' tasks at once, on targets that allow it
// (deploy.Concurrent: a remote target whose environments run on machines
// of their own).
//
// The orchestrator's code runs under runner.mu: loop and soakAll take it,
// and a task gives it up only while its target (or a prepare step) runs,
// and while it waits for another cell's prepare step of the same
// artifact. So everything tasks share (the order of results.jsonl, the
// cells' states, the job counter, the prepared artifacts, a custom
// module's checker and reference output, the progress line) is touched
// by one goroutine at a time, and that code reads as the sequential code
// it was. A task on a target that is not concurrent runs in the loop's
// own goroutine once nothing else is in flight, and nothing starts while
// it runs: a run whose targets are all local runs exactly as before, and
// in a run that mixes them no remote task overlaps a local measurement.

// dispatcher starts one round's (or the soaks') tasks and waits for them.
// Its fields are guarded by runner.mu.
type dispatcher struct {
	r   *runner
	ctx context.Context
	// done is signalled (with runner.mu) whenever a task in flight ends.
	done      *sync.Cond
	inFlight  int
	perTarget map[string]int
	// err is the first error a task in flight returned: no task is
	// started after it.
	err error
}

// newDispatcher is called with r.mu held.
func (r *runner) newDispatcher(ctx context.Context) *dispatcher {
	return &dispatcher{r: r, ctx: ctx, done: sync.NewCond(&r.mu), perTarget: map[string]int{}}
}

// concurrency is how many tasks of a target may be in flight at once; 1
// means the target's tasks run alone.
func (r *runner) concurrency(target string) int {
	if c, ok := r.cfg.Targets[target].(deploy.Concurrent); ok {
		return max(c.Concurrency(), 1)
	}
	return 1
}

// order puts the cells on concurrent targets first, each group keeping
// its (shuffled) order, so that a round's remote tasks run together
// instead of being split up by the local tasks, which each wait for
// everything in flight to end. When no target is concurrent it returns
// the cells as they are.
func (d *dispatcher) order(cells []*cellState) []*cellState {
	out := append([]*cellState(nil), cells...)
	sort.SliceStable(out, func(i, j int) bool {
		return d.r.concurrency(out[i].Target) > 1 && d.r.concurrency(out[j].Target) <= 1
	})
	return out
}

// run runs one task of cell s. On a target that is not concurrent it
// waits until nothing is in flight and runs the task in this goroutine;
// on a concurrent one it waits for a free slot of the target and starts
// the task in a goroutine of its own, which takes runner.mu as the loop
// does. It returns the task's error (inline), or the error a task in
// flight ended with, or ctx's when the run was interrupted while it
// waited: then the caller starts nothing more, and returns (after wait).
// Each cell has one task a round, so no cell has two in flight.
func (d *dispatcher) run(s *cellState, task func() error) error {
	n := d.r.concurrency(s.Target)
	waited := false
	for d.err == nil && ((n == 1 && d.inFlight > 0) || (n > 1 && d.perTarget[s.Target] >= n)) {
		d.done.Wait()
		waited = true
	}
	if d.err != nil {
		return d.err
	}
	if waited && d.ctx.Err() != nil {
		return d.ctx.Err()
	}
	if n == 1 {
		return task()
	}
	d.inFlight++
	d.perTarget[s.Target]++
	go func() {
		d.r.mu.Lock()
		defer d.r.mu.Unlock()
		if err := task(); err != nil && d.err == nil {
			d.err = err
		}
		d.inFlight--
		d.perTarget[s.Target]--
		d.done.Broadcast()
	}()
	return nil
}

// wait waits until no task is in flight, and returns the first error one
// ended with. Every way out of loop and soakAll passes here, so nothing
// is written after they return.
func (d *dispatcher) wait() error {
	for d.inFlight > 0 {
		d.done.Wait()
	}
	return d.err
}

// await waits, without runner.mu, for ch to close (another task's
// prepare step of the same artifact), or for the run's interruption.
func (r *runner) await(ctx context.Context, ch <-chan struct{}) error {
	r.mu.Unlock()
	defer r.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
