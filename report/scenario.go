package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/scenarios"
)

// ScenarioVerdict is what a scenario run's report opens with: the
// question, the verdict computed from the run's records, and how.
type ScenarioVerdict struct {
	Name, Question string
	// Headline is the verdict, one line per side or counterpart.
	Headline []string
	// Lines are the verdict's rows: a cell (limit, package-size) or a
	// pair of cells on one figure (faster).
	Lines []string
	// Method says how the verdict was formed.
	Method string
	// Story are the published figures the scenario reproduces.
	Story []string
	// Err is set when the run folder's scenario file could not be read:
	// the report then says so instead of a verdict.
	Err string
}

// loadScenario reads the scenario a run folder keeps (scenarios.RunFile),
// if any: a file that no longer parses is kept as an error for the
// report to show, never a reason to fail it.
func (d *Data) loadScenario(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, scenarios.RunFile))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		d.Scenario, err = scenarios.Parse(filepath.Join(filepath.Base(dir), scenarios.RunFile), b)
	}
	if err != nil {
		d.ScenarioErr = err
	}
}

// Verdict computes the scenario's verdict from the run's records; nil
// when the run is not a scenario's.
func (d *Data) Verdict() *ScenarioVerdict {
	if d.ScenarioErr != nil {
		return &ScenarioVerdict{Name: "?", Err: fmt.Sprintf("the run's scenario file could not be read, so there is no verdict: %v", d.ScenarioErr)}
	}
	sc := d.Scenario
	if sc == nil {
		return nil
	}
	v := &ScenarioVerdict{Name: sc.Name, Question: sc.Question, Story: sc.Story}
	units := d.scenarioUnits()
	switch sc.Verdict {
	case scenarios.VerdictLimit:
		d.limitVerdict(sc, units, v)
	case scenarios.VerdictFaster:
		d.fasterVerdict(sc, units, v)
	case scenarios.VerdictPackageSize:
		d.packageVerdict(units, v)
	}
	for _, n := range d.Notes {
		if n.Runtime != "" && n.Workload == "" && (len(sc.Runtimes) == 0 || containsString(sc.Runtimes, n.Runtime)) {
			v.Lines = append(v.Lines, "did not run: "+NoteText(n))
		}
	}
	if len(v.Headline) == 0 {
		v.Headline = []string{"no verdict: the run holds none of the cells the scenario compares (see the notes and failures below)"}
	}
	return v
}

// unit is one cell of a scenario run in one memory size: what its
// verdict is about.
type unit struct {
	cell results.Cell
	mem  int
	// variants are the series variants seen for it; failure is its
	// failure (nil: none), note why it did not run.
	variants []string
	failure  *results.Record
	note     string
}

func (u *unit) label() string { return RTLabel(u.cell.Runtime, u.cell.Tier) }

// where names the unit's cell without runtime and tier: target,
// workload, language, memory.
func (u *unit) where() string {
	parts := []string{u.cell.Target, ParamLabel(u.cell.Workload, u.cell.Param), u.cell.Lang}
	if u.mem > 0 {
		parts = append(parts, strconv.Itoa(u.mem)+" MB")
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// scenarioUnits collects the run's cells by memory size, from its
// series, failures and notes, in report order.
func (d *Data) scenarioUnits() []*unit {
	byID := map[string]*unit{}
	var out []*unit
	get := func(c results.Cell, mem int) *unit {
		id := c.Key() + "|" + strconv.Itoa(mem)
		u := byID[id]
		if u == nil {
			u = &unit{cell: c, mem: mem}
			byID[id] = u
			out = append(out, u)
		}
		return u
	}
	for _, s := range d.Series {
		u := get(s.Cell, variantMemory(s.Variant))
		if !containsString(u.variants, s.Variant) {
			u.variants = append(u.variants, s.Variant)
		}
	}
	for i := range d.Failures {
		f := &d.Failures[i]
		if f.Workload == "" || f.Runtime == "" {
			continue
		}
		mem := f.MemoryMB
		if mem == 0 && len(d.Scenario.Memory) == 1 {
			mem = d.Scenario.Memory[0] // the one size every cell ran in
		}
		u := get(f.Cell, mem)
		if u.failure == nil {
			u.failure = f
		}
	}
	for _, n := range d.Notes {
		if n.Runtime == "" || n.Workload == "" {
			continue // about a runtime or tier as a whole: scenarioNotes
		}
		u := get(n.Cell, n.MemoryMB)
		if u.note == "" {
			u.note = oneLine(n.Note)
		}
	}
	// A cell's records made outside any environment (its AOT artifact,
	// prepared once on this machine) carry no memory size: they belong
	// to each size the cell ran in.
	kept := out[:0]
	for _, u := range out {
		merged := false
		if u.mem == 0 {
			for _, o := range out {
				if o.mem != 0 && o.cell == u.cell {
					o.variants = append(o.variants, u.variants...)
					if o.failure == nil {
						o.failure = u.failure
					}
					merged = true
				}
			}
		}
		if !merged {
			kept = append(kept, u)
		}
	}
	out = kept
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.mem != b.mem {
			return a.mem < b.mem
		}
		return lessKey(Key{Cell: a.cell}, Key{Cell: b.cell})
	})
	return out
}

