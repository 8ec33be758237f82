package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/report/chart"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Chart kinds, in the order the report shows them.
const (
	KindColdStart = "cold-start"
	KindWarm      = "warm"
	KindVsNative  = "vs-native"
	KindScaling   = "scaling"
	KindSizes     = "sizes"
	KindBreakEven = "break-even"
	KindCost      = "cost"
	KindTuning    = "power-tuning"
)

// ChartKinds lists every kind with what it shows.
var ChartKinds = []struct{ Kind, What string }{
	{KindColdStart, "where the cold start went: stacked phases per runtime and tier, per target"},
	{KindWarm, "warm execution distributions per runtime and tier"},
	{KindVsNative, "ratio to the native build of the same source, per workload and language"},
	{KindScaling, "time against the workload parameter of a sweep"},
	{KindSizes, "sizes: module, AOT artifact, worker binary, deployment package"},
	{KindBreakEven, "after how many calls a slower-compiling, faster-running tier pays off"},
	{KindCost, "cost per million invocations, where samples carry prices"},
	{KindTuning, "power tuning: warm time and cost per million invocations against memory size, where a cell was measured at several"},
}

// Chart is one figure of the report.
type Chart struct {
	Kind    string
	Name    string // file name without extension
	Title   string
	Caption string
	Figure  *chart.Figure
}

// SkippedChart is a chart kind (or one instance of it) that was not
// drawn, and why.
type SkippedChart struct {
	Kind, Reason string
}

// charts builds every chart the data supports.
func (d *Data) charts() ([]*Chart, []SkippedChart) {
	b := &chartBuilder{d: d, pal: d.palette()}
	b.coldStart()
	b.warm()
	b.vsNative()
	b.scaling()
	b.sizes()
	b.breakEven()
	b.cost()
	b.tuning()
	for i, c := range b.out {
		c.Name = fmt.Sprintf("%02d-%s", i+1, c.Name)
	}
	return b.out, b.skipped
}

type chartBuilder struct {
	d       *Data
	pal     *chart.Palette
	out     []*Chart
	skipped []SkippedChart
}

func (b *chartBuilder) add(kind, name, caption string, f *chart.Figure) {
	b.out = append(b.out, &Chart{Kind: kind, Name: kind + "-" + slug(name), Title: f.Title, Caption: caption, Figure: f})
}

func (b *chartBuilder) skip(kind, reason string) {
	b.skipped = append(b.skipped, SkippedChart{Kind: kind, Reason: reason})
}

func (d *Data) palette() *chart.Palette {
	var pairs [][2]string
	for _, s := range d.Series {
		pairs = append(pairs, [2]string{s.Runtime, s.Tier})
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		if c := rank(runtimeOrder, pairs[i][0], pairs[j][0]); c != 0 {
			return c < 0
		}
		return rank(tierOrder, pairs[i][1], pairs[j][1]) < 0
	})
	return chart.NewPalette(pairs, tierOrder)
}

// runtimeLegend lists the runtimes (and, with tiers, their tier shades)
// present in cells.
func (b *chartBuilder) runtimeLegend(cells []results.Cell, tiers bool, line bool) []chart.Entry {
	type rt struct{ r, t string }
	seen := map[rt]bool{}
	var list []rt
	for _, c := range cells {
		k := rt{c.Runtime, c.Tier}
		if !tiers {
			k.t = ""
		}
		if !seen[k] {
			seen[k] = true
			list = append(list, k)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if c := rank(runtimeOrder, list[i].r, list[j].r); c != 0 {
			return c < 0
		}
		return rank(tierOrder, list[i].t, list[j].t) < 0
	})
	var e []chart.Entry
	for _, x := range list {
		if !tiers {
			e = append(e, chart.Entry{Label: x.r, Color: b.pal.Runtime(x.r)})
			continue
		}
		en := chart.Entry{Label: RTLabel(x.r, x.t), Color: b.pal.Tier(x.r, x.t)}
		if line {
			en.Line, en.Dashes, en.Glyph = true, chart.Dashes(x.t), chart.Glyph(x.t)
		}
		e = append(e, en)
	}
	return e
}

// repParam picks the parameter a per-workload chart shows: the one with
// the most cells, the smallest on a tie (its cold start is the least
// dominated by execution).
func (d *Data) repParam(target, workload string, phase string, cold bool) string {
	count := map[string]int{}
	for _, s := range d.Series {
		if s.Target == target && s.Workload == workload && s.Phase == phase && s.Cold == cold {
			count[s.Param]++
		}
	}
	best, bn := "", -1
	for p, n := range count {
		if n > bn || n == bn && natural(p, best) < 0 {
			best, bn = p, n
		}
	}
	return best
}

