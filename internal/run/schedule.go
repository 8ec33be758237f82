package run

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/registry"
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
	// calls counts a call-cost cell's finished processes.
	calls int
	// cold and warm count the cell's finished processes of each kind.
	cold, warm int
	// nextProc is the next process index: unique within the cell across
	// cold and warm processes and across resumes.
	nextProc int
	// kinds maps each finished process to its kind; total and exec hold
	// its counted (verified, not warm-up) key-figure values: a cold
	// process's total (its execute when the target reports no total), a
	// warm process's measured executions.
	kinds       map[int]string
	total, exec map[int][]float64
	elapsed     time.Duration
	// execNS is the latest cold execute time, for sizing warm processes;
	// coldWall is the latest cold task's wall time, for estimating the
	// cost of the next one.
	execNS   float64
	coldWall time.Duration
	// firstExecNS and firstColdWall are the first cold process's execute
	// and wall times: whether the cell takes warm processes at all is
	// decided from them once (warmFits), so the decision cannot flip
	// while the cell runs, and --resume replays it exactly.
	firstExecNS   float64
	firstColdWall time.Duration
	done          bool
	failed        bool
	version       string
	// prepRecorded is set once the cell's prepare samples are committed.
	prepRecorded bool
}

func newCellState(c *Cell) *cellState {
	return &cellState{Cell: c, kinds: map[int]string{}, total: map[int][]float64{}, exec: map[int][]float64{}}
}

func taskID(c *Cell, kind string, n int) string {
	return fmt.Sprintf("%s|%s|%d", c.Key(), kind, n)
}

// taskKind is the kind part of a task ID (cell key|kind|process).
func taskKind(id string) string {
	i := strings.LastIndexByte(id, '|')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(id[:i], '|')
	return id[j+1 : i]
}

// absorb takes one of the cell's records into its state: a task record
// counts a finished process and its time, a sample its key figures. The
// live run and --resume go through it alike, so a resumed cell continues
// with exactly the processes, groups and time it had.
func (s *cellState) absorb(rec results.Record) {
	switch rec.Kind {
	case results.KindTask:
		s.elapsed += time.Duration(rec.WallNS)
		kind := taskKind(rec.Task)
		switch kind {
		case taskPrepare:
			s.prepRecorded = true
			return
		case taskCallCost:
			s.calls++
			if rec.Process >= s.nextProc {
				s.nextProc = rec.Process + 1
			}
			return
		case taskCold:
			s.cold++
			s.coldWall = time.Duration(rec.WallNS)
			if s.cold == 1 {
				s.firstExecNS, s.firstColdWall = s.execNS, s.coldWall
			}
		case taskWarm:
			s.warm++
		default:
			return
		}
		s.kinds[rec.Process] = kind
		if rec.Process >= s.nextProc {
			s.nextProc = rec.Process + 1
		}
	case results.KindFailure:
		s.failed, s.done = true, true
	case results.KindNote:
		if isSamplingNote(rec.Note) {
			s.done = true // finished before the interruption
		}
	case results.KindSample:
		if rec.Phase == results.PhaseExecute && rec.Cold {
			s.execNS = rec.Value
		}
		if !results.Counts(rec) {
			return
		}
		switch {
		case rec.Phase == results.PhaseTotal && rec.Cold:
			s.total[rec.Process] = append(s.total[rec.Process], rec.Value)
		case rec.Phase == results.PhaseExecute:
			s.exec[rec.Process] = append(s.exec[rec.Process], rec.Value)
		}
	}
}

// groups are the cell's per-process key-figure values of one kind (cold:
// total; warm: execute), in process order.
func (s *cellState) groups(kind string) [][]float64 {
	var procs []int
	for p, k := range s.kinds {
		if k == kind {
			procs = append(procs, p)
		}
	}
	sort.Ints(procs)
	out := make([][]float64, 0, len(procs))
	for _, p := range procs {
		g := s.exec[p]
		if kind == taskCold && len(s.total[p]) > 0 {
			g = s.total[p]
		}
		out = append(out, g)
	}
	return out
}

// summaries are the process-level summaries of the cell's key figures.
func (s *cellState) summaries() (cold, warm stats.ProcessSummary) {
	return stats.SummarizeProcesses(s.groups(taskCold)), stats.SummarizeProcesses(s.groups(taskWarm))
}

