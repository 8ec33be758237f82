package runners

import (
	"context"
	"path/filepath"
	"time"

	"github.com/wasmbench/bench/results"
)

// A soak (OpSoak, and a Lambda request with Soak set) runs many
// executions in one process and reports the process's resident set after
// each, so that memory a guest keeps from one execution to the next
// shows as growth. A leak lives in an instance's state (linear memory
// grown and never given back), which a fresh instance per execution
// discards: a soak with an export keeps one live instance and calls the
// export on it instead.

// liveInstance is the one instance a soak with an export keeps.
type liveInstance struct {
	inst Instance
	call func(ctx context.Context) error
}

// soak runs OpSoak: Iterations executions, each followed by the
// process's resident set.
func (w *worker) soak(ctx context.Context, job Job, mod Module, scratch string) error {
	if job.Iterations <= 0 {
		return Errorf(KindBadJob, "soak job with no iterations")
	}
	var live *liveInstance
	if job.Export != "" {
		l, err := w.instantiateLive(ctx, job, mod, scratch, 0)
		if err != nil {
			return err
		}
		defer l.inst.Close(ctx)
		live = l
	}
	for i := 0; i < job.Iterations; i++ {
		if err := w.soakExecution(ctx, job, mod, live, scratch, i); err != nil {
			return err
		}
	}
	return nil
}

// soakExecution is one execution of a soak: a call of the live
// instance's export, or a fresh instance running _start; then the
// process's resident set.
func (w *worker) soakExecution(ctx context.Context, job Job, mod Module, live *liveInstance, scratch string, iter int) error {
	var err error
	if live != nil {
		err = w.callLive(ctx, job, live, iter)
	} else {
		err = w.execute(ctx, job, mod, scratch, iter, false)
	}
	if err != nil {
		return err
	}
	w.em.emit(Event{Type: EventPhase, Job: job.ID, Phase: results.PhaseSoakRSS, Iteration: iter, Bytes: RSS()})
	return nil
}

// instantiateLive makes a soak's live instance (its instantiate phase,
// labelled iter, includes a reactor's _initialize) and finds its export.
// The export is called on an instance whose _start has not run, as
// OpCallCost calls its export; its stdout and stderr go to files in
// scratch.
func (w *worker) instantiateLive(ctx context.Context, job Job, mod Module, scratch string, iter int) (*liveInstance, error) {
	limit := job.MaxOutputBytes
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	t0 := time.Now()
	inst, err := mod.Instantiate(ctx, IO{Args: append([]string{job.Module.Name}, job.Args...), Env: job.Env,
		StdoutPath: filepath.Join(scratch, "soak.stdout"), StderrPath: filepath.Join(scratch, "soak.stderr"),
		Dirs: job.Dirs, BenchStart: func() {}, BenchEnd: func() {}, MaxOutputBytes: limit})
	if err != nil {
		return nil, wrap(err, KindUnsupported, "%s: instantiate %s", w.r.Name(), job.Module.Name)
	}
	// A WASI reactor is initialized once, as its host would: _initialize,
	// when exported, before the first call.
	if initialize, err := inst.Func("_initialize"); err == nil {
		if err := initialize(ctx); err != nil {
			inst.Close(ctx)
			return nil, wrap(err, KindTrap, "%s: _initialize %s", w.r.Name(), job.Module.Name)
		}
	}
	d := time.Since(t0)
	f, err := inst.Func(job.Export)
	if err != nil {
		inst.Close(ctx)
		return nil, wrap(err, KindUnsupported, "%s: export %q of %s", w.r.Name(), job.Export, job.Module.Name)
	}
	w.phase(job, results.PhaseInstantiate, iter, false, d)
	return &liveInstance{inst: inst, call: f}, nil
}

// callLive calls the live instance's export once, within the job's time
// limit where the runtime can interrupt it, and reports the call as the
// execution's execute phase.
func (w *worker) callLive(ctx context.Context, job Job, live *liveInstance, iter int) error {
	runCtx := ctx
	if job.TimeoutNS > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, time.Duration(job.TimeoutNS))
		defer cancel()
	}
	t0 := time.Now()
	err := live.call(runCtx)
	d := time.Since(t0)
	if err != nil {
		def := KindTrap
		if runCtx.Err() != nil {
			def = KindTimeout
		}
		return wrap(err, def, "%s: call %s of %s (execution %d of one live instance)", w.r.Name(), job.Export, job.Module.Name, iter)
	}
	w.phase(job, results.PhaseExecute, iter, false, d)
	return nil
}
