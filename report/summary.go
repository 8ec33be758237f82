package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Summary writes the text summary of a run's records to w: the machine,
// the noise and the method, what was counted and left out, one table per
// target, workload and parameter (warm execute and cold start, each the
// geometric mean of its processes with the 95% interval's half-width, the
// spread between and within processes, outliers, the ratio to the native
// build of the same source), how each cell stopped sampling, then
// failures and notes. bench run prints it at the end and bench report
// prints it and saves it as summary.txt.
func Summary(w io.Writer, recs []results.Record) error {
	return SummaryStrategy(w, recs, StrategyBalanced)
}

// SummaryStrategy is Summary with the power-tuning section leading with
// strategy's recommendation.
func SummaryStrategy(w io.Writer, recs []results.Record, strategy Strategy) error {
	d := FromRecords(recs)
	d.Strategy = strategy
	return d.WriteSummary(w)
}

// MethodLines name the statistical method, its assumptions and how to
// read the columns, for summary.txt and report.md.
func MethodLines() []string {
	return []string{
		stats.MethodName,
		"assumes " + stats.MethodAssumptions,
		fmt.Sprintf("±95%%: the 95%% interval's larger side (n<%d: too few processes for one); between: spread of the process units (about their CV); "+
			"within: spread of executions inside a process", stats.MinUnits),
		"vs native: ratio to the native build of the same source with its 95% interval; n.s.: not significant " +
			"(Benjamini-Hochberg across the run's ratios, false discovery rate 5%)",
	}
}

// MethodText is MethodLines in one paragraph, each a sentence.
func MethodText() string {
	var b strings.Builder
	for _, l := range MethodLines() {
		b.WriteString(strings.ToUpper(l[:1]) + l[1:] + ". ")
	}
	return strings.TrimSpace(b.String())
}

