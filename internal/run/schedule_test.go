package run

import (
	"context"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// simCell is a cell driven by plan alone, on fake records: each process
// shifts its times by exp(N(0, between)), each execution by exp(N(0,
// within)); a cold task takes 110 ms of (pretend) wall time, a warm one
// 100 ms per execution plus 10 ms. Nothing here reads a clock.
type simCell struct {
	s               *cellState
	between, within float64
	rng             *rand.Rand
}

func newSimCell(key string, between, within float64, seed int64) *simCell {
	c := &Cell{Cell: results.Cell{Runtime: "rt", Tier: "jit", Workload: key, Lang: "c", Param: "1", Target: "local"}}
	return &simCell{s: newCellState(c), between: between, within: within, rng: rand.New(rand.NewSource(seed))}
}

// task fakes the records of one task of the given kind and absorbs them,
// as runTask does.
func (c *simCell) task(o Options, kind string) {
	s := c.s
	proc := s.nextProc
	id := taskID(s.Cell, kind, proc)
	shift := math.Exp(c.rng.NormFloat64() * c.between)
	exec := func() float64 { return 1e8 * shift * math.Exp(c.rng.NormFloat64()*c.within) }
	base := results.Record{Kind: results.KindSample, Cell: s.Cell.Cell, Process: proc, Task: id, Verified: true, Unit: results.UnitNS}
	var recs []results.Record
	wall := 110 * time.Millisecond
	switch kind {
	case taskCold:
		e := base
		e.Phase, e.Cold, e.Value = results.PhaseExecute, true, exec()
		tot := e
		tot.Phase, tot.Value = results.PhaseTotal, e.Value+1e7
		recs = append(recs, e, tot)
	case taskWarm:
		n := o.Warmup + s.warmIterations(o)
		for i := 0; i < n; i++ {
			e := base
			e.Phase, e.Value, e.Iteration, e.Warmup = results.PhaseExecute, exec(), i, i < o.Warmup
			recs = append(recs, e)
		}
		wall = time.Duration(n)*100*time.Millisecond + 10*time.Millisecond
	}
	recs = append(recs, results.Record{Kind: results.KindTask, Cell: s.Cell.Cell, Task: id, Process: proc, WallNS: wall.Nanoseconds()})
	for _, r := range recs {
		s.absorb(r)
	}
}

// run plans and fakes tasks until the cell stops or would need time from
// the run's pool (none is granted here): it returns why it stopped.
func (c *simCell) run(t *testing.T, o Options) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		st := c.s.plan(o)
		switch {
		case st.kind == "":
			return st.stop
		case st.borrow:
			return stopBudget
		}
		c.task(o, st.kind)
	}
	t.Fatal("the cell never stopped")
	return ""
}

func simOptions() Options {
	o := Defaults(false)
	o.Budget = 3 * time.Second
	return o
}

func TestPlanQuietCellStopsAtPrecision(t *testing.T) {
	o := simOptions()
	c := newSimCell("quiet", 0.002, 0.002, 1)
	if why := c.run(t, o); why != stopPrecision {
		t.Fatalf("a quiet cell stopped on %q, want precision", why)
	}
	if c.s.cold != stats.MinUnits || c.s.warm != stats.MinUnits {
		t.Errorf("quiet cell took %d cold and %d warm processes, want the minimum %d of each", c.s.cold, c.s.warm, stats.MinUnits)
	}
	cs, ws := c.s.summaries()
	if cs.HalfWidth() > o.Precision || ws.HalfWidth() > o.Precision {
		t.Errorf("stopped at precision with half-widths %v and %v over %v", cs.HalfWidth(), ws.HalfWidth(), o.Precision)
	}
	note := c.s.samplingNote(o, stopPrecision)
	if !strings.HasPrefix(note, "reached the precision target ±3% after 3 cold and 3 warm processes (cold total ±") || !isSamplingNote(note) {
		t.Errorf("note %q", note)
	}
}

