package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wasmbench/bench/report/chart"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Strategy is what a power-tuning recommendation optimises, as
// aws-lambda-power-tuning names them.
type Strategy string

// The strategies; Balanced is the default.
const (
	StrategyCost     Strategy = "cost"
	StrategySpeed    Strategy = "speed"
	StrategyBalanced Strategy = "balanced"
)

// Strategies lists every strategy, the default last.
var Strategies = []Strategy{StrategyCost, StrategySpeed, StrategyBalanced}

// ParseStrategy reads a --strategy value ("" is the default, balanced).
func ParseStrategy(s string) (Strategy, error) {
	if s == "" {
		return StrategyBalanced, nil
	}
	for _, x := range Strategies {
		if Strategy(s) == x {
			return x, nil
		}
	}
	var names []string
	for _, x := range Strategies {
		names = append(names, string(x))
	}
	return "", fmt.Errorf("unknown strategy %q: want one of %s (default balanced)", s, strings.Join(names, ", "))
}

// BalancedWeighting says how the balanced strategy weighs cost and time.
const BalancedWeighting = "cost and time each normalised to 0..1 over the sweep (cheapest and fastest 0, dearest and slowest 1), " +
	"equal weights, their sum minimised; a tie goes to the cheaper size"

// SpeedRule says how the speed strategy breaks ties.
const SpeedRule = "the fastest size, or the cheapest of the sizes whose 95% interval overlaps the fastest's (the data cannot tell them apart)"

// TuningPoint is one memory size of a power-tuning sweep: warm time and
// cost per invocation there.
type TuningPoint struct {
	MemoryMB int
	// Time is the warm duration (REPORT Duration; the worker's execute
	// where the target has none): the process-level centre, the
	// geometric mean of each environment's median, with its 95%
	// interval (HasCI false below stats.MinUnits environments).
	Time, TimeLo, TimeHi float64
	HasCI                bool
	Procs                int
	Proc                 stats.ProcessSummary
	// Billed is the warm billed duration's centre (0 when not recorded).
	Billed float64
	// CostUSD is the mean price of a warm invocation.
	CostUSD float64
	// Cold is the cold start measured end to end at this size (the
	// process-level summary of the cold total; Units 0 when none was),
	// shown beside the warm time: a small size's CPU share stretches a
	// cold start's compile as much as an execute. It plays no part in
	// the recommendations, which are about warm invocations.
	Cold stats.ProcessSummary
}

// overlaps reports whether two points' time intervals overlap (false
// when either has none).
func (p TuningPoint) overlaps(q TuningPoint) bool {
	return p.HasCI && q.HasCI && p.TimeLo <= q.TimeHi && q.TimeLo <= p.TimeHi
}

// Tuning is one cell's power-tuning view: runtime, tier, workload,
// language and deployment variant (architecture, package) over the
// memory sizes it was measured at, with a recommendation for each
// strategy when there are two sizes or more.
type Tuning struct {
	results.Cell
	// Variant is the deployment variant without the memory size.
	Variant string
	// TimePhase is the phase Time comes from: duration or execute.
	TimePhase string
	// Points are the memory sizes, smallest first.
	Points []TuningPoint
	// Cost, Speed and Balanced index Points (-1: no recommendation, a
	// single memory size). FastestIdx is the fastest point; SpeedTie is
	// set when Speed is a cheaper size whose interval overlaps it.
	Cost, Speed, Balanced int
	Fastest               int
	SpeedTie              bool
	// Scores are the balanced scores of Points (0..1, lower is better).
	Scores []float64
}

// Recommended is the point a strategy recommends, or false.
func (t Tuning) Recommended(s Strategy) (TuningPoint, bool) {
	i := map[Strategy]int{StrategyCost: t.Cost, StrategySpeed: t.Speed, StrategyBalanced: t.Balanced}[s]
	if i < 0 || i >= len(t.Points) {
		return TuningPoint{}, false
	}
	return t.Points[i], true
}

