package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
	"github.com/wasmbench/bench/workloads/custom"
)

// Config is everything a run needs beyond its Options.
type Config struct {
	Options Options
	// Out is the run folder. With Resume it must hold a run to continue.
	Out    string
	Resume bool
	BinDir string
	// Targets by name; Options.Targets picks among them.
	Targets map[string]deploy.Target
	// Progress receives progress lines; Terminal redraws one line.
	Progress io.Writer
	Terminal bool
	Argv     []string
	// Runtimes, when set, replaces discovering the workers in BinDir.
	Runtimes []*Runtime
	// Preparer runs prepare steps (default: a local process; artifacts
	// are made on this machine whatever the target).
	Preparer deploy.Target
	// Files are written into a new run folder beside run.json, by name
	// (a scenario's file); a resumed run keeps those it has.
	Files map[string][]byte
}

// Result is what a finished (or interrupted) run leaves.
type Result struct {
	Out         string
	Records     []results.Record
	Interrupted bool
	Cells       int
	Failed      int
	// Verified counts the verified execute samples among Records.
	Verified int
}

// ErrNotARun is returned for an output folder that holds something else.
var ErrNotARun = errors.New("not a bench run folder")

const optionsFile = "run.json"

// Run plans and executes the matrix, appending every record to
// results.jsonl as it is measured.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	o := cfg.Options
	var prior []results.Record
	var lockNote, repairNote string
	if cfg.Resume {
		if _, err := os.Stat(filepath.Join(cfg.Out, optionsFile)); err != nil {
			return nil, fmt.Errorf("--resume %s: %w: no %s in it", cfg.Out, ErrNotARun, optionsFile)
		}
		lock, note, err := lockRun(cfg.Out)
		if err != nil {
			return nil, err
		}
		defer lock.release()
		lockNote = note
		if repairNote, err = repairResults(cfg.Out); err != nil {
			return nil, err
		}
		o, prior, err = loadRun(cfg.Out)
		if err != nil {
			return nil, err
		}
	} else if err := checkRunDir(cfg.Out); err != nil {
		return nil, badOption(err) // another --out
	}
	removeStaleIO(cfg.Progress)
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	pl, err := plan(ctx, cfg, o, false)
	if err != nil {
		return nil, err
	}
	targets, rts, cells, notes := pl.targets, pl.rts, pl.cells, pl.notes
	if !cfg.Resume { // a resumed run keeps the budget its run.json holds
		o.Budget = o.shareBudget(len(cells))
	}
	if !cfg.Resume {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, fmt.Errorf("output folder: %w", err)
		}
		lock, note, err := lockRun(cfg.Out)
		if err != nil {
			return nil, err
		}
		defer lock.release()
		lockNote = note
		// Another run may have started here since checkRunDir.
		if _, err := os.Stat(filepath.Join(cfg.Out, optionsFile)); err == nil {
			return nil, checkRunDir(cfg.Out)
		}
	}
	for _, n := range []string{lockNote, repairNote} {
		if n != "" && cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: %s\n", n)
		}
	}

	// run.json first: a run killed from here on can be resumed.
	if !cfg.Resume {
		if err := saveOptions(cfg.Out, o); err != nil {
			return nil, err
		}
		for name, b := range cfg.Files {
			if err := os.WriteFile(filepath.Join(cfg.Out, name), b, 0o644); err != nil {
				return nil, fmt.Errorf("output folder: %w", err)
			}
		}
	}
	w, err := results.Create(filepath.Join(cfg.Out, results.FileName))
	if err != nil {
		return nil, err
	}
	defer w.Close()
	r := &runner{cfg: cfg, o: o, w: w, rng: rand.New(rand.NewSource(o.Seed)), started: time.Now()}
	if !hasEnv(prior) { // a new run, or one killed before its env line
		env := results.Fingerprint()
		env.Command = cfg.Argv
		env.Seed = o.Seed
		env.Journal = results.JournalTasks
		env.Runtimes = map[string]string{}
		for _, rt := range rts {
			if rt.Version != "" {
				env.Runtimes[rt.Name] = rt.Version
			}
		}
		if err := r.write(append([]results.Record{{Kind: results.KindEnv, Env: &env}}, notes...)...); err != nil {
			return nil, err
		}
	} else {
		rec := results.ResumeNote()
		for _, n := range []string{repairNote, lockNote} {
			if n != "" {
				rec.Note += "; " + n
			}
		}
		if err := r.write(rec); err != nil {
			return nil, err
		}
	}
	for _, n := range []string{lockNote, repairNote} {
		if n != "" && !hasEnv(prior) {
			if err := r.write(results.Record{Kind: results.KindNote, Note: n}); err != nil {
				return nil, err
			}
		}
	}
	if err := r.materialize(cells); err != nil {
		return nil, err
	}
	r.states = r.restore(cells, prior)
	if o.CallCost {
		r.states = append(r.states, r.callCostCells(rts, targets, prior)...)
	}
	runErr := r.sample(ctx, rts, prior)
	res := &Result{Out: cfg.Out, Cells: len(r.states)}
	for _, s := range r.states {
		if s.failed {
			res.Failed++
		}
	}
	all, _, rerr := results.ReadFile(filepath.Join(cfg.Out, results.FileName))
	if rerr == nil {
		res.Records = all
		for _, rec := range all {
			// Calibration processes verify the machine, not a cell.
			if rec.Kind == results.KindSample && rec.Phase == results.PhaseExecute && rec.Verified && rec.Workload != CalibrationWorkload {
				res.Verified++
			}
		}
	}
	if runErr != nil {
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		return res, runErr
	}
	return res, rerr
}