// restore rebuilds each cell's progress from a resumed run's records.
func (r *runner) restore(cells []*Cell, prior []results.Record) []*cellState {
	byKey := map[string]*cellState{}
	var states []*cellState
	for _, c := range cells {
		s := newCellState(c)
		byKey[c.Key()] = s
		states = append(states, s)
	}
	for _, rec := range prior {
		if s := byKey[recordKey(rec)]; s != nil {
			s.absorb(rec)
		}
	}
	return states
}

// CallCostProcesses is how many processes a call-cost cell takes: the
// fewest that give its per-call figure an interval (stats.MinUnits).
const CallCostProcesses = stats.MinUnits

// callCostCells adds one no-op call-cost cell per runtime and tier (local
// target only): the host-to-guest call cost as a result row of its own.
func (r *runner) callCostCells(rts []*Runtime, targets []string, prior []results.Record) []*cellState {
	if !contains(targets, "local") || r.o.Custom != nil {
		return nil
	}
	// A cell with enough call-cost processes, or a failure, is done; one
	// with fewer continues from them.
	byKey := map[string][]results.Record{}
	for _, rec := range prior {
		if rec.Kind == results.KindTask || rec.Kind == results.KindFailure {
			byKey[recordKey(rec)] = append(byKey[recordKey(rec)], rec)
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
			s := newCellState(c)
			s.callCost = true
			for _, rec := range byKey[c.Key()] {
				s.absorb(rec)
			}
			s.done = s.done || s.calls >= CallCostProcesses
			out = append(out, s)
		}
	}
	return out
}

// Why a cell stopped sampling.
const (
	stopPrecision = "precision" // every key figure within the target
	stopBudget    = "budget"    // its time (and the run's spare time) ran out
	stopLimit     = "limit"     // MaxCold and MaxWarm processes taken
)

// step is a cell's next move.
type step struct {
	// kind is the next task's kind, or "" when the cell is finished, for
	// the reason in stop.
	kind string
	stop string
	// borrow is set when the cell is past its own budget: the task runs
	// only on time the run's other cells left unused (see runner.grants).
	borrow bool
	// cost estimates the task's wall time; need is the worst wanted key
	// figure's half-width over the target (the borrowing priority).
	cost time.Duration
	need float64
}

// warmFits reports whether warm processes suit the cell, decided once
// from its first cold process (before it, they are assumed to). They do
// not when one execution is longer than the whole budget (fib(42) under
// an interpreter), nor when the minimum processes of both kinds would
// not fit in the cell's cap of HardCapFactor budgets (fib(42) in Go,
// about 4 s an execution): then the cell takes cold processes only, and
// its cold row gets the interval that the two kinds together would not
// have reached.
func (s *cellState) warmFits(o Options) bool { return s.noWarmReason(o) == "" }

// noWarmReason says why the cell takes no warm processes, or "".
func (s *cellState) noWarmReason(o Options) string {
	if s.cold == 0 || s.firstExecNS <= 0 {
		return ""
	}
	exec := time.Duration(s.firstExecNS)
	if exec > o.Budget {
		return fmt.Sprintf("one execution (%v) is longer than the budget (%v)", exec.Round(time.Millisecond), o.Budget)
	}
	// The cheapest warm process: start, warm-up and the measured
	// executions the first warm processes take (warmIterations).
	k := min(firstWarmIterations(s.firstExecNS, o), max(o.Iterations, 1))
	warm := s.firstColdWall + time.Duration(o.Warmup+k-1)*exec
	need := time.Duration(o.MinCold)*s.firstColdWall + time.Duration(o.MinWarm)*warm
	if hard := o.Budget * HardCapFactor; need > hard {
		return fmt.Sprintf("%d cold and %d warm processes would take about %v (a process %v, an execution %v), over the cell's cap of %v",
			o.MinCold, o.MinWarm, need.Round(100*time.Millisecond), s.firstColdWall.Round(time.Millisecond),
			exec.Round(time.Millisecond), hard)
	}
	return ""
}