func TestPlanNoisyCellGetsMoreProcessesAndNotesTheBudget(t *testing.T) {
	o := simOptions()
	quiet := newSimCell("quiet", 0.002, 0.002, 2)
	noisy := newSimCell("noisy", 0.08, 0.01, 2)
	quiet.run(t, o)
	why := noisy.run(t, o)
	if noisy.s.cold+noisy.s.warm <= quiet.s.cold+quiet.s.warm {
		t.Errorf("noisy cell took %d+%d processes, quiet one %d+%d: the noisy one should take more",
			noisy.s.cold, noisy.s.warm, quiet.s.cold, quiet.s.warm)
	}
	if why != stopBudget {
		t.Fatalf("noisy cell stopped on %q, want budget", why)
	}
	if noisy.s.elapsed < o.Budget {
		t.Errorf("stopped on budget after %v of a %v budget", noisy.s.elapsed, o.Budget)
	}
	cs, ws := noisy.s.summaries()
	worst := math.Max(cs.HalfWidth(), ws.HalfWidth())
	note := noisy.s.samplingNote(o, stopBudget)
	want := "stopped on budget at ±" + percent(worst) + " (target ±3%) after "
	if !strings.HasPrefix(note, want) || !strings.Contains(note, "cold total ±") || !strings.Contains(note, "warm execute ±") {
		t.Errorf("note %q, want it to start %q and give both figures", note, want)
	}
}

// The process kind whose interval is further from the target goes next:
// a cell noisy between cold processes only adds cold ones.
func TestPlanSpendsWhereTheIntervalIsWidest(t *testing.T) {
	o := simOptions()
	o.Budget = time.Minute
	c := newSimCell("cold-noisy", 0, 0.001, 3)
	for c.s.cold < 3 || c.s.warm < 3 {
		st := c.s.plan(o)
		c.task(o, st.kind)
	}
	// Replace the cold totals with noisy ones.
	for i, p := range []int{0, 2, 4} {
		if c.s.kinds[p] != taskCold {
			t.Fatalf("process %d is %q, want cold (cold and warm alternate from a cold first)", p, c.s.kinds[p])
		}
		c.s.total[p] = []float64{1e8 * (1 + 0.1*float64(i))}
	}
	if st := c.s.plan(o); st.kind != taskCold || st.borrow || st.need <= 1 {
		t.Errorf("plan %+v, want a cold process, its need above 1", st)
	}
}

func TestGrantsPreferTheWidestIntervalWithinThePool(t *testing.T) {
	o := simOptions()
	r := &runner{o: o}
	var cells []*simCell
	for i, between := range []float64{0.1, 0.3} {
		c := newSimCell("cell", between, 0.01, int64(10+i))
		for c.s.plan(o).kind != "" && !c.s.plan(o).borrow {
			c.task(o, c.s.plan(o).kind)
		}
		if !c.s.plan(o).borrow {
			t.Fatalf("cell %d does not want more time: %+v", i, c.s.plan(o))
		}
		cells = append(cells, c)
		r.states = append(r.states, c.s)
	}
	active := []*cellState{cells[0].s, cells[1].s}
	// No spare time: nobody is granted, and no other cell runs.
	if g, others := r.grants(active); len(g) != 0 || others {
		t.Fatalf("grants %v others %v with an empty pool", g, others)
	}
	// A finished cell left room for one task: the cell furthest from the
	// target gets it.
	a, b := cells[0].s.plan(o), cells[1].s.plan(o)
	wide, narrow := cells[1].s, cells[0].s
	if a.need > b.need {
		wide, narrow = narrow, wide
	}
	spare := newSimCell("done", 0, 0, 0).s
	spare.done = true
	over := cells[0].s.elapsed - o.Budget + cells[1].s.elapsed - o.Budget
	spare.elapsed = o.Budget - over - time.Duration(max(a.cost, b.cost)) - time.Millisecond
	r.states = append(r.states, spare)
	g, _ := r.grants(active)
	if !g[wide] || g[narrow] {
		t.Errorf("granted %v: want only the cell furthest from the target (need %.1f vs %.1f)", g, a.need, b.need)
	}
}