// dimValue is the unit's value in a compare dimension.
func (u *unit) dimValue(dim string) string {
	switch dim {
	case scenarios.DimRuntime:
		return u.cell.Runtime
	case scenarios.DimTier:
		return u.cell.Tier
	case scenarios.DimTarget:
		return u.cell.Target
	case scenarios.DimLang:
		return u.cell.Lang
	case scenarios.DimMemory:
		return strconv.Itoa(u.mem)
	}
	return ""
}

// rest is the unit with the compare dimension left out: the units a
// baseline is set against agree on it. Comparing runtimes leaves the
// tier out too, since tiers belong to runtimes.
func (u *unit) rest(dim string) string {
	c, mem := u.cell, u.mem
	switch dim {
	case scenarios.DimRuntime:
		c.Runtime, c.Tier = "", ""
	case scenarios.DimTier:
		c.Tier = ""
	case scenarios.DimTarget:
		c.Target = ""
	case scenarios.DimLang:
		c.Lang = ""
	case scenarios.DimMemory:
		mem = 0
	}
	return c.Key() + "|" + strconv.Itoa(mem)
}

// pairGroup is the baseline units and their counterparts that agree on
// everything but the compare dimension.
type pairGroup struct {
	a, b []*unit
}

func pairGroups(c scenarios.Compare, units []*unit) []*pairGroup {
	byRest := map[string]*pairGroup{}
	var out []*pairGroup
	for _, u := range units {
		v := u.dimValue(c.Dim)
		inA, inB := containsString(c.A, v), containsString(c.B, v)
		if !inA && !inB {
			continue
		}
		r := u.rest(c.Dim)
		g := byRest[r]
		if g == nil {
			g = &pairGroup{}
			byRest[r] = g
			out = append(out, g)
		}
		if inA {
			g.a = append(g.a, u)
		} else {
			g.b = append(g.b, u)
		}
	}
	return out
}

// series finds the unit's series of a phase, cold or warm, in any of its
// variants.
func (d *Data) unitSeries(u *unit, phase string, cold bool) *Series {
	for _, v := range u.variants {
		if s := d.Get(Key{Cell: u.cell, Phase: phase, Cold: cold, Variant: v}); s != nil && s.Proc.Units > 0 {
			return s
		}
	}
	return nil
}

// isLimit reports whether a failure is a limit crossed: a timeout or the
// memory cap.
func isLimit(f *results.Record) bool {
	return f != nil && (f.ErrorKind == string(runners.KindTimeout) || f.ErrorKind == string(runners.KindMemory))
}

// limitStatus words a unit's outcome against the limits, and says
// whether it crossed one, passed, or neither.
func (d *Data) limitStatus(u *unit) (text string, crossed, passed bool) {
	cold := d.unitSeries(u, results.PhaseTotal, true)
	before := ""
	if cold != nil && u.failure != nil { // processes that passed before the one that failed
		before = fmt.Sprintf(" (after %d cold process%s that passed, cold start %s)", cold.Proc.Units, pluralES(cold.Proc.Units), FormatValue(cold.Proc.Center, cold.Unit))
	}
	switch {
	case isLimit(u.failure):
		return "failed: " + FailureText(*u.failure) + before, true, false
	case u.failure != nil:
		return "failed, but not on a limit: " + FailureText(*u.failure) + before, false, false
	}
	if s := cold; s != nil {
		text := "passed, cold start " + centreText(s)
		if in := d.unitSeries(u, results.PhaseInitDuration, true); in != nil {
			text += ", of which init duration " + FormatValue(in.Proc.Center, in.Unit)
		}
		return text, false, true
	}
	if s := d.unitSeries(u, results.PhaseExecute, false); s != nil {
		return "passed (no cold start recorded), warm execute " + centreText(s), false, true
	}
	if u.note != "" {
		return "did not run: " + u.note, false, false
	}
	return "no verified sample", false, false
}

