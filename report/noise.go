package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Noise is what the run's calibration says about the machine: short
// native processes doing the same work at the start and the end of the
// run, whose spread between processes is the machine's own noise level.
type Noise struct {
	// Start and End are the calibration's execute series (nil when not
	// taken).
	Start, End *Series
	// Spread is the calibration's between-process spread (the standard
	// deviation of log units, pooled over start and end, each around its
	// own mean); Units the processes under it. HasSpread is false with
	// fewer than two processes at either end.
	Spread    float64
	Units     int
	HasSpread bool
	// Drift compares the end with the start (nil without both); Drifted
	// is set when the difference is significant and at least MinDrift.
	Drift   *stats.Comparison
	Drifted bool
	// LoadStart and LoadEnd are the 1, 5 and 15-minute load averages when
	// the run started and ended (nil when not recorded).
	LoadStart, LoadEnd []float64
}

// MinDrift is the smallest drift between the start and end calibrations
// flagged (when significant): a smaller one is within what a compare's
// equivalence margin absorbs.
const MinDrift = 0.01

// NoisyFactor is how many times the calibration's spread a cell's
// between-process spread must significantly exceed (a one-sided F test at
// NoisyAlpha) to be flagged: a runtime adds variation of its own (a JIT,
// a collector), so only spreads far beyond the machine's are flagged.
const (
	NoisyFactor = 3.0
	NoisyAlpha  = 0.01
)

// Noise summarizes the run's calibration and load.
func (d *Data) Noise() Noise {
	n := Noise{Start: d.Calibration["start"], End: d.Calibration["end"], LoadEnd: d.LoadEnd}
	if d.Env != nil {
		n.LoadStart = d.Env.LoadAvg
	}
	var ss, df float64
	for _, s := range []*Series{n.Start, n.End} {
		if s == nil || s.Proc.Units < 2 || s.Proc.Center <= 0 {
			continue
		}
		ss += s.Proc.Between * s.Proc.Between * float64(s.Proc.Units-1)
		df += float64(s.Proc.Units - 1)
		n.Units += s.Proc.Units
	}
	if df > 0 {
		n.Spread, n.HasSpread = math.Sqrt(ss/df), true
	}
	if n.Start != nil && n.End != nil {
		c := stats.Compare(n.Start.Groups, n.End.Groups, stats.CompareOptions{Threshold: DefaultThreshold, Alpha: DefaultAlpha})
		n.Drift = &c
		n.Drifted = c.Significant() && math.Abs(math.Log(c.Ratio)) >= math.Log(1+MinDrift)
	}
	return n
}

// df is the degrees of freedom of the pooled spread.
func (n Noise) df() int {
	k := 0
	for _, s := range []*Series{n.Start, n.End} {
		if s != nil && s.Proc.Units >= 2 {
			k += s.Proc.Units - 1
		}
	}
	return k
}

// Noisy reports whether a series' between-process spread is far beyond
// what the calibration predicts, and by how many times.
func (n Noise) Noisy(s *Series) (bool, float64) {
	if !n.HasSpread || s == nil || s.Proc.Units < stats.MinUnits || n.Spread <= 0 {
		return false, 0
	}
	p := stats.SpreadExceeds(s.Proc.Between, s.Proc.Units, n.Spread, n.df()+1, NoisyFactor)
	return p < NoisyAlpha, s.Proc.Between / n.Spread
}

// Lines describe the machine's noise for a summary header: the
// calibration's spread and drift, and the load.
func (n Noise) Lines() [][2]string {
	var out [][2]string
	if n.Start != nil || n.End != nil {
		var what []string
		for _, x := range []struct {
			name string
			s    *Series
		}{{"start", n.Start}, {"end", n.End}} {
			if x.s == nil {
				what = append(what, "none at "+x.name)
				continue
			}
			sp := "no spread (1 process)"
			if x.s.Proc.Units >= 2 {
				sp = fmt.Sprintf("%s between processes", pct(x.s.Proc.Between))
			}
			what = append(what, fmt.Sprintf("%s ±%s, %s at %s (%d processes)", FormatValue(x.s.Proc.Center, x.s.Unit),
				strings.TrimPrefix(halfWidth(x.s.Proc), "±"), sp, x.name, x.s.Proc.Units))
		}
		line := "calibration (native fib, cold): " + strings.Join(what, "; ")
		if n.Drift != nil && n.Drift.HasCI {
			r := n.Drift
			if n.Drifted {
				line += fmt.Sprintf("; DRIFT: the end took %.3f× the start (%.3f–%.3f)", r.Ratio, r.Lo, r.Hi)
			} else {
				line += fmt.Sprintf("; no drift: end/start %.3f× (%.3f–%.3f)", r.Ratio, r.Lo, r.Hi)
			}
		}
		out = append(out, [2]string{"noise", line})
	}
	if l := loadLine(n.LoadStart, n.LoadEnd); l != "" {
		out = append(out, [2]string{"load", l})
	}
	return out
}

