package run

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// flight watches the tasks in flight across a run's targets: how many at
// once overall, of each target and of each cell, and whether a task of a
// target that is not concurrent ever ran beside another task.
type flight struct {
	mu       sync.Mutex
	now      int
	perCell  map[string]int
	alone    int // tasks of non-concurrent targets in flight
	peak     int
	peakSoak int
	soaks    int
	problems []string
}

func newFlight() *flight {
	return &flight{perCell: map[string]int{}}
}

func (f *flight) begin(t deploy.Task, concurrent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := t.Cell.KeyAt(t.MemoryMB)
	if f.alone > 0 || (!concurrent && f.now > 0) {
		f.problems = append(f.problems, fmt.Sprintf("%s %s started beside a local task or a local one beside others (%d in flight)", key, t.Job.Op, f.now))
	}
	if f.perCell[key] > 0 {
		f.problems = append(f.problems, fmt.Sprintf("%s: two tasks in flight", key))
	}
	f.now++
	f.perCell[key]++
	if !concurrent {
		f.alone++
	}
	f.peak = max(f.peak, f.now)
	if t.Job.Op == runners.OpSoak {
		f.soaks++
		f.peakSoak = max(f.peakSoak, f.soaks)
	}
}

func (f *flight) end(t deploy.Task, concurrent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now--
	f.perCell[t.Cell.KeyAt(t.MemoryMB)]--
	if !concurrent {
		f.alone--
	}
	if t.Job.Op == runners.OpSoak {
		f.soaks--
	}
}

func (f *flight) inFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// watched is a fake target whose tasks take a few milliseconds and report
// to a flight; with n > 1 it is deploy.Concurrent (see concTarget).
type watched struct {
	*fakeTarget
	name   string
	flight *flight
	delay  time.Duration
	n      int
}

func (w *watched) Name() string { return w.name }

func (w *watched) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	w.flight.begin(t, w.n > 1)
	defer w.flight.end(t, w.n > 1)
	select {
	case <-time.After(w.delay):
	case <-ctx.Done():
		return deploy.Outcome{}, ctx.Err() // cut short, as a real target is
	}
	return w.fakeTarget.Run(ctx, t)
}

// concTarget is a remote fake: deploy.Concurrent, and deploy.Sized so a
// memory sweep gives cells that share an artifact.
type concTarget struct{ *watched }

func (c concTarget) Concurrency() int     { return c.n }
func (c concTarget) DefaultMemoryMB() int { return 1024 }

var (
	_ deploy.Concurrent = concTarget{}
	_ deploy.Sized      = concTarget{}
)

// slowPreparer counts prepare steps by artifact folder and takes long
// enough that a second cell needing one arrives while it runs.
type slowPreparer struct {
	mu    sync.Mutex
	dirs  map[string]int
	now   int
	peak  int
	inner *fakeTarget
	delay time.Duration
}

func (p *slowPreparer) Name() string                    { return "local" }
func (p *slowPreparer) Available(context.Context) error { return nil }
func (p *slowPreparer) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	p.mu.Lock()
	p.dirs[t.Job.ArtifactDir]++
	p.now++
	p.peak = max(p.peak, p.now)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.now--
		p.mu.Unlock()
	}()
	time.Sleep(p.delay)
	return p.inner.Run(ctx, t)
}

// remoteConfig is a run of 8 cells (wazero jit and aot, fib and primes,
// C and Go) on a concurrent fake target of concurrency 3.
func remoteConfig(t *testing.T, fl *flight) (Config, concTarget) {
	ft := &fakeTarget{execNS: 1e6}
	ct := concTarget{&watched{fakeTarget: ft, name: "remote", flight: fl, delay: 5 * time.Millisecond, n: 3}}
	cfg := testConfig(t, ft)
	cfg.Options.Targets, cfg.Options.Tiers = []string{"remote"}, []string{"jit", "aot"}
	cfg.Options.NoCalibrate = true
	cfg.Targets = map[string]deploy.Target{"remote": ct}
	return cfg, ct
}

