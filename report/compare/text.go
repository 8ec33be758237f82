package compare

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/report/stats"
)

// identical rows (a size that did not change) are counted, not shown.
func (row Row) identical() bool { return row.Cmp.Exact && row.Cmp.Ratio == 1 }

type section struct {
	title string
	rows  []Row
}

func (r *Result) sections() []section {
	var out []section
	idx := map[string]int{}
	for _, row := range r.Rows {
		k := row.Key
		t := k.Target + " · " + report.ParamLabel(k.Workload, k.Param)
		i, ok := idx[t]
		if !ok {
			i = len(out)
			idx[t] = i
			out = append(out, section{title: t})
		}
		out[i].rows = append(out[i].rows, row)
	}
	var shown []section
	for _, sec := range out {
		for _, row := range sec.rows {
			if !row.identical() {
				shown = append(shown, sec)
				break
			}
		}
	}
	return shown
}

// cells renders one row's columns (after lang and runtime): the two
// sides' centres (geometric means of their process units), the processes
// per side, the ratio, its interval, p, q and the verdict.
func (row Row) cells() (old, new, procs, ratio, ci, p, q, verdict string) {
	c := row.Cmp
	old = report.FormatValue(c.OldCenter, row.Unit)
	new = report.FormatValue(c.NewCenter, row.Unit)
	procs = fmt.Sprintf("%d/%d", c.N1, c.N2)
	if c.Ratio > 0 {
		ratio = fmt.Sprintf("%.3f×", c.Ratio)
	} else {
		ratio = "—"
	}
	p, q = "-", "-"
	switch {
	case c.Exact:
		ci = "exact"
	case c.HasCI:
		ci = fmt.Sprintf("%.3f–%.3f", c.Lo, c.Hi)
		p, q = fmt.Sprintf("%.3f", c.P), fmt.Sprintf("%.3f", c.Q)
	default:
		ci = "—"
	}
	verdict = VerdictText(c.Verdict, row.Unit)
	switch c.Verdict {
	case stats.Better, stats.Worse:
		verdict += " " + report.FormatPercent(c.Ratio-1)
	case stats.Inconclusive:
		verdict += ": " + inconclusiveWhy(c)
	}
	if row.Regression {
		verdict += "  REGRESSION"
	}
	return
}

// inconclusiveWhy says why a comparison settled nothing, and what would.
func inconclusiveWhy(c stats.Comparison) string {
	var why []string
	if c.Note != "" {
		why = append(why, c.Note)
	} else if c.HasCI && c.P <= c.Alpha && c.Q > c.Alpha {
		why = append(why, fmt.Sprintf("not significant once corrected for the rows compared (q=%.3f)", c.Q))
	}
	switch {
	case c.Note != "":
	case c.Processes > 0 && c.Processes <= 1000:
		why = append(why, fmt.Sprintf("~%d processes per side would likely settle it", c.Processes))
	case c.HasCI:
		why = append(why, "over 1000 processes per side would be needed: the difference is small for this spread")
	}
	return strings.Join(why, "; ")
}

func variantCol(k report.Key) string {
	if k.Variant == "" {
		return "-"
	}
	return k.Variant
}

// WriteText writes the comparison as text tables.
func (r *Result) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	writeLines(tw, r.headerLines())
	tw.Flush()
	hasVariant := false
	for _, row := range r.Rows {
		hasVariant = hasVariant || row.Key.Variant != ""
	}
	for _, sec := range r.sections() {
		fmt.Fprintf(ew, "\n%s\n", sec.title)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		head := "  lang\truntime\t"
		if hasVariant {
			head += "variant\t"
		}
		fmt.Fprintln(tw, head+"phase\told\tnew\tprocs\tnew/old\t95% CI\tp\tq\tverdict")
		for _, row := range sec.rows {
			if row.identical() {
				continue
			}
			old, new, procs, ratio, ci, p, q, verdict := row.cells()
			line := "  " + dash(row.Key.Lang) + "\t" + report.RTLabel(row.Key.Runtime, row.Key.Tier) + "\t"
			if hasVariant {
				line += variantCol(row.Key) + "\t"
			}
			fmt.Fprintln(tw, line+strings.Join([]string{PhaseLabel(row.Key), old, new, procs, ratio, ci, p, q, verdict}, "\t"))
		}
		tw.Flush()
	}
	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	writeLines(tw, r.footerLines())
	tw.Flush()
	return ew.err
}

