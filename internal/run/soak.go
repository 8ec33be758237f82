package run

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// A soak (Options.Soak, bench run --soak N) follows memory over many warm
// invocations: after a cell's sampling, one task runs N invocations in
// one environment (on local, N executions in one worker process) and
// records, after each, the environment's Max Memory Used (serverless
// targets: the REPORT figure, lambda-local's cgroup peak) and the
// bootstrap's (worker's) resident set, VmRSS, read by the process itself
// from /proc/self/status. With Options.SoakExport the executions are
// calls of that export on one live instance (WarmMode "live-instance"),
// where a guest's leak accumulates; without it each is a fresh instance
// running _start (fresh-instance), which shows the runtime's own growth
// only. Soak records are samples of the phases results.PhaseSoakMaxMemory
// and PhaseSoakRSS under the task "<cell>|soak|<process>": never in warm
// or cold statistics (results.Counts); the report fits them (report/soak.go).

const taskSoak = "soak"

// Soak notes: a finished soak's summary and a failed one's reason start
// with these (the report reads them, report/soak.go).
const (
	SoakNotePrefix       = "soak: "
	SoakFailedNotePrefix = "soak failed: "
)

// LiveInstance and FreshInstance are Record.WarmMode values.
const (
	LiveInstance  = "live-instance"
	FreshInstance = "fresh-instance"
)

// finished lists the cells (by key) that have a finished task of a kind
// among a resumed run's records.
func finished(prior []results.Record, kind string) map[string]bool {
	done := map[string]bool{}
	for _, rec := range prior {
		if rec.Kind == results.KindTask && taskKind(rec.Task) == kind {
			done[recordKey(rec)] = true
		}
	}
	return done
}

// soakAll runs the soak task of every cell that sampled without failing
// and has none yet (a resumed run skips the finished ones).
func (r *runner) soakAll(ctx context.Context, prior []results.Record) error {
	if r.o.Soak <= 0 {
		return nil
	}
	done := finished(prior, taskSoak)
	r.mu.Lock() // released while targets run (concurrent.go)
	defer r.mu.Unlock()
	d := r.newDispatcher(ctx)
	defer d.wait()
	for _, s := range d.order(r.states) {
		if s.callCost || s.failed || done[s.Key()] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.run(s, func() error { return r.soakTask(ctx, s) }); err != nil {
			return err
		}
	}
	return d.wait()
}

// soakTask runs one cell's soak and writes its records, the note that
// sums it up (or says why it stopped) and its task line.
func (r *runner) soakTask(ctx context.Context, s *cellState) error {
	tg := r.cfg.Targets[s.Target]
	if s.Prepared {
		if ok, err := r.prepare(ctx, s); err != nil || !ok {
			return err
		}
	}
	job := r.job(s.Cell, runners.OpSoak)
	job.Iterations, job.Export = r.o.Soak, r.o.SoakExport
	job.KeepStdout = false
	proc := s.nextProc
	s.nextProc++
	id := taskID(s.Cell, taskSoak, proc)
	release, err := r.attachIO(&job)
	if err != nil {
		return err
	}
	defer release()
	mode := FreshInstance
	if job.Export != "" {
		mode = LiveInstance
	}
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: soak %s: %d invocations (%s)\n", s.Key(), r.o.Soak, mode)
	}
	worker, err := r.workerFor(s.Cell, tg, job)
	if err != nil {
		return r.soakWrite(s, id, proc, nil, SoakFailedNotePrefix+err.Error(), 0)
	}
	r.mu.Unlock() // other cells' soaks go on while the target runs (concurrent.go)
	t0 := time.Now()
	out, err := tg.Run(ctx, deploy.Task{Cell: s.Cell.Cell, Worker: worker, Job: job, Process: proc, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package,
		FunctionTimeout: r.o.FunctionTimeout, NoCPUScaling: r.o.NoCPUScaling})
	wall := time.Since(t0)
	r.mu.Lock()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: the partial soak is dropped
		}
		return r.soakWrite(s, id, proc, nil, fmt.Sprintf("%starget %s: %v", SoakFailedNotePrefix, s.Target, err), wall)
	}
	if out.RuntimeVersion != "" {
		s.version = out.RuntimeVersion
	}
	recs := r.soakRecords(s, id, proc, mode, out)
	n := invocations(recs)
	var note string
	if out.Err != nil {
		note = fmt.Sprintf("%sstopped at invocation %d of %d (%d completed; %s) after %v: %s: %s", SoakFailedNotePrefix, n+1, r.o.Soak,
			n, mode, wall.Round(time.Millisecond), out.Err.Kind, safeText(out.Err.Message, maxFailureMessage, false))
	} else {
		note = fmt.Sprintf("%s%d invocations in one %s (%s%s) in %v", SoakNotePrefix, n, environmentWord(s.Target), mode,
			exportText(job.Export), wall.Round(time.Millisecond))
	}
	if s.Target == (local.Local{}).Name() {
		note += "; local: one worker process, resident set only (Max Memory Used needs a serverless target)"
	}
	return r.soakWrite(s, id, proc, recs, note, wall)
}