// PowerTuning computes the power-tuning view of every cell with warm
// times and prices at one memory size or more, in report order.
func (d *Data) PowerTuning() []Tuning {
	type gk struct {
		c       results.Cell
		variant string
	}
	var keys []gk
	mems := map[gk][]string{} // full variants, one per memory size
	for _, s := range d.Series {
		if s.Phase != results.PhasePrice || s.Cold || s.Unit != results.UnitUSD || s.Summary.N == 0 {
			continue
		}
		rest, mb := withoutMemory(s.Variant)
		if mb == 0 {
			continue
		}
		k := gk{s.Cell, rest}
		if _, ok := mems[k]; !ok {
			keys = append(keys, k)
		}
		mems[k] = append(mems[k], s.Variant)
	}
	var out []Tuning
	for _, k := range keys {
		t := Tuning{Cell: k.c, Variant: k.variant, Cost: -1, Speed: -1, Balanced: -1, Fastest: -1}
		// One time phase for the whole sweep: duration when every size
		// has it, else execute.
		t.TimePhase = results.PhaseDuration
		for _, v := range mems[k] {
			if d.Get(Key{Cell: k.c, Phase: results.PhaseDuration, Variant: v}) == nil {
				t.TimePhase = results.PhaseExecute
			}
		}
		for _, v := range mems[k] {
			ts := d.Get(Key{Cell: k.c, Phase: t.TimePhase, Variant: v})
			price := d.Get(Key{Cell: k.c, Phase: results.PhasePrice, Variant: v})
			if ts == nil || ts.Proc.Units == 0 || ts.Unit != results.UnitNS {
				continue
			}
			_, mb := withoutMemory(v)
			p := TuningPoint{MemoryMB: mb, Time: ts.Proc.Center, TimeLo: ts.Proc.Lo, TimeHi: ts.Proc.Hi, HasCI: ts.Proc.HasCI,
				Procs: ts.Proc.Units, Proc: ts.Proc, CostUSD: price.Summary.Mean}
			if b := d.Get(Key{Cell: k.c, Phase: results.PhaseBilledDuration, Variant: v}); b != nil && b.Proc.Units > 0 {
				p.Billed = b.Proc.Center
			}
			if c := d.Get(Key{Cell: k.c, Phase: results.PhaseTotal, Cold: true, Variant: v}); c != nil && c.Unit == results.UnitNS {
				p.Cold = c.Proc
			}
			t.Points = append(t.Points, p)
		}
		if len(t.Points) == 0 {
			continue
		}
		sort.Slice(t.Points, func(i, j int) bool { return t.Points[i].MemoryMB < t.Points[j].MemoryMB })
		t.recommend()
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return cmpCell(out[i].Cell, out[i].Variant, out[j].Cell, out[j].Variant) < 0 })
	return out
}

// recommend picks each strategy's memory size (none for a single size).
func (t *Tuning) recommend() {
	ps := t.Points
	if len(ps) < 2 {
		return
	}
	// cheaper orders two points by cost, then by size (the smaller).
	cheaper := func(i, j int) bool {
		if ps[i].CostUSD != ps[j].CostUSD {
			return ps[i].CostUSD < ps[j].CostUSD
		}
		return ps[i].MemoryMB < ps[j].MemoryMB
	}
	t.Cost, t.Fastest = 0, 0
	for i := range ps {
		if cheaper(i, t.Cost) {
			t.Cost = i
		}
		if ps[i].Time < ps[t.Fastest].Time || ps[i].Time == ps[t.Fastest].Time && cheaper(i, t.Fastest) {
			t.Fastest = i
		}
	}
	t.Speed = t.Fastest
	for i := range ps {
		if i != t.Speed && ps[i].overlaps(ps[t.Fastest]) && cheaper(i, t.Speed) {
			t.Speed = i
		}
	}
	t.SpeedTie = t.Speed != t.Fastest
	minC, maxC := ps[0].CostUSD, ps[0].CostUSD
	minT, maxT := ps[0].Time, ps[0].Time
	for _, p := range ps {
		minC, maxC = math.Min(minC, p.CostUSD), math.Max(maxC, p.CostUSD)
		minT, maxT = math.Min(minT, p.Time), math.Max(maxT, p.Time)
	}
	norm := func(v, lo, hi float64) float64 {
		if hi <= lo {
			return 0
		}
		return (v - lo) / (hi - lo)
	}
	t.Scores = make([]float64, len(ps))
	t.Balanced = 0
	for i, p := range ps {
		t.Scores[i] = 0.5*norm(p.CostUSD, minC, maxC) + 0.5*norm(p.Time, minT, maxT)
		if i > 0 && (t.Scores[i] < t.Scores[t.Balanced]-1e-12 || math.Abs(t.Scores[i]-t.Scores[t.Balanced]) <= 1e-12 && cheaper(i, t.Balanced)) {
			t.Balanced = i
		}
	}
}

