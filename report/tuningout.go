package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// lead is the strategy the summary leads with.
func (d *Data) lead() Strategy {
	if d.Strategy == "" {
		return StrategyBalanced
	}
	return d.Strategy
}

// splitTunings separates sweeps (two memory sizes or more) from cells
// measured at one size.
func splitTunings(ts []Tuning) (sweeps []Tuning, single int) {
	for _, t := range ts {
		if len(t.Points) >= 2 {
			sweeps = append(sweeps, t)
		} else {
			single++
		}
	}
	return sweeps, single
}

// singleLine says that cells at one memory size get no recommendation.
func singleLine(n int) string {
	return fmt.Sprintf("%d cell%s measured at one memory size only: no recommendation for %s (measure at several sizes for one, e.g. bench run --target lambda-local --memory 128,512,1024,1769)",
		n, plural(n), map[bool]string{true: "it", false: "them"}[n == 1])
}

// writePowerTuning writes the summary's power-tuning section: each
// sweep's recommendations, the lead strategy first, then every memory
// size's time and cost.
func (d *Data) writePowerTuning(w io.Writer) {
	sweeps, single := splitTunings(d.PowerTuning())
	if len(sweeps) == 0 && single == 0 {
		return
	}
	lead := d.lead()
	order := strategyOrder(lead)
	fmt.Fprintf(w, "\npower tuning: memory size by %s, then by %s and %s\n", lead, order[1], order[2])
	for _, s := range order {
		fmt.Fprintf(w, "  %s\n", strategyWhat(s))
	}
	if len(sweeps) > 0 {
		fmt.Fprintf(w, "  time: the warm duration (REPORT Duration; the worker's execute where a target has none), geometric mean of each environment's median with its 95%% interval; cost: mean price of a warm invocation\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := []string{"cell", "sizes"}
		for _, s := range order {
			head = append(head, string(s))
		}
		writeRow(tw, head)
		for _, t := range sweeps {
			cols := []string{tuningName(t), sizesList(t.Points)}
			for _, s := range order {
				cols = append(cols, recText(t, s))
			}
			writeRow(tw, cols)
		}
		tw.Flush()
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		writeRow(tw, []string{"cell", "memory", "time", "±95%", "procs", "cold start", "±95%", "billed", "per invocation", "per million", "balanced score", "recommended by"})
		for _, t := range sweeps {
			for i := range t.Points {
				name := ""
				if i == 0 {
					name = tuningName(t)
				}
				writeRow(tw, append([]string{name}, pointCols(t, i)...))
			}
		}
		tw.Flush()
	}
	if single > 0 {
		fmt.Fprintf(w, "  %s\n", singleLine(single))
	}
}

// pointCols are one memory size's columns: memory, time, ±, processes,
// cold start, ±, billed, per invocation, per million, balanced score,
// recommended by.
func pointCols(t Tuning, i int) []string {
	p := t.Points[i]
	hw := halfWidth(p.Proc)
	cold, coldHW := "-", ""
	if p.Cold.Units > 0 {
		cold, coldHW = FormatDuration(p.Cold.Center), halfWidth(p.Cold)
	}
	billed := "-"
	if p.Billed > 0 {
		billed = FormatDuration(p.Billed)
	}
	score := "-"
	if t.Scores != nil {
		score = fmt.Sprintf("%.2f", t.Scores[i])
	}
	var by []string
	for _, s := range Strategies {
		if r, ok := t.Recommended(s); ok && r.MemoryMB == p.MemoryMB {
			by = append(by, string(s))
		}
	}
	return []string{itoa(p.MemoryMB) + " MB", FormatDuration(p.Time), hw, itoa(p.Procs), cold, coldHW, billed,
		FormatUSD(p.CostUSD), FormatUSD(p.CostUSD * 1e6), score, dash(strings.Join(by, ", "))}
}

// writePackages writes the summary's package section: each package's
// size and the limits it exceeds and fits.
func (d *Data) writePackages(w io.Writer) {
	fits := d.PackageFits()
	if len(fits) == 0 {
		return
	}
	fmt.Fprintf(w, "\npackages against Lambda's limits\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, []string{"target", "workload", "lang", "runtime", "variant", "package", "size", "exceeds", "fits"})
	for _, f := range fits {
		writeRow(tw, []string{f.Target, ParamLabel(f.Workload, f.Param), dash(f.Lang), RTLabel(f.Runtime, f.Tier), dash(variantWithout(f.Variant, "pkg")),
			f.Kind, FormatBytes(f.Bytes), limitNames(f.Exceeds), limitNames(f.Fits)})
	}
	tw.Flush()
	fmt.Fprintf(w, "  %s\n", PackageLimitNote)
}

// htmlTuning is report.html's power-tuning section.
type htmlTuning struct {
	Lead   Strategy
	Rules  []string
	Recs   htmlTable
	Points htmlTable
	Single string
}

func (d *Data) tuningHTML() htmlTuning {
	sweeps, single := splitTunings(d.PowerTuning())
	lead := d.lead()
	order := strategyOrder(lead)
	h := htmlTuning{Lead: lead}
	if single > 0 {
		h.Single = singleLine(single)
	}
	if len(sweeps) == 0 {
		return h
	}
	for _, s := range order {
		h.Rules = append(h.Rules, strategyWhat(s))
	}
	h.Rules = append(h.Rules, "time: the warm duration (REPORT Duration; the worker's execute where a target has none), the geometric mean of each environment's median, with its 95% interval; cost: the mean price of a warm invocation")
	h.Recs.Head = []string{"target", "workload", "lang", "runtime", "variant", "memory sizes"}
	for _, s := range order {
		h.Recs.Head = append(h.Recs.Head, "by "+string(s))
	}
	h.Points.Head = []string{"target", "workload", "lang", "runtime", "variant", "memory", "time", "95% CI", "environments", "cold start", "95% CI", "billed", "per invocation", "per million", "balanced score", "recommended by"}
	for _, t := range sweeps {
		cell := []htmlCell{{Text: t.Target}, {Text: ParamLabel(t.Workload, t.Param)}, {Text: dash(t.Lang)},
			{Text: RTLabel(t.Runtime, t.Tier), Title: t.Cell.Key()}, {Text: dash(shortVariant(t.Variant)), Title: t.Variant}}
		row := append(append([]htmlCell(nil), cell...), htmlCell{Text: sizesList(t.Points)})
		for i, s := range order {
			c := num(recText(t, s))
			if i == 0 {
				c.Class = "n lead"
			}
			row = append(row, c)
		}
		h.Recs.Rows = append(h.Recs.Rows, row)
		for i, p := range t.Points {
			cols := pointCols(t, i)
			r := append([]htmlCell(nil), cell...)
			for j, c := range cols {
				hc := num(c)
				if j == 2 && p.HasCI {
					hc.Title = FormatDuration(p.TimeLo) + " – " + FormatDuration(p.TimeHi)
				}
				if j == 5 && p.Cold.HasCI {
					hc.Title = FormatDuration(p.Cold.Lo) + " – " + FormatDuration(p.Cold.Hi)
				}
				if j == 10 {
					hc.Class = ""
				}
				r = append(r, hc)
			}
			h.Points.Rows = append(h.Points.Rows, r)
		}
	}
	return h
}

// packageTable is report.html's table of packages against the limits.
func (d *Data) packageTable() htmlTable {
	t := htmlTable{Head: []string{"target", "workload", "lang", "runtime", "variant", "package", "size", "exceeds", "fits"}}
	for _, f := range d.PackageFits() {
		ex := htmlCell{Text: limitNames(f.Exceeds)}
		if len(f.Exceeds) > 0 {
			ex.Class = "warn"
		}
		t.Rows = append(t.Rows, []htmlCell{{Text: f.Target}, {Text: ParamLabel(f.Workload, f.Param)}, {Text: dash(f.Lang)},
			{Text: RTLabel(f.Runtime, f.Tier)}, {Text: dash(variantWithout(f.Variant, "pkg"))}, {Text: f.Kind}, num(FormatBytes(f.Bytes)), ex, {Text: limitNames(f.Fits)}})
	}
	return t
}