// centreText is a series' geometric mean with its interval's half-width
// and the processes under it.
func centreText(s *Series) string {
	p := s.Proc
	t := FormatValue(p.Center, s.Unit)
	if p.HasCI {
		t += " ±" + pct(p.HalfWidth())
	}
	return t + fmt.Sprintf(" (%d process%s)", p.Units, pluralES(p.Units))
}

func pluralES(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}

func (d *Data) limitVerdict(sc *scenarios.Scenario, units []*unit, v *ScenarioVerdict) {
	v.Method = "each cell either failed on one of Lambda's limits (a failure of kind timeout or memory, whose message names the phase and the limit), " +
		"or passed: every execution verified, its cold start the geometric mean of its cold processes, end to end, with the 95% interval's half-width"
	type tally struct {
		n, crossed, passed int
		// colds are the passed cells' cold starts, unit the series'.
		colds []float64
		unit  string
	}
	side := map[string]*tally{}
	var order []string
	for _, g := range pairGroups(sc.Compare, units) {
		var parts []string
		for _, u := range append(append([]*unit(nil), g.a...), g.b...) {
			text, crossed, passed := d.limitStatus(u)
			val := u.dimValue(sc.Compare.Dim)
			t := side[val]
			if t == nil {
				t = &tally{}
				side[val] = t
				order = append(order, val)
			}
			t.n++
			if crossed {
				t.crossed++
			}
			if passed {
				t.passed++
				if s := d.unitSeries(u, results.PhaseTotal, true); s != nil {
					t.colds, t.unit = append(t.colds, s.Proc.Center), s.Unit
				}
			}
			parts = append(parts, u.label()+" "+text)
		}
		where := g.anyUnit().where()
		v.Lines = append(v.Lines, where+": "+strings.Join(parts, "; "))
	}
	sort.SliceStable(order, func(i, j int) bool { return sideRank(sc.Compare, order[i]) < sideRank(sc.Compare, order[j]) })
	for _, val := range order {
		t := side[val]
		h := fmt.Sprintf("%s %s: %d of %d cells crossed a limit, %d passed", sc.Compare.Dim, val, t.crossed, t.n, t.passed)
		if t.crossed == t.n {
			h = fmt.Sprintf("%s %s: every cell (%d) crossed a limit", sc.Compare.Dim, val, t.n)
		} else if t.passed == t.n {
			h = fmt.Sprintf("%s %s: every cell (%d) passed", sc.Compare.Dim, val, t.n)
		}
		if len(t.colds) > 0 {
			sort.Float64s(t.colds)
			h += ", cold start " + FormatValue(t.colds[0], t.unit)
			if len(t.colds) > 1 {
				h += " to " + FormatValue(t.colds[len(t.colds)-1], t.unit)
			}
		}
		v.Headline = append(v.Headline, h)
	}
}

func (g *pairGroup) anyUnit() *unit {
	if len(g.a) > 0 {
		return g.a[0]
	}
	return g.b[0]
}

// sideRank orders compare values: the baseline's first, as the file
// lists them.
func sideRank(c scenarios.Compare, v string) int {
	for i, x := range append(append([]string(nil), c.A...), c.B...) {
		if x == v {
			return i
		}
	}
	return len(c.A) + len(c.B)
}

// figure is what a faster verdict compares: a phase, cold or warm, and
// how people call it.
type figure struct {
	phase string
	cold  bool
	label string
	// scale multiplies values for display (price per million).
	scale float64
}