// sample calibrates, runs the cells' rounds and their soaks, calibrates again, and notes
// the run's end (or interruption) with the load average then.
func (r *runner) sample(ctx context.Context, rts []*Runtime, prior []results.Record) error {
	err := r.calibrateAt(ctx, "start", rts, prior)
	if err == nil {
		err = r.loop(ctx)
	}
	if err == nil {
		err = r.soakAll(ctx, prior) // soak.go
	}
	if err == nil {
		err = r.burstAll(ctx, prior) // burst.go
	}
	if err == nil {
		err = r.calibrateAt(ctx, "end", rts, prior)
	}
	if werr := r.write(results.RunEndNote(ctx.Err() != nil)); err == nil {
		err = werr
	}
	return err
}

func (r *runner) calibrateAt(ctx context.Context, when string, rts []*Runtime, prior []results.Record) error {
	if r.o.NoCalibrate {
		return nil
	}
	return r.calibrate(ctx, when, rts, prior)
}

// planned is a run's plan: the targets that can run, the runtimes found,
// the cells (with their memory sizes, architectures and packages) and the
// planner's notes.
type planned struct {
	targets []string
	rts     []*Runtime
	cells   []*Cell
	notes   []results.Record
}

// plan checks the run's targets and plans its cells.
func plan(ctx context.Context, cfg Config, o Options, dry bool) (*planned, error) {
	tnames := o.Targets
	if len(tnames) == 0 {
		tnames = []string{"local"}
	}
	var targets []string
	var tnotes []results.Record
	for _, n := range tnames {
		t, ok := cfg.Targets[n]
		if !ok {
			var valid []string
			for k := range cfg.Targets {
				valid = append(valid, k)
			}
			sort.Strings(valid)
			return nil, badOption(fmt.Errorf("unknown target %q (valid: %s)", n, strings.Join(valid, ", ")))
		}
		if dry {
			targets = append(targets, n) // a dry run checks nothing remote
			continue
		}
		if err := t.Available(ctx); err != nil {
			if len(o.Targets) == 1 {
				return nil, fmt.Errorf("target %s is unavailable: %w", n, err)
			}
			tnotes = append(tnotes, note(results.Cell{Target: n}, "target unavailable: "+err.Error()))
			continue
		}
		targets = append(targets, n)
		if nt, ok := t.(deploy.Noted); ok {
			for _, s := range nt.Notes() {
				tnotes = append(tnotes, note(results.Cell{Target: n}, s))
			}
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("no target can run here")
	}

	rts := cfg.Runtimes
	if rts == nil {
		rts = Discover(ctx, cfg.BinDir)
	}
	cells, notes, err := Plan(o, rts, targets, cfg.BinDir)
	if err != nil {
		return nil, err
	}
	if err := CheckMemory(o.Memory); err != nil {
		return nil, badOption(fmt.Errorf("--memory: %w", err))
	}
	cells = sweepMemory(cells, o.Memory, func(name string) (int, bool) {
		s, ok := cfg.Targets[name].(deploy.Sized)
		if !ok {
			return 0, false
		}
		return s.DefaultMemoryMB(), true
	})
	if cells, err = sweepVariants(cells, o.Arches, o.Packages, func(name string) ([]string, []string, bool) {
		v, ok := cfg.Targets[name].(deploy.Varied)
		if !ok {
			return nil, nil, false
		}
		return v.Arches(), v.Packages(), true
	}); err != nil {
		return nil, badOption(err)
	}
	if (len(o.Arches) > 0 || len(o.Packages) > 0) && !slices.ContainsFunc(cells, func(c *Cell) bool { return c.Arch != "" }) {
		return nil, badOption(fmt.Errorf("--arch and --package choose the environments of targets that offer several (aws-lambda); none of this run's targets (%s) does",
			strings.Join(targets, ", ")))
	}
	notes = append(tnotes, notes...)
	notes = append(notes, memoryCapNotes(o, cells)...)
	return &planned{targets: targets, rts: rts, cells: cells, notes: notes}, nil
}

// checkRunDir refuses an output folder that holds anything; the folder is
// created only once the plan is valid.
func checkRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output folder %s: %w", dir, err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, optionsFile)); err == nil {
		return fmt.Errorf("output folder %s already holds a bench run: continue it with --resume %s, or choose another --out", dir, dir)
	}
	if len(entries) == 1 && entries[0].Name() == lockFile {
		return nil // a run killed before it wrote anything
	}
	return fmt.Errorf("output folder %s exists and is not a bench run (%w): choose another --out; nothing was written", dir, ErrNotARun)
}