// targetsWorkloads lists the (target, workload) pairs that have series of
// phase, in display order.
func (d *Data) targetsWorkloads(phase string, cold bool) [][2]string {
	seen := map[[2]string]bool{}
	var out [][2]string
	for _, s := range d.Series {
		k := [2]string{s.Target, s.Workload}
		if s.Phase == phase && s.Cold == cold && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func rowLabel(s *Series, withVariant bool) string {
	l := RTLabel(s.Runtime, s.Tier)
	if s.Lang != "" {
		l += " · " + s.Lang
	}
	if withVariant && s.Variant != "" {
		l += " · " + shortVariant(s.Variant)
	}
	return l
}

// shortVariant keeps a variant's memory and architecture, the settings
// charts compare; the rest is in the tables.
func shortVariant(v string) string {
	var keep []string
	for _, kv := range strings.Fields(v) {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "mem", "arch", "pkg", "cache":
			keep = append(keep, val)
		}
	}
	return strings.Join(keep, " ")
}

func hasVariants(ss []*Series) bool {
	for _, s := range ss {
		if s.Variant != "" && s.Variant != ss[0].Variant {
			return true
		}
	}
	return false
}

// 1. Where the cold start went.
var coldSegments = []string{results.PhaseSpawn, results.PhaseInit, results.PhaseCompile, results.PhaseLoad,
	results.PhaseInstantiate, results.PhaseInitDuration, results.PhaseExecute}

func (b *chartBuilder) coldStart() {
	pairs := b.d.targetsWorkloads(results.PhaseExecute, true)
	if len(pairs) == 0 {
		b.skip(KindColdStart, "no cold samples in this run")
		return
	}
	phaseShade := map[string]float64{results.PhaseSpawn: 0, results.PhaseInit: 0.18, results.PhaseCompile: 0.34, results.PhaseLoad: 0.34,
		results.PhaseInstantiate: 0.5, results.PhaseInitDuration: 0.25, results.PhaseExecute: 0.66}
	other := color.RGBA{0xd0, 0xd0, 0xd0, 0xff}
	for _, tw := range pairs {
		param := b.d.repParam(tw[0], tw[1], results.PhaseExecute, true)
		var execs []*Series
		for _, s := range b.d.Series {
			if s.Target == tw[0] && s.Workload == tw[1] && s.Param == param && s.Phase == results.PhaseExecute && s.Cold {
				execs = append(execs, s)
			}
		}
		sortByLang(execs)
		withVar := hasVariants(execs)
		var rows []chart.BarRow
		var cells []results.Cell
		var all []float64
		usedPhase := map[string]bool{}
		hasOther, scaled := false, false
		for i, ex := range execs {
			get := func(ph string) *Series {
				return b.d.Get(Key{Cell: ex.Cell, Phase: ph, Cold: true, Variant: ex.Variant})
			}
			base := b.pal.Runtime(ex.Runtime)
			var segs []chart.Segment
			sum := 0.0
			lambda := get(results.PhaseInitDuration) != nil
			for _, ph := range coldSegments {
				if lambda && ph != results.PhaseInitDuration && ph != results.PhaseExecute {
					continue
				}
				s := get(ph)
				if s == nil || s.Unit != results.UnitNS {
					continue
				}
				usedPhase[ph] = true
				segs = append(segs, chart.Segment{Value: s.Summary.Mean, Color: chart.Lighten(base, phaseShade[ph])})
				sum += s.Summary.Mean
			}
			// The bar is the mean end-to-end cold start, its label that
			// mean: means add up, so the phases' means plus the rest
			// make the total (medians and geometric means do not).
			total, n := sum, 0
			if t := get(results.PhaseTotal); t != nil {
				total, n = t.Summary.Mean, t.Summary.N
				if rest := total - sum; rest > 0 {
					segs = append(segs, chart.Segment{Value: rest, Color: other})
					hasOther = true
				} else if rest < 0 && sum > 0 {
					// Phases timed inside the process add up to more
					// than the total timed outside it (clock
					// granularity): shrink them to the total.
					for k := range segs {
						segs[k].Value *= total / sum
					}
					scaled = true
				}
			} else if len(segs) > 0 {
				n = get(results.PhaseExecute).Summary.N
			}
			all = append(all, total)
			rows = append(rows, chart.BarRow{Label: rowLabel(ex, withVar), Bars: []chart.Bar{{Segments: segs, Text: FormatDuration(total) + " (" + itoa(n) + ")"}},
				Sep: i > 0 && execs[i-1].Lang != ex.Lang})
			cells = append(cells, ex.Cell)
		}
		legend := append([]chart.Entry{{Label: "runtime", Heading: true}}, b.runtimeLegend(cells, false, false)...)
		legend = append(legend, chart.Entry{Label: "phase", Heading: true})
		grey := color.RGBA{0x40, 0x40, 0x40, 0xff}
		for _, ph := range coldSegments {
			if usedPhase[ph] {
				legend = append(legend, chart.Entry{Label: phaseName(ph), Color: chart.Lighten(grey, phaseShade[ph])})
			}
		}
		if hasOther {
			legend = append(legend, chart.Entry{Label: "other (client, transport)", Color: other})
		}
		title := fmt.Sprintf("Where the cold start went: %s, %s", ParamLabel(tw[1], param), tw[0])
		note := "Bar and label: the mean end-to-end cold start (over the cold processes counted in brackets); inside it the mean of each phase in its runtime's colour, " +
			"lighter for later phases (in the order of the phase legend); grey is the rest of the end-to-end time. Means, because they add up; the summary's cold start is a geometric mean with its interval. " +
			"Linear axis, so a bar's length is its time: short cold starts are thin, their labels give them."
		if scaled {
			note += " Where the phases add up to more than the end-to-end time, they are shrunk to it."
		}
		f := chart.Bars{Title: title, Axis: "cold start, mean of each phase", Unit: chart.PickUnit(results.UnitNS, all),
			Rows: rows, Legend: legend, Note: note}.Figure()
		b.add(KindColdStart, tw[0]+"-"+tw[1]+"-"+param,
			"Mean of each cold phase per runtime and tier, stacked in the order a cold start runs them; the bar's length and its label are the mean end-to-end cold start, the number of cold processes in brackets.", f)
	}
}

func phaseName(p string) string {
	switch p {
	case results.PhaseInit:
		return "runtime init"
	case results.PhaseExecute:
		return "first execute"
	case results.PhaseInitDuration:
		return "init duration (Lambda)"
	}
	return p
}

func sortByLang(ss []*Series) {
	sort.SliceStable(ss, func(i, j int) bool {
		if c := rank(langOrder, ss[i].Lang, ss[j].Lang); c != 0 {
			return c < 0
		}
		if c := rank(runtimeOrder, ss[i].Runtime, ss[j].Runtime); c != 0 {
			return c < 0
		}
		if c := rank(tierOrder, ss[i].Tier, ss[j].Tier); c != 0 {
			return c < 0
		}
		return natural(ss[i].Variant, ss[j].Variant) < 0
	})
}

// 2. Warm execute distributions.
func (b *chartBuilder) warm() {
	pairs := b.d.targetsWorkloads(results.PhaseExecute, false)
	if len(pairs) == 0 {
		b.skip(KindWarm, "no warm samples in this run")
		return
	}
	for _, tw := range pairs {
		param := b.d.repParam(tw[0], tw[1], results.PhaseExecute, false)
		var ss []*Series
		for _, s := range b.d.Series {
			if s.Target == tw[0] && s.Workload == tw[1] && s.Param == param && s.Phase == results.PhaseExecute && !s.Cold {
				ss = append(ss, s)
			}
		}
		sortByLang(ss)
		withVar := hasVariants(ss)
		var rows []chart.BoxRow
		var cells []results.Cell
		var all []float64
		outliers, procs := 0, 0
		for i, s := range ss {
			procs += s.Proc.Units
			rows = append(rows, chart.BoxRow{Label: rowLabel(s, withVar), Values: s.Values, Outliers: s.Summary.Outliers,
				Color: b.pal.Tier(s.Runtime, s.Tier), Sep: i > 0 && ss[i-1].Lang != s.Lang})
			cells = append(cells, s.Cell)
			all = append(all, s.Values...)
			outliers += len(s.Summary.Outliers)
		}
		legend := b.runtimeLegend(cells, true, false)
		title := fmt.Sprintf("Warm execute: %s, %s", ParamLabel(tw[1], param), tw[0])
		note := "Box: quartiles of all counted executions, pooled over each cell's processes (the summary's intervals treat each process as one unit); " +
			"thick line: median; whiskers: furthest executions not flagged; dots: every execution (fewer than 5: no box)."
		if outliers > 0 {
			note += fmt.Sprintf(" Red rings: %d outlier(s) flagged by median absolute deviation (modified z > 3.5), shown and kept in every statistic.", outliers)
		}
		f := chart.Boxes{Title: title, Axis: "warm execute time", Unit: chart.PickUnit(results.UnitNS, all), Rows: rows, Legend: legend, Note: note}.Figure()
		b.add(KindWarm, tw[0]+"-"+tw[1]+"-"+param, fmt.Sprintf("Distribution of warm executions (warm-ups left out) per runtime and tier, from %d warm processes in all.", procs), f)
	}
}

// 3. Ratio to native.
func (b *chartBuilder) vsNative() {
	targets := map[string][]Row{}
	var order []string
	for _, sec := range b.d.Sections() {
		for _, r := range sec.Rows {
			if r.VsNative == nil || r.Main == nil || r.Main.Phase != results.PhaseExecute {
				continue
			}
			if _, ok := targets[sec.Target]; !ok {
				order = append(order, sec.Target)
			}
			targets[sec.Target] = append(targets[sec.Target], r)
		}
	}
	if len(order) == 0 {
		b.skip(KindVsNative, "no cell has a native build of the same source to compare with")
		return
	}
	for _, t := range order {
		rows := targets[t]
		type rk struct{ w, p, l, v string }
		var keys []rk
		byKey := map[rk][]Row{}
		var cells []results.Cell
		for _, r := range rows {
			k := rk{r.Cell.Workload, r.Cell.Param, r.Cell.Lang, r.Variant}
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], r)
			cells = append(cells, r.Cell)
		}
		var drows []chart.DotRow
		faded := 0
		for i, k := range keys {
			label := ParamLabel(k.w, k.p) + " · " + k.l
			if k.v != "" {
				label += " · " + shortVariant(k.v)
			}
			var dots []chart.Dot
			for _, r := range byKey[k] {
				c := r.VsNative
				if !(c.Ratio > 0) {
					continue
				}
				dot := chart.Dot{Value: c.Ratio, Color: b.pal.Tier(r.Cell.Runtime, r.Cell.Tier), Glyph: chart.Glyph(r.Cell.Tier)}
				if c.HasCI {
					dot.Lo, dot.Hi = c.Lo, c.Hi
				}
				switch {
				case !c.HasCI:
					dot.Faded, dot.Text = true, fmt.Sprintf("n<%d", stats.MinUnits)
					faded++
				case !c.Significant():
					dot.Faded, dot.Text = true, "n.s."
					faded++
				}
				dots = append(dots, dot)
			}
			drows = append(drows, chart.DotRow{Label: label, Dots: dots, Sep: i > 0 && keys[i-1].w != k.w})
		}
		legend := b.dotLegend(cells)
		note := "Dot: ratio of geometric means of the process units; bar: its 95% interval; dashed line: as fast as native; logarithmic axis (a ratio and its inverse are equally far from 1). " +
			"Dots of a row are ordered as in the legend."
		if faded > 0 {
			note += fmt.Sprintf(" Pale, marked n.s.: not significantly different from native (Benjamini-Hochberg across the report's ratios, FDR 5%%); marked n<%d: too few processes for an interval. No ratio is claimed for them.", stats.MinUnits)
		}
		f := chart.Dots{Title: "Warm execute time relative to the native build of the same source, " + t,
			Axis: "time ÷ native time", Unit: chart.Unit{Factor: 1}, Rows: drows, Legend: legend, Ref: 1, Log: true, Note: note}.Figure()
		b.add(KindVsNative, t, "How many times the native build's warm execute time each runtime and tier takes, for the same source (log axis).", f)
	}
}