var figures = map[string]figure{
	scenarios.FigureCold:   {results.PhaseTotal, true, "cold start", 1},
	scenarios.FigureInit:   {results.PhaseInitDuration, true, "init duration", 1},
	scenarios.FigureWarm:   {results.PhaseExecute, false, "warm execute", 1},
	scenarios.FigureMemory: {results.PhaseMaxMemoryUsed, false, "max memory used", 1},
	scenarios.FigureCost:   {results.PhasePrice, false, "$ per million (warm)", 1e6},
}

// VerdictText words a verdict for a unit: faster/slower for time,
// smaller/larger for sizes, cheaper/dearer for prices (bench compare's
// words, and a scenario's).
func VerdictText(v stats.Verdict, unit string) string {
	better, worse := "better", "worse"
	switch unit {
	case results.UnitNS, results.UnitNSCall:
		better, worse = "faster", "slower"
	case results.UnitBytes:
		better, worse = "smaller", "larger"
	case results.UnitUSD:
		better, worse = "cheaper", "dearer"
	}
	switch v {
	case stats.Better:
		return better
	case stats.Worse:
		return worse
	case stats.Equivalent:
		return "equivalent"
	}
	return "inconclusive"
}

func (d *Data) fasterVerdict(sc *scenarios.Scenario, units []*unit, v *ScenarioVerdict) {
	v.Method = fmt.Sprintf("each %s of %s is set against each of %s that agrees with it on everything else; per figure, the ratio of the geometric means of the processes "+
		"with its 95%% interval (Welch's t-test on their logarithms), Benjamini-Hochberg across the verdict's rows at a %.0f%% false discovery rate; "+
		"equivalent when the whole interval lies within ±%.0f%%; never a verdict from fewer than %d processes a side (bench compare's method)",
		sc.Compare.Dim, strings.Join(sc.Compare.B, ", "), strings.Join(sc.Compare.A, ", "), 100*DefaultAlpha, 100*DefaultThreshold, stats.MinUnits)
	type row struct {
		a, b *unit
		fig  string
		sa   *Series
		sb   *Series
		cmp  stats.Comparison
		miss string
	}
	var rows []*row
	for _, g := range pairGroups(sc.Compare, units) {
		for _, b := range g.b {
			for _, a := range g.a {
				// A cell that failed (or did not run) before measuring any
				// figure makes one row, not one per figure.
				for _, u := range []*unit{a, b} {
					if !d.hasFigure(u, sc.Figures) && (u.failure != nil || u.note != "") {
						rows = append(rows, &row{a: a, b: b, miss: u.label() + " measured none of the figures" + missing(u)})
						break
					}
				}
				if len(rows) > 0 && rows[len(rows)-1].a == a && rows[len(rows)-1].b == b && rows[len(rows)-1].fig == "" {
					continue
				}
				for _, f := range sc.Figures {
					fg := figures[f]
					r := &row{a: a, b: b, fig: f, sa: d.unitSeries(a, fg.phase, fg.cold), sb: d.unitSeries(b, fg.phase, fg.cold)}
					switch {
					case r.sa == nil && r.sb == nil:
						continue // neither measured it (a local target has no init duration)
					case r.sa == nil:
						r.miss = a.label() + " has no " + fg.label + missing(a)
					case r.sb == nil:
						r.miss = b.label() + " has no " + fg.label + missing(b)
					default:
						r.cmp = stats.Compare(r.sa.Groups, r.sb.Groups, stats.CompareOptions{Threshold: DefaultThreshold, Alpha: DefaultAlpha})
					}
					rows = append(rows, r)
				}
			}
		}
	}
	var fam []*stats.Comparison
	for _, r := range rows {
		if r.miss == "" {
			fam = append(fam, &r.cmp)
		}
	}
	stats.ControlFDR(fam)

	type count struct {
		words map[string]int
		n     int
	}
	tallies := map[string]map[string]*count{} // B value -> figure -> verdict words
	var bOrder []string
	for _, r := range rows {
		fg := figures[r.fig]
		if r.fig == "" {
			fg.label = "every figure"
		}
		head := r.b.label() + " vs " + r.a.label() + ", " + fg.label + ", " + r.a.where() + ": "
		bv := r.b.dimValue(sc.Compare.Dim)
		if tallies[bv] == nil {
			tallies[bv] = map[string]*count{}
			bOrder = append(bOrder, bv)
		}
		c := tallies[bv][r.fig]
		if c == nil {
			c = &count{words: map[string]int{}}
			tallies[bv][r.fig] = c
		}
		c.n++
		if r.miss != "" {
			c.words["not measured"]++
			v.Lines = append(v.Lines, head+"not measured: "+r.miss)
			continue
		}
		w := VerdictText(r.cmp.Verdict, r.sa.Unit)
		c.words[w]++
		unit := r.sa.Unit
		val := func(x float64) string {
			if fg.scale != 1 {
				return FormatUSD(x * fg.scale)
			}
			return FormatValue(x, unit)
		}
		line := head + val(r.cmp.NewCenter) + " vs " + val(r.cmp.OldCenter)
		if r.cmp.Ratio > 0 {
			line += ", " + FormatRatio(r.cmp.Ratio)
			if r.cmp.HasCI && !r.cmp.Exact {
				line += " (" + ratioRange(r.cmp.Lo, r.cmp.Hi) + ")"
			}
		}
		line += ": " + w
		if r.cmp.Verdict == stats.Inconclusive && r.cmp.Note != "" {
			line += " (" + r.cmp.Note + ")"
		}
		v.Lines = append(v.Lines, line)
	}
	sort.SliceStable(bOrder, func(i, j int) bool { return sideRank(sc.Compare, bOrder[i]) < sideRank(sc.Compare, bOrder[j]) })
	for _, bv := range bOrder {
		var parts []string
		for _, f := range append(append([]string(nil), sc.Figures...), "") {
			c := tallies[bv][f]
			if c == nil {
				continue
			}
			if f == "" {
				parts = append(parts, fmt.Sprintf("not measured in %d pair%s (a cell failed or did not run)", c.n, plural(c.n)))
				continue
			}
			var ws []string
			for _, w := range []string{"faster", "smaller", "cheaper", "better", "equivalent", "slower", "larger", "dearer", "worse", "inconclusive", "not measured"} {
				if n := c.words[w]; n > 0 {
					ws = append(ws, fmt.Sprintf("%s %d of %d", w, n, c.n))
				}
			}
			parts = append(parts, figures[f].label+" "+strings.Join(ws, ", "))
		}
		v.Headline = append(v.Headline, fmt.Sprintf("%s %s against %s: %s", sc.Compare.Dim, bv, strings.Join(sc.Compare.A, ", "), strings.Join(parts, "; ")))
	}
}