func (r *Result) headerLines() [][2]string {
	var out [][2]string
	line := func(k, format string, args ...any) { out = append(out, [2]string{k, fmt.Sprintf(format, args...)}) }
	side := func(name string, d *report.Data) string {
		s := name
		if d.Env != nil {
			s += ": " + report.Fingerprint(*d.Env)
		} else {
			s += ": no env line (machine unknown)"
		}
		return s
	}
	line("old", "%s", side(r.OldName, r.Old))
	line("new", "%s", side(r.NewName, r.New))
	for _, x := range []struct {
		name string
		d    *report.Data
	}{{"old", r.Old}, {"new", r.New}} {
		for _, warn := range x.d.Warnings() {
			line("warning", "%s: %s", x.name, warn)
		}
	}
	if r.DifferentMachines {
		line("warning", "OLD and NEW ran on different machines: every ratio below measures the machines as much as the change")
	}
	for _, n := range r.NoiseDiffs {
		line("warning", "%s", n)
	}
	if len(r.EnvDiffs) > 0 {
		what := "note"
		if r.DifferentMachines {
			what = "differs"
		}
		for _, d := range r.EnvDiffs {
			line(what, "%s: %s (old) vs %s (new)", d.Field, d.Old, d.New)
		}
	}
	for _, x := range []struct {
		name string
		n    report.Noise
	}{{"old", r.OldNoise}, {"new", r.NewNoise}} {
		if t := noiseText(x.n); t != "" {
			line("noise", "%s: %s", x.name, t)
		}
	}
	for _, l := range MethodLines(r.Threshold, r.Alpha, r.Tested) {
		line(l[0], "%s", l[1])
	}
	return out
}

// MethodLines name the method of a compare, its decision rules and its
// assumptions: the header of the text, Markdown and JSON outputs.
func MethodLines(threshold, alpha float64, tested int) [][2]string {
	th := strings.TrimPrefix(report.FormatPercent(threshold), "+")
	return [][2]string{
		{"method", stats.MethodName},
		{"", fmt.Sprintf("new/old: ratio of the geometric means of the process units, with its %.0f%% interval; p: the t-test on log units; "+
			"q: p adjusted by Benjamini-Hochberg across the %d tested rows", 100*stats.Confidence, tested)},
		{"verdicts", fmt.Sprintf("faster/slower when q <= %.2f (a false discovery rate of %.0f%% across this compare); equivalent when the interval lies within ±%s; "+
			"inconclusive otherwise, and always below %d processes per side; sizes are compared exactly", alpha, 100*alpha, th, stats.MinUnits)},
		{"assumes", stats.MethodAssumptions + "; processes needed: if the true ratio is the estimate and the spread at most its " +
			fmt.Sprintf("%.0f%% upper confidence bound, with %.0f%% power, before the correction for many rows", 100*stats.SpreadBound, 100*stats.Power)},
	}
}

