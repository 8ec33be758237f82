package report

import (
	"strings"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Cold phases in the order a cold start goes through them.
var coldPhases = []string{results.PhaseSpawn, results.PhaseInit, results.PhaseCompile, results.PhaseLoad, results.PhaseInstantiate, results.PhaseExecute}

// Row is one cell (in one deployment variant) as the summary tables show
// it.
type Row struct {
	Cell    results.Cell
	Variant string
	// Main is the warm execute series (the call series for a call-cost
	// cell); ColdTotal the cold start measured end to end. Either may be
	// nil.
	Main, ColdTotal *Series
	// ColdSum adds up the cold phases' centres when there is no
	// end-to-end total (0 when there are none either).
	ColdSum float64
	// VsNative compares Main with the native build of the same source
	// (nil for native itself and where no native build ran); the
	// comparisons of a run are one family for the false discovery rate.
	VsNative *stats.Comparison
	IsNative bool
	// Noisy is set when Main varies between processes far more than the
	// calibration predicts (NoisyFactor).
	Noisy bool
	// Distinct is the part of Variant that differs between the rows of
	// its section (the rest is in Section.Common).
	Distinct string
}

// Section is one target, workload and parameter: the rows a reader
// compares with each other.
type Section struct {
	Target, Workload, Param string
	// MainPhase is "execute", or "call" for call-cost cells.
	MainPhase string
	Rows      []Row
	// Common is the variant every row shares ("arch=x86_64 pkg=zip").
	Common string
}

// Title is "local · fib(25)", with the variant all rows share.
func (s Section) Title() string {
	t := s.Target + " · " + ParamLabel(s.Workload, s.Param)
	if s.Common != "" {
		t += " · " + s.Common
	}
	return t
}

// HasVariants reports whether rows differ by deployment variant.
func (s Section) HasVariants() bool {
	for _, r := range s.Rows {
		if r.Distinct != "" {
			return true
		}
	}
	return false
}

// splitVariants moves the variant settings all rows share into Common.
func (s *Section) splitVariants() {
	count := map[string]int{}
	for _, r := range s.Rows {
		for _, kv := range strings.Fields(r.Variant) {
			count[kv]++
		}
	}
	var common []string
	for i := range s.Rows {
		var distinct []string
		for _, kv := range strings.Fields(s.Rows[i].Variant) {
			if count[kv] == len(s.Rows) {
				if i == 0 {
					common = append(common, kv)
				}
				continue
			}
			distinct = append(distinct, kv)
		}
		s.Rows[i].Distinct = strings.Join(distinct, " ")
	}
	s.Common = strings.Join(common, " ")
}

// Sections groups the run's cells for the summary tables. The result is
// computed once and shared: do not modify it.
func (d *Data) Sections() []Section {
	if d.sections == nil {
		d.sections = d.buildSections()
	}
	return d.sections
}

func (d *Data) buildSections() []Section {
	type rowKey struct {
		cell    results.Cell
		variant string
	}
	var secs []Section
	secIndex := map[[3]string]int{}
	seen := map[rowKey]bool{}
	for _, s := range d.Series {
		rk := rowKey{s.Cell, s.Variant}
		if seen[rk] {
			continue
		}
		row, ok := d.row(s.Cell, s.Variant)
		if !ok {
			continue
		}
		seen[rk] = true
		sk := [3]string{s.Target, s.Workload, s.Param}
		i, ok := secIndex[sk]
		if !ok {
			i = len(secs)
			secIndex[sk] = i
			secs = append(secs, Section{Target: s.Target, Workload: s.Workload, Param: s.Param, MainPhase: results.PhaseExecute})
		}
		secs[i].Rows = append(secs[i].Rows, row)
	}
	// Ratios to native: one family, Benjamini-Hochberg across the run.
	var fam []*stats.Comparison
	noise := d.Noise()
	for i := range secs {
		for j := range secs[i].Rows {
			r := &secs[i].Rows[j]
			if r.VsNative != nil {
				fam = append(fam, r.VsNative)
			}
			r.Noisy, _ = noise.Noisy(r.Main)
		}
	}
	stats.ControlFDR(fam)
	for i := range secs {
		secs[i].splitVariants()
		call := true
		for _, r := range secs[i].Rows {
			if r.Main == nil || r.Main.Phase != results.PhaseCall {
				call = false
			}
		}
		if call {
			secs[i].MainPhase = results.PhaseCall
		}
	}
	return secs
}

// row builds the summary row of a cell, false when it has no timing.
func (d *Data) row(c results.Cell, variant string) (Row, bool) {
	r := Row{Cell: c, Variant: variant, IsNative: c.Runtime == "native"}
	get := func(phase string, cold bool) *Series {
		return d.Get(Key{Cell: c, Phase: phase, Cold: cold, Variant: variant})
	}
	r.Main = get(results.PhaseExecute, false)
	if r.Main == nil {
		r.Main = get(results.PhaseCall, false)
	}
	r.ColdTotal = get(results.PhaseTotal, true)
	if r.ColdTotal == nil {
		for _, p := range coldPhases {
			if s := get(p, true); s != nil && s.Unit == results.UnitNS {
				r.ColdSum += s.Proc.Center
			}
		}
		if s := get(results.PhaseInitDuration, true); s != nil && r.ColdSum == 0 {
			r.ColdSum = s.Proc.Center
		}
	}
	if r.Main == nil && r.ColdTotal == nil && r.ColdSum == 0 {
		return r, false
	}
	if !r.IsNative && r.Main != nil {
		if n := d.nativeOf(c, variant, r.Main.Phase); n != nil {
			cmp := stats.Compare(n.Groups, r.Main.Groups, compareOptions(r.Main))
			r.VsNative = &cmp
		}
	}
	return r, true
}

// nativeOf finds the native build's series of the same source, target,
// parameter and variant (whatever its tier is called).
func (d *Data) nativeOf(c results.Cell, variant, phase string) *Series {
	for _, s := range d.Series {
		if s.Runtime == "native" && !s.Cold && s.Phase == phase && s.Variant == variant &&
			s.Workload == c.Workload && s.Lang == c.Lang && s.Param == c.Param && s.Target == c.Target {
			return s
		}
	}
	return nil
}

// Defaults for comparisons: the equivalence margin, and the
// significance level that is also the false discovery rate of a family
// of comparisons.
const (
	DefaultThreshold = 0.02
	DefaultAlpha     = 0.05
)

// compareOptions are the default comparison options for a series.
func compareOptions(s *Series) stats.CompareOptions {
	return stats.CompareOptions{Threshold: DefaultThreshold, Alpha: DefaultAlpha, Deterministic: s != nil && s.Deterministic}
}