// plan decides a cell's next task. The first is always a cold process (it
// verifies the output). Then cold and warm processes alternate until each
// kind has its minimum (within HardCapFactor budgets), so every key
// figure gets an interval. Then the cell adds a process of the kind whose
// 95% interval is widest relative to the precision target, until both
// are within it, the maximum counts are reached, or the budget is spent;
// past its own budget a cell may go on (up to HardCapFactor budgets) on
// time other cells left unused, when granted (runner.grants).
func (s *cellState) plan(o Options) step {
	switch {
	case s.done:
		return step{}
	case s.callCost:
		return step{kind: taskCallCost}
	case s.cold == 0:
		return step{kind: taskCold, cost: s.coldWall}
	}
	hard := o.Budget * HardCapFactor
	warmOK := s.warmFits(o)
	needCold := s.cold < o.MinCold
	needWarm := warmOK && s.warm < o.MinWarm
	if needCold || needWarm {
		if s.elapsed >= hard {
			return step{stop: stopBudget}
		}
		if needWarm && (!needCold || s.warm < s.cold) {
			return step{kind: taskWarm, cost: s.cost(taskWarm, o)}
		}
		return step{kind: taskCold, cost: s.cost(taskCold, o)}
	}
	cs, ws := s.summaries()
	target := math.Max(o.Precision, 1e-9)
	hc, hw := cs.HalfWidth()/target, ws.HalfWidth()/target
	if !warmOK {
		hw = 0
	}
	wantCold := hc > 1 && s.cold < o.MaxCold
	wantWarm := hw > 1 && s.warm < o.MaxWarm
	if !wantCold && !wantWarm {
		if hc > 1 || hw > 1 {
			return step{stop: stopLimit}
		}
		return step{stop: stopPrecision}
	}
	st := step{kind: taskCold, need: hc}
	if wantWarm && (!wantCold || hw > hc) {
		st.kind, st.need = taskWarm, hw
	}
	st.cost = s.cost(st.kind, o)
	if s.elapsed >= o.Budget {
		if s.elapsed+st.cost > hard {
			return step{stop: stopBudget}
		}
		st.borrow = true
	}
	return st
}

// cost estimates a task's wall time from the cell's latest cold process:
// a warm process adds its warm-up and measured executions.
func (s *cellState) cost(kind string, o Options) time.Duration {
	c := s.coldWall
	if kind == taskWarm {
		c += time.Duration(float64(o.Warmup+s.warmIterations(o)-1) * s.execNS)
	}
	return c
}

// warmIterations sizes a warm process. The unit is the process (its
// median), so the measured executions in one buy precision only against
// the spread within a process. A process whose fixed part (start,
// compile, warm-up) costs F and whose executions cost E each gives units
// of variance between² + within²/k at cost F + kE; the count that buys
// the most precision per second is k = sqrt(F/E) * within/between
// (two-stage sampling). Until a cell's spreads are known it assumes them
// equal (as measured here: one process can shift all its executions by
// as much as they vary), which gives one execution for long workloads
// and up to Iterations for short ones. The first two warm processes take
// at least two, so the spread within a process is measured, unless one
// execution costs more than an eighth of the budget. The count also fits
// the time left: before the minimums are met, what the remaining minimum
// processes leave of HardCapFactor budgets; after, what is left of them.
func (s *cellState) warmIterations(o Options) int {
	k := s.optimalIterations(o)
	if s.warm < 2 {
		k = max(k, firstWarmIterations(s.execNS, o))
	}
	k = min(k, o.Iterations)
	if s.execNS > 0 {
		left := float64(o.Budget*HardCapFactor - s.elapsed)
		if s.warm < o.MinWarm {
			left -= float64(max(o.MinCold-s.cold, 0)) * float64(s.coldWall)
			left /= float64(o.MinWarm - s.warm)
		}
		if fit := int((left-s.fixedNS(o))/s.execNS) - o.Warmup; fit < k {
			k = fit
		}
	}
	return max(k, 1)
}

// firstWarmIterations is the fewest measured executions each of a
// cell's first two warm processes takes: two, so the spread within a
// process is measured, unless one execution (execNS) costs more than an
// eighth of the budget.
func firstWarmIterations(execNS float64, o Options) int {
	if execNS*8 <= float64(o.Budget) {
		return 2
	}
	return 1
}

// fixedNS is a warm process's cost besides its measured executions: the
// start, compile and instantiate a cold process spends besides its one
// execution, and the warm-up executions.
func (s *cellState) fixedNS(o Options) float64 {
	return math.Max(float64(s.coldWall)-s.execNS, 0) + float64(o.Warmup)*s.execNS
}