// dotLegend: colour and glyph per runtime and tier.
func (b *chartBuilder) dotLegend(cells []results.Cell) []chart.Entry {
	e := b.runtimeLegend(cells, true, false)
	for i := range e {
		for _, c := range cells {
			if RTLabel(c.Runtime, c.Tier) == e[i].Label {
				e[i].Line, e[i].Glyph = true, chart.Glyph(c.Tier)
				break
			}
		}
	}
	return e
}

// 4. Scaling over a parameter sweep.
func (b *chartBuilder) scaling() {
	type key struct{ target, workload, lang, variant string }
	params := map[key]map[string]bool{}
	var keys []key
	for _, s := range b.d.Series {
		if s.Phase != results.PhaseExecute || s.Cold {
			continue
		}
		if _, err := strconv.ParseFloat(s.Param, 64); err != nil {
			continue
		}
		k := key{s.Target, s.Workload, s.Lang, s.Variant}
		if params[k] == nil {
			params[k] = map[string]bool{}
			keys = append(keys, k)
		}
		params[k][s.Param] = true
	}
	drawn := 0
	for _, k := range keys {
		if len(params[k]) < 2 {
			continue
		}
		lines := map[[2]string]*chart.Line{}
		var order [][2]string
		var xt []float64
		for p := range params[k] {
			x, _ := strconv.ParseFloat(p, 64)
			xt = append(xt, x)
		}
		sort.Float64s(xt)
		var all []float64
		for _, s := range b.d.Series {
			if s.Phase != results.PhaseExecute || s.Cold || s.Target != k.target || s.Workload != k.workload || s.Lang != k.lang || s.Variant != k.variant {
				continue
			}
			x, err := strconv.ParseFloat(s.Param, 64)
			if err != nil {
				continue
			}
			rt := [2]string{s.Runtime, s.Tier}
			ln := lines[rt]
			if ln == nil {
				ln = &chart.Line{Label: RTLabel(s.Runtime, s.Tier), Color: b.pal.Tier(s.Runtime, s.Tier),
					Dashes: chart.Dashes(s.Tier), Glyph: chart.Glyph(s.Tier), Points: true}
				lines[rt] = ln
				order = append(order, rt)
			}
			ln.X = append(ln.X, x)
			ln.Y = append(ln.Y, s.Proc.Center)
			all = append(all, s.Proc.Center)
		}
		sort.Slice(order, func(i, j int) bool {
			if c := rank(runtimeOrder, order[i][0], order[j][0]); c != 0 {
				return c < 0
			}
			return rank(tierOrder, order[i][1], order[j][1]) < 0
		})
		var ls []chart.Line
		for _, rt := range order {
			ln := lines[rt]
			sortXY(ln.X, ln.Y)
			ls = append(ls, *ln)
		}
		title := fmt.Sprintf("Scaling: %s (%s) against its parameter, %s", k.workload, k.lang, k.target)
		if k.variant != "" {
			title += " " + shortVariant(k.variant)
		}
		f := chart.Lines{Title: title, XAxis: k.workload + " parameter", YAxis: "warm execute, geometric mean",
			XUnit: chart.Unit{Factor: 1}, YUnit: chart.PickUnit(results.UnitNS, all), Lines: ls, XTicks: xt,
			Legend: b.lineLegend(order)}.Figure()
		b.add(KindScaling, k.target+"-"+k.workload+"-"+k.lang+"-"+k.variant, "Warm execute time (geometric mean of the processes) at each parameter of the sweep, one line per runtime and tier.", f)
		drawn++
	}
	if drawn == 0 {
		b.skip(KindScaling, "no parameter sweep in this run (bench run --param fib=25,30,35 makes one)")
	}
}