// hasFigure reports whether the unit has a series of any of figs.
func (d *Data) hasFigure(u *unit, figs []string) bool {
	for _, f := range figs {
		if d.unitSeries(u, figures[f].phase, figures[f].cold) != nil {
			return true
		}
	}
	return false
}

// missing says why a unit has no series of a figure.
func missing(u *unit) string {
	switch {
	case u.failure != nil:
		return " (failed: " + FailureText(*u.failure) + ")"
	case u.note != "":
		return " (did not run: " + u.note + ")"
	}
	return ""
}

// Lambda@Edge's limits on a zipped function package.
const (
	edgeViewer = lambdalimits.EdgeViewerZipBytes
	edgeOrigin = lambdalimits.EdgeOriginZipBytes
)

func (d *Data) packageVerdict(units []*unit, v *ScenarioVerdict) {
	v.Method = fmt.Sprintf("each cell's deployment package as the target built it (the zip: bootstrap, module, and the artifact for AOT), against Lambda@Edge's zipped limits: "+
		"%s for viewer triggers, %s for origin triggers (1 MB = 1,048,576 bytes)", limitMB(edgeViewer), limitMB(edgeOrigin))
	var n, viewer, origin int
	var smallest, largest *unit
	var sizes = map[*unit]float64{}
	for _, u := range units {
		var s *Series
		for _, vr := range u.variants {
			if k := (Key{Cell: u.cell, Phase: results.PhasePackageBytes, Cold: true, Variant: vr}); d.Get(k) != nil {
				s = d.Get(k)
			} else if k.Cold = false; d.Get(k) != nil {
				s = d.Get(k)
			}
			if s != nil {
				break
			}
		}
		if s == nil {
			if u.failure != nil || u.note != "" {
				v.Lines = append(v.Lines, u.label()+" at "+u.where()+": no package"+missing(u))
			}
			continue
		}
		size := s.Summary.Median
		if !strings.Contains(" "+s.Variant+" ", " pkg=zip ") {
			v.Lines = append(v.Lines, fmt.Sprintf("%s at %s: a %s package of %s, not a zip: Lambda@Edge takes zips only", u.label(), u.where(),
				strings.TrimPrefix(firstField(s.Variant, "pkg="), "pkg="), FormatBytes(size)))
			continue
		}
		n++
		sizes[u] = size
		if smallest == nil || size < sizes[smallest] {
			smallest = u
		}
		if largest == nil || size > sizes[largest] {
			largest = u
		}
		var fit string
		switch {
		case size <= edgeViewer:
			viewer++
			origin++
			fit = "fits both viewer and origin triggers"
		case size <= edgeOrigin:
			origin++
			fit = fmt.Sprintf("fits origin triggers only (%s over the viewer limit)", FormatBytes(size-edgeViewer))
		default:
			fit = fmt.Sprintf("fits neither (%s over the origin limit)", FormatBytes(size-edgeOrigin))
		}
		v.Lines = append(v.Lines, fmt.Sprintf("%s at %s: %s zipped, %s", u.label(), u.where(), FormatBytes(size), fit))
	}
	if n == 0 {
		return
	}
	v.Headline = []string{
		fmt.Sprintf("%d of %d zipped packages fit a viewer trigger (%s); %d of %d fit an origin trigger (%s)", viewer, n, limitMB(edgeViewer), origin, n, limitMB(edgeOrigin)),
		fmt.Sprintf("smallest %s (%s at %s), largest %s (%s at %s)", FormatBytes(sizes[smallest]), smallest.label(), smallest.where(),
			FormatBytes(sizes[largest]), largest.label(), largest.where()),
	}
}