// optimalIterations is the two-stage optimum of measured executions per
// warm process, from the cell's spreads when two warm processes have
// measured them, else assuming equal spreads (Iterations before the cell
// has run a cold process).
func (s *cellState) optimalIterations(o Options) int {
	if s.execNS <= 0 {
		return o.Iterations
	}
	ratio := 1.0 // within / between
	ws := stats.SummarizeProcesses(s.groups(taskWarm))
	if ws.HasWithin && ws.Units >= 2 {
		mean := float64(ws.Values) / float64(ws.Units)
		between2 := ws.Between*ws.Between - ws.Within*ws.Within/mean
		if between2 <= 0 {
			return o.Iterations // no shift between processes: executions are as good as processes
		}
		ratio = ws.Within / math.Sqrt(between2)
	}
	k := math.Sqrt(s.fixedNS(o)/s.execNS) * ratio
	return max(int(math.Round(k)), 1)
}

// Sampling notes: every cell that stops sampling says why, and the
// precision it reached.
const (
	notePrecision = "reached the precision target"
	noteBudget    = "stopped on budget"
	noteLimit     = "stopped at the process limit"
)

func isSamplingNote(n string) bool {
	return strings.HasPrefix(n, notePrecision) || strings.HasPrefix(n, noteBudget) || strings.HasPrefix(n, noteLimit)
}

// samplingNote says why a cell stopped, at what precision, after how many
// processes: "stopped on budget at ±7.4% (target ±3%) after 6 cold and 4
// warm processes (cold total ±7.4%, warm execute ±2.0%; 31.9s)".
func (s *cellState) samplingNote(o Options, why string) string {
	cs, ws := s.summaries()
	worst := cs.HalfWidth()
	figs := "cold total " + halfWidthText(cs)
	if s.warmFits(o) {
		worst = math.Max(worst, ws.HalfWidth())
		figs += ", warm execute " + halfWidthText(ws)
	} else {
		figs += ", no warm processes: " + s.noWarmReason(o)
	}
	target := "no precision target"
	if o.Precision > 0 {
		target = "target ±" + percent(o.Precision)
	}
	at := "at ±" + percent(worst) + " (" + target + ")"
	if math.IsInf(worst, 1) {
		at = "without an interval (it needs " + strconv.Itoa(stats.MinUnits) + " processes of each kind)"
	}
	counts := fmt.Sprintf("after %d cold and %d warm processes (%s; %v)", s.cold, s.warm, figs, s.elapsed.Round(time.Millisecond))
	switch why {
	case stopPrecision:
		return fmt.Sprintf("%s ±%s %s", notePrecision, percent(o.Precision), counts)
	case stopLimit:
		return fmt.Sprintf("%s (%d cold, %d warm) %s %s", noteLimit, o.MaxCold, o.MaxWarm, at, counts)
	}
	return fmt.Sprintf("%s %s %s", noteBudget, at, counts)
}

func halfWidthText(p stats.ProcessSummary) string {
	if !p.HasCI {
		if p.Units == 1 {
			return "no interval (1 process)"
		}
		return fmt.Sprintf("no interval (%d processes)", p.Units)
	}
	return "±" + percent(p.HalfWidth())
}

// percent formats a fraction as a percentage with up to one decimal.
func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%"
}

// pool is the time the run's cells left unused: the budget minus the time
// of every finished cell, less every running cell's overrun. Cells past
// their own budget borrow from it. It is computed from the cells' state
// alone, so --resume continues with the same pool.
func (r *runner) pool() time.Duration {
	var p time.Duration
	for _, s := range r.states {
		if s.callCost {
			continue
		}
		left := r.o.Budget - s.elapsed
		if s.done || left < 0 {
			p += left
		}
	}
	return p
}

// grants decides, at the start of a round, which cells past their own
// budget may run a task on the pool: the ones furthest from the
// precision target first, while the pool covers their estimated task
// time. It also reports whether any cell runs on its own budget this
// round (the pool may still grow when it finishes).
func (r *runner) grants(active []*cellState) (granted map[*cellState]bool, others bool) {
	var want []*cellState
	steps := map[*cellState]step{}
	for _, s := range active {
		st := s.plan(r.o)
		steps[s] = st
		switch {
		case st.borrow:
			want = append(want, s)
		case st.kind != "":
			others = true
		}
	}
	sort.SliceStable(want, func(i, j int) bool { return steps[want[i]].need > steps[want[j]].need })
	granted = map[*cellState]bool{}
	pool := r.pool()
	for _, s := range want {
		if c := steps[s].cost; c <= pool {
			granted[s] = true
			pool -= c
		}
	}
	return granted, others
}