// soakWrite commits a soak's records with its note and task line.
func (r *runner) soakWrite(s *cellState, id string, proc int, recs []results.Record, note string, wall time.Duration) error {
	recs = append(recs, results.Record{Kind: results.KindNote, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Task: id, Note: note},
		results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Task: id, WallNS: wall.Nanoseconds(),
			RuntimeVersion: s.version, Process: proc})
	return r.write(recs...)
}

// soakRecords turns a soak's outcome into its two series: the
// environment's Max Memory Used (the target's soak_max_memory samples)
// and the worker's resident set (the worker's soak_rss events), one
// sample each per invocation. Every other figure of the invocations is
// left out: a soak is not a sample of warm executions. A fresh-instance
// execution's output is verified as a warm one's.
func (r *runner) soakRecords(s *cellState, id string, proc int, mode string, out deploy.Outcome) []results.Record {
	verified := map[int]bool{}
	check, err := r.checker(s)
	for _, ev := range out.Events {
		if ev.Type == runners.EventOutput && check != nil && err == nil {
			verified[ev.Iteration] = check(ev.Output) == nil
		}
	}
	ok := func(iter int) bool {
		if v, seen := verified[iter]; seen {
			return v
		}
		return mode == LiveInstance // a call returned: nothing to check
	}
	base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, RuntimeVersion: out.RuntimeVersion, Process: proc,
		Task: id, WarmMode: mode, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Unit: results.UnitBytes}
	if s.Prepared {
		base.Cache = "disk"
	}
	var recs []results.Record
	memMB := map[int]int{}
	for _, x := range out.Extra {
		if x.Phase != results.PhaseSoakMaxMemory {
			continue
		}
		rec := base
		rec.Phase, rec.Value, rec.Iteration, rec.Verified = x.Phase, x.Value, x.Iteration, ok(x.Iteration)
		rec.CPUQuota, rec.Package, rec.Note = x.CPUQuota, x.Package, x.Note
		if x.MemoryMB != 0 {
			rec.MemoryMB = x.MemoryMB
		}
		memMB[x.Iteration] = rec.MemoryMB
		recs = append(recs, rec)
	}
	for _, ev := range out.Events {
		if ev.Type != runners.EventPhase || ev.Phase != results.PhaseSoakRSS {
			continue
		}
		rec := base
		rec.Phase, rec.Value, rec.Iteration, rec.Verified = ev.Phase, float64(ev.Bytes), ev.Iteration, ok(ev.Iteration)
		if mb, seen := memMB[ev.Iteration]; seen {
			rec.MemoryMB = mb
		}
		recs = append(recs, rec)
	}
	return recs
}

// invocations counts the soak's invocations that reported their resident
// set.
func invocations(recs []results.Record) int {
	n := 0
	for _, r := range recs {
		if r.Phase == results.PhaseSoakRSS {
			n++
		}
	}
	return n
}

func environmentWord(target string) string {
	if target == (local.Local{}).Name() {
		return "worker process"
	}
	return "environment"
}

func exportText(export string) string {
	if export == "" {
		return ", _start"
	}
	return ", export " + export
}

// IsSoakNote reports whether a note is a soak's summary or failure.
func IsSoakNote(note string) bool {
	return strings.HasPrefix(note, SoakNotePrefix) || strings.HasPrefix(note, SoakFailedNotePrefix)
}
