package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/scenarios"
)

// Key identifies a series: one cell's phase, cold or warm, in one
// deployment variant (memory size, architecture, package, ...).
type Key struct {
	results.Cell
	Phase   string
	Cold    bool
	Variant string
}

// Series is every counted value of one Key, with its summaries.
type Series struct {
	Key
	Unit           string
	RuntimeVersion string
	// Values are in the recorded unit, in the order they were measured.
	Values []float64
	// Groups are the same values by process, the unit of replication:
	// one group per warm process (its executions), one per cold sample,
	// in the order the processes first appear. GroupIDs name each group's
	// process (the same in every phase series of that process).
	Groups   [][]float64
	GroupIDs []string
	// Summary describes the values pooled (spread, percentiles,
	// outliers); Proc is the process-level summary every interval,
	// ratio and verdict rests on.
	Summary stats.Summary
	Proc    stats.ProcessSummary
	// Deterministic is set for figures that do not vary between
	// processes (file sizes): compared exactly, without a test.
	Deterministic bool

	groupOf map[string]int
}

// add appends a value to the group of process id; every value of a cold
// series is a group (a unit) of its own.
func (s *Series) add(id string, v float64) {
	s.Values = append(s.Values, v)
	if s.groupOf == nil {
		s.groupOf = map[string]int{}
	}
	i, ok := s.groupOf[id]
	if !ok || s.Cold {
		i = len(s.Groups)
		s.groupOf[id] = i
		s.Groups = append(s.Groups, nil)
		s.GroupIDs = append(s.GroupIDs, id)
	}
	s.Groups[i] = append(s.Groups[i], v)
}

// processID names the process a counted sample came from: its task and
// process number (the orchestrator numbers processes uniquely within a
// cell), or, for records without a task, the process number alone (warm)
// or the record's position (cold: each its own process).
func processID(r results.Record, seq int) string {
	if r.Task == "" && r.Cold {
		return "cold#" + itoa(seq)
	}
	return r.Task + "#" + itoa(r.Process)
}

// CalibrationWorkload names the calibration cells: short native
// processes at the start and end of a run (Param "start" or "end") that
// measure the machine's own noise. They are not result rows.
const CalibrationWorkload = "calibration"

// IsCalibration reports whether a record or key belongs to the
// calibration.
func IsCalibration(c results.Cell) bool {
	return c.Workload == CalibrationWorkload && c.Runtime == "native"
}

// Data is a run as the report sees it: the environment, the series, and
// everything that is not a result (failures, notes, unreadable lines).
type Data struct {
	// Dir is the run folder ("" when built from records).
	Dir string
	Env *results.Env
	// Series are sorted by target, workload, parameter, language,
	// runtime, tier, variant, phase and cold before warm.
	Series   []*Series
	byKey    map[Key]*Series
	Failures []results.Record
	Notes    []results.Record
	// Skipped are the lines of results.jsonl that could not be read.
	Skipped []*results.LineError
	// Counted, Warmups and Unverified count samples: in the statistics,
	// left out as warm-up, left out as unverified.
	Counted, Warmups, Unverified int
	// ExtraEnvs are env records after the first (a resumed run, or files
	// of several runs concatenated).
	ExtraEnvs []*results.Env
	// Calibration holds the calibration's execute series by when they
	// ran ("start", "end"); LoadEnd is the load average when the run
	// ended (from its end note), nil when unknown.
	Calibration map[string]*Series
	LoadEnd     []float64
	// Sampling are the notes on why each cell stopped sampling (reached
	// its precision target, or stopped on budget), by cell and variant.
	Sampling map[string]string
	// Strategy is the power-tuning strategy the summary leads with
	// ("": balanced).
	Strategy Strategy
	// Scenario is the scenario the run answers (the run folder's
	// scenarios.RunFile), nil for other runs; ScenarioErr is set when
	// the folder's file could not be read. See Verdict.
	Scenario    *scenarios.Scenario
	ScenarioErr error
	// Soak holds the soaks' series samples and notes (bench run --soak,
	// see soak.go), which are in no series.
	Soak []results.Record

	sections []Section
}

// ErrNotRun is returned (wrapped) when a folder is not a bench run.
var ErrNotRun = errors.New("not a bench run folder")

// Load reads a run folder (or a results.jsonl file). A truncated or
// malformed line is skipped and listed in Data.Skipped; only a folder
// without a readable results file is an error.
func Load(path string) (*Data, error) {
	file := path
	dir := path
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if st.IsDir() {
		file = filepath.Join(path, results.FileName)
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is %w: it has no %s (bench run writes one into its --out folder)", path, ErrNotRun, results.FileName)
		}
	} else {
		dir = filepath.Dir(path)
	}
	recs, skipped, err := results.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("report: read %s: %w", file, err)
	}
	if len(recs) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("%s is %w: none of its %d non-empty lines is a bench record (first: %v)", file, ErrNotRun, len(skipped), skipped[0])
		}
		return nil, fmt.Errorf("%s is empty: the run recorded nothing (was it interrupted before the first sample?)", file)
	}
	d := FromRecords(recs)
	d.Dir = dir
	d.Skipped = skipped
	d.loadScenario(dir)
	return d, nil
}

