package run

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners/registry"
	"github.com/wasmbench/bench/workloads"
	"github.com/wasmbench/bench/workloads/custom"
)

// Options is a run's configuration. It is saved as run.json in the output
// folder, so --resume continues with the same one.
type Options struct {
	Runtimes  []string           `json:"runtimes,omitempty"`
	Tiers     []string           `json:"tiers,omitempty"`
	Workloads []string           `json:"workloads,omitempty"`
	Langs     []string           `json:"langs,omitempty"`
	Targets   []string           `json:"targets,omitempty"`
	Params    map[string][]int64 `json:"params,omitempty"`
	Quick     bool               `json:"quick,omitempty"`

	// Processes per cell, the unit of replication: at least MinCold cold
	// and MinWarm warm ones (within HardCapFactor budgets; no warm ones
	// when one execution is longer than the budget, or when the minimums
	// of both kinds would not fit in that cap), at most MaxCold and
	// MaxWarm. In between, a cell adds processes until the 95% interval
	// of its key figures (cold total, warm execute) is within Precision.
	MinCold int `json:"min_cold"`
	MaxCold int `json:"max_cold"`
	MinWarm int `json:"min_warm"`
	MaxWarm int `json:"max_warm"`
	// Each warm process records Warmup warm-up executions, then between 1
	// and Iterations measured ones (see cellState.warmIterations).
	Warmup     int `json:"warmup"`
	Iterations int `json:"iterations"`
	// Precision is the target relative half-width of a cell's 95%
	// intervals (0.03: ±3%); 0 samples every cell until its budget.
	Precision float64 `json:"precision"`
	// Budget is the time a cell may take once its minimums are met, and
	// its share of the run's time: a cell that reaches Precision sooner
	// leaves the rest to cells still short of it, each of which stops at
	// HardCapFactor budgets (minimums stop there too).
	Budget time.Duration `json:"budget"`
	// AutoBudget raises Budget, when the run is planned, to RunShare
	// split across its cells: a run of few cells (one --wasm module under
	// every runtime) samples each long enough for decisions, while the
	// default matrix keeps its Budget. It is off when --budget is given.
	AutoBudget bool          `json:"auto_budget,omitempty"`
	Timeout    time.Duration `json:"timeout"`
	MaxMemory  int64         `json:"max_memory,omitempty"`
	// MaxOutput bounds what a guest may write to stdout, and to stderr,
	// in one execution (0: runners.DefaultMaxOutput).
	MaxOutput int64 `json:"max_output,omitempty"`
	// Memory is the sweep of memory sizes, MB, of serverless environments
	// (targets that implement deploy.Sized): one cell per size. Empty:
	// each target's default size.
	Memory []int `json:"memory,omitempty"`
	// Arches and Packages are the architectures and package types of the
	// environments of targets that offer several (deploy.Varied: AWS
	// Lambda): one cell per combination. Empty: each target's first.
	Arches   []string `json:"arches,omitempty"`
	Packages []string `json:"packages,omitempty"`
	// MemoryMB is the single memory size older run.json files hold;
	// loading one moves it into Memory.
	MemoryMB int `json:"memory_mb,omitempty"`
	// FunctionTimeout is the function timeout of serverless environments
	// (0: Lambda's 3 s); NoCPUScaling gives them the whole machine's CPU
	// instead of the share Lambda gives their memory size. Both are kept
	// in run.json, so --resume goes on with the same environments.
	FunctionTimeout time.Duration `json:"function_timeout,omitempty"`
	NoCPUScaling    bool          `json:"no_cpu_scaling,omitempty"`
	CallCost        bool          `json:"call_cost"`
	Seed            int64         `json:"seed"`
	// NoCalibrate skips the short native calibration processes at the
	// start and end of the run.
	NoCalibrate bool `json:"no_calibrate,omitempty"`
	// Custom modules (--wasm) replace the built-in workloads when set.
	Custom []custom.Module `json:"custom,omitempty"`
	// Scenario names the scenario the run answers (bench run
	// --scenario), whose file the run folder keeps (Config.Files).
	Scenario string `json:"scenario,omitempty"`
	// Soak, when positive, gives every cell that sampled without failing
	// one more task: Soak invocations in one environment, its memory
	// recorded after each (soak.go); SoakExport, when set, is the export
	// each invocation calls on one live instance.
	Soak       int    `json:"soak,omitempty"`
	SoakExport string `json:"soak_export,omitempty"`
	// Burst, when positive, gives every cell on a target that offers it
	// (deploy.Burster) one more task: Burst invocations fired at once at
	// a new environment (burst.go).
	Burst int `json:"burst,omitempty"`
}