func (b *chartBuilder) lineLegend(order [][2]string) []chart.Entry {
	var e []chart.Entry
	for _, rt := range order {
		e = append(e, chart.Entry{Label: RTLabel(rt[0], rt[1]), Color: b.pal.Tier(rt[0], rt[1]), Line: true,
			Dashes: chart.Dashes(rt[1]), Glyph: chart.Glyph(rt[1])})
	}
	return e
}

func sortXY(x, y []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	nx, ny := make([]float64, len(x)), make([]float64, len(y))
	for i, j := range idx {
		nx[i], ny[i] = x[j], y[j]
	}
	copy(x, nx)
	copy(y, ny)
}

// 5. Sizes.
func (b *chartBuilder) sizes() {
	wasm := color.RGBA{0x65, 0x4f, 0xf0, 0xff} // WebAssembly's violet
	any := false
	for _, phase := range []string{results.PhaseModuleBytes, results.PhaseArtifactBytes, results.PhaseWorkerBytes, results.PhasePackageBytes} {
		type item struct {
			label string
			value float64
			col   color.RGBA
			group string
			cell  results.Cell
		}
		seen := map[string]bool{}
		pkgKinds := map[string]bool{}
		var items []item
		for _, s := range b.d.Series {
			if s.Phase != phase || len(s.Values) == 0 {
				continue
			}
			var it item
			it.value = s.Summary.Median
			it.cell = s.Cell
			switch phase {
			case results.PhaseModuleBytes:
				if s.Runtime == "native" {
					it.label, it.col = s.Workload+"-"+s.Lang+" (native)", b.pal.Runtime("native")
				} else {
					it.label, it.col = s.Workload+"."+s.Lang+".wasm", wasm
				}
				it.group = s.Workload
			case results.PhaseArtifactBytes:
				it.label, it.col, it.group = RTLabel(s.Runtime, s.Tier)+" · "+s.Workload+"."+s.Lang, b.pal.Tier(s.Runtime, s.Tier), s.Workload+"."+s.Lang
			case results.PhaseWorkerBytes:
				it.label, it.col, it.group = "bench-"+s.Runtime+" "+s.Tier, b.pal.Runtime(s.Runtime), s.Runtime
				if s.Runtime == "node" {
					it.label = "node + worker script"
				}
				if s.Runtime == "native" || s.Runtime == "node" {
					it.label = strings.TrimSuffix(it.label, " "+s.Tier)
				}
			case results.PhasePackageBytes:
				// A package is the same at every memory size: one row.
				it.label = RTLabel(s.Runtime, s.Tier) + " · " + s.Workload + "." + s.Lang + " · " + s.Target
				rest, _ := withoutMemory(s.Variant)
				if v := shortVariant(rest); v != "" {
					it.label += " · " + v
				}
				it.col, it.group = b.pal.Tier(s.Runtime, s.Tier), s.Target
				kind := variantValue(s.Variant, "pkg")
				if kind == "" {
					kind = "zip"
				}
				pkgKinds[kind] = true
			}
			if phase == results.PhaseWorkerBytes {
				// One worker per runtime: the same file for every tier.
				if seen[s.Runtime+"/"+strconv.FormatFloat(it.value, 'f', 0, 64)] {
					continue
				}
				seen[s.Runtime+"/"+strconv.FormatFloat(it.value, 'f', 0, 64)] = true
			}
			if seen[it.label] {
				continue
			}
			seen[it.label] = true
			items = append(items, it)
		}
		if len(items) == 0 {
			continue
		}
		any = true
		var rows []chart.BarRow
		var all []float64
		var cells []results.Cell
		for i, it := range items {
			rows = append(rows, chart.BarRow{Label: it.label, Bars: []chart.Bar{{Segments: []chart.Segment{{Value: it.value, Color: it.col}}, Text: FormatBytes(it.value)}},
				Sep: i > 0 && items[i-1].group != it.group})
			all = append(all, it.value)
			cells = append(cells, it.cell)
		}
		var legend []chart.Entry
		what := map[string]string{
			results.PhaseModuleBytes:   "Module size: the .wasm, and the native executable of the same source",
			results.PhaseArtifactBytes: "Ahead-of-time artifact size on disk",
			results.PhaseWorkerBytes:   "Worker binary size (with the libraries it loads)",
			results.PhasePackageBytes:  "Deployment package size",
		}[phase]
		if phase == results.PhaseModuleBytes {
			legend = []chart.Entry{{Label: "wasm module", Color: wasm}, {Label: "native", Color: b.pal.Runtime("native")}}
		} else {
			legend = b.runtimeLegend(cells, phase != results.PhaseWorkerBytes, false)
		}
		bars := chart.Bars{Title: what, Axis: "size", Unit: chart.PickUnit(results.UnitBytes, all), Rows: rows, Legend: legend}
		caption := what + "."
		if phase == results.PhasePackageBytes {
			// Lambda's package limits, as dashed lines the packages are
			// read against; the value axis reaches the largest.
			bars.Refs = limitRefs(pkgKinds)
			bars.Note = "Dashed red lines: Lambda's package limits for the kinds of package drawn (zipped sizes, except the unzipped and image limits). " + PackageLimitNote
			caption = what + ", against Lambda's package limits (dashed): direct upload, unzipped, image, and Lambda@Edge's viewer and origin limits."
		}
		f := bars.Figure()
		b.add(KindSizes, strings.TrimSuffix(phase, "_bytes"), caption, f)
	}
	if !any {
		b.skip(KindSizes, "no size samples in this run")
	}
}