func saveOptions(dir string, o Options) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, optionsFile), append(b, '\n'), 0o644)
}

func loadRun(dir string) (Options, []results.Record, error) {
	var o Options
	b, err := os.ReadFile(filepath.Join(dir, optionsFile))
	if err != nil {
		return o, nil, fmt.Errorf("--resume %s: %w: no %s in it", dir, ErrNotARun, optionsFile)
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, nil, fmt.Errorf("--resume %s: %s: %w", dir, optionsFile, err)
	}
	if o.MemoryMB != 0 && len(o.Memory) == 0 {
		o.Memory, o.MemoryMB = []int{o.MemoryMB}, 0
	}
	recs, _, err := results.ReadFile(filepath.Join(dir, results.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return o, nil, nil // killed before it wrote a record
	}
	if err != nil {
		return o, nil, fmt.Errorf("--resume %s: %w", dir, err)
	}
	return o, recs, nil
}

// hasEnv reports whether records hold the env line.
func hasEnv(recs []results.Record) bool {
	for _, r := range recs {
		if r.Kind == results.KindEnv {
			return true
		}
	}
	return false
}

// runner is one run's mutable state. During loop and soakAll, mu guards
// all of it (concurrent.go).
type runner struct {
	mu      sync.Mutex
	cfg     Config
	o       Options
	w       *results.Writer
	rng     *rand.Rand
	states  []*cellState
	started time.Time
	modules string // folder holding the run's modules and inputs
	// prepared maps an artifact folder to its prepare outcome.
	prepared map[string]*prepResult
	// custom holds what the run learns about each custom module.
	custom map[*custom.Module]*customState
	tasks  int
	// prepMu keeps prepare steps, which are timed on this machine, one
	// at a time when cells of a concurrent target need different ones.
	prepMu sync.Mutex
}

type prepResult struct {
	bytes int64
	ns    float64
	err   *runners.Error
	// ready, set while the step runs, is closed when its result is in
	// runner.prepared.
	ready chan struct{}
}

func (r *runner) write(recs ...results.Record) error { return r.w.Write(recs...) }

// materialize writes the embedded modules and inputs the cells use into
// the run folder, so workers read real files and the run is reproducible.
func (r *runner) materialize(cells []*Cell) error {
	r.modules = filepath.Join(r.cfg.Out, "modules")
	if err := os.MkdirAll(r.modules, 0o755); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, c := range cells {
		if c.Workload == nil || c.Runtime.Native {
			continue
		}
		name := c.Workload.ModuleName(c.Lang)
		if done[name] {
			continue
		}
		done[name] = true
		b, err := c.Workload.Wasm(c.Lang)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(r.modules, name), b, 0o644); err != nil {
			return err
		}
		if in := c.Workload.Stdin(); in != nil {
			if err := os.WriteFile(filepath.Join(r.modules, c.Workload.Name+".input"), in, 0o644); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(r.modules, "noop.wasm"), workloads.Noop, 0o644)
}

// modulePath is the file a cell's worker runs.
func (r *runner) modulePath(c *Cell) (name, path string) {
	switch {
	case c.Custom != nil:
		return filepath.Base(c.Custom.Path), c.Custom.Path
	case c.Runtime.Native:
		n := c.Workload.NativeName(c.Lang)
		return n, filepath.Join(r.cfg.BinDir, "native", n)
	case c.Workload == nil: // call-cost cell
		return "noop.wasm", filepath.Join(r.modules, "noop.wasm")
	default:
		n := c.Workload.ModuleName(c.Lang)
		return n, filepath.Join(r.modules, n)
	}
}

// job builds the worker job for a cell.
func (r *runner) job(c *Cell, op runners.Op) runners.Job {
	name, path := r.modulePath(c)
	r.tasks++
	j := runners.Job{ID: fmt.Sprintf("t%d", r.tasks), Op: op, Tier: c.Tier,
		Module:         runners.ModuleRef{Name: name, Path: path},
		TimeoutNS:      int64(r.o.Timeout),
		MaxMemoryBytes: r.o.MaxMemory,
		MaxOutputBytes: r.o.MaxOutput,
	}
	switch {
	case c.Custom != nil:
		j.Args, j.StdinPath, j.Dirs = c.Custom.Args, c.Custom.StdinPath, c.Custom.Dirs
	case c.Workload != nil:
		j.Args = c.Workload.Args(c.N)
		if c.Workload.HasStdin {
			j.StdinPath = filepath.Join(r.modules, c.Workload.Name+".input")
		}
	}
	if c.Prepared {
		j.ArtifactDir = r.artifactDir(c)
	}
	return j
}

func (r *runner) artifactDir(c *Cell) string {
	name, _ := r.modulePath(c)
	dir := c.Runtime.Name + "-" + c.Tier
	if c.Arch != "" { // made for that architecture (deploy.Preparer)
		dir += "-" + c.Arch
	}
	return filepath.Join(r.cfg.Out, "artifacts", dir, name)
}

// attachIO gives a task's job an I/O folder of its own (see
// runners.Job.IODir) and returns the function that removes it, which the
// task defers: the folder goes on every way out of the task, worker
// crashed, killed at a timeout or interrupted included; a folder left by a
// killed bench is removed by the next run (removeStaleIO).
func (r *runner) attachIO(job *runners.Job) (release func(), err error) {
	dir, err := runners.NewIODir("")
	if err != nil {
		return nil, fmt.Errorf("I/O folder for the worker: %w", err)
	}
	job.IODir = dir
	return func() { os.RemoveAll(dir) }, nil
}

// removeStaleIO removes the temporary I/O folders of bench processes and
// workers that no longer run, and says so.
func removeStaleIO(progress io.Writer) {
	removed, err := client.RemoveStaleIODirs("")
	if progress == nil {
		return
	}
	if len(removed) > 0 {
		fmt.Fprintf(progress, "bench: removed %d temporary I/O folders left by killed runs (%s", len(removed), removed[0])
		if len(removed) > 1 {
			fmt.Fprint(progress, ", ...")
		}
		fmt.Fprintln(progress, ")")
	}
	if err != nil {
		fmt.Fprintf(progress, "bench: warning: removing stale I/O folders: %v\n", err)
	}
}

// repairResults cuts the torn tail off a results file an interrupted run
// left (results.Repair) and describes what it did, "" when nothing.
func repairResults(dir string) (string, error) {
	path := filepath.Join(dir, results.FileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	rep, err := results.Repair(path)
	if err != nil {
		return "", fmt.Errorf("--resume %s: %w", dir, err)
	}
	if rep.Bytes == 0 {
		return "", nil
	}
	what := "a torn last line"
	if rep.Records > 0 {
		what = fmt.Sprintf("%d records of a task that never finished", rep.Records)
	}
	return fmt.Sprintf("cut %d bytes (%s) off the end of %s and kept them in %s; that task is measured again",
		rep.Bytes, what, results.FileName, filepath.Base(rep.TornFile)), nil
}

// memoryCapNotes says, for each runtime and tier a run with --max-memory
// uses, when the cap is not what it is elsewhere: applied to a whole
// process rather than to linear memory, or not applied at all ("cap not
// applied", in the results, the summary and the report).
func memoryCapNotes(o Options, cells []*Cell) []results.Record {
	if o.MaxMemory <= 0 {
		return nil
	}
	var notes []results.Record
	seen := map[string]bool{}
	for _, c := range cells {
		ti, ok := c.Runtime.Tier(c.Tier)
		if !ok || seen[c.Runtime.Name+"/"+c.Tier] {
			continue
		}
		seen[c.Runtime.Name+"/"+c.Tier] = true
		cell := results.Cell{Runtime: c.Runtime.Name, Tier: c.Tier}
		switch ti.MemoryCap {
		case runners.MemoryCapNone:
			notes = append(notes, note(cell, fmt.Sprintf("--max-memory %d: cap not applied: %s %s cannot cap a guest's memory, "+
				"so its cells ran without it", o.MaxMemory, c.Runtime.Name, c.Tier)))
		case runners.MemoryCapProcess:
			notes = append(notes, note(cell, fmt.Sprintf("--max-memory %d applies to the whole process that runs the guest "+
				"(RLIMIT_DATA: heap, data and anonymous mappings), not to a linear memory", o.MaxMemory)))
		}
	}
	return notes
}
