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
	"sort"
	"strings"
	"time"

	"github.com/wasmbench/bench/internal/target"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
)

// Config is everything a run needs beyond its Options.
type Config struct {
	Options Options
	// Out is the run folder. With Resume it must hold a run to continue.
	Out    string
	Resume bool
	BinDir string
	// Targets by name; Options.Targets picks among them.
	Targets map[string]target.Target
	// Progress receives progress lines; Terminal redraws one line.
	Progress io.Writer
	Terminal bool
	Argv     []string
	// Runtimes, when set, replaces discovering the workers in BinDir.
	Runtimes []*Runtime
	// Preparer runs prepare steps (default: a local process; artifacts
	// are made on this machine whatever the target).
	Preparer target.Target
}

// Result is what a finished (or interrupted) run leaves.
type Result struct {
	Out         string
	Records     []results.Record
	Interrupted bool
	Cells       int
	Failed      int
}

// ErrNotARun is returned for an output folder that holds something else.
var ErrNotARun = errors.New("not a bench run folder")

const optionsFile = "run.json"

// Run plans and executes the matrix, appending every record to
// results.jsonl as it is measured.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	o := cfg.Options
	var prior []results.Record
	if cfg.Resume {
		var err error
		o, prior, err = loadRun(cfg.Out)
		if err != nil {
			return nil, err
		}
	} else if err := checkRunDir(cfg.Out); err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
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
			return nil, fmt.Errorf("unknown target %q (valid: %s)", n, strings.Join(valid, ", "))
		}
		if err := t.Available(ctx); err != nil {
			if len(o.Targets) == 1 {
				return nil, fmt.Errorf("target %s is unavailable: %w", n, err)
			}
			tnotes = append(tnotes, note(results.Cell{Target: n}, "target unavailable: "+err.Error()))
			continue
		}
		targets = append(targets, n)
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
	notes = append(tnotes, notes...)
	if !cfg.Resume {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, fmt.Errorf("output folder: %w", err)
		}
	}

	w, err := results.Create(filepath.Join(cfg.Out, results.FileName))
	if err != nil {
		return nil, err
	}
	defer w.Close()
	r := &runner{cfg: cfg, o: o, w: w, rng: rand.New(rand.NewSource(o.Seed)), started: time.Now()}
	if !cfg.Resume {
		if err := saveOptions(cfg.Out, o); err != nil {
			return nil, err
		}
		env := results.Fingerprint()
		env.Command = cfg.Argv
		env.Seed = o.Seed
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
		if err := r.write(results.ResumeNote()); err != nil {
			return nil, err
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

// sample calibrates, runs the cells' rounds, calibrates again, and notes
// the run's end (or interruption) with the load average then.
func (r *runner) sample(ctx context.Context, rts []*Runtime, prior []results.Record) error {
	err := r.calibrateAt(ctx, "start", rts, prior)
	if err == nil {
		err = r.loop(ctx)
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
	recs, _, err := results.ReadFile(filepath.Join(dir, results.FileName))
	if err != nil {
		return o, nil, fmt.Errorf("--resume %s: %w", dir, err)
	}
	return o, recs, nil
}

// runner is one run's mutable state.
type runner struct {
	cfg     Config
	o       Options
	w       *results.Writer
	rng     *rand.Rand
	states  []*cellState
	started time.Time
	modules string // folder holding the run's modules and inputs
	// prepared maps an artifact folder to its prepare outcome.
	prepared map[string]*prepResult
	tasks    int
}

type prepResult struct {
	bytes int64
	ns    float64
	err   *runners.Error
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
	return filepath.Join(r.cfg.Out, "artifacts", c.Runtime.Name+"-"+c.Tier, name)
}