// 6. Break-even between tiers.

// BreakEven is when a tier that costs more to set up but less per call
// overtakes another tier of the same runtime. A crossing is claimed only
// when both differences under it are significant.
type BreakEven struct {
	Target, Workload, Param, Lang, Variant string
	Runtime                                string
	// Cheap sets up faster (its estimate is lower), Fast the other.
	Cheap, Fast string
	// Set-up (cold init + compile or load + instantiate, summed per
	// process) and per-call (warm execute) times: geometric means of the
	// process units, in ns.
	CheapSetup, FastSetup     float64
	CheapPerCall, FastPerCall float64
	// Setup and PerCall compare Fast with Cheap (Fast/Cheap), in one
	// family with every other break-even's for the false discovery rate.
	Setup, PerCall stats.Comparison
	// Calls is the crossing; FastAlwaysBetter when Fast wins from the
	// first call, NeverPays when Fast is also slower per call.
	Calls                       float64
	FastAlwaysBetter, NeverPays bool
	// NotSignificant says why nothing is claimed ("" when a claim is
	// made).
	NotSignificant string
}

// Claimed reports whether the break-even makes a claim (a crossing, or
// one tier winning throughout).
func (be BreakEven) Claimed() bool { return be.NotSignificant == "" }

// setupAndCall is a tier's set-up units (one per cold process: its init,
// compile or load, and instantiate summed) and its warm execute groups.
func (d *Data) setupAndCall(c results.Cell, variant string) (setup []float64, call [][]float64, ok bool) {
	w := d.Get(Key{Cell: c, Phase: results.PhaseExecute, Cold: false, Variant: variant})
	if w == nil {
		return nil, nil, false
	}
	var phases []*Series
	for _, ph := range []string{results.PhaseInit, results.PhaseCompile, results.PhaseLoad, results.PhaseInstantiate, results.PhaseInitDuration} {
		if s := d.Get(Key{Cell: c, Phase: ph, Cold: true, Variant: variant}); s != nil && s.Unit == results.UnitNS {
			phases = append(phases, s)
		}
	}
	if len(phases) == 0 {
		return nil, nil, false
	}
	sum := map[string]float64{}
	count := map[string]int{}
	var order []string
	for _, s := range phases {
		for i, id := range s.GroupIDs {
			if _, ok := sum[id]; !ok {
				order = append(order, id)
			}
			sum[id] += s.Groups[i][0]
			count[id]++
		}
	}
	for _, id := range order {
		if count[id] == len(phases) {
			setup = append(setup, sum[id])
		}
	}
	return setup, w.Groups, true
}