// loop runs rounds until every cell is finished: in each round every
// unfinished cell gets one task, cells in a fresh random order, so no
// runtime runs all its samples back to back. A cell past its own budget
// runs only when granted time from the pool; without a grant it waits
// for a later round while other cells still run, and stops on budget
// when none does. Tasks on a concurrent target may run at once
// (concurrent.go); a round's tasks all end before the next is planned.
func (r *runner) loop(ctx context.Context) error {
	r.mu.Lock() // released while targets run (concurrent.go)
	defer r.mu.Unlock()
	p := newProgress(r.cfg.Progress, r.cfg.Terminal, r.states, r.o)
	defer p.finish()
	d := r.newDispatcher(ctx)
	defer d.wait()
	finish := func(s *cellState, why string) error {
		s.done = true
		p.cellDone(s)
		if s.failed || s.callCost {
			return nil
		}
		return r.write(results.Record{Kind: results.KindNote, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Note: s.samplingNote(r.o, why)})
	}
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
		granted, others := r.grants(active)
		for _, s := range d.order(active) {
			if err := ctx.Err(); err != nil {
				return err
			}
			st := s.plan(r.o)
			if st.kind == "" {
				if err := finish(s, st.stop); err != nil {
					return err
				}
				continue
			}
			if st.borrow && !granted[s] {
				if others {
					continue // wait: the pool may grow
				}
				if err := finish(s, stopBudget); err != nil {
					return err
				}
				continue
			}
			if err := d.run(s, func() error {
				p.start(s, st.kind)
				if err := r.runTask(ctx, s, st.kind); err != nil {
					return err
				}
				if s.failed {
					p.cellDone(s)
				} else if st := s.plan(r.o); st.kind == "" {
					return finish(s, st.stop)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := d.wait(); err != nil { // the round's tasks end before the next round is planned
			return err
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
	proc := s.nextProc
	switch kind {
	case taskCold:
		job = r.job(s.Cell, runners.OpCold)
		if s.Custom != nil && s.cold == 0 {
			job.KeepStdout = r.keepStdout(s) // for a line diff, or the reference output
		}
	case taskWarm:
		job = r.job(s.Cell, runners.OpWarm)
		job.Warmup, job.Iterations = r.o.Warmup, s.warmIterations(r.o)
	case taskCallCost:
		job = r.job(s.Cell, runners.OpCallCost)
		job.Warmup, job.Iterations, job.CallsPerBatch, job.Export = 2, 10, 10000, "noop"
		if k := registry.Kind(s.Runtime.Name, s.Tier); k == registry.Interpreter || k == registry.Baseline {
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
	r.mu.Unlock() // other cells' tasks go on while the target runs (concurrent.go)
	t0 := time.Now()
	out, err := tg.Run(ctx, deploy.Task{Cell: s.Cell.Cell, Worker: worker, Job: job, Process: proc, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package,
		FunctionTimeout: r.o.FunctionTimeout, NoCPUScaling: r.o.NoCPUScaling})
	wall := time.Since(t0)
	r.mu.Lock()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: the partial task is dropped
		}
		return r.fail(s, id, runners.Errorf(runners.KindInternal, "target %s: %v", s.Target, err))
	}
	if out.RuntimeVersion != "" {
		s.version = out.RuntimeVersion
	}
	recs := r.taskRecords(s, kind, id, proc, out, wall)
	if err := r.write(recs...); err != nil {
		return err
	}
	for _, rec := range recs {
		s.absorb(rec) // counts the process, its time and its key figures
	}
	if kind == taskCallCost && s.calls >= CallCostProcesses {
		s.done = true
	}
	return nil
}

// taskRecords is a finished task's batch: its samples (each output
// verified), its failure if any, and its task line, which commits them.
func (r *runner) taskRecords(s *cellState, kind, id string, proc int, out deploy.Outcome, wall time.Duration) []results.Record {
	recs, verr := r.records(s, kind, id, proc, out)
	switch {
	case out.Err != nil:
		recs = append(recs, r.failure(s, id, out.Err))
	case verr != nil:
		recs = append(recs, r.failure(s, id, runners.Errorf(runners.KindOutput, "not verified: %v", verr)))
	}
	return append(recs, results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package,
		Task: id, WallNS: wall.Nanoseconds(), RuntimeVersion: s.version, Process: proc})
}

// prepare runs (once per runtime, tier and module) the step that writes an
// AOT artifact, and records its size and time on the cell.
func (r *runner) prepare(ctx context.Context, s *cellState) (bool, error) {
	if r.prepared == nil {
		r.prepared = map[string]*prepResult{}
	}
	dir := r.artifactDir(s.Cell)
	p := r.prepared[dir]
	for p != nil && p.ready != nil { // another cell's task prepares it now: its result is this cell's
		if err := r.await(ctx, p.ready); err != nil {
			return false, err
		}
		p = r.prepared[dir] // nil when that prepare step was cut short
	}
	if p == nil {
		worker, err := s.Runtime.Command(s.Tier)
		if err != nil {
			return false, r.fail(s, "", runners.Errorf(runners.KindBadJob, "%v", err))
		}
		job := r.job(s.Cell, runners.OpPrepare)
		pending := &prepResult{ready: make(chan struct{})}
		r.prepared[dir] = pending
		r.mu.Unlock() // concurrent.go
		r.prepMu.Lock()
		t0 := time.Now()
		prep := r.cfg.Preparer
		if prep == nil {
			prep = local.Local{}
		}
		run := prep.Run
		if tp, ok := r.cfg.Targets[s.Target].(deploy.Preparer); ok {
			run = tp.Prepare // the target makes it, for its architecture
		}
		out, err := run(ctx, deploy.Task{Cell: s.Cell.Cell, Worker: worker, Job: job, Arch: s.Arch, Package: s.Package})
		ns := time.Since(t0)
		r.prepMu.Unlock()
		r.mu.Lock()
		delete(r.prepared, dir)
		close(pending.ready)
		if err != nil {
			return false, err
		}
		p = &prepResult{ns: float64(ns.Nanoseconds()), err: out.Err}
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
		base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Verified: true, Cache: "disk",
			Task: taskID(s.Cell, taskPrepare, 0)}
		a, b := base, base
		a.Phase, a.Value, a.Unit = results.PhaseArtifactBytes, float64(p.bytes), results.UnitBytes
		b.Phase, b.Value, b.Unit = results.PhasePrepare, p.ns, results.UnitNS
		task := results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Task: base.Task}
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
		recs = append(recs, results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Task: task, RuntimeVersion: s.version})
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
	return results.Record{Kind: results.KindFailure, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, Task: task,
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
func (r *runner) records(s *cellState, kind, id string, proc int, out deploy.Outcome) ([]results.Record, error) {
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
	base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, MemoryMB: s.MemoryMB, Arch: s.Arch, Package: s.Package, RuntimeVersion: out.RuntimeVersion,
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
		case results.PhaseInstantiate, results.PhaseExecute, results.PhaseExecuteAll:
			rec.Verified = verified[ev.Iteration]
		case results.PhaseCall:
			rec.Unit, rec.Verified = results.UnitNSCall, out.Err == nil
		default:
			rec.Verified = allOK
		}
		recs = append(recs, rec)
	}
	if cold && out.Total > 0 {
		sp, tot := base, base
		sp.Phase, sp.Value, sp.Unit, sp.Verified = results.PhaseSpawn, float64(out.Spawn.Nanoseconds()), results.UnitNS, allOK
		tot.Phase, tot.Value, tot.Unit, tot.Verified = results.PhaseTotal, float64(out.Total.Nanoseconds()), results.UnitNS, allOK
		if out.Spawn > 0 { // a remote environment's start is not seen from here
			recs = append(recs, sp)
		}
		recs = append(recs, tot)
		if out.Sandbox > 0 {
			sb := base
			sb.Phase, sb.Value, sb.Unit, sb.Verified = results.PhaseSandbox, float64(out.Sandbox.Nanoseconds()), results.UnitNS, allOK
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
		if rec.MemoryMB == 0 {
			rec.MemoryMB = s.MemoryMB
		}
		if rec.Arch == "" {
			rec.Arch = s.Arch
		}
		if rec.Package == "" {
			rec.Package = s.Package
		}
		recs = append(recs, rec)
	}
	return recs, verr
}

func sizeRecord(base results.Record, phase string, n int64) results.Record {
	base.Phase, base.Value, base.Unit, base.Verified, base.Cold = phase, float64(n), results.UnitBytes, true, false
	return base
}
