package report

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
)

// MaxMarkdown bounds report.md so it can be pasted into an issue
// (GitHub refuses bodies over 65536 characters); sections past it are
// left to report.html, with a line saying how many.
const MaxMarkdown = 60000

// WriteMarkdown writes report.md: the machine, the reproduce command, one
// compact table per target, workload and parameter, failures and notes.
// charts, when given, are linked from the charts folder.
func (d *Data) WriteMarkdown(w io.Writer, charts []*Chart) error {
	var b strings.Builder
	name := "run"
	if d.Dir != "" {
		name = filepath.Base(d.Dir)
	}
	fmt.Fprintf(&b, "## bench report: %s\n\n", mdEscape(name))
	if d.Env != nil {
		fmt.Fprintf(&b, "**Machine** %s  \n", mdEscape(Fingerprint(*d.Env)))
		fmt.Fprintf(&b, "**Run** %s  \n", mdEscape(runLine(*d.Env)))
		if len(d.Env.Command) > 0 {
			fmt.Fprintf(&b, "**Reproduce** `%s`  \n", strings.ReplaceAll(ShellQuote(d.Env.Command), "`", "'"))
		}
	}
	fmt.Fprintf(&b, "**Samples** %s\n\n", mdEscape(d.countLine()))
	for _, warn := range d.Warnings() {
		fmt.Fprintf(&b, "> **Warning** %s\n\n", mdEscape(warn))
	}
	var tail strings.Builder
	if len(d.Failures) > 0 {
		fmt.Fprintf(&tail, "**Failures (%d)**\n\n", len(d.Failures))
		for _, f := range d.Failures {
			fmt.Fprintf(&tail, "- `%s`: %s\n", FailureCell(f), mdEscape(FailureText(f)))
		}
		tail.WriteString("\n")
	}
	if len(d.Notes) > 0 {
		fmt.Fprintf(&tail, "**Notes (%d)**\n\n", len(d.Notes))
		for _, n := range d.Notes {
			fmt.Fprintf(&tail, "- %s\n", mdEscape(NoteText(n)))
		}
		tail.WriteString("\n")
	}
	if len(charts) > 0 {
		tail.WriteString("**Charts** ")
		var links []string
		linked := map[string]bool{}
		for _, c := range charts {
			if !linked[c.Kind] && (c.Kind == KindColdStart || c.Kind == KindVsNative || c.Kind == KindBreakEven || c.Kind == KindCost) {
				linked[c.Kind] = true
				links = append(links, fmt.Sprintf("[%s](%s/%s.png)", mdEscape(c.Title), ChartDir, c.Name))
			}
		}
		tail.WriteString(strings.Join(links, " · "))
		fmt.Fprintf(&tail, " (all %d in %s)\n\n", len(charts), HTMLFile)
	}
	tail.WriteString("<sub>Warm execute: median with a distribution-free 95% confidence interval (± the interval's larger side); " +
		"cold start: median end to end; vs native: Hodges-Lehmann ratio to the native build of the same source. " +
		"Warm-ups and unverified samples are left out; outliers are kept. Full statistics, charts, sizes, break-even and cost: report.html.</sub>\n")

	secs := d.Sections()
	for i, sec := range secs {
		var t strings.Builder
		fmt.Fprintf(&t, "### %s\n\n", mdEscape(sec.Title()))
		main := "warm execute"
		if sec.MainPhase == "call" {
			main = "per call"
		}
		head := []string{"lang", "runtime"}
		align := []string{"---", "---"}
		if sec.HasVariants() {
			head = append(head, "variant")
			align = append(align, "---")
		}
		head = append(head, main, "95% CI", "n", "cold start", "vs native")
		align = append(align, "--:", "--:", "--:", "--:", "--:")
		fmt.Fprintf(&t, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
		for _, r := range sec.Rows {
			cols := []string{dash(r.Cell.Lang), RTLabel(r.Cell.Runtime, r.Cell.Tier)}
			if sec.HasVariants() {
				cols = append(cols, dash(r.Distinct))
			}
			med, ci, n := "—", "", ""
			if r.Main != nil {
				m := r.Main.Summary
				med, n = FormatValue(m.Median, r.Main.Unit), itoa(m.N)
				ci = ciPercent(r.Main)
			}
			vs := nativeCol(r)
			if r.IsNative {
				vs = "1"
			} else if r.VsNative != nil {
				vs = FormatRatio(r.VsNative.Ratio)
			}
			cols = append(cols, med, ci, n, coldCol(r), vs)
			for j := range cols {
				cols[j] = mdEscape(cols[j])
			}
			fmt.Fprintf(&t, "| %s |\n", strings.Join(cols, " | "))
		}
		t.WriteString("\n")
		if b.Len()+t.Len()+tail.Len() > MaxMarkdown {
			fmt.Fprintf(&b, "*%d more tables are in %s (this file is kept short enough to paste into an issue).*\n\n", len(secs)-i, HTMLFile)
			break
		}
		b.WriteString(t.String())
	}
	b.WriteString(tail.String())
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("report: report.md: %w", err)
	}
	return nil
}

// ciPercent is a median's 95% interval as ±percent (its larger side).
func ciPercent(s *Series) string {
	m := s.Summary
	if !m.HasCI {
		if m.N == 0 {
			return ""
		}
		return "too few samples"
	}
	if m.Median == 0 {
		return "±0%"
	}
	p := math.Max(m.CIHi/m.Median-1, 1-m.CILo/m.Median)
	if p < 0.1 {
		return fmt.Sprintf("±%.1f%%", 100*p)
	}
	return fmt.Sprintf("±%.0f%%", 100*p)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`).Replace(s)
}