// BreakEvens computes the break-even of every pair of tiers of one
// runtime in every cell group.
func (d *Data) BreakEvens() []BreakEven {
	type gk struct {
		target, workload, param, lang, variant, runtime string
	}
	tiers := map[gk][]string{}
	var keys []gk
	for _, s := range d.Series {
		if s.Phase != results.PhaseExecute || s.Cold || s.Runtime == "native" {
			continue
		}
		k := gk{s.Target, s.Workload, s.Param, s.Lang, s.Variant, s.Runtime}
		if _, ok := tiers[k]; !ok {
			keys = append(keys, k)
		}
		tiers[k] = append(tiers[k], s.Tier)
	}
	var out []BreakEven
	opts := stats.CompareOptions{Threshold: DefaultThreshold, Alpha: DefaultAlpha}
	for _, k := range keys {
		ts := tiers[k]
		for i := 0; i < len(ts); i++ {
			for j := i + 1; j < len(ts); j++ {
				ci := results.Cell{Runtime: k.runtime, Tier: ts[i], Workload: k.workload, Lang: k.lang, Param: k.param, Target: k.target}
				cj := ci
				cj.Tier = ts[j]
				si, pi, ok1 := d.setupAndCall(ci, k.variant)
				sj, pj, ok2 := d.setupAndCall(cj, k.variant)
				if !ok1 || !ok2 {
					continue
				}
				be := BreakEven{Target: k.target, Workload: k.workload, Param: k.param, Lang: k.lang, Variant: k.variant, Runtime: k.runtime}
				gi, gj := groupsOf(si), groupsOf(sj)
				if geo(si) <= geo(sj) {
					be.Cheap, be.Fast = ts[i], ts[j]
					be.Setup, be.PerCall = stats.Compare(gi, gj, opts), stats.Compare(pi, pj, opts)
				} else {
					be.Cheap, be.Fast = ts[j], ts[i]
					be.Setup, be.PerCall = stats.Compare(gj, gi, opts), stats.Compare(pj, pi, opts)
				}
				be.CheapSetup, be.FastSetup = be.Setup.OldCenter, be.Setup.NewCenter
				be.CheapPerCall, be.FastPerCall = be.PerCall.OldCenter, be.PerCall.NewCenter
				out = append(out, be)
			}
		}
	}
	var fam []*stats.Comparison
	for i := range out {
		fam = append(fam, &out[i].Setup, &out[i].PerCall)
	}
	stats.ControlFDR(fam)
	for i := range out {
		out[i].decide()
	}
	return out
}