// Interpreter tiers take minutes per sample at the default parameters
// (wazero's interpreter: about 76 s for fib(42) in C, 5 min in Go), so the
// default matrix leaves them out; --quick (small parameters) and a --tier
// that names them bring them in.
//
// IsInterpreter reports whether a runtime's tier is of the registry's
// kind Interpreter.
func IsInterpreter(runtime, tier string) bool {
	return registry.Kind(runtime, tier) == registry.Interpreter
}

// OutOfDefault is the note on interpreter tiers a default run leaves out.
const OutOfDefault = "not in the default matrix: an interpreter takes minutes per sample at the default parameters; run with --quick, or name it with --tier"

// OutOfQuick is the note on the interpreter cells of a fixed-size
// workload (image) a --quick run leaves out: --quick cannot shrink them.
const OutOfQuick = "not in the quick matrix: an interpreter takes a minute or more per execution of this fixed-size workload, half of a quick run's time for one sample and no interval; name the tier with --tier to include it"

// HardCapFactor bounds how long a cell may take, in budgets: its minimum
// process counts, and the spare time it borrows while short of the
// precision target, stop there.
const HardCapFactor = 6

// RunShare is the budget a default run shares among its cells when that
// gives each more than Budget (see Options.AutoBudget): 12 cells get 20 s
// each (a cell that reaches the precision target stops sooner), the
// default matrix's 117 keep 4 s.
const RunShare = 4 * time.Minute

// DefaultPrecision is the default target half-width of every cell's 95%
// intervals: ±3% lets a compare call differences of about 5% and more.
const DefaultPrecision = 0.03

// Defaults returns the default options (or the --quick ones).
func Defaults(quick bool) Options {
	o := Options{MinCold: stats.MinUnits, MaxCold: 40, MinWarm: stats.MinUnits, MaxWarm: 40, Warmup: 1, Iterations: 3,
		Precision: DefaultPrecision, Budget: 4 * time.Second, AutoBudget: true, Timeout: 5 * time.Minute, CallCost: true}
	if quick {
		o.Quick, o.AutoBudget = true, false
		o.Budget, o.Timeout = 500*time.Millisecond, 3*time.Minute
	}
	return o
}

// Cell is one planned combination, with what it needs to run.
type Cell struct {
	results.Cell
	Runtime *Runtime
	// Workload is nil for a custom module.
	Workload *workloads.Workload
	Custom   *custom.Module
	N        int64
	// Prepared is true when the tier needs a prepare step.
	Prepared bool
	// MemoryMB is the memory size of the cell's environments on a
	// serverless target (0 elsewhere): a memory sweep makes one cell per
	// size, and every record of the cell carries it.
	MemoryMB int
	// Arch and Package are the architecture and package type of the
	// cell's environments on a target that offers several
	// (deploy.Varied; empty elsewhere): one cell per combination a run
	// names, and every record of the cell carries them.
	Arch, Package string
}

// Key names the cell in task IDs, progress and resume: its results.Cell
// key, with its memory size, architecture and package when it has them.
func (c *Cell) Key() string { return c.Cell.KeyIn(c.MemoryMB, c.Arch, c.Package) }

// recordKey is the key of the cell a record belongs to: its task's cell
// (a target may add an architecture or package type of its own to the
// records it makes, as lambda-local does on its price sample), else the
// one its fields name.
func recordKey(r results.Record) string {
	if i := strings.IndexByte(r.Task, '|'); i > 0 {
		return r.Task[:i]
	}
	return r.Cell.KeyIn(r.MemoryMB, r.Arch, r.Package)
}

