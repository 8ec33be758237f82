package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wasmbench/bench/internal/target"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// Task kinds, the middle part of a task ID.
const (
	taskCold     = "cold"
	taskWarm     = "warm"
	taskPrepare  = "prepare"
	taskCallCost = "callcost"
)

// cellState is a cell's progress through the schedule.
type cellState struct {
	*Cell
	callCost bool
	cold     int
	warm     int
	elapsed  time.Duration
	// execNS is the latest cold execute time, for sizing warm processes.
	execNS  float64
	done    bool
	failed  bool
	version string
	// prepRecorded is set once the cell's prepare samples are committed.
	prepRecorded bool
}

func taskID(c *Cell, kind string, n int) string {
	return fmt.Sprintf("%s|%s|%d", c.Key(), kind, n)
}

// restore rebuilds each cell's progress from a resumed run's records.
func (r *runner) restore(cells []*Cell, prior []results.Record) []*cellState {
	byKey := map[string]*cellState{}
	var states []*cellState
	for _, c := range cells {
		s := &cellState{Cell: c}
		byKey[c.Key()] = s
		states = append(states, s)
	}
	for _, rec := range prior {
		s := byKey[rec.Key()]
		if s == nil {
			continue
		}
		switch rec.Kind {
		case results.KindTask:
			s.elapsed += time.Duration(rec.WallNS)
			switch {
			case strings.Contains(rec.Task, "|"+taskPrepare+"|"):
				s.prepRecorded = true
			case strings.Contains(rec.Task, "|"+taskCold+"|"):
				s.cold++
			case strings.Contains(rec.Task, "|"+taskWarm+"|"):
				s.warm++
			}
		case results.KindFailure:
			s.failed, s.done = true, true
		case results.KindSample:
			if rec.Phase == runners.PhaseExecute && rec.Cold {
				s.execNS = rec.Value
			}
		}
	}
	return states
}

// callCostCells adds one no-op call-cost cell per runtime and tier (local
// target only): the host-to-guest call cost as a result row of its own.
func (r *runner) callCostCells(rts []*Runtime, targets []string, prior []results.Record) []*cellState {
	if !contains(targets, "local") || r.o.Custom != nil {
		return nil
	}
	done := map[string]bool{}
	for _, rec := range prior {
		if rec.Kind == results.KindTask || rec.Kind == results.KindFailure {
			done[rec.Key()] = true
		}
	}
	var out []*cellState
	for _, rt := range rts {
		if rt.Unavailable != "" || rt.Native || (len(r.o.Runtimes) > 0 && !contains(r.o.Runtimes, rt.Name)) {
			continue
		}
		for _, t := range rt.Tiers {
			if t.Unavailable != "" || (len(r.o.Tiers) > 0 && !contains(r.o.Tiers, t.Name)) {
				continue
			}
			c := &Cell{Runtime: rt, Prepared: t.Prepared}
			c.Cell = results.Cell{Runtime: rt.Name, Tier: t.Name, Workload: "noop", Lang: "wat", Target: "local"}
			s := &cellState{Cell: c, callCost: true, done: done[c.Key()]}
			out = append(out, s)
		}
	}
	return out
}

// next picks a cell's next task kind, or "" when the cell is finished:
// the first task is always a cold sample (it verifies the output); then
// cold samples and warm processes alternate until the minimums are met
// (or HardCapFactor budgets are spent), and go on while budget remains.
func (s *cellState) next(o Options) string {
	if s.done {
		return ""
	}
	if s.callCost {
		return taskCallCost
	}
	if s.cold == 0 {
		return taskCold
	}
	hard := o.Budget * HardCapFactor
	wantCold := (s.cold < o.MinCold && s.elapsed < hard) || (s.cold < o.MaxCold && s.elapsed < o.Budget)
	warmFits := s.execNS <= float64(o.Budget)
	wantWarm := warmFits && ((s.warm < o.MinWarm && s.elapsed < hard) || (s.warm < o.MaxWarm && s.elapsed < o.Budget))
	switch {
	case wantWarm && (!wantCold || s.warm*o.MaxCold <= s.cold*o.MaxWarm):
		return taskWarm
	case wantCold:
		return taskCold
	}
	return ""
}

