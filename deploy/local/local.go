package local

import (
	"context"
	"errors"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// Local runs each task in a worker process on this machine: a fresh
// process for every cold sample and for every warm process.
type Local struct{}

var _ deploy.Target = Local{}

// Name implements deploy.Target.
func (Local) Name() string { return "local" }

// Available implements deploy.Target: a local process can always run.
func (Local) Available(context.Context) error { return nil }

// Run implements deploy.Target.
func (Local) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	var out deploy.Outcome
	cl, err := client.Start(ctx, t.Worker, t.Job)
	if err != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		return out, err
	}
	out.RuntimeVersion = cl.Hello.Version
	jobErr := cl.Await(ctx, t.Job.ID, func(ev runners.Event) { out.Events = append(out.Events, ev) })
	done := time.Now()
	if t.Job.Op == runners.OpCold {
		out.Spawn = cl.Spawn()
		if e := cl.Hello.ExecUnixNano; e > 0 {
			out.Sandbox = time.Duration(e - cl.Started.UnixNano())
		}
		out.Total = done.Sub(cl.Started)
	}
	rss, _ := cl.Close()
	out.MaxRSS = rss
	if jobErr != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		var re *runners.Error
		if !errors.As(jobErr, &re) {
			re = runners.Classify(jobErr, runners.KindCrash)
		}
		out.Err = re
	}
	return out, nil
}