// WriteSummary writes d's text summary (see Summary).
func (d *Data) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	if v := d.Verdict(); v != nil {
		v.writeText(ew)
	}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	if d.Env != nil {
		fmt.Fprintf(tw, "machine\t%s\n", Fingerprint(*d.Env))
		if rl := runLine(*d.Env); rl != "" {
			fmt.Fprintf(tw, "run\t%s\n", rl)
		}
	}
	fmt.Fprintf(tw, "samples\t%s\n", d.countLine())
	for _, l := range d.Noise().Lines() {
		fmt.Fprintf(tw, "%s\t%s\n", l[0], l[1])
	}
	for i, l := range MethodLines() {
		k := ""
		if i == 0 {
			k = "method"
		}
		fmt.Fprintf(tw, "%s\t%s\n", k, l)
	}
	for _, warn := range d.Warnings() {
		fmt.Fprintf(tw, "warning\t%s\n", warn)
	}
	tw.Flush()

	for _, sec := range d.Sections() {
		fmt.Fprintf(ew, "\n%s\n", sec.Title())
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		main := "warm execute"
		if sec.MainPhase == results.PhaseCall {
			main = "per call"
		}
		head := []string{"lang", "runtime"}
		if sec.HasVariants() {
			head = append(head, "variant")
		}
		head = append(head, main, "±95%", "procs", "runs", "between", "within", "outliers", "cold start", "±95%", "procs", "vs native (95% CI)")
		writeRow(tw, head)
		for _, r := range sec.Rows {
			cols := []string{dash(r.Cell.Lang), RTLabel(r.Cell.Runtime, r.Cell.Tier)}
			if sec.HasVariants() {
				cols = append(cols, dash(r.Distinct))
			}
			cols = append(cols, mainCols(r)...)
			cols = append(cols, coldCols(r)...)
			cols = append(cols, nativeCol(r))
			writeRow(tw, cols)
		}
		tw.Flush()
	}
	d.writePowerTuning(ew)
	d.writePackages(ew)
	d.writeSoakSummary(ew) // soak_render.go
	if lines := d.samplingLines(); len(lines) > 0 {
		fmt.Fprintf(ew, "\nsampling\n")
		for _, l := range lines {
			fmt.Fprintf(ew, "  %s\n", l)
		}
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

// writeRow writes a table row of tab-separated columns.
func writeRow(tw io.Writer, cols []string) {
	fmt.Fprintln(tw, "  "+strings.Join(cols, "\t"))
}

// mainCols are a row's warm (or per-call) columns: centre, ±, processes,
// executions, between, within, outliers.
func mainCols(r Row) []string {
	s := r.Main
	if s == nil || s.Proc.Units == 0 {
		return []string{"—", "", "", "", "", "", ""}
	}
	p := s.Proc
	between, within := "-", "-"
	if p.Units >= 2 {
		between = pct(p.Between)
		if r.Noisy {
			between += " !"
		}
	}
	if p.HasWithin {
		within = pct(p.Within)
	}
	out := "-"
	if n := len(s.Summary.Outliers); n > 0 {
		out = itoa(n)
	}
	return []string{FormatValue(p.Center, s.Unit), halfWidth(p), itoa(p.Units), itoa(p.Values), between, within, out}
}

// coldCols are a row's cold start columns: centre, ±, processes.
func coldCols(r Row) []string {
	switch {
	case r.ColdTotal != nil:
		p := r.ColdTotal.Proc
		return []string{FormatValue(p.Center, r.ColdTotal.Unit), halfWidth(p), itoa(p.Units)}
	case r.ColdSum > 0:
		return []string{"Σ " + FormatDuration(r.ColdSum), "", ""}
	}
	return []string{"—", "", ""}
}

func nativeCol(r Row) string {
	c := r.VsNative
	switch {
	case r.IsNative:
		return "1 (native)"
	case c == nil || !(c.Ratio > 0):
		return "—"
	case c.HasCI && !c.Significant():
		return FormatRatio(c.Ratio) + " (" + ratioRange(c.Lo, c.Hi) + ") n.s."
	case c.HasCI:
		return FormatRatio(c.Ratio) + " (" + ratioRange(c.Lo, c.Hi) + ")"
	case c.N1 < stats.MinUnits || c.N2 < stats.MinUnits:
		return FormatRatio(c.Ratio) + fmt.Sprintf(" (n<%d)", stats.MinUnits)
	}
	return FormatRatio(c.Ratio) + " (no interval)"
}

// samplingLines say how the cells stopped sampling: how many reached the
// precision target, and each that stopped short of it.
func (d *Data) samplingLines() []string {
	if len(d.Sampling) == 0 {
		return nil
	}
	reached := 0
	var short []string
	for _, sec := range d.Sections() {
		for _, r := range sec.Rows {
			n, ok := d.Sampling[r.Cell.KeyIn(variantMemory(r.Variant), variantValue(r.Variant, "arch"), variantValue(r.Variant, "pkg"))]
			if !ok { // a target that stamps its own architecture on some records (lambda-local's price)
				n, ok = d.Sampling[r.Cell.KeyAt(variantMemory(r.Variant))]
			}
			if !ok { // a run from before memory sweeps: one note per cell
				n, ok = d.Sampling[r.Cell.Key()]
			}
			if !ok {
				continue
			}
			if StoppedOnBudget(n) {
				short = append(short, FailureCell(results.Record{Cell: r.Cell, MemoryMB: variantMemory(r.Variant)})+": "+oneLine(n))
			} else {
				reached++
			}
		}
	}
	out := []string{fmt.Sprintf("%d cells reached the precision target; %d stopped short of it", reached, len(short))}
	return append(out, short...)
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
	procs := map[string]int{}
	for _, s := range d.Series {
		k := s.Cell.Key() + "|" + s.Variant
		cells[k] = true
		if s.Phase == results.PhaseExecute && len(s.Groups) > 0 {
			procs[k+"|"+strconv.FormatBool(s.Cold)] = len(s.Groups)
		}
	}
	np := 0
	for _, n := range procs {
		np += n
	}
	line := fmt.Sprintf("%d counted in %d cells, from %d processes", d.Counted, len(cells), np)
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
	target := f.Target
	if f.MemoryMB != 0 && target != "" {
		target += " " + strconv.Itoa(f.MemoryMB) + " MB"
	}
	for _, p := range []string{target, ParamLabel(f.Workload, f.Param), f.Lang, RTLabel(f.Runtime, f.Tier)} {
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