// limitMB words a limit as Lambda's documentation does: "50 MB".
func limitMB(b int64) string { return strconv.FormatInt(b>>20, 10) + " MB" }

func firstField(variant, prefix string) string {
	for _, f := range strings.Fields(variant) {
		if strings.HasPrefix(f, prefix) {
			return f
		}
	}
	return ""
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TextLines are the verdict's head as key and text: the scenario, its
// question, the verdict, the published figures and the method (the rows
// are in Lines).
func (v *ScenarioVerdict) TextLines() [][2]string {
	if v.Err != "" {
		return [][2]string{{"scenario", v.Err}}
	}
	out := [][2]string{{"scenario", v.Name}, {"question", v.Question}}
	for i, h := range v.Headline {
		k := ""
		if i == 0 {
			k = "verdict"
		}
		out = append(out, [2]string{k, h})
	}
	for i, s := range v.Story {
		k := ""
		if i == 0 {
			k = "published"
		}
		out = append(out, [2]string{k, s})
	}
	out = append(out, [2]string{"how", v.Method})
	return out
}

// writeText writes the verdict as the text summary opens with it: the
// head (TextLines) in two columns, then one row a line.
func (v *ScenarioVerdict) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range v.TextLines() {
		fmt.Fprintf(tw, "%s\t%s\n", l[0], l[1])
	}
	tw.Flush()
	for _, l := range v.Lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintln(w)
}

// writeMarkdown writes the verdict as report.md opens with it.
func (v *ScenarioVerdict) writeMarkdown(b *strings.Builder) {
	if v.Err != "" {
		fmt.Fprintf(b, "> **Scenario** %s\n\n", mdEscape(v.Err))
		return
	}
	fmt.Fprintf(b, "### %s\n\n**Scenario** %s  \n**Verdict**\n\n", mdEscape(v.Question), mdEscape(v.Name))
	for _, h := range v.Headline {
		fmt.Fprintf(b, "- %s\n", mdEscape(h))
	}
	if len(v.Story) > 0 {
		b.WriteString("\n**Published**\n\n")
		for _, s := range v.Story {
			fmt.Fprintf(b, "- %s\n", mdEscape(s))
		}
	}
	b.WriteString("\n")
	for _, l := range v.Lines {
		fmt.Fprintf(b, "- %s\n", mdEscape(l))
	}
	fmt.Fprintf(b, "\n**How** %s.\n\n", mdEscape(v.Method))
}
