package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/wasmbench/bench/results"
)

// The soak section of the summary and of report.html: one row per cell's
// soak (see soak.go for the fit and the leak rule).

var soakHead = []string{"target", "memory", "workload", "lang", "runtime", "mode", "invocations",
	"max memory used", "slope/invocation (95% CI)", "resident set", "slope/invocation (95% CI)", "verdict", "exceeds memory at"}

// soakRow is a soak's row, column by column.
func soakRow(s Soak) []string {
	mode := s.WarmMode
	if mode == "" {
		mode = "-"
	}
	n := 0
	for _, v := range []*SoakSeries{s.MaxMemory, s.RSS} {
		if v != nil {
			n = max(n, v.Invocations)
		}
	}
	memory := "-"
	if s.MemoryMB > 0 {
		memory = strconv.Itoa(s.MemoryMB) + " MB"
	}
	cols := []string{s.Cell.Target, memory, s.Cell.Workload, dash(s.Cell.Lang), RTLabel(s.Cell.Runtime, s.Cell.Tier), mode, strconv.Itoa(n)}
	for _, v := range []*SoakSeries{s.MaxMemory, s.RSS} {
		cols = append(cols, soakRange(v), soakSlope(v))
	}
	cols = append(cols, soakVerdict(s), soakExceeds(s))
	return cols
}

// soakRange is a series' first and last values.
func soakRange(v *SoakSeries) string {
	if v == nil {
		return "-"
	}
	return FormatBytes(v.First) + " → " + FormatBytes(v.Last)
}

// soakSlope is a series' fitted slope with its interval.
func soakSlope(v *SoakSeries) string {
	switch {
	case v == nil:
		return "-"
	case !v.Fitted:
		return "too few to fit"
	}
	return signedBytes(v.Fit.Slope) + " [" + signedBytes(v.Fit.Lo) + ", " + signedBytes(v.Fit.Hi) + "]"
}

func signedBytes(b float64) string {
	if b > 0 {
		return "+" + FormatBytes(b)
	}
	return FormatBytes(b)
}

// soakVerdict says whether the soak leaks, by which series.
func soakVerdict(s Soak) string {
	v := s.Verdict()
	prefix := ""
	if s.Failed {
		prefix = "failed; "
	}
	switch {
	case v == nil:
		return "failed: nothing recorded"
	case !v.Fitted:
		return prefix + "too short to fit"
	case v.Invocations < SoakMinVerdict:
		return prefix + "too short for a verdict (under " + strconv.Itoa(SoakMinVerdict) + ")"
	case s.Leak():
		return prefix + "LEAK (" + phaseWord(v.Phase) + ")"
	}
	return prefix + "no leak (" + phaseWord(v.Phase) + ")"
}

func phaseWord(phase string) string {
	if phase == results.PhaseSoakRSS {
		return "resident set"
	}
	return "max memory used"
}

// soakExceeds is the invocation at which a leak's fitted line reaches
// the memory size.
func soakExceeds(s Soak) string {
	at := s.ExceedsAt()
	if at == 0 {
		return "-"
	}
	return fmt.Sprintf("invocation %s of %d MB", thousands(at), s.MemoryMB)
}

// thousands writes n with commas: 15,284.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeSoakSummary writes the summary's soak section, nothing when the
// run has no soak.
func (d *Data) writeSoakSummary(w io.Writer) {
	soaks := d.Soaks()
	if len(soaks) == 0 {
		return
	}
	fmt.Fprintf(w, "\nsoak: memory over warm invocations of one environment\n  rule: %s\n", SoakRule)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, soakHead)
	for _, s := range soaks {
		writeRow(tw, soakRow(s))
	}
	tw.Flush()
	for _, s := range soaks {
		if s.Note != "" {
			fmt.Fprintf(w, "  %s · %s: %s\n", soakWhere(s), RTLabel(s.Cell.Runtime, s.Cell.Tier), oneLine(s.Note))
		}
	}
}

// soakTable is report.html's soak table (no rows without a soak).
func (d *Data) soakTable() (htmlTable, []string) {
	t := htmlTable{Head: soakHead}
	var notes []string
	for _, s := range d.Soaks() {
		var row []htmlCell
		for i, c := range soakRow(s) {
			cell := htmlCell{Text: c}
			if i == 1 || i == 6 {
				cell.Class = "n"
			}
			if i == 11 && s.Leak() {
				cell.Class = "warn"
				cell.Title = SoakRule
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
		if s.Note != "" {
			notes = append(notes, soakWhere(s)+" · "+RTLabel(s.Cell.Runtime, s.Cell.Tier)+": "+oneLine(s.Note))
		}
	}
	return t, notes
}

// soakWhere names a soak's target (with its memory size) and workload.
func soakWhere(s Soak) string {
	t := s.Cell.Target
	if s.MemoryMB > 0 {
		t += " " + strconv.Itoa(s.MemoryMB) + " MB"
	}
	return t + " · " + s.Cell.Workload
}