// warmIterations sizes a warm process to the budget left.
func (s *cellState) warmIterations(o Options) int {
	n := o.Iterations
	if s.execNS > 0 {
		left := o.Budget - s.elapsed
		if s.warm < o.MinWarm {
			left = o.Budget*HardCapFactor - s.elapsed
		}
		fit := int(float64(left)/s.execNS) - o.Warmup
		if fit < n {
			n = fit
		}
	}
	if n < 1 {
		n = 1
	}
	return n
}

// loop runs rounds until every cell is finished: in each round every
// unfinished cell gets one task, cells in a fresh random order, so no
// runtime runs all its samples back to back.
func (r *runner) loop(ctx context.Context) error {
	p := newProgress(r.cfg.Progress, r.cfg.Terminal, r.states, r.o)
	defer p.finish()
	for {
		var active []*cellState
		for _, s := range r.states {
			if !s.done {
				active = append(active, s)
			}
		}
		if len(active) == 0 {
			return nil
		}
		r.rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
		for _, s := range active {
			if err := ctx.Err(); err != nil {
				return err
			}
			kind := s.next(r.o)
			if kind == "" {
				s.done = true
				p.cellDone(s)
				continue
			}
			p.start(s, kind)
			if err := r.runTask(ctx, s, kind); err != nil {
				return err
			}
			if s.next(r.o) == "" {
				s.done = true
				p.cellDone(s)
			}
		}
	}
}

// runTask runs one task of a cell and writes its records.
func (r *runner) runTask(ctx context.Context, s *cellState, kind string) error {
	tg := r.cfg.Targets[s.Target]
	if s.Prepared {
		if ok, err := r.prepare(ctx, s); err != nil || !ok {
			return err
		}
	}
	var job runners.Job
	var proc int
	switch kind {
	case taskCold:
		job, proc = r.job(s.Cell, runners.OpCold), s.cold+s.warm
		if s.Custom != nil && s.cold == 0 {
			job.KeepStdout = r.keepStdout(s) // for a line diff, or the reference output
		}
	case taskWarm:
		job, proc = r.job(s.Cell, runners.OpWarm), s.cold+s.warm
		job.Warmup, job.Iterations = r.o.Warmup, s.warmIterations(r.o)
	case taskCallCost:
		job = r.job(s.Cell, runners.OpCallCost)
		job.Warmup, job.Iterations, job.CallsPerBatch, job.Export = 2, 10, 10000, "noop"
		if s.Tier == "interp" || s.Tier == "baseline" {
			job.CallsPerBatch = 2000
		}
	}
	id := taskID(s.Cell, kind, proc)
	release, err := r.attachIO(&job)
	if err != nil {
		return err
	}
	defer release()
	// After attachIO: a confined worker's sandbox binds the job's I/O
	// folder.
	worker, err := r.workerFor(s.Cell, tg, job)
	if err != nil {
		return r.fail(s, "", runners.Errorf(runners.KindBadJob, "%v", err))
	}
	t0 := time.Now()
	out, err := tg.Run(ctx, target.Task{Cell: s.Cell.Cell, Worker: worker, Job: job, Process: proc, MemoryMB: r.o.MemoryMB})
	wall := time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: the partial task is dropped
		}
		return r.fail(s, id, runners.Errorf(runners.KindInternal, "target %s: %v", s.Target, err))
	}
	s.elapsed += wall
	if out.RuntimeVersion != "" {
		s.version = out.RuntimeVersion
	}
	recs, verr := r.records(s, kind, id, proc, out)
	// The task's failure, if any, is in the batch its task line commits.
	switch {
	case out.Err != nil:
		recs = append(recs, r.failure(s, id, out.Err))
	case verr != nil:
		recs = append(recs, r.failure(s, id, runners.Errorf(runners.KindOutput, "not verified: %v", verr)))
	}
	recs = append(recs, results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, Task: id, WallNS: wall.Nanoseconds(),
		RuntimeVersion: s.version, Process: proc})
	if err := r.write(recs...); err != nil {
		return err
	}
	switch kind {
	case taskCold:
		s.cold++
	case taskWarm:
		s.warm++
	case taskCallCost:
		s.done = true
	}
	return nil
}