// sweepVariants gives the cells of targets with architectures and
// package types (deploy.Varied) theirs: one cell per architecture and
// package the run names, or the target's first of each. Cells of other
// targets are kept as they are. Each name must be one the target offers.
func sweepVariants(cells []*Cell, arches, pkgs []string, varied func(target string) (arches, pkgs []string, ok bool)) ([]*Cell, error) {
	var out []*Cell
	for _, c := range cells {
		va, vp, ok := varied(c.Target)
		if !ok {
			out = append(out, c)
			continue
		}
		as, ps := arches, pkgs
		if len(as) == 0 {
			as = va[:1]
		}
		if len(ps) == 0 {
			ps = vp[:1]
		}
		for _, a := range as {
			if !slices.Contains(va, a) {
				return nil, fmt.Errorf("target %s has no architecture %q (valid: %s)", c.Target, a, strings.Join(va, ", "))
			}
			for _, p := range ps {
				if !slices.Contains(vp, p) {
					return nil, fmt.Errorf("target %s has no package type %q (valid: %s)", c.Target, p, strings.Join(vp, ", "))
				}
				cc := *c
				cc.Arch, cc.Package = a, p
				out = append(out, &cc)
			}
		}
	}
	return out, nil
}

// sweepMemory gives the cells of serverless targets (deploy.Sized) their
// memory size: one cell per size of the sweep, or the target's default.
// Cells of other targets are kept as they are. The order is the plan's,
// sizes ascending within a cell.
func sweepMemory(cells []*Cell, sizes []int, sized func(target string) (defaultMB int, ok bool)) []*Cell {
	var out []*Cell
	for _, c := range cells {
		def, ok := sized(c.Target)
		if !ok {
			out = append(out, c)
			continue
		}
		mem := sizes
		if len(mem) == 0 {
			mem = []int{def}
		}
		for _, m := range mem {
			cc := *c
			cc.MemoryMB = m
			out = append(out, &cc)
		}
	}
	return out
}

// CheckMemory checks a memory sweep: Lambda's sizes (128 to 10,240 MB),
// each once.
func CheckMemory(sizes []int) error {
	seen := map[int]bool{}
	for _, m := range sizes {
		if m < 128 || m > 10240 {
			return fmt.Errorf("memory size %d MB: Lambda takes 128 to 10240 MB", m)
		}
		if seen[m] {
			return fmt.Errorf("memory size %d MB given twice", m)
		}
		seen[m] = true
	}
	return nil
}

// shareBudget is the per-cell budget of a run of n cells: Budget, or
// RunShare split across them when that is more and AutoBudget is set.
func (o Options) shareBudget(n int) time.Duration {
	if !o.AutoBudget || n <= 0 {
		return o.Budget
	}
	return max(o.Budget, (RunShare / time.Duration(n)).Round(100*time.Millisecond))
}

