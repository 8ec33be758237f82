package run

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/runners"
)

// DryRun plans the run as Run does, writes its modules into cfg.Out, and
// gives each target one cold task per cell to plan (deploy.DryRunner):
// the target builds what the tasks would need and writes the plan and
// its cost to w. Nothing is measured and nothing leaves this machine. A
// target without a dry run is refused.
func DryRun(ctx context.Context, cfg Config, w io.Writer) error {
	o := cfg.Options
	pl, err := plan(ctx, cfg, o, true)
	if err != nil {
		return err
	}
	for _, n := range pl.notes {
		fmt.Fprintf(w, "note: %s %s %s: %s\n", n.Target, n.Runtime, n.Tier, n.Note)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	r := &runner{cfg: cfg, o: o}
	if err := r.materialize(pl.cells); err != nil {
		return err
	}
	byTarget := map[string][]deploy.Task{}
	for _, c := range pl.cells {
		tg := cfg.Targets[c.Target]
		job := r.job(c, runners.OpCold)
		worker, err := r.workerFor(c, tg, job)
		if err != nil {
			fmt.Fprintf(w, "note: %s: %v\n", c.Key(), err)
			continue
		}
		byTarget[c.Target] = append(byTarget[c.Target], deploy.Task{Cell: c.Cell, Worker: worker, Job: job,
			MemoryMB: c.MemoryMB, Arch: c.Arch, Package: c.Package, FunctionTimeout: o.FunctionTimeout})
	}
	for _, name := range pl.targets {
		dr, ok := cfg.Targets[name].(deploy.DryRunner)
		if !ok {
			return badOption(fmt.Errorf("--dry-run: target %s has nothing to plan: it runs on this machine; drop --dry-run", name))
		}
		if err := dr.DryRun(ctx, byTarget[name], w); err != nil {
			return err
		}
	}
	return nil
}