// tuningName names a tuning's cell for people: target · workload ·
// lang · runtime tier · variant.
func tuningName(t Tuning) string {
	n := FailureCell(results.Record{Cell: t.Cell})
	if v := shortVariant(t.Variant); v != "" {
		n += " · " + v
	}
	return n
}

// sizesList writes the memory sizes of a sweep: "128, 512, 1769 MB".
func sizesList(ps []TuningPoint) string {
	var s []string
	for _, p := range ps {
		s = append(s, itoa(p.MemoryMB))
	}
	return strings.Join(s, ", ") + " MB"
}

// recText writes one strategy's recommendation for a tuning.
func recText(t Tuning, s Strategy) string {
	p, ok := t.Recommended(s)
	if !ok {
		return "-"
	}
	txt := itoa(p.MemoryMB) + " MB"
	if s == StrategySpeed && t.SpeedTie {
		txt += fmt.Sprintf(" (cheaper, and its 95%% interval overlaps the fastest's, %d MB)", t.Points[t.Fastest].MemoryMB)
	}
	return txt
}

// strategyOrder is the strategies with lead first.
func strategyOrder(lead Strategy) []Strategy {
	out := []Strategy{lead}
	for _, s := range Strategies {
		if s != lead {
			out = append(out, s)
		}
	}
	return out
}

// strategyWhat says what a strategy minimises, for a heading.
func strategyWhat(s Strategy) string {
	switch s {
	case StrategyCost:
		return "cost: the cheapest size (mean price of a warm invocation)"
	case StrategySpeed:
		return "speed: " + SpeedRule
	}
	return "balanced: " + BalancedWeighting
}

// timeWhat names a tuning's time phase.
func timeWhat(phase string) string {
	if phase == results.PhaseDuration {
		return "warm duration"
	}
	return "warm execute"
}