// Plan expands options into cells, checking every name. It returns the
// cells that can run and notes for combinations that cannot (unavailable
// runtime or tier, a missing native build).
func Plan(o Options, rts []*Runtime, targets []string, binDir string) (cells []*Cell, notes []results.Record, err error) {
	byName := map[string]*Runtime{}
	for _, r := range rts {
		byName[r.Name] = r
	}
	if err := checkNames("runtime", o.Runtimes, SpecNames()); err != nil {
		return nil, nil, badOption(err)
	}
	var allTiers []string
	for _, r := range rts {
		allTiers = append(allTiers, r.TierNames()...)
	}
	allTiers = uniq(allTiers)
	if err := checkNames("tier", o.Tiers, allTiers); err != nil {
		return nil, nil, badOption(err)
	}
	if len(o.Custom) == 0 {
		if err := checkNames("workload", o.Workloads, workloads.Names()); err != nil {
			return nil, nil, badOption(err)
		}
		if err := checkNames("language", o.Langs, workloads.Langs()); err != nil {
			return nil, nil, badOption(err)
		}
		for name := range o.Params {
			w, err := workloads.Get(name)
			if err != nil {
				return nil, nil, badOption(fmt.Errorf("--param %s: %w", name, err))
			}
			for _, n := range o.Params[name] {
				if err := w.CheckParam(n); err != nil {
					return nil, nil, badOption(fmt.Errorf("--param: %w", err))
				}
			}
		}
	}

	type wl struct {
		w      *workloads.Workload
		c      *custom.Module
		lang   string
		params []int64
	}
	var wls []wl
	if len(o.Custom) > 0 {
		for i := range o.Custom {
			wls = append(wls, wl{c: &o.Custom[i], lang: "wasm", params: []int64{0}})
		}
	} else {
		for _, w := range workloads.All() {
			if len(o.Workloads) > 0 && !contains(o.Workloads, w.Name) {
				continue
			}
			ps := o.Params[w.Name]
			if len(ps) == 0 {
				if o.Quick {
					ps = []int64{w.Param.Quick}
				} else {
					ps = []int64{w.Param.Default}
				}
			}
			for _, l := range w.Langs {
				if len(o.Langs) > 0 && !contains(o.Langs, l) {
					continue
				}
				wls = append(wls, wl{w: w, lang: l, params: ps})
			}
		}
	}

	for _, r := range rts {
		if len(o.Runtimes) > 0 && !contains(o.Runtimes, r.Name) {
			continue
		}
		if r.Unavailable != "" {
			notes = append(notes, note(results.Cell{Runtime: r.Name}, "runtime unavailable: "+r.Unavailable))
			continue
		}
		for _, t := range r.Tiers {
			if len(o.Tiers) > 0 && !contains(o.Tiers, t.Name) {
				continue
			}
			if t.Unavailable != "" {
				notes = append(notes, note(results.Cell{Runtime: r.Name, Tier: t.Name}, "tier unavailable: "+t.Unavailable))
				continue
			}
			if len(o.Tiers) == 0 && !o.Quick && IsInterpreter(r.Name, t.Name) {
				notes = append(notes, note(results.Cell{Runtime: r.Name, Tier: t.Name}, OutOfDefault))
				continue
			}
			for _, x := range wls {
				if r.Native && x.c != nil {
					continue // a custom wasm module has no native build
				}
				if len(o.Tiers) == 0 && o.Quick && IsInterpreter(r.Name, t.Name) && x.w != nil && x.w.Param.Fixed {
					notes = append(notes, note(results.Cell{Runtime: r.Name, Tier: t.Name, Workload: x.w.Name, Lang: x.lang}, OutOfQuick))
					continue
				}
				for _, n := range x.params {
					for _, tg := range targets {
						c := &Cell{Runtime: r, Workload: x.w, Custom: x.c, N: n, Prepared: t.Prepared}
						c.Cell = results.Cell{Runtime: r.Name, Tier: t.Name, Lang: x.lang, Target: tg}
						if x.w != nil {
							c.Cell.Workload = x.w.Name
							c.Cell.Param = strconv.FormatInt(n, 10)
						} else {
							c.Cell.Workload = x.c.Name
						}
						if why := sandboxNote(r, x.c, tg); why != "" {
							notes = append(notes, note(c.Cell, why))
							continue
						}
						if r.Native {
							exe := filepath.Join(binDir, "native", x.w.NativeName(x.lang))
							if _, err := os.Stat(exe); err != nil {
								notes = append(notes, note(c.Cell, "no native build "+exe+": run make build on a machine with the "+x.lang+" toolchain"))
								continue
							}
						}
						cells = append(cells, c)
					}
				}
			}
		}
	}
	if len(cells) == 0 {
		why := explainNothing(o, rts)
		for _, n := range notes {
			why = append(why, n.Note)
		}
		if len(why) == 0 {
			why = []string{"the filters select nothing"}
		}
		return nil, notes, badOption(fmt.Errorf("nothing to run: %s", strings.Join(why, "; ")))
	}
	return cells, notes, nil
}

func note(c results.Cell, msg string) results.Record {
	return results.Record{Kind: results.KindNote, Cell: c, Note: msg}
}

func checkNames(what string, got, valid []string) error {
	for _, g := range got {
		if !contains(valid, g) {
			return fmt.Errorf("unknown %s %q (valid: %s)", what, g, strings.Join(valid, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// ParseParams parses repeated NAME=V1,V2 flags.
func ParseParams(flags []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	for _, f := range flags {
		name, vals, ok := strings.Cut(f, "=")
		if !ok || name == "" || vals == "" {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE or NAME=V1,V2,... (e.g. fib=30)", f)
		}
		for _, v := range strings.Split(vals, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--param %s: %q is not an integer", name, v)
			}
			out[name] = append(out[name], n)
		}
	}
	return out, nil
}
