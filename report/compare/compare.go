package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Options set the thresholds of a comparison.
type Options struct {
	// Threshold is the equivalence margin as a fraction (0.02: ±2%).
	Threshold float64
	// Alpha is the significance level of each test and the false
	// discovery rate across the compare's rows (0.05).
	Alpha float64
	// Phases to compare; nil means DefaultPhases, {"all"} every phase.
	Phases []string
	// FailOnRegression, when positive, marks as a regression every row
	// significantly worse by more than this fraction (0.05: 5%): its
	// interval's lower end lies above 1+FailOnRegression.
	FailOnRegression float64
}

// DefaultPhases are the figures compared unless asked otherwise: warm
// execution, cold start end to end (and Lambda's init duration), the
// host-to-guest call cost, sizes and prices.
var DefaultPhases = []string{results.PhaseExecute, results.PhaseTotal, results.PhaseInitDuration, results.PhaseCall,
	results.PhaseModuleBytes, results.PhaseArtifactBytes, results.PhaseWorkerBytes, results.PhasePackageBytes, results.PhasePrice}

// Row is one series found in both runs.
type Row struct {
	Key      report.Key
	Unit     string
	Old, New *report.Series
	Cmp      stats.Comparison
	// Regression is set when the row is significantly worse (after the
	// correction for many rows) and its whole interval lies above
	// 1+Options.FailOnRegression.
	Regression bool
}

// Geomean is the geometric mean of the ratios of one unit's rows.
type Geomean struct {
	Unit  string
	Ratio float64
	N     int
}

// EnvDiff is a fingerprint field that differs between the runs.
type EnvDiff struct{ Field, Old, New string }

// Result is a whole comparison.
type Result struct {
	Options
	Old, New         *report.Data
	OldName, NewName string
	Rows             []Row
	// OnlyOld and OnlyNew are series present on one side only.
	OnlyOld, OnlyNew []report.Key
	Geomeans         []Geomean
	// DifferentMachines is set when the fingerprints name different
	// machines; EnvDiffs lists every differing field either way.
	DifferentMachines bool
	EnvDiffs          []EnvDiff
	// Tested is the number of rows in the Benjamini-Hochberg family (the
	// rows with a test: not exact, not too few processes).
	Tested int
	// NoiseDiffs say how the two runs' noise differed markedly
	// (calibration spread, load).
	NoiseDiffs []string
	// OldNoise and NewNoise are the runs' calibrations and loads.
	OldNoise, NewNoise report.Noise
}

// Compare compares every series of the selected phases found in both
// runs.
func Compare(old, new *report.Data, oldName, newName string, o Options) *Result {
	if o.Threshold <= 0 {
		o.Threshold = report.DefaultThreshold
	}
	if o.Alpha <= 0 {
		o.Alpha = report.DefaultAlpha
	}
	r := &Result{Options: o, Old: old, New: new, OldName: oldName, NewName: newName}
	want := func(phase string) bool {
		ps := o.Phases
		if ps == nil {
			ps = DefaultPhases
		}
		for _, p := range ps {
			if p == "all" || p == phase {
				return true
			}
		}
		return false
	}
	selected := func(s *report.Series) bool {
		if !want(s.Phase) {
			return false
		}
		// Cold execute duplicates the cold start; cold total is the cold
		// start, warm total is not a thing a reader compares.
		if o.Phases == nil && (s.Phase == results.PhaseExecute && s.Cold || s.Phase == results.PhaseTotal && !s.Cold) {
			return false
		}
		return true
	}
	geo := map[string][]float64{}
	var units []string
	for _, so := range old.Series {
		if !selected(so) {
			continue
		}
		sn := new.Get(so.Key)
		if sn == nil {
			r.OnlyOld = append(r.OnlyOld, so.Key)
			continue
		}
		co := stats.CompareOptions{Threshold: o.Threshold, Alpha: o.Alpha, Deterministic: so.Deterministic && sn.Deterministic}
		r.Rows = append(r.Rows, Row{Key: so.Key, Unit: so.Unit, Old: so, New: sn, Cmp: stats.Compare(so.Groups, sn.Groups, co)})
	}
	// One family: Benjamini-Hochberg across every tested row.
	fam := make([]*stats.Comparison, len(r.Rows))
	for i := range r.Rows {
		fam[i] = &r.Rows[i].Cmp
	}
	r.Tested = stats.ControlFDR(fam)
	for i := range r.Rows {
		row := &r.Rows[i]
		c := row.Cmp
		if o.FailOnRegression > 0 && c.Verdict == stats.Worse && c.Lo > 1+o.FailOnRegression {
			row.Regression = true
		}
		if c.Ratio > 0 {
			if _, ok := geo[row.Unit]; !ok {
				units = append(units, row.Unit)
			}
			geo[row.Unit] = append(geo[row.Unit], c.Ratio)
		}
	}
	for _, sn := range new.Series {
		if selected(sn) && old.Get(sn.Key) == nil {
			r.OnlyNew = append(r.OnlyNew, sn.Key)
		}
	}
	for _, u := range units {
		r.Geomeans = append(r.Geomeans, Geomean{Unit: u, Ratio: stats.Geomean(geo[u]), N: len(geo[u])})
	}
	if old.Env != nil && new.Env != nil {
		r.DifferentMachines = !report.SameMachine(*old.Env, *new.Env)
		r.EnvDiffs = envDiffs(*old.Env, *new.Env)
	}
	r.OldNoise, r.NewNoise = old.Noise(), new.Noise()
	r.NoiseDiffs = report.DifferentNoise(r.OldNoise, r.NewNoise)
	return r
}

