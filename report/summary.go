package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Summary writes the text summary of a run's records to w: the machine,
// what was counted and left out, one table per target, workload and
// parameter (warm median with its 95% confidence interval, samples,
// spread, outliers, cold start, ratio to the native build of the same
// source), then failures and notes. bench run prints it at the end and
// bench report prints it and saves it as summary.txt.
func Summary(w io.Writer, recs []results.Record) error {
	return FromRecords(recs).WriteSummary(w)
}

// WriteSummary writes d's text summary (see Summary).
func (d *Data) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	if d.Env != nil {
		fmt.Fprintf(tw, "machine\t%s\n", Fingerprint(*d.Env))
		if rl := runLine(*d.Env); rl != "" {
			fmt.Fprintf(tw, "run\t%s\n", rl)
		}
	}
	fmt.Fprintf(tw, "samples\t%s\n", d.countLine())
	for _, warn := range d.Warnings() {
		fmt.Fprintf(tw, "warning\t%s\n", warn)
	}
	tw.Flush()

	for _, sec := range d.Sections() {
		fmt.Fprintf(ew, "\n%s\n", sec.Title())
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		main := "warm execute"
		if sec.MainPhase == "call" {
			main = "per call"
		}
		head := []string{"lang", "runtime"}
		if sec.HasVariants() {
			head = append(head, "variant")
		}
		head = append(head, main, "95% CI of median", "n", "CV", "outliers", "cold start", "vs native")
		fmt.Fprintf(tw, "  %s\n", strings.Join(head, "\t"))
		for _, r := range sec.Rows {
			cols := []string{dash(r.Cell.Lang), RTLabel(r.Cell.Runtime, r.Cell.Tier)}
			if sec.HasVariants() {
				cols = append(cols, dash(r.Distinct))
			}
			cols = append(cols, mainCols(r.Main)...)
			cols = append(cols, coldCol(r), nativeCol(r))
			fmt.Fprintf(tw, "  %s\n", strings.Join(cols, "\t"))
		}
		tw.Flush()
	}
	if len(d.Failures) > 0 {
		fmt.Fprintf(ew, "\nfailures (%d)\n", len(d.Failures))
		for _, f := range d.Failures {
			fmt.Fprintf(ew, "  %s: %s\n", FailureCell(f), FailureText(f))
		}
	}
	if len(d.Notes) > 0 {
		fmt.Fprintf(ew, "\nnotes (%d)\n", len(d.Notes))
		for _, n := range d.Notes {
			fmt.Fprintf(ew, "  %s\n", NoteText(n))
		}
	}
	return ew.err
}

func mainCols(s *Series) []string {
	if s == nil {
		return []string{"—", "", "", "", ""}
	}
	m := s.Summary
	ci := m.CINote
	if m.HasCI {
		ci = FormatValue(m.CILo, s.Unit) + " – " + FormatValue(m.CIHi, s.Unit)
	} else if m.N > 0 {
		ci = fmt.Sprintf("n<%d: no CI", stats.MinCISamples())
	}
	out := "-"
	if len(m.Outliers) > 0 {
		out = itoa(len(m.Outliers))
	}
	cv := "-"
	if m.N > 1 {
		cv = fmt.Sprintf("%.1f%%", 100*m.CV)
	}
	return []string{FormatValue(m.Median, s.Unit), ci, itoa(m.N), cv, out}
}

func coldCol(r Row) string {
	switch {
	case r.ColdTotal != nil:
		return FormatValue(r.ColdTotal.Summary.Median, r.ColdTotal.Unit)
	case r.ColdSum > 0:
		return "Σ " + FormatDuration(r.ColdSum)
	}
	return "—"
}

func nativeCol(r Row) string {
	switch {
	case r.IsNative:
		return "1 (native)"
	case r.VsNative == nil:
		return "—"
	case r.VsNative.HasCI:
		return FormatRatio(r.VsNative.Ratio) + " (" + ratioRange(r.VsNative.Lo, r.VsNative.Hi) + ")"
	}
	return FormatRatio(r.VsNative.Ratio)
}

// ratioRange renders a ratio interval with the precision of its ends.
func ratioRange(lo, hi float64) string {
	return strings.TrimSuffix(FormatRatio(lo), "×") + "–" + FormatRatio(hi)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runLine(e results.Env) string {
	var parts []string
	if e.BenchVersion != "" || e.Commit != "" {
		b := "bench " + dash(e.BenchVersion)
		if e.Commit != "" {
			b += " (" + e.Commit + ")"
		}
		parts = append(parts, b)
	}
	if e.GoVersion != "" {
		parts = append(parts, e.GoVersion)
	}
	if e.Started != "" {
		parts = append(parts, "started "+e.Started)
	}
	return strings.Join(parts, ", ")
}

func (d *Data) countLine() string {
	cells := map[string]bool{}
	for _, s := range d.Series {
		cells[s.Cell.Key()+"|"+s.Variant] = true
	}
	line := fmt.Sprintf("%d counted in %d cells", d.Counted, len(cells))
	var left []string
	if d.Warmups > 0 {
		left = append(left, fmt.Sprintf("%d warm-up", d.Warmups))
	}
	if d.Unverified > 0 {
		left = append(left, fmt.Sprintf("%d unverified", d.Unverified))
	}
	if len(left) > 0 {
		line += "; left out: " + strings.Join(left, ", ")
	}
	if n := len(d.Failures); n > 0 {
		line += fmt.Sprintf("; %d failure%s", n, plural(n))
	}
	return line
}

// FailureCell names a failure's cell for people.
func FailureCell(f results.Record) string {
	parts := []string{}
	for _, p := range []string{f.Target, ParamLabel(f.Workload, f.Param), f.Lang, RTLabel(f.Runtime, f.Tier)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "run"
	}
	return strings.Join(parts, " · ")
}

// FailureText is a failure's kind and error on one line.
func FailureText(f results.Record) string {
	msg := oneLine(f.Error)
	if msg == "" {
		msg = "failed (no error recorded)"
	}
	if f.ErrorKind != "" {
		msg = f.ErrorKind + ": " + msg
	}
	return msg
}

// NoteText is a note with the cell it is about, on one line.
func NoteText(n results.Record) string {
	text := oneLine(n.Note)
	if text == "" {
		text = oneLine(n.Error)
	}
	if c := FailureCell(n); c != "run" {
		return c + ": " + text
	}
	return text
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
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
