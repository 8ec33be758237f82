package run

import (
	"context"
	"fmt"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// A burst (Options.Burst, --burst N) asks a target that offers it
// (deploy.Burster: AWS Lambda) how it scales out: after a cell's
// sampling, one task forces a new environment and fires N invocations at
// once. It records each invocation's figures under the task
// "<cell>|burst|<process>", which no statistic counts (results.Counts),
// and one burst_cold_starts sample, how many started an environment.

const taskBurst = results.TaskBurst

// burstAll runs the burst task of every cell on a target that offers one
// that sampled without failing and has none yet (a resumed run skips the
// finished ones).
func (r *runner) burstAll(ctx context.Context, prior []results.Record) error {
	if r.o.Burst <= 0 {
		return nil
	}
	done := finished(prior, taskBurst)
	for _, s := range r.states {
		b, ok := r.cfg.Targets[s.Target].(deploy.Burster)
		if !ok || s.callCost || s.failed || done[s.Key()] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.burstTask(ctx, s, b); err != nil {
			return err
		}
	}
	return nil
}

// burstTask runs one cell's burst and writes its records and task line;
// a failed invocation is the cell's failure, as in any task.
func (r *runner) burstTask(ctx context.Context, s *cellState, b deploy.Burster) error {
	job := r.job(s.Cell, runners.OpCold)
	job.KeepStdout = false
	proc := s.nextProc
	s.nextProc++
	id := taskID(s.Cell, taskBurst, proc)
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: burst %s: %d invocations at once\n", s.Key(), r.o.Burst)
	}
	worker, err := r.workerFor(s.Cell, r.cfg.Targets[s.Target], job)
	if err != nil {
		return r.fail(s, "", runners.Errorf(runners.KindBadJob, "%v", err))
	}
	t0 := time.Now()
	out, err := b.Burst(ctx, deploy.Task{Cell: s.Cell.Cell, Worker: worker, Job: job, Process: proc, MemoryMB: s.MemoryMB,
		FunctionTimeout: r.o.FunctionTimeout, Arch: s.Arch, Package: s.Package}, r.o.Burst)
	wall := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return r.fail(s, id, runners.Errorf(runners.KindInternal, "target %s: burst: %v", s.Target, err))
	}
	if out.RuntimeVersion != "" {
		s.version = out.RuntimeVersion
	}
	return r.write(r.taskRecords(s, taskBurst, id, proc, out, wall)...)
}