// prepare runs (once per runtime, tier and module) the step that writes an
// AOT artifact, and records its size and time on the cell.
func (r *runner) prepare(ctx context.Context, s *cellState) (bool, error) {
	if r.prepared == nil {
		r.prepared = map[string]*prepResult{}
	}
	dir := r.artifactDir(s.Cell)
	p := r.prepared[dir]
	if p == nil {
		worker, err := s.Runtime.Command(s.Tier)
		if err != nil {
			return false, r.fail(s, "", runners.Errorf(runners.KindBadJob, "%v", err))
		}
		t0 := time.Now()
		prep := r.cfg.Preparer
		if prep == nil {
			prep = target.Local{}
		}
		out, err := prep.Run(ctx, target.Task{Cell: s.Cell.Cell, Worker: worker, Job: r.job(s.Cell, runners.OpPrepare)})
		if err != nil {
			return false, err
		}
		p = &prepResult{ns: float64(time.Since(t0).Nanoseconds()), err: out.Err}
		for _, ev := range out.Events {
			if ev.Type == runners.EventArtifact {
				p.bytes = ev.ArtifactBytes
			}
		}
		r.prepared[dir] = p
	}
	if p.err != nil {
		return false, r.fail(s, taskID(s.Cell, taskPrepare, 0), p.err)
	}
	if s.cold == 0 && s.warm == 0 && !s.callCost && !s.prepRecorded {
		s.prepRecorded = true
		base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, Verified: true, Cache: "disk",
			Task: taskID(s.Cell, taskPrepare, 0)}
		a, b := base, base
		a.Phase, a.Value, a.Unit = results.PhaseArtifactBytes, float64(p.bytes), results.UnitBytes
		b.Phase, b.Value, b.Unit = results.PhasePrepare, p.ns, results.UnitNS
		task := results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, Task: base.Task}
		if err := r.write(a, b, task); err != nil {
			return false, err
		}
	}
	return true, nil
}

// fail records a cell's failure (committed by a task line when it belongs
// to a task) and finishes the cell; the run goes on.
func (r *runner) fail(s *cellState, task string, e *runners.Error) error {
	recs := []results.Record{r.failure(s, task, e)}
	if task != "" {
		recs = append(recs, results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, Task: task, RuntimeVersion: s.version})
	}
	return r.write(recs...)
}

// failure finishes a failed cell and returns its failure record.
func (r *runner) failure(s *cellState, task string, e *runners.Error) results.Record {
	s.failed, s.done = true, true
	if s.Custom != nil {
		e = r.explainFailure(s.Custom, e) // name the feature a runtime lacks
	}
	// The message may quote the guest's output and the stderr is the
	// guest's: capped and escaped (safetext.go).
	return results.Record{Kind: results.KindFailure, Cell: s.Cell.Cell, Task: task,
		RuntimeVersion: s.version, ErrorKind: string(e.Kind), Error: safeText(e.Message, maxFailureMessage, false),
		Stderr: safeText(e.Stderr, maxFailureStderr, true)}
}

// checker returns how a cell's outputs are verified: against the
// workload's oracle, or a custom module's expected files (or the other
// runtimes' agreement). Call-cost cells produce no output.
func (r *runner) checker(s *cellState) (func(*runners.Output) error, error) {
	switch {
	case s.callCost:
		return nil, nil
	case s.Custom != nil:
		return func(o *runners.Output) error { return r.checkCustom(s, o) }, nil
	default:
		e, err := s.Workload.Expect(s.Lang, s.N)
		if err != nil {
			return nil, err
		}
		return e.Check, nil
	}
}