// 8. Power tuning: time and cost against memory size.
func (b *chartBuilder) tuning() {
	sweeps, single := splitTunings(b.d.PowerTuning())
	if len(sweeps) == 0 {
		reason := "no cell was measured at several memory sizes with prices (bench run --target lambda-local --memory 128,512,1024,1769, or bench deploy aws, makes such a sweep)"
		if single > 0 {
			reason = singleLine(single)
		}
		b.skip(KindTuning, reason)
		return
	}
	lead := b.d.lead()
	// One chart per target, workload, parameter, language and variant:
	// a time line and a cost line per runtime and tier.
	// (and time phase: one chart never mixes durations with executes).
	type gk struct{ target, workload, param, lang, variant, phase string }
	var keys []gk
	groups := map[gk][]Tuning{}
	for _, t := range sweeps {
		k := gk{t.Target, t.Workload, t.Param, t.Lang, t.Variant, t.TimePhase}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], t)
	}
	for _, k := range keys {
		var times, costs []chart.Line
		var marks []chart.Mark
		var order [][2]string
		var all []float64
		hasCold := false
		xt := map[float64]bool{}
		phase := k.phase
		for _, t := range groups[k] {
			col := b.pal.Tier(t.Runtime, t.Tier)
			tl := chart.Line{Label: RTLabel(t.Runtime, t.Tier) + " time", Color: col, Glyph: draw.CircleGlyph{}, Points: true}
			cl := chart.Line{Label: RTLabel(t.Runtime, t.Tier) + " cost", Color: col, Dashes: []vg.Length{5, 3}, Glyph: draw.SquareGlyph{}, Points: true}
			coldl := chart.Line{Label: RTLabel(t.Runtime, t.Tier) + " cold start", Color: col, Dashes: []vg.Length{1, 2}, Glyph: draw.TriangleGlyph{}, Points: true}
			for _, p := range t.Points {
				x := float64(p.MemoryMB)
				xt[x] = true
				tl.X, tl.Y = append(tl.X, x), append(tl.Y, p.Time)
				cl.X, cl.Y = append(cl.X, x), append(cl.Y, p.CostUSD*1e6)
				all = append(all, p.Time)
				if p.Cold.Units > 0 {
					coldl.X, coldl.Y = append(coldl.X, x), append(coldl.Y, p.Cold.Center)
					all = append(all, p.Cold.Center)
				}
			}
			if len(coldl.X) > 0 {
				times = append(times, coldl)
				hasCold = true
			}
			if p, ok := t.Recommended(lead); ok {
				marks = append(marks, chart.Mark{X: float64(p.MemoryMB), Y: p.Time, Color: col})
			}
			times, costs = append(times, tl), append(costs, cl)
			order = append(order, [2]string{t.Runtime, t.Tier})
		}
		var ticks []float64
		for x := range xt {
			ticks = append(ticks, x)
		}
		sort.Float64s(ticks)
		legend := []chart.Entry{{Label: "runtime", Heading: true}}
		for _, rt := range order {
			legend = append(legend, chart.Entry{Label: RTLabel(rt[0], rt[1]), Color: b.pal.Tier(rt[0], rt[1])})
		}
		grey := color.RGBA{0x40, 0x40, 0x40, 0xff}
		legend = append(legend, chart.Entry{Label: "line", Heading: true},
			chart.Entry{Label: "time (left axis)", Color: grey, Line: true, Glyph: draw.CircleGlyph{}},
			chart.Entry{Label: "cost (right axis)", Color: grey, Line: true, Dashes: []vg.Length{5, 3}, Glyph: draw.SquareGlyph{}})
		if hasCold {
			legend = append(legend, chart.Entry{Label: "cold start (left axis)", Color: grey, Line: true, Dashes: []vg.Length{1, 2}, Glyph: draw.TriangleGlyph{}})
		}
		legend = append(legend,
			chart.Entry{Label: "ring: " + string(lead) + " pick", Color: grey, Line: true, Glyph: draw.RingGlyph{}})
		title := fmt.Sprintf("Power tuning: %s · %s, %s", ParamLabel(k.workload, k.param), k.lang, k.target)
		if v := shortVariant(k.variant); v != "" {
			title += " " + v
		}
		name := k.target + "-" + k.workload + "-" + k.lang + "-" + k.param + "-" + k.variant
		if k.phase != results.PhaseDuration {
			title += " (" + timeWhat(k.phase) + ")"
			name += "-" + k.phase
		}
		coldNote := ""
		if hasCold {
			coldNote = "dotted: cold start end to end (geometric mean over environments), on the left axis; "
		}
		note := fmt.Sprintf("Solid: %s (geometric mean of each environment's median); "+coldNote+"dashed: mean cost of a warm invocation × 10⁶, on the right axis. "+
			"A ring marks the memory size the %s strategy recommends (%s). Each axis is logarithmic where its values span more than ten times.",
			timeWhat(phase), lead, strategyWhat(lead))
		yaxis := timeWhat(phase)
		if hasCold {
			yaxis += " and cold start"
		}
		f := chart.Lines{Title: title, XAxis: "memory size", YAxis: yaxis, XUnit: chart.Unit{Name: "MB", Factor: 1},
			YUnit: chart.PickUnit(results.UnitNS, all), Lines: times, Right: costs, RightAxis: "USD per million invocations",
			RightUnit: chart.Unit{Name: "USD", Factor: 1}, Marks: marks, XTicks: ticks, Legend: legend, Note: note}.Figure()
		b.add(KindTuning, name,
			"Warm time and cost per million invocations against memory size, one pair of lines per runtime and tier, as aws-lambda-power-tuning draws them, and the cold start beside them; the ring is the recommended size.", f)
	}
}