// decide makes the break-even's claim, or says why it makes none.
func (be *BreakEven) decide() {
	pc, su := be.PerCall, be.Setup
	notSig := func(what string, c stats.Comparison) string {
		if !c.HasCI {
			return what + ": " + c.Note
		}
		return fmt.Sprintf("%s do not differ significantly (%.3f×, %.3f–%.3f)", what, c.Ratio, c.Lo, c.Hi)
	}
	switch {
	case !pc.Significant():
		be.NotSignificant = notSig("per-call times", pc)
	case !su.Significant():
		be.NotSignificant = notSig("set-up times", su)
	case pc.Ratio > 1:
		be.NeverPays, be.Calls = true, math.Inf(1)
	default:
		be.Calls = (be.FastSetup - be.CheapSetup) / (be.CheapPerCall - be.FastPerCall)
		be.FastAlwaysBetter = be.Calls < 1
	}
}

// groupsOf makes each value a group of its own (cold units).
func groupsOf(units []float64) [][]float64 {
	g := make([][]float64, len(units))
	for i, u := range units {
		g[i] = []float64{u}
	}
	return g
}

// geo is the geometric mean of positive values (0 when there are none).
func geo(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return stats.Geomean(v)
}

func (b *chartBuilder) breakEven() {
	bes := b.d.BreakEvens()
	type gk struct{ target, workload, param, lang, variant string }
	groups := map[gk][]BreakEven{}
	var keys []gk
	for _, be := range bes {
		k := gk{be.Target, be.Workload, be.Param, be.Lang, be.Variant}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], be)
	}
	drawn := 0
	for _, k := range keys {
		// Draw where a significant crossing happens after the first
		// call: elsewhere one tier wins from the start, or nothing is
		// claimed, and the table says so.
		maxCalls := 0.0
		for _, be := range groups[k] {
			if be.Claimed() && !be.NeverPays && !be.FastAlwaysBetter {
				maxCalls = math.Max(maxCalls, be.Calls)
			}
		}
		if maxCalls == 0 {
			continue
		}
		if k.param != b.d.repParam(k.target, k.workload, results.PhaseExecute, false) {
			continue
		}
		xmax := math.Pow(10, math.Ceil(math.Log10(maxCalls*20)))
		xmax = math.Max(xmax, 1000)
		var lines []chart.Line
		var order [][2]string
		seen := map[[2]string]bool{}
		var all []float64
		for _, s := range b.d.Series {
			if s.Phase != results.PhaseExecute || s.Cold || s.Runtime == "native" || s.Target != k.target || s.Workload != k.workload ||
				s.Param != k.param || s.Lang != k.lang || s.Variant != k.variant {
				continue
			}
			su, _, ok := b.d.setupAndCall(s.Cell, s.Variant)
			if !ok || len(su) == 0 || seen[[2]string{s.Runtime, s.Tier}] {
				continue
			}
			setup, call := geo(su), s.Proc.Center
			seen[[2]string{s.Runtime, s.Tier}] = true
			order = append(order, [2]string{s.Runtime, s.Tier})
			ln := chart.Line{Label: RTLabel(s.Runtime, s.Tier), Color: b.pal.Tier(s.Runtime, s.Tier), Dashes: chart.Dashes(s.Tier), Glyph: chart.Glyph(s.Tier)}
			for i := 0; i <= 60; i++ {
				n := math.Pow(xmax, float64(i)/60)
				ln.X = append(ln.X, n)
				ln.Y = append(ln.Y, setup+n*call)
				all = append(all, setup+n*call)
			}
			lines = append(lines, ln)
		}
		var marks []chart.Mark
		var unclaimed []string
		for _, be := range groups[k] {
			switch {
			case !be.Claimed():
				unclaimed = append(unclaimed, fmt.Sprintf("%s %s vs %s: %s", be.Runtime, be.Fast, be.Cheap, be.NotSignificant))
			case be.NeverPays || be.FastAlwaysBetter:
			default:
				marks = append(marks, chart.Mark{X: be.Calls, Y: be.CheapSetup + be.Calls*be.CheapPerCall,
					Text: fmt.Sprintf("%s: %s overtakes %s after %s calls", be.Runtime, be.Fast, be.Cheap, formatCalls(be.Calls)), Color: b.pal.Runtime(be.Runtime)})
			}
		}
		note := "Cumulative time = set-up (cold init + compile or load + instantiate) + calls × warm execute, geometric means of the processes. " +
			"A ring marks where a tier that sets up more slowly but runs faster overtakes another tier of the same runtime; " +
			"only crossings where both differences are significant are marked (Benjamini-Hochberg, FDR 5%)."
		if len(unclaimed) > 0 {
			note += " Not significant, so no crossing claimed: " + strings.Join(unclaimed, "; ") + "."
		}
		title := fmt.Sprintf("Break-even between tiers: %s · %s, %s", ParamLabel(k.workload, k.param), k.lang, k.target)
		f := chart.Lines{Title: title, XAxis: "calls served by one process", YAxis: "cumulative time",
			XUnit: chart.Unit{Factor: 1}, YUnit: chart.PickUnit(results.UnitNS, all), Lines: lines, Marks: marks, LogX: true,
			Legend: b.lineLegend(order), Note: note}.Figure()
		b.add(KindBreakEven, k.target+"-"+k.workload+"-"+k.lang+"-"+k.param+"-"+k.variant,
			"Cumulative time against the number of calls a process serves; marked crossings are significant break-even points.", f)
		drawn++
	}
	if drawn == 0 {
		switch {
		case len(bes) == 0:
			b.skip(KindBreakEven, "no runtime ran two tiers with both cold and warm samples")
		default:
			b.skip(KindBreakEven, "no significant crossing after the first call: in every pair of tiers one wins from the start, or the differences are not significant (see the break-even table)")
		}
	}
}

