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

// cells renders one row's columns (after lang and runtime).
func (row Row) cells() (old, new, ratio, ci, p, verdict string) {
	c := row.Cmp
	old = report.FormatValue(c.OldMedian, row.Unit)
	new = report.FormatValue(c.NewMedian, row.Unit)
	if c.Ratio > 0 {
		ratio = fmt.Sprintf("%.3f×", c.Ratio)
	} else {
		ratio = "—"
	}
	switch {
	case c.Exact:
		ci, p = "exact", "-"
	case c.HasCI:
		ci = fmt.Sprintf("%.3f–%.3f", c.Lo, c.Hi)
		p = fmt.Sprintf("%.3f", c.P)
	default:
		ci = "—"
		p = fmt.Sprintf("%.3f", c.P)
	}
	verdict = VerdictText(c.Verdict, row.Unit)
	switch c.Verdict {
	case stats.Better, stats.Worse:
		verdict += " " + report.FormatPercent(c.Ratio-1)
	case stats.Inconclusive:
		switch {
		case c.Note != "":
			verdict += ": " + c.Note
		case c.MoreSamples > 0:
			verdict += fmt.Sprintf(": ~%d more samples per side would likely settle it", c.MoreSamples)
		}
	}
	if row.Regression {
		verdict += "  REGRESSION"
	}
	return
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
		fmt.Fprintln(tw, head+"phase\told\tnew\tnew/old\t95% CI\tp\tverdict")
		for _, row := range sec.rows {
			if row.identical() {
				continue
			}
			old, new, ratio, ci, p, verdict := row.cells()
			line := "  " + dash(row.Key.Lang) + "\t" + report.RTLabel(row.Key.Runtime, row.Key.Tier) + "\t"
			if hasVariant {
				line += variantCol(row.Key) + "\t"
			}
			fmt.Fprintln(tw, line+strings.Join([]string{PhaseLabel(row.Key), old, new, ratio, ci, p, verdict}, "\t"))
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
	if len(r.EnvDiffs) > 0 {
		what := "note"
		if r.DifferentMachines {
			what = "differs"
		}
		for _, d := range r.EnvDiffs {
			line(what, "%s: %s (old) vs %s (new)", d.Field, d.Old, d.New)
		}
	}
	line("method", "new/old: Hodges-Lehmann ratio with Moses' 95%% interval; p: Mann-Whitney U; equivalent: interval within ±%s; alpha %.2f",
		strings.TrimPrefix(report.FormatPercent(r.Threshold), "+"), r.Alpha)
	return out
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
		line("regressions", "%d significantly worse by more than %s", len(reg), strings.TrimPrefix(report.FormatPercent(r.FailOnRegression), "+"))
		for _, row := range reg {
			line("", "%s · %s: %.3f× (%s)", keyLabel(row.Key), PhaseLabel(row.Key), row.Cmp.Ratio, report.FormatPercent(row.Cmp.Ratio-1))
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
