package report

import (
	"fmt"
	"github.com/wasmbench/bench/results"
	"io"
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
	if v := d.Verdict(); v != nil {
		v.writeMarkdown(&b)
	}
	if d.Env != nil {
		fmt.Fprintf(&b, "**Machine** %s  \n", mdEscape(Fingerprint(*d.Env)))
		fmt.Fprintf(&b, "**Run** %s  \n", mdEscape(runLine(*d.Env)))
		if len(d.Env.Command) > 0 {
			fmt.Fprintf(&b, "**Reproduce** `%s`  \n", strings.ReplaceAll(ShellQuote(d.Env.Command), "`", "'"))
		}
	}
	fmt.Fprintf(&b, "**Samples** %s  \n", mdEscape(d.countLine()))
	for _, l := range d.Noise().Lines() {
		fmt.Fprintf(&b, "**%s** %s  \n", strings.ToUpper(l[0][:1])+l[0][1:], mdEscape(l[1]))
	}
	b.WriteString("\n")
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
	if sweeps, _ := splitTunings(d.PowerTuning()); len(sweeps) > 0 {
		order := strategyOrder(d.lead())
		fmt.Fprintf(&tail, "**Power tuning** memory size by %s (%s), then by %s and %s\n\n", order[0], mdEscape(strings.TrimPrefix(strategyWhat(order[0]), string(order[0])+": ")), order[1], order[2])
		fmt.Fprintf(&tail, "| cell | sizes | %s | %s | %s |\n|---|---|--:|--:|--:|\n", order[0], order[1], order[2])
		for _, t := range sweeps {
			cols := []string{tuningName(t), sizesList(t.Points)}
			for _, s := range order {
				cols = append(cols, recText(t, s))
			}
			for j := range cols {
				cols[j] = mdEscape(cols[j])
			}
			fmt.Fprintf(&tail, "| %s |\n", strings.Join(cols, " | "))
		}
		tail.WriteString("\n")
	}
	if len(charts) > 0 {
		tail.WriteString("**Charts** ")
		var links []string
		linked := map[string]bool{}
		for _, c := range charts {
			if !linked[c.Kind] && (c.Kind == KindColdStart || c.Kind == KindVsNative || c.Kind == KindBreakEven || c.Kind == KindCost || c.Kind == KindTuning) {
				linked[c.Kind] = true
				links = append(links, fmt.Sprintf("[%s](%s/%s.png)", mdEscape(c.Title), ChartDir, c.Name))
			}
		}
		tail.WriteString(strings.Join(links, " · "))
		fmt.Fprintf(&tail, " (all %d in %s)\n\n", len(charts), HTMLFile)
	}
	if lines := d.samplingLines(); len(lines) > 0 {
		tail.WriteString("**Sampling** " + mdEscape(lines[0]) + "\n\n")
		for _, l := range lines[1:] {
			fmt.Fprintf(&tail, "- %s\n", mdEscape(l))
		}
		tail.WriteString("\n")
	}
	tail.WriteString("<sub>Method: " + mdEscape(MethodText()) + " Warm-ups and unverified samples are left out; outliers are kept. " +
		"Full statistics, charts, sizes against Lambda's limits, break-even, cost and power tuning: report.html.</sub>\n")

	secs := d.Sections()
	for i, sec := range secs {
		var t strings.Builder
		fmt.Fprintf(&t, "### %s\n\n", mdEscape(sec.Title()))
		main := "warm execute"
		if sec.MainPhase == results.PhaseCall {
			main = "per call"
		}
		head := []string{"lang", "runtime"}
		align := []string{"---", "---"}
		if sec.HasVariants() {
			head = append(head, "variant")
			align = append(align, "---")
		}
		head = append(head, main, "±95%", "procs", "cold start", "±95%", "procs", "vs native")
		align = append(align, "--:", "--:", "--:", "--:", "--:", "--:", "--:")
		fmt.Fprintf(&t, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
		for _, r := range sec.Rows {
			cols := []string{dash(r.Cell.Lang), RTLabel(r.Cell.Runtime, r.Cell.Tier)}
			if sec.HasVariants() {
				cols = append(cols, dash(r.Distinct))
			}
			mc := mainCols(r)
			vs := nativeCol(r)
			if r.IsNative {
				vs = "1"
			} else if c := r.VsNative; c != nil && c.Ratio > 0 {
				vs = FormatRatio(c.Ratio)
				if !c.Significant() {
					vs += " n.s."
				}
			}
			cols = append(cols, mc[0], mc[1], mc[2])
			cols = append(cols, coldCols(r)...)
			cols = append(cols, vs)
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

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`).Replace(s)
}