// noiseText is one run's calibration spread and load, in a few words.
func noiseText(n report.Noise) string {
	var parts []string
	if n.HasSpread {
		t := fmt.Sprintf("calibration spread %.1f%% between processes (%d processes)", 100*n.Spread, n.Units)
		if n.Drifted {
			t += fmt.Sprintf(", drifted %.3f× from start to end", n.Drift.Ratio)
		}
		parts = append(parts, t)
	}
	for _, l := range []struct {
		when string
		v    []float64
	}{{"start", n.LoadStart}, {"end", n.LoadEnd}} {
		if len(l.v) == 3 {
			parts = append(parts, fmt.Sprintf("load %.2f at the %s", l.v[0], l.when))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *Result) footerLines() [][2]string {
	var out [][2]string
	line := func(k, format string, args ...any) { out = append(out, [2]string{k, fmt.Sprintf(format, args...)}) }
	var geo []string
	for _, g := range r.Geomeans {
		geo = append(geo, fmt.Sprintf("%s %.3f× (%s) over %d", unitClass(g.Unit), g.Ratio, report.FormatPercent(g.Ratio-1), g.N))
	}
	if len(geo) > 0 {
		line("geomean", "%s", strings.Join(geo, "; "))
	}
	count := map[string]int{}
	for _, row := range r.Rows {
		count[VerdictText(row.Cmp.Verdict, row.Unit)]++
	}
	var vs []string
	for _, v := range []string{"faster", "slower", "smaller", "larger", "cheaper", "dearer", "better", "worse", "equivalent", "inconclusive"} {
		if count[v] > 0 {
			vs = append(vs, fmt.Sprintf("%d %s", count[v], v))
		}
	}
	line("verdicts", "%d compared: %s", len(r.Rows), strings.Join(vs, ", "))
	identical := 0
	for _, row := range r.Rows {
		if row.identical() {
			identical++
		}
	}
	if identical > 0 {
		line("identical", "%d sizes are byte-for-byte the same in both runs (not listed above)", identical)
	}
	if r.FailOnRegression > 0 {
		reg := r.Regressions()
		line("regressions", "%d significantly worse by more than %s (q <= %.2f and the interval above %.3f×)", len(reg),
			strings.TrimPrefix(report.FormatPercent(r.FailOnRegression), "+"), r.Alpha, 1+r.FailOnRegression)
		for _, row := range reg {
			line("", "%s · %s: %.3f× (%.3f–%.3f)", keyLabel(row.Key), PhaseLabel(row.Key), row.Cmp.Ratio, row.Cmp.Lo, row.Cmp.Hi)
		}
	}
	for _, side := range []struct {
		name string
		keys []report.Key
	}{{"only in old", r.OnlyOld}, {"only in new", r.OnlyNew}} {
		for i, l := range groupKeys(side.keys) {
			label := ""
			if i == 0 {
				label = fmt.Sprintf("%s (%d)", side.name, len(groupKeys(side.keys)))
			}
			line(label, "%s", l)
		}
	}
	return out
}

func writeLines(w io.Writer, lines [][2]string) {
	for _, l := range lines {
		fmt.Fprintf(w, "%s\t%s\n", l[0], l[1])
	}
}

func unitClass(u string) string {
	switch u {
	case "ns":
		return "time"
	case "ns/call":
		return "call time"
	case "bytes":
		return "size"
	case "usd":
		return "price"
	}
	return u
}

// keyLabel names a series' cell: "local · fib(25) · c · wazero jit".
func keyLabel(k report.Key) string {
	parts := []string{k.Target, report.ParamLabel(k.Workload, k.Param)}
	if k.Lang != "" {
		parts = append(parts, k.Lang)
	}
	parts = append(parts, report.RTLabel(k.Runtime, k.Tier))
	if k.Variant != "" {
		parts = append(parts, k.Variant)
	}
	return strings.Join(parts, " · ")
}

// groupKeys lists one-sided series by cell: "cell: phase, phase".
func groupKeys(keys []report.Key) []string {
	var order []string
	phases := map[string][]string{}
	for _, k := range keys {
		l := keyLabel(k)
		if _, ok := phases[l]; !ok {
			order = append(order, l)
		}
		phases[l] = append(phases[l], PhaseLabel(k))
	}
	var out []string
	for _, l := range order {
		out = append(out, l+": "+strings.Join(phases[l], ", "))
	}
	return out
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}