// checkJournal checks that results.jsonl holds each task's records
// together, ending with its task line, and nothing else between them.
func checkJournal(t *testing.T, out string) []results.Record {
	t.Helper()
	recs, _, err := results.ReadFile(filepath.Join(out, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	open := ""
	closed := map[string]bool{}
	for i, rec := range recs {
		switch {
		case rec.Task == "" && open != "":
			t.Errorf("line %d: a %s record inside task %s", i+1, rec.Kind, open)
		case rec.Task == "":
		case closed[rec.Task]:
			t.Errorf("line %d: a %s record of task %s after its task line", i+1, rec.Kind, rec.Task)
		case open != "" && rec.Task != open:
			t.Errorf("line %d: a record of task %s inside task %s", i+1, rec.Task, open)
		default:
			open = rec.Task
		}
		if rec.Kind == results.KindTask {
			closed[rec.Task], open = true, ""
		}
	}
	if open != "" {
		t.Errorf("task %s has no task line", open)
	}
	return recs
}

// TestConcurrentTargetRunsCellsAtOnce: a concurrent target's tasks of
// different cells overlap, never more than its concurrency and never two
// of one cell, soaks too; each task's records stay together in the
// results; a prepare step two cells need at once runs once.
func TestConcurrentTargetRunsCellsAtOnce(t *testing.T) {
	fl := newFlight()
	cfg, ct := remoteConfig(t, fl)
	cfg.Options.Memory = []int{128, 256} // two cells per artifact
	cfg.Options.Soak = 3
	prep := &slowPreparer{dirs: map[string]int{}, inner: ct.fakeTarget, delay: 20 * time.Millisecond}
	cfg.Preparer = prep
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cells != 16 || res.Failed != 0 || res.Interrupted {
		t.Fatalf("%d cells, %d failed, interrupted %v; want 16 cells, none failed", res.Cells, res.Failed, res.Interrupted)
	}
	for _, p := range fl.problems {
		t.Error(p)
	}
	if fl.peak < 2 || fl.peak > 3 {
		t.Errorf("at most %d tasks in flight at once, want 2 or 3 (concurrency 3)", fl.peak)
	}
	if fl.peakSoak < 2 || fl.peakSoak > 3 {
		t.Errorf("at most %d soaks in flight at once, want 2 or 3", fl.peakSoak)
	}
	if len(prep.dirs) != 4 {
		t.Errorf("prepare steps for %d artifacts, want 4 (aot: fib and primes, C and Go)", len(prep.dirs))
	}
	for dir, n := range prep.dirs {
		if n != 1 {
			t.Errorf("%s prepared %d times, want once", dir, n)
		}
	}
	if prep.peak != 1 {
		t.Errorf("%d prepare steps at once, want one at a time", prep.peak)
	}
	recs := checkJournal(t, cfg.Out)
	perCell := map[string]map[string]int{}
	for _, rec := range recs {
		if rec.Kind == results.KindTask {
			if perCell[recordKey(rec)] == nil {
				perCell[recordKey(rec)] = map[string]int{}
			}
			perCell[recordKey(rec)][taskKind(rec.Task)]++
		}
	}
	for key, kinds := range perCell {
		if strings.Contains(key, "/aot/") && kinds[taskPrepare] != 1 {
			t.Errorf("%s: %d prepare records, want 1 (the shared step's, on each cell)", key, kinds[taskPrepare])
		}
		if kinds[taskSoak] != 1 || kinds[taskCold] < 3 || kinds[taskWarm] < 3 {
			t.Errorf("%s: tasks %v, want the minimums and one soak", key, kinds)
		}
	}
	if len(perCell) != 16 {
		t.Errorf("tasks of %d cells, want 16", len(perCell))
	}
}

// TestConcurrentTargetKeepsLocalAlone: in a run of a local and a
// concurrent target, a local task never runs beside anything, while the
// concurrent target's still overlap each other.
func TestConcurrentTargetKeepsLocalAlone(t *testing.T) {
	fl := newFlight()
	cfg, ct := remoteConfig(t, fl)
	local := &watched{fakeTarget: ct.fakeTarget, name: "local", flight: fl, delay: 2 * time.Millisecond, n: 1}
	cfg.Options.Targets = []string{"local", "remote"}
	cfg.Options.Soak = 2
	cfg.Targets = map[string]deploy.Target{"local": local, "remote": ct}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 || res.Interrupted {
		t.Fatalf("%d failed, interrupted %v", res.Failed, res.Interrupted)
	}
	for _, p := range fl.problems {
		t.Error(p)
	}
	if fl.peak < 2 || fl.peak > 3 {
		t.Errorf("at most %d tasks in flight at once, want 2 or 3", fl.peak)
	}
	recs := checkJournal(t, cfg.Out)
	targets := map[string]int{}
	for _, rec := range recs {
		if rec.Kind == results.KindTask {
			targets[rec.Target]++
		}
	}
	if targets["local"] == 0 || targets["remote"] == 0 {
		t.Errorf("task lines by target %v, want both", targets)
	}
}

// TestConcurrentInterruptResumes: cancelled mid-run, Run returns only
// when no task is in flight, writes nothing after, keeps each finished
// task whole, and --resume completes the run without repeating a task.
func TestConcurrentInterruptResumes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	fl := newFlight()
	cfg, ct := remoteConfig(t, fl)
	ct.cancelAfter, ct.cancel = 20, cancel
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Fatal("run not marked interrupted")
	}
	if n := fl.inFlight(); n != 0 {
		t.Errorf("Run returned with %d tasks still in flight", n)
	}
	path := filepath.Join(cfg.Out, results.FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond) // longer than a task
	if after, _ := os.ReadFile(path); len(after) != len(before) {
		t.Errorf("results.jsonl grew from %d to %d bytes after Run returned", len(before), len(after))
	}
	for _, p := range fl.problems {
		t.Error(p)
	}
	recs := checkJournal(t, cfg.Out)
	kept := count(recs, func(r results.Record) bool {
		return r.Kind == results.KindTask && taskKind(r.Task) != taskPrepare
	})
	if kept == 0 || kept > 20 {
		t.Errorf("kept %d finished tasks, want between 1 and the 20 before the cancel", kept)
	}

	fl2 := newFlight()
	cfg2, _ := remoteConfig(t, fl2)
	cfg2.Out, cfg2.Resume = cfg.Out, true
	res2, err := Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Interrupted || res2.Failed != 0 {
		t.Fatalf("resumed run: interrupted %v, %d failed", res2.Interrupted, res2.Failed)
	}
	recs = checkJournal(t, cfg.Out)
	ids := map[string]int{}
	notes := map[string]int{}
	for _, r := range recs {
		switch {
		case r.Kind == results.KindTask:
			ids[r.Task]++
		case r.Kind == results.KindNote && isSamplingNote(r.Note):
			notes[recordKey(r)]++
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("task %s recorded %d times", id, n)
		}
	}
	if len(notes) != 8 {
		t.Errorf("%d cells finished with a sampling note, want 8", len(notes))
	}
	for k, n := range notes {
		if n != 1 {
			t.Errorf("%s: %d sampling notes", k, n)
		}
	}
}