// FromRecords groups records into series and computes their statistics.
// Warm-ups and unverified samples are counted and left out (see
// results.Counts).
func FromRecords(recs []results.Record) *Data {
	d := &Data{byKey: map[Key]*Series{}, Calibration: map[string]*Series{}, Sampling: map[string]string{}}
	recs = fillTaskVariants(recs)
	seq := 0
	// Prices carried on other samples (price_usd), one per invocation,
	// for runs that record no "price" samples of their own.
	type pricedValue struct {
		usd  float64
		proc string
		seq  int
	}
	priced := map[Key]map[string]pricedValue{}
	var pricedOrder []Key
	for _, r := range recs {
		if isSoakRecord(r) {
			d.Soak = append(d.Soak, r)
			continue
		}
		switch r.Kind {
		case results.KindEnv:
			if r.Env == nil {
				continue
			}
			if d.Env == nil {
				d.Env = r.Env
			} else {
				d.ExtraEnvs = append(d.ExtraEnvs, r.Env)
			}
		case results.KindFailure:
			d.Failures = append(d.Failures, r)
		case results.KindNote:
			if r.Env != nil && len(r.Env.LoadAvgEnd) > 0 {
				d.LoadEnd = r.Env.LoadAvgEnd
				if strings.HasPrefix(r.Note, "run ended") {
					continue // the load line says it
				}
			}
			if isSamplingNote(r.Note) && r.Workload != "" {
				d.Sampling[r.Cell.KeyIn(r.MemoryMB, r.Arch, r.Package)] = r.Note
				continue
			}
			d.Notes = append(d.Notes, r)
		case results.KindSample:
			if !results.Counts(r) {
				if r.Warmup {
					d.Warmups++
				} else {
					d.Unverified++
				}
				continue
			}
			seq++
			if IsCalibration(r.Cell) {
				if r.Phase == results.PhaseExecute {
					c := d.Calibration[r.Param]
					if c == nil {
						c = &Series{Key: KeyOf(r), Unit: r.Unit, RuntimeVersion: r.RuntimeVersion}
						c.Cold = true
						d.Calibration[r.Param] = c
					}
					c.add(processID(r, seq), r.Value)
				}
				continue
			}
			d.Counted++
			if r.PriceUSD > 0 && r.Unit != results.UnitUSD {
				pk := KeyOf(r)
				pk.Phase = results.PhasePrice
				id := fmt.Sprintf("%s|%d|%d", r.Task, r.Process, r.Iteration)
				if priced[pk] == nil {
					priced[pk] = map[string]pricedValue{}
					pricedOrder = append(pricedOrder, pk)
				}
				if _, ok := priced[pk][id]; !ok {
					priced[pk][id] = pricedValue{r.PriceUSD, processID(r, seq), len(priced[pk])}
				}
			}
			k := KeyOf(r)
			s := d.byKey[k]
			if s == nil {
				s = &Series{Key: k, Unit: r.Unit, RuntimeVersion: r.RuntimeVersion, Deterministic: results.IsSizePhase(r.Phase)}
				d.byKey[k] = s
				d.Series = append(d.Series, s)
			}
			s.add(processID(r, seq), r.Value)
		}
	}
	for _, k := range pricedOrder {
		if d.byKey[k] != nil {
			continue
		}
		vs := make([]pricedValue, 0, len(priced[k]))
		for _, v := range priced[k] {
			vs = append(vs, v)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].seq < vs[j].seq })
		s := &Series{Key: k, Unit: results.UnitUSD}
		for _, v := range vs {
			s.add(v.proc, v.usd)
		}
		d.byKey[k] = s
		d.Series = append(d.Series, s)
	}
	for _, s := range d.Series {
		s.summarize()
	}
	for _, s := range d.Calibration {
		s.summarize()
	}
	sort.Slice(d.Series, func(i, j int) bool { return lessKey(d.Series[i].Key, d.Series[j].Key) })
	return d
}

func (s *Series) summarize() {
	s.Summary = stats.Summarize(s.Values)
	s.Proc = stats.SummarizeProcesses(s.Groups)
}

// variantMemory is the memory size a row's variant names (mem=128MB), 0
// when it names none.
func variantMemory(variant string) int {
	for _, kv := range strings.Fields(variant) {
		if v, ok := strings.CutPrefix(kv, "mem="); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(v, "MB"))
			return n
		}
	}
	return 0
}

// Sampling notes, as internal/run writes them: why a cell stopped
// sampling.
var samplingPrefixes = []string{"reached the precision target", "stopped on budget", "stopped at the process limit"}