// records turns a task's outcome into samples, verifying each output.
func (r *runner) records(s *cellState, kind, id string, proc int, out target.Outcome) ([]results.Record, error) {
	check, err := r.checker(s)
	if err != nil {
		return nil, err
	}
	verified := map[int]bool{}
	var verr error
	allOK := true
	for _, ev := range out.Events {
		if ev.Type != runners.EventOutput {
			continue
		}
		err := errors.New("nothing to check it against")
		if check != nil {
			err = check(ev.Output)
		}
		if err != nil && verr == nil {
			verr = fmt.Errorf("iteration %d: %w", ev.Iteration, err)
		}
		verified[ev.Iteration] = err == nil
		allOK = allOK && err == nil
	}
	if out.Err != nil && !s.callCost {
		allOK = false
	}
	cold := kind == taskCold
	base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, RuntimeVersion: out.RuntimeVersion,
		Process: proc, Task: id, Cold: cold, WarmMode: "fresh-instance"}
	if s.Prepared {
		base.Cache = "disk"
	}
	if s.callCost {
		base.WarmMode = "live-instance"
	}
	var recs []results.Record
	if s.cold == 0 && s.warm == 0 && kind != taskCallCost {
		_, path := r.modulePath(s.Cell)
		recs = append(recs, sizeRecord(base, results.PhaseModuleBytes, fileSize(path)),
			sizeRecord(base, results.PhaseWorkerBytes, s.Runtime.WorkerBytes()))
	}
	for _, ev := range out.Events {
		if ev.Type != runners.EventPhase {
			continue
		}
		rec := base
		rec.Phase, rec.Value, rec.Unit, rec.Iteration, rec.Warmup = ev.Phase, ev.NS, results.UnitNS, ev.Iteration, ev.Warmup
		switch ev.Phase {
		case runners.PhaseInstantiate, runners.PhaseExecute, runners.PhaseExecuteAll:
			rec.Verified = verified[ev.Iteration]
		case runners.PhaseCall:
			rec.Unit, rec.Verified = results.UnitNSCall, out.Err == nil
		default:
			rec.Verified = allOK
		}
		if cold && ev.Phase == runners.PhaseExecute {
			s.execNS = ev.NS
		}
		recs = append(recs, rec)
	}
	if cold && out.Total > 0 {
		sp, tot := base, base
		sp.Phase, sp.Value, sp.Unit, sp.Verified = runners.PhaseSpawn, float64(out.Spawn.Nanoseconds()), results.UnitNS, allOK
		tot.Phase, tot.Value, tot.Unit, tot.Verified = runners.PhaseTotal, float64(out.Total.Nanoseconds()), results.UnitNS, allOK
		recs = append(recs, sp, tot)
		if out.Sandbox > 0 {
			sb := base
			sb.Phase, sb.Value, sb.Unit, sb.Verified = runners.PhaseSandbox, float64(out.Sandbox.Nanoseconds()), results.UnitNS, allOK
			recs = append(recs, sb)
		}
	}
	if out.MaxRSS > 0 {
		m := sizeRecord(base, results.PhaseMaxRSS, out.MaxRSS)
		m.Verified = allOK
		recs = append(recs, m)
	}
	for _, x := range out.Extra {
		rec := x
		rec.Kind, rec.Cell, rec.Task, rec.Process, rec.RuntimeVersion = results.KindSample, s.Cell.Cell, id, proc, out.RuntimeVersion
		rec.Verified = allOK
		recs = append(recs, rec)
	}
	return recs, verr
}

func sizeRecord(base results.Record, phase string, n int64) results.Record {
	base.Phase, base.Value, base.Unit, base.Verified, base.Cold = phase, float64(n), results.UnitBytes, true, false
	return base
}