func formatCalls(n float64) string {
	switch {
	case math.IsInf(n, 1):
		return "never"
	case n < 1:
		return "1"
	case n < 1000:
		return strconv.FormatFloat(math.Ceil(n), 'f', 0, 64)
	}
	return sig3(n)
}

// 7. Cost per million invocations.
func (b *chartBuilder) cost() {
	type gk struct{ target, workload string }
	var keys []gk
	groups := map[gk][]*Series{}
	for _, s := range b.d.Series {
		if s.Unit != results.UnitUSD {
			continue
		}
		k := gk{s.Target, s.Workload}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	if len(keys) == 0 {
		b.skip(KindCost, "no sample carries a price (only serverless targets are priced)")
		return
	}
	for _, k := range keys {
		ss := groups[k]
		type rk struct {
			c results.Cell
			v string
		}
		var rkeys []rk
		byRow := map[rk][2]*Series{}
		for _, s := range ss {
			r := rk{s.Cell, s.Variant}
			pair, ok := byRow[r]
			if !ok {
				rkeys = append(rkeys, r)
			}
			if s.Cold {
				pair[0] = s
			} else {
				pair[1] = s
			}
			byRow[r] = pair
		}
		sort.SliceStable(rkeys, func(i, j int) bool { return cmpCell(rkeys[i].c, rkeys[i].v, rkeys[j].c, rkeys[j].v) < 0 })
		manyParams := false
		for _, r := range rkeys {
			manyParams = manyParams || r.c.Param != rkeys[0].c.Param
		}
		var rows []chart.BarRow
		var cells []results.Cell
		for i, r := range rkeys {
			pair := byRow[r]
			col := b.pal.Tier(r.c.Runtime, r.c.Tier)
			var bars []chart.Bar
			for j, s := range pair {
				if s == nil {
					bars = append(bars, chart.Bar{})
					continue
				}
				v := s.Summary.Mean * 1e6
				c := col
				what := "warm"
				if j == 0 {
					c = chart.Lighten(col, 0.55)
					what = "cold"
				}
				bars = append(bars, chart.Bar{Segments: []chart.Segment{{Value: v, Color: c}}, Text: FormatUSD(v) + " " + what})
			}
			label := RTLabel(r.c.Runtime, r.c.Tier) + " · " + r.c.Lang
			if manyParams {
				label += " " + r.c.Param
			}
			if v := shortVariant(r.v); v != "" {
				label += " · " + v
			}
			rows = append(rows, chart.BarRow{Label: label, Bars: bars, Sep: i > 0 && (rkeys[i-1].c.Lang != r.c.Lang || rkeys[i-1].c.Param != r.c.Param)})
			cells = append(cells, r.c)
		}
		legend := b.runtimeLegend(cells, true, false)
		legend = append(legend, chart.Entry{Label: "invocation", Heading: true},
			chart.Entry{Label: "cold (lighter)", Color: chart.Lighten(color.RGBA{0x40, 0x40, 0x40, 0xff}, 0.55)},
			chart.Entry{Label: "warm", Color: color.RGBA{0x40, 0x40, 0x40, 0xff}})
		f := chart.Bars{Title: fmt.Sprintf("Cost per million invocations: %s, %s", k.workload, k.target), Axis: "USD per million invocations",
			Unit: chart.Unit{Name: "USD", Factor: 1}, Rows: rows, Legend: legend,
			Note: "Mean price of one invocation × 10⁶ (a total is a mean times a count): billed duration (including the init phase for cold ones) at the configured memory, plus the request price."}.Figure()
		b.add(KindCost, k.target+"-"+k.workload, "Cost of a million invocations, all cold or all warm, per runtime, tier and memory size.", f)
	}
}

// slug makes a file-name-safe name.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
