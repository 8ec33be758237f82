package compare

import (
	"fmt"
	"io"
	"strings"

	"github.com/wasmbench/bench/report"
)

// WriteMarkdown writes the comparison as Markdown, for a pull request or
// an issue: the header lines, one table per target and workload, the
// geometric means and the one-sided cells.
func (r *Result) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "## bench compare\n\n")
	for _, l := range r.headerLines() {
		if l[0] == "" {
			fmt.Fprintf(ew, "%s  \n", md(l[1]))
			continue
		}
		fmt.Fprintf(ew, "**%s** %s  \n", l[0], md(l[1]))
	}
	hasVariant := false
	for _, row := range r.Rows {
		hasVariant = hasVariant || row.Key.Variant != ""
	}
	for _, sec := range r.sections() {
		fmt.Fprintf(ew, "\n### %s\n\n", md(sec.title))
		head := []string{"lang", "runtime"}
		align := []string{"---", "---"}
		if hasVariant {
			head, align = append(head, "variant"), append(align, "---")
		}
		head = append(head, "phase", "old", "new", "procs", "new/old", "95% CI", "p", "q", "verdict")
		align = append(align, "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "---")
		fmt.Fprintf(ew, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
		for _, row := range sec.rows {
			if row.identical() {
				continue
			}
			old, new, procs, ratio, ci, p, q, verdict := row.cells()
			cols := []string{dash(row.Key.Lang), report.RTLabel(row.Key.Runtime, row.Key.Tier)}
			if hasVariant {
				cols = append(cols, variantCol(row.Key))
			}
			if row.Regression {
				verdict = "**" + strings.TrimSpace(verdict) + "**"
			}
			cols = append(cols, PhaseLabel(row.Key), old, new, procs, ratio, ci, p, q, verdict)
			for i := range cols {
				cols[i] = md(cols[i])
			}
			fmt.Fprintf(ew, "| %s |\n", strings.Join(cols, " | "))
		}
	}
	fmt.Fprintln(ew)
	for _, l := range r.footerLines() {
		if l[0] == "" {
			fmt.Fprintf(ew, "- %s\n", md(l[1]))
			continue
		}
		fmt.Fprintf(ew, "\n**%s** %s\n", l[0], md(l[1]))
	}
	return ew.err
}

func md(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`).Replace(s)
}