func TestWarmIterationsFollowTheSpreads(t *testing.T) {
	o := simOptions()
	o.Budget = time.Minute
	// Large shifts between processes: one execution per process.
	between := newSimCell("between", 0.1, 0.001, 4)
	// Noise within a process only: as many executions as allowed.
	within := newSimCell("within", 0, 0.05, 4)
	for _, c := range []*simCell{between, within} {
		c.task(o, taskCold) // warm processes are sized from the cold one
		for c.s.warm < 10 {
			c.task(o, taskWarm)
		}
	}
	if k := between.s.warmIterations(o); k != 1 {
		t.Errorf("between-process noise: %d executions per process, want 1", k)
	}
	if k := within.s.warmIterations(o); k != o.Iterations {
		t.Errorf("within-process noise: %d executions per process, want %d", k, o.Iterations)
	}
}

// A resumed run rebuilds every cell's processes, groups, counts and time
// exactly: the note the live run wrote for each cell is the note the
// restored state writes.
func TestResumeRestoresGroupsExactly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	spread := map[string]float64{
		"wazero/jit/fib/c/32/local":  0.05,
		"wazero/aot/fib/go/32/local": 0.02,
	}
	ft := &fakeTarget{execNS: 1e6, spread: spread, cancelAfter: 40, cancel: cancel}
	cfg := testConfig(t, ft)
	cfg.Options.Budget = time.Minute // counts, not the clock, bound the cells
	cfg.Options.MaxCold, cfg.Options.MaxWarm = 8, 8
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	ft2 := &fakeTarget{execNS: 1e6, spread: spread}
	cfg.Targets, cfg.Preparer, cfg.Resume = map[string]deploy.Target{"local": ft2}, ft2, true
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cells, _, err := Plan(cfg.Options, cfg.Runtimes, []string{"local"}, cfg.BinDir)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{o: cfg.Options}
	states := r.restore(cells, res.Records)
	notes := map[string][]string{}
	procs := map[string]map[int]string{}
	for _, rec := range res.Records {
		switch {
		case rec.Kind == results.KindNote && isSamplingNote(rec.Note):
			notes[rec.Key()] = append(notes[rec.Key()], rec.Note)
		case rec.Kind == results.KindTask && taskKind(rec.Task) != taskPrepare:
			// The prepare step's task line (which commits its samples)
			// is no process of the cell's statistics.
			if procs[rec.Key()] == nil {
				procs[rec.Key()] = map[int]string{}
			}
			if prev, dup := procs[rec.Key()][rec.Process]; dup {
				t.Errorf("%s: process %d used by %s and %s", rec.Key(), rec.Process, prev, rec.Task)
			}
			procs[rec.Key()][rec.Process] = rec.Task
		}
	}
	for _, s := range states {
		if !s.done {
			t.Errorf("%s: not done after the resumed run", s.Key())
		}
		ns := notes[s.Key()]
		if len(ns) != 1 {
			t.Errorf("%s: %d sampling notes, want 1: %q", s.Key(), len(ns), ns)
			continue
		}
		why := stopPrecision
		switch {
		case strings.HasPrefix(ns[0], noteBudget):
			why = stopBudget
		case strings.HasPrefix(ns[0], noteLimit):
			why = stopLimit
		}
		if got := s.samplingNote(cfg.Options, why); got != ns[0] {
			t.Errorf("%s: restored state says %q, the run said %q", s.Key(), got, ns[0])
		}
		if s.cold+s.warm != len(procs[s.Key()]) || s.nextProc != len(procs[s.Key()]) {
			t.Errorf("%s: %d cold + %d warm, next process %d, but %d processes recorded", s.Key(), s.cold, s.warm, s.nextProc, len(procs[s.Key()]))
		}
	}
	noisy := states[0]
	for _, s := range states {
		if s.Key() == "wazero/jit/fib/c/32/local" {
			noisy = s
		}
	}
	if noisy.cold+noisy.warm <= 2*stats.MinUnits {
		t.Errorf("the noisy cell took %d processes, want more than the minimum", noisy.cold+noisy.warm)
	}
}