// Regressions are the rows marked as regressions.
func (r *Result) Regressions() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Regression {
			out = append(out, row)
		}
	}
	return out
}

func envDiffs(a, b results.Env) []EnvDiff {
	var d []EnvDiff
	add := func(f, x, y string) {
		if x != y {
			d = append(d, EnvDiff{f, x, y})
		}
	}
	add("cpu", a.CPU, b.CPU)
	add("cores", fmt.Sprint(a.Cores), fmt.Sprint(b.Cores))
	add("memory", report.FormatBytes(float64(a.MemoryBytes)), report.FormatBytes(float64(b.MemoryBytes)))
	add("os/arch", a.OS+"/"+a.Arch, b.OS+"/"+b.Arch)
	add("kernel", a.Kernel, b.Kernel)
	add("governor", a.Governor, b.Governor)
	add("host", a.Hostname, b.Hostname)
	add("go", a.GoVersion, b.GoVersion)
	add("bench", a.BenchVersion+" "+a.Commit, b.BenchVersion+" "+b.Commit)
	names := map[string]bool{}
	for n := range a.Runtimes {
		names[n] = true
	}
	for n := range b.Runtimes {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		add(n, dash(a.Runtimes[n]), dash(b.Runtimes[n]))
	}
	return d
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// VerdictText words a verdict for a unit (report.VerdictText).
func VerdictText(v stats.Verdict, unit string) string { return report.VerdictText(v, unit) }

// VerdictClass is a verdict in words independent of the unit: better,
// worse, equivalent or inconclusive.
func VerdictClass(v stats.Verdict) string {
	switch v {
	case stats.Better:
		return "better"
	case stats.Worse:
		return "worse"
	case stats.Equivalent:
		return "equivalent"
	}
	return "inconclusive"
}

// PhaseLabel names a series' phase for people: "warm execute", "cold
// start", ...
func PhaseLabel(k report.Key) string {
	switch {
	case k.Phase == results.PhaseTotal && k.Cold:
		return "cold start"
	case k.Phase == results.PhaseExecute && !k.Cold:
		return "warm execute"
	case k.Phase == results.PhaseCall:
		return "per call"
	case k.Phase == results.PhasePrice && k.Cold:
		return "price, cold"
	case k.Phase == results.PhasePrice:
		return "price, warm"
	case results.IsSizePhase(k.Phase):
		return strings.ReplaceAll(strings.TrimSuffix(k.Phase, "_bytes"), "_", " ") + " size"
	}
	cw := "warm"
	if k.Cold {
		cw = "cold"
	}
	return strings.ReplaceAll(k.Phase, "_", " ") + ", " + cw
}