// TestConcurrentWriteErrorStopsTheRun: a task whose records cannot be
// written stops the dispatching; Run waits for the tasks in flight and
// returns that error.
func TestConcurrentWriteErrorStopsTheRun(t *testing.T) {
	fl := newFlight()
	cfg, ct := remoteConfig(t, fl)
	cfg.Options.Tiers = []string{"jit"} // 4 cells, each task reaching the target
	r := &runner{cfg: cfg, o: cfg.Options, rng: rand.New(rand.NewSource(1))}
	cells, _, err := Plan(cfg.Options, cfg.Runtimes, []string{"remote"}, cfg.BinDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := results.Create(filepath.Join(cfg.Out, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	r.w = w
	if err := r.materialize(cells); err != nil {
		t.Fatal(err)
	}
	r.states = r.restore(cells, nil)
	w.Close() // every write from now on fails
	err = r.loop(context.Background())
	if err == nil || !strings.Contains(err.Error(), "results") {
		t.Fatalf("loop returned %v, want the write error", err)
	}
	if n := fl.inFlight(); n != 0 {
		t.Errorf("loop returned with %d tasks in flight", n)
	}
	// Every task's write fails: none is started after the first
	// failure, so only the first three of the round's four (its slots)
	// ran.
	if n := len(ct.tasks); n != ct.n {
		t.Errorf("%d tasks ran, want %d: the dispatching stops at the first write error", n, ct.n)
	}
}

// TestPrepareOnceForTwoCellsAtOnce: two cells that share an artifact
// folder (two memory sizes) and need it at the same time get one prepare
// step; the second waits for the first's result and records it too.
func TestPrepareOnceForTwoCellsAtOnce(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	cfg := testConfig(t, ft)
	cfg.Options.Tiers, cfg.Options.Workloads, cfg.Options.Langs = []string{"aot"}, []string{"fib"}, []string{"c"}
	prep := &slowPreparer{dirs: map[string]int{}, inner: ft, delay: 100 * time.Millisecond}
	cfg.Preparer = prep
	cells, _, err := Plan(cfg.Options, cfg.Runtimes, []string{"local"}, cfg.BinDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 1 {
		t.Fatalf("%d cells, want 1", len(cells))
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := results.Create(filepath.Join(cfg.Out, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := &runner{cfg: cfg, o: cfg.Options, w: w}
	other := *cells[0]
	other.MemoryMB = 256
	states := []*cellState{newCellState(cells[0]), newCellState(&other)}
	var wg sync.WaitGroup
	errs := make([]error, len(states))
	for i, s := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.mu.Lock()
			defer r.mu.Unlock()
			_, errs[i] = r.prepare(context.Background(), s)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(prep.dirs) != 1 {
		t.Fatalf("prepare steps for %v, want one folder", prep.dirs)
	}
	for dir, n := range prep.dirs {
		if n != 1 {
			t.Errorf("%s prepared %d times, want once", dir, n)
		}
	}
	recs := checkJournal(t, cfg.Out)
	lines := map[string]int{}
	for _, rec := range recs {
		if rec.Kind == results.KindSample && rec.Phase == results.PhasePrepare {
			lines[recordKey(rec)]++
		}
	}
	if len(lines) != 2 {
		t.Errorf("prepare samples by cell %v, want one on each of the two cells", lines)
	}
}