// nativeRuntimes adds a native runtime to the test runtimes, with a fake
// native fib build in binDir.
func nativeRuntimes(t *testing.T, binDir string) []*Runtime {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(binDir, "native"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"fib-c", "fib-go", "fib-rust"} {
		if err := os.WriteFile(filepath.Join(binDir, "native", n), []byte("#!/bin/false\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	native := &Runtime{RuntimeSpec: RuntimeSpec{Name: "native", Binary: "bench-native", Native: true}, Version: "cc",
		Tiers: []runners.TierInfo{{Name: "native"}}}
	return append([]*Runtime{native}, testRuntimes()...)
}

func TestCalibrationAtStartAndEndAndOnResume(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTarget{execNS: 1e6, cancelAfter: CalibrationProcesses + 5, cancel: cancel}
	cfg := testConfig(t, ft)
	cfg.Runtimes = nativeRuntimes(t, cfg.BinDir)
	cfg.Options.Workloads = []string{"fib"}
	res, err := Run(ctx, cfg)
	if err != nil || !res.Interrupted {
		t.Fatalf("interrupted run: %v, interrupted %v", err, res.Interrupted)
	}
	env := res.Records[0].Env
	if env == nil || len(env.LoadAvg) != 3 {
		t.Errorf("env record has no 1/5/15-minute load average: %+v", env)
	}
	ft2 := &fakeTarget{execNS: 1e6}
	cfg.Targets, cfg.Preparer, cfg.Resume = map[string]deploy.Target{"local": ft2}, ft2, true
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := res.Records
	// Positions: each calibration sample relative to the workload tasks
	// of its part of the run (before the resume note, after it).
	resumed := -1
	for i, r := range recs {
		if r.Kind == results.KindNote && strings.HasPrefix(r.Note, results.NoteRunResumed) {
			resumed = i
			if r.Env == nil || len(r.Env.LoadAvg) != 3 {
				t.Errorf("resume note carries no load average: %+v", r)
			}
		}
	}
	if resumed < 0 {
		t.Fatal("no resume note")
	}
	type part struct{ start, end, firstTask, lastTask int }
	parts := []part{{-1, -1, -1, -1}, {-1, -1, -1, -1}}
	seen := map[string]bool{}
	for i, r := range recs {
		pt := &parts[0]
		if i > resumed {
			pt = &parts[1]
		}
		switch {
		case r.Kind == results.KindSample && r.Workload == CalibrationWorkload:
			if r.Runtime != "native" || r.Tier != "native" || r.Lang != "c" || r.Target != "local" ||
				r.Phase != results.PhaseExecute || !r.Cold || !r.Verified || r.Value <= 0 {
				t.Errorf("calibration sample %+v", r)
			}
			k := r.Param + "/" + strconv.Itoa(r.Process)
			if seen[k] {
				t.Errorf("calibration process %s/%d recorded twice", r.Param, r.Process)
			}
			seen[k] = true
			switch r.Param {
			case "start":
				pt.start = i
			case "end":
				pt.end = i
			default:
				t.Errorf("calibration param %q", r.Param)
			}
		case r.Kind == results.KindTask && r.Workload != CalibrationWorkload:
			if pt.firstTask < 0 {
				pt.firstTask = i
			}
			pt.lastTask = i
		}
	}
	if p := parts[0]; p.start < 0 || p.start > p.firstTask || p.end >= 0 {
		t.Errorf("interrupted run: calibration at %d, first task at %d, end calibration at %d: want start only, before the tasks",
			p.start, p.firstTask, p.end)
	}
	if p := parts[1]; p.start < 0 || p.start > p.firstTask || p.end < p.lastTask {
		t.Errorf("resumed run: start calibration at %d, tasks %d..%d, end calibration at %d", p.start, p.firstTask, p.lastTask, p.end)
	}
	n := map[string]int{}
	for _, r := range recs {
		if r.Kind == results.KindSample && r.Workload == CalibrationWorkload {
			n[r.Param]++
		}
	}
	if n["start"] != 2*CalibrationProcesses || n["end"] != CalibrationProcesses {
		t.Errorf("calibration samples %v: want %d at the starts (run and resume) and %d at the end", n, 2*CalibrationProcesses, CalibrationProcesses)
	}
	end := results.EndLoadAvg(recs)
	if len(end) != 3 || !strings.HasPrefix(recs[len(recs)-1].Note, results.NoteRunEnded) {
		t.Errorf("the run's last record %+v: want the run-end note with the load average", recs[len(recs)-1])
	}
}

func TestCalibrationSkippedWithoutNativeBuild(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	cfg := testConfig(t, ft)
	cfg.Options.Workloads, cfg.Options.Langs, cfg.Options.Runtimes = []string{"fib"}, []string{"c"}, []string{"wazero"}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, r := range res.Records {
		if r.Kind == results.KindNote && strings.HasPrefix(r.Note, "calibration skipped: ") && r.Workload == CalibrationWorkload {
			skipped++
		}
		if r.Kind == results.KindSample && r.Workload == CalibrationWorkload {
			t.Errorf("calibration sample without a native build: %+v", r)
		}
	}
	if skipped != 2 {
		t.Errorf("%d notes say calibration was skipped, want 2 (start and end)", skipped)
	}
	cfg = testConfig(t, ft)
	cfg.Options.NoCalibrate = true
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Records {
		if r.Workload == CalibrationWorkload {
			t.Errorf("--no-calibrate: %+v", r)
		}
	}
}

// A cell whose minimum processes of both kinds would not fit in its cap
// takes cold processes only, decided from its first one, so its cold row
// gets an interval instead of neither row getting one (fib(42) in Go:
// about 4 s an execution against a 4 s budget). One that fits takes both.
func TestPlanLeavesOutWarmWhenTheMinimumsDoNotFit(t *testing.T) {
	o := simOptions()
	o.Precision = 1e-9 // never reached: the cell runs to its cap
	// A cold process takes 110 ms, the cheapest warm one 210 ms (start,
	// warm-up, one execution): 3 of each need 960 ms.
	o.Budget = 150 * time.Millisecond // cap 900 ms
	c := newSimCell("long", 0.01, 0.01, 3)
	c.run(t, o)
	if c.s.warm != 0 || c.s.cold < stats.MinUnits {
		t.Fatalf("took %d cold and %d warm processes, want no warm ones and at least %d cold", c.s.cold, c.s.warm, stats.MinUnits)
	}
	if cs, _ := c.s.summaries(); !cs.HasCI {
		t.Errorf("the cold row has no interval after %d processes", c.s.cold)
	}
	note := c.s.samplingNote(o, stopBudget)
	for _, want := range []string{"no warm processes: 3 cold and 3 warm processes would take about 1s (a process 110ms, an execution ", "), over the cell's cap of 900ms"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q, want it to say %q", note, want)
		}
	}

	o.Budget = 300 * time.Millisecond // cap 1.8 s
	fits := newSimCell("fits", 0.01, 0.01, 3)
	fits.run(t, o)
	if fits.s.warm < stats.MinUnits || fits.s.cold < stats.MinUnits {
		t.Errorf("a cell whose minimums fit took %d cold and %d warm processes, want at least %d of each", fits.s.cold, fits.s.warm, stats.MinUnits)
	}
}

// A default run of few cells splits RunShare across them; the default
// matrix, --quick and a given --budget keep their budget.
func TestShareBudget(t *testing.T) {
	o := Defaults(false)
	for _, c := range []struct {
		o     Options
		cells int
		want  time.Duration
	}{
		{o, 12, 20 * time.Second},
		{o, 28, 8600 * time.Millisecond},
		{o, 117, 4 * time.Second},
		{o, 0, 4 * time.Second},
		{Defaults(true), 12, 500 * time.Millisecond},
		{Options{Budget: 2 * time.Second}, 12, 2 * time.Second},
	} {
		if got := c.o.shareBudget(c.cells); got != c.want {
			t.Errorf("budget of %d cells (auto %v, budget %v): %v, want %v", c.cells, c.o.AutoBudget, c.o.Budget, got, c.want)
		}
	}
}