func isSamplingNote(n string) bool {
	for _, p := range samplingPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// StoppedOnBudget reports whether a sampling note says the cell stopped
// short of its precision target.
func StoppedOnBudget(note string) bool {
	return note != "" && !strings.HasPrefix(note, samplingPrefixes[0])
}

// fillTaskVariants gives every record of a task the deployment settings
// (memory, architecture, package) that any record of the task carries:
// one task runs in one environment, but a target may set them only on the
// records it adds (a Lambda REPORT's figures) and not on the worker's
// phases. The input is not modified.
func fillTaskVariants(recs []results.Record) []results.Record {
	type env struct {
		mem       int
		arch, pkg string
	}
	byTask := map[string]env{}
	for _, r := range recs {
		if r.Task == "" || r.Kind != results.KindSample {
			continue
		}
		e := byTask[r.Task]
		if e.mem == 0 {
			e.mem = r.MemoryMB
		}
		if e.arch == "" {
			e.arch = r.Arch
		}
		if e.pkg == "" {
			e.pkg = r.Package
		}
		byTask[r.Task] = e
	}
	var out []results.Record
	for i, r := range recs {
		e, ok := byTask[r.Task]
		if !ok || r.Kind != results.KindSample || (r.MemoryMB != 0 || e.mem == 0) && (r.Arch != "" || e.arch == "") && (r.Package != "" || e.pkg == "") {
			if out != nil {
				out = append(out, r)
			}
			continue
		}
		if out == nil {
			out = append(make([]results.Record, 0, len(recs)), recs[:i]...)
		}
		if r.MemoryMB == 0 {
			r.MemoryMB = e.mem
		}
		if r.Arch == "" {
			r.Arch = e.arch
		}
		if r.Package == "" {
			r.Package = e.pkg
		}
		out = append(out, r)
	}
	if out == nil {
		return recs
	}
	return out
}

// KeyOf is the series a sample belongs to.
func KeyOf(r results.Record) Key {
	var v []string
	for _, kv := range results.Variant(r) {
		v = append(v, kv[0]+"="+kv[1])
	}
	return Key{Cell: r.Cell, Phase: r.Phase, Cold: r.Cold, Variant: strings.Join(v, " ")}
}

// Get returns the series of k, or nil.
func (d *Data) Get(k Key) *Series { return d.byKey[k] }

// Warnings are the things a reader must know about the input itself:
// unreadable lines, a missing environment line, several runs in one file.
func (d *Data) Warnings() []string {
	var w []string
	if d.Env == nil {
		w = append(w, "no env line: the machine that produced these results is unknown")
	}
	for _, e := range d.ExtraEnvs {
		if d.Env != nil && !SameMachine(*d.Env, *e) {
			w = append(w, fmt.Sprintf("results from more than one machine in one file: %s and %s", Fingerprint(*d.Env), Fingerprint(*e)))
		}
	}
	cores := 0
	if d.Env != nil {
		cores = d.Env.Cores
	}
	w = append(w, d.Noise().warnings(d, cores)...)
	if short := d.shortestNative(); short > 0 && short < nativeShortNS {
		w = append(w, fmt.Sprintf("native executions as short as %s: the native build's execute includes starting its process (about 1 ms), "+
			"so ratios to native of such cells understate native speed; compare at the default parameters", FormatDuration(short)))
	}
	for i, s := range d.Skipped {
		var u *results.UncommittedError
		if errors.As(s.Err, &u) {
			w = append(w, fmt.Sprintf("%s: %v", filepath.Base(s.File)+":"+itoa(s.Line), u))
			continue
		}
		if i == 5 {
			w = append(w, fmt.Sprintf("... and %d more unreadable lines", len(d.Skipped)-5))
			break
		}
		what := "unreadable line skipped"
		if i == len(d.Skipped)-1 {
			what += " (a truncated last line means an interrupted run; everything before it is reported)"
		}
		w = append(w, fmt.Sprintf("%s: %s: %v", filepath.Base(s.File)+":"+itoa(s.Line), what, s.Err))
	}
	return w
}

// nativeShortNS is the native execute median under which process start
// (about 1 ms) is more than a few percent of it.
const nativeShortNS = 50e6

// shortestNative is the smallest median of the native runtime's execute
// series, or 0 when there is none.
func (d *Data) shortestNative() float64 {
	var min float64
	for _, s := range d.Series {
		if s.Runtime == "native" && s.Phase == results.PhaseExecute && s.Summary.N > 0 && (min == 0 || s.Summary.Median < min) {
			min = s.Summary.Median
		}
	}
	return min
}

// SameMachine reports whether two fingerprints describe one machine.
func SameMachine(a, b results.Env) bool {
	return a.CPU == b.CPU && a.Cores == b.Cores && a.OS == b.OS && a.Arch == b.Arch &&
		a.Hostname == b.Hostname && a.MemoryBytes == b.MemoryBytes
}

// Fingerprint is a one-line description of a machine and its setup.
func Fingerprint(e results.Env) string {
	parts := []string{e.CPU}
	if e.Cores > 0 {
		parts = append(parts, itoa(e.Cores)+" cores")
	}
	if e.MemoryBytes > 0 {
		parts = append(parts, FormatValue(float64(e.MemoryBytes), results.UnitBytes))
	}
	parts = append(parts, e.OS+"/"+e.Arch)
	if e.Kernel != "" {
		parts = append(parts, "kernel "+e.Kernel)
	}
	if e.Governor != "" {
		parts = append(parts, "governor "+e.Governor)
	}
	if e.Hostname != "" {
		parts = append(parts, "host "+e.Hostname)
	}
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" && p != "/" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