func loadLine(start, end []float64) string {
	var parts []string
	if len(start) == 3 {
		parts = append(parts, fmt.Sprintf("%.2f %.2f %.2f at the start", start[0], start[1], start[2]))
	}
	if len(end) == 3 {
		parts = append(parts, fmt.Sprintf("%.2f %.2f %.2f at the end", end[0], end[1], end[2]))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + " (1, 5, 15-minute load average)"
}

// Warnings are what a reader must know about the noise: drift, cells far
// noisier than the machine, a loaded machine.
func (n Noise) warnings(d *Data, cores int) []string {
	var w []string
	if n.Drifted {
		w = append(w, fmt.Sprintf("the machine drifted during the run: the calibration at the end took %.3f× its time at the start (%.3f–%.3f); "+
			"cells measured early and late are not comparable to that extent", n.Drift.Ratio, n.Drift.Lo, n.Drift.Hi))
	}
	if cores > 0 {
		for _, l := range [][]float64{n.LoadStart, n.LoadEnd} {
			if len(l) == 3 && l[0] > float64(cores) {
				w = append(w, fmt.Sprintf("the machine was loaded: a 1-minute load average of %.2f on %d cores; other work shifts processes and widens every interval", l[0], cores))
				break
			}
		}
	}
	var noisy []string
	for _, s := range d.Series {
		if s.Phase != results.PhaseExecute || s.Cold {
			continue
		}
		if ok, ratio := n.Noisy(s); ok {
			l := FailureCell(results.Record{Cell: s.Cell})
			if s.Variant != "" {
				l += " · " + s.Variant
			}
			noisy = append(noisy, fmt.Sprintf("%s (%s, %.0f×)", l, pct(s.Proc.Between), ratio))
		}
	}
	if len(noisy) > 0 {
		more, total := "", len(noisy)
		if len(noisy) > 6 {
			more = fmt.Sprintf(" and %d more", len(noisy)-6)
			noisy = noisy[:6]
		}
		what := "warm cells vary"
		if total == 1 {
			what = "warm cell varies"
		}
		w = append(w, fmt.Sprintf("%d %s between processes far more than the machine does (significantly more than %.0f× the calibration's %s; marked !): %s%s",
			total, what, NoisyFactor, pct(n.Spread), strings.Join(noisy, "; "), more))
	}
	return w
}

// DifferentNoise compares two runs' noise: the calibration spreads (F
// test) and the load averages. It returns what differs markedly, for a
// compare header.
func DifferentNoise(a, b Noise) []string {
	var out []string
	switch {
	case a.HasSpread && b.HasSpread:
		ratio, p := stats.SpreadTest(b.Spread, b.df()+1, a.Spread, a.df()+1)
		if p < 0.01 && (ratio >= 2 || ratio <= 0.5) {
			out = append(out, fmt.Sprintf("the two runs had different noise: calibration spread %s (old) vs %s (new), %.1f× (F test p=%.3f); "+
				"intervals and verdicts of the noisier run are wider", pct(a.Spread), pct(b.Spread), ratio, p))
		}
	case a.HasSpread != b.HasSpread:
		out = append(out, "only one of the runs has a calibration: their noise cannot be compared")
	}
	la, lb := maxLoad(a), maxLoad(b)
	if la >= 0 && lb >= 0 && math.Abs(la-lb) >= 1 && math.Max(la, lb) >= 2*math.Min(la, lb) {
		out = append(out, fmt.Sprintf("the two runs had different load: highest 1-minute load average %.2f (old) vs %.2f (new)", la, lb))
	}
	return out
}

func maxLoad(n Noise) float64 {
	m := -1.0
	for _, l := range [][]float64{n.LoadStart, n.LoadEnd} {
		if len(l) == 3 {
			m = math.Max(m, l[0])
		}
	}
	return m
}

// pct renders a spread (a standard deviation of logs, about a CV) as a
// percentage.
func pct(f float64) string {
	if f < 0.1 {
		return fmt.Sprintf("%.1f%%", 100*f)
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

// halfWidth renders a process summary's interval as ±percent, or why
// there is none.
func halfWidth(p stats.ProcessSummary) string {
	switch {
	case p.Units == 0:
		return "—"
	case !p.HasCI && p.Units < stats.MinUnits:
		return fmt.Sprintf("n<%d", stats.MinUnits)
	case !p.HasCI:
		return "—"
	}
	return "±" + pct(p.HalfWidth())
}
