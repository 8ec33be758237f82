package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

type renderedChart struct {
	*Chart
	SVG  []byte
	W, H int
}

type htmlChart struct {
	Title, Caption, Name string
	Src                  template.URL
	W, H                 int
}

type htmlChartGroup struct {
	Kind, What string
	Charts     []htmlChart
	Skipped    []string
}

type htmlCell struct {
	Text  string
	Class string
	Title string
}

type htmlTable struct {
	Title string
	Head  []string
	Rows  [][]htmlCell
}

type htmlPage struct {
	Name        string
	Scenario    *ScenarioVerdict
	Fingerprint string
	RunLine     string
	Command     string
	Runtimes    [][2]string
	Env         [][2]string
	Count       string
	Noise       [][2]string
	Method      string
	Warnings    []string
	Sampling    []string
	Summary     []htmlTable
	NoCharts    bool
	Groups      []htmlChartGroup
	BreakEven   htmlTable
	Sizes       htmlTable
	Cost        htmlTable
	Packages    htmlTable
	PackageNote string
	Tuning      htmlTuning
	Stats       htmlTable
	Soak        htmlTable
	SoakRule    string
	SoakNotes   []string
	Failures    []results.Record
	Notes       []string
	Methodology []string
}

func (d *Data) writeHTML(w io.Writer, charts []renderedChart, skipped []SkippedChart, noCharts bool) error {
	pg := htmlPage{Name: "run", Count: d.countLine(), Warnings: d.Warnings(), NoCharts: noCharts, Failures: d.Failures,
		Method: stats.MethodName + "; assumes " + stats.MethodAssumptions + ".", Sampling: d.samplingLines(), Scenario: d.Verdict()}
	for _, l := range d.Noise().Lines() {
		pg.Noise = append(pg.Noise, [2]string{strings.ToUpper(l[0][:1]) + l[0][1:], l[1]})
	}
	if d.Dir != "" {
		pg.Name = filepath.Base(d.Dir)
	}
	if e := d.Env; e != nil {
		pg.Fingerprint = Fingerprint(*e)
		pg.RunLine = runLine(*e)
		if len(e.Command) > 0 {
			pg.Command = ShellQuote(e.Command)
		}
		var names []string
		for n := range e.Runtimes {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return rank(runtimeOrder, names[i], names[j]) < 0 })
		for _, n := range names {
			pg.Runtimes = append(pg.Runtimes, [2]string{n, e.Runtimes[n]})
		}
		mem := ""
		if e.MemoryBytes > 0 {
			mem = FormatBytes(float64(e.MemoryBytes))
		}
		for _, kv := range [][2]string{
			{"CPU", e.CPU}, {"cores", itoaOrEmpty(e.Cores)}, {"memory", mem}, {"OS/arch", e.OS + "/" + e.Arch},
			{"kernel", e.Kernel}, {"governor", e.Governor}, {"host", e.Hostname}, {"Go", e.GoVersion},
			{"bench", e.BenchVersion}, {"commit", e.Commit}, {"started", e.Started},
		} {
			if kv[1] != "" && kv[1] != "/" {
				pg.Env = append(pg.Env, kv)
			}
		}
	}
	for _, n := range d.Notes {
		pg.Notes = append(pg.Notes, NoteText(n))
	}
	pg.Summary = d.summaryTables()

	byKind := map[string]*htmlChartGroup{}
	for _, k := range ChartKinds {
		pg.Groups = append(pg.Groups, htmlChartGroup{Kind: k.Kind, What: k.What})
	}
	for i := range pg.Groups {
		byKind[pg.Groups[i].Kind] = &pg.Groups[i]
	}
	for _, c := range charts {
		g := byKind[c.Kind]
		g.Charts = append(g.Charts, htmlChart{Title: c.Title, Caption: c.Caption, Name: c.Name,
			Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(c.SVG)), W: c.W, H: c.H})
	}
	for _, s := range skipped {
		byKind[s.Kind].Skipped = append(byKind[s.Kind].Skipped, s.Reason)
	}
	pg.BreakEven = d.breakEvenTable()
	pg.Sizes = d.phaseTable(func(s *Series) bool { return results.IsSizePhase(s.Phase) })
	pg.Cost = d.costTable()
	pg.Packages = d.packageTable()
	pg.PackageNote = PackageLimitNote
	pg.Tuning = d.tuningHTML()
	pg.Stats = d.statsTable()
	pg.Soak, pg.SoakNotes = d.soakTable() // soak_render.go
	pg.SoakRule = SoakRule
	pg.Methodology = methodology
	if err := pageTemplate.Execute(w, pg); err != nil {
		return fmt.Errorf("report: report.html: %w", err)
	}
	return nil
}

var methodology = []string{
	"Warm-up iterations and samples whose output was not verified are recorded but left out of every statistic and chart.",
	"The unit is the process: a cold sample is one process; a warm process's executions are reduced to their median, one unit. " +
		"Executions inside a process share its luck (the CPU it landed on, its memory layout), so they are not independent samples.",
	"Centre: the geometric mean of the units, with a Student t 95% interval on their logarithms; ± is its larger side. " +
		"A cell needs 3 processes for an interval (n<3 otherwise).",
	"between: the spread of the units (standard deviation of their logarithms, about their CV); within: the spread of executions inside one process. " +
		"A ! marks a warm cell whose spread between processes is more than 3× the calibration's (the machine's own noise; F test, p < 0.01).",
	"Ratios (vs native, compare): ratio of geometric means with a 95% interval from a t-test on the log units that takes the larger spread of the two sides " +
		"for both (a run that samples to a precision target stops when its processes happen to agree, so one side's own spread is biased low). " +
		"Significance is decided across all ratios of the report (or all rows of a compare) with Benjamini-Hochberg at a 5% false discovery rate; n.s.: not significant.",
	"Assumes processes are independent and their log units roughly normal. Sizes are exact (no test).",
	"p95 and p99 are shown from 20 and 100 executions on; below that they would only be the maximum.",
	"Outliers: executions whose modified z-score 0.6745·|x−median|/MAD exceeds 3.5. They are flagged and drawn, never dropped.",
	"Break-even: set-up (cold init + compile or load + instantiate) + calls × warm execute, geometric means; a crossing is claimed only where both the set-up and the per-call differences are significant.",
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

func num(s string) htmlCell { return htmlCell{Text: s, Class: "n"} }

func (d *Data) summaryTables() []htmlTable {
	var out []htmlTable
	for _, sec := range d.Sections() {
		main := "warm execute"
		if sec.MainPhase == results.PhaseCall {
			main = "per call"
		}
		t := htmlTable{Title: sec.Title(), Head: []string{"lang", "runtime"}}
		if sec.HasVariants() {
			t.Head = append(t.Head, "variant")
		}
		t.Head = append(t.Head, main+" (geometric mean)", "95% CI", "processes", "executions", "between", "within", "outliers",
			"cold start", "95% CI", "processes", "vs native (95% CI)")
		for _, r := range sec.Rows {
			row := []htmlCell{{Text: dash(r.Cell.Lang)}, {Text: RTLabel(r.Cell.Runtime, r.Cell.Tier), Title: r.Cell.Key()}}
			if sec.HasVariants() {
				row = append(row, htmlCell{Text: dash(r.Distinct)})
			}
			mc := mainCols(r)
			for i, c := range mc {
				cell := num(c)
				switch {
				case i == 1 && r.Main != nil:
					cell.Title = ciRange(r.Main)
				case i == 4 && r.Noisy:
					cell.Class = "n warn"
					cell.Title = "varies between processes far more than the calibration predicts"
				case i == 6 && c != "-" && c != "":
					cell.Class = "n warn"
					cell.Title = outlierList(r.Main)
				}
				row = append(row, cell)
			}
			for i, c := range coldCols(r) {
				cell := num(c)
				if i == 1 && r.ColdTotal != nil {
					cell.Title = ciRange(r.ColdTotal)
				}
				row = append(row, cell)
			}
			row = append(row, num(nativeCol(r)))
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// ciRange is a series' interval as "lo – hi".
func ciRange(s *Series) string {
	if !s.Proc.HasCI {
		return s.Proc.Note
	}
	return FormatValue(s.Proc.Lo, s.Unit) + " – " + FormatValue(s.Proc.Hi, s.Unit)
}

func outlierList(s *Series) string {
	if s == nil {
		return ""
	}
	var v []string
	for _, o := range s.Summary.Outliers {
		v = append(v, FormatValue(o, s.Unit))
	}
	return "flagged: " + strings.Join(v, ", ")
}

func (d *Data) breakEvenTable() htmlTable {
	t := htmlTable{Head: []string{"target", "workload", "lang", "variant", "runtime", "tier that starts faster", "tier that runs faster",
		"set-up (faster start vs faster run)", "per call", "the slower-starting tier pays off after"}}
	for _, be := range d.BreakEvens() {
		after := ""
		switch {
		case !be.Claimed():
			after = "not significant: " + be.NotSignificant
		case be.NeverPays:
			after = "never: it is also slower per call"
		case be.FastAlwaysBetter:
			after = "the first call"
		default:
			after = formatCalls(be.Calls) + " calls"
		}
		t.Rows = append(t.Rows, []htmlCell{{Text: be.Target}, {Text: ParamLabel(be.Workload, be.Param)}, {Text: be.Lang},
			{Text: dash(shortVariant(be.Variant)), Title: be.Variant}, {Text: be.Runtime}, {Text: be.Cheap}, {Text: be.Fast},
			num(FormatDuration(be.CheapSetup) + " vs " + FormatDuration(be.FastSetup)),
			num(FormatDuration(be.CheapPerCall) + " vs " + FormatDuration(be.FastPerCall)),
			num(after)})
	}
	return t
}

func (d *Data) phaseTable(keep func(*Series) bool) htmlTable {
	t := htmlTable{Head: []string{"what", "target", "workload", "lang", "runtime", "variant", "size"}}
	for _, s := range d.Series {
		if !keep(s) {
			continue
		}
		t.Rows = append(t.Rows, []htmlCell{{Text: strings.TrimSuffix(s.Phase, "_bytes")}, {Text: s.Target}, {Text: ParamLabel(s.Workload, s.Param)},
			{Text: dash(s.Lang)}, {Text: RTLabel(s.Runtime, s.Tier)}, {Text: dash(s.Variant)}, num(FormatValue(s.Summary.Median, s.Unit))})
	}
	return t
}

func (d *Data) costTable() htmlTable {
	t := htmlTable{Head: []string{"target", "workload", "lang", "runtime", "variant", "invocation", "per invocation (mean)", "per million", "n"}}
	for _, s := range d.Series {
		if s.Unit != results.UnitUSD {
			continue
		}
		inv := "warm"
		if s.Cold {
			inv = "cold"
		}
		t.Rows = append(t.Rows, []htmlCell{{Text: s.Target}, {Text: ParamLabel(s.Workload, s.Param)}, {Text: dash(s.Lang)},
			{Text: RTLabel(s.Runtime, s.Tier)}, {Text: dash(s.Variant)}, {Text: inv},
			num(FormatUSD(s.Summary.Mean)), num(FormatUSD(s.Summary.Mean * 1e6)), num(itoa(s.Summary.N))})
	}
	return t
}

func (d *Data) statsTable() htmlTable {
	t := htmlTable{Head: []string{"target", "workload", "lang", "runtime", "variant", "phase", "", "processes", "n",
		"geometric mean", "95% CI", "between", "within", "median", "mean", "stddev", "CV", "min", "max", "p95", "p99", "outliers"}}
	for _, s := range d.Series {
		m := s.Summary
		p := s.Proc
		f := func(v float64) string { return FormatValue(v, s.Unit) }
		ci := p.Note
		if p.HasCI {
			ci = f(p.Lo) + " – " + f(p.Hi)
		}
		if s.Deterministic {
			ci = "exact"
		}
		p95, p99 := "", ""
		if m.HasP95 {
			p95 = f(m.P95)
		}
		if m.HasP99 {
			p99 = f(m.P99)
		}
		cw := "warm"
		if s.Cold {
			cw = "cold"
		}
		out := num("-")
		if len(m.Outliers) > 0 {
			out = htmlCell{Text: itoa(len(m.Outliers)), Class: "n warn", Title: outlierList(s)}
		}
		cv, between, within := "", "", ""
		if m.N > 1 && !math.IsNaN(m.CV) {
			cv = fmt.Sprintf("%.1f%%", 100*m.CV)
		}
		if p.Units > 1 {
			between = pct(p.Between)
		}
		if p.HasWithin {
			within = pct(p.Within)
		}
		t.Rows = append(t.Rows, []htmlCell{{Text: s.Target}, {Text: ParamLabel(s.Workload, s.Param)}, {Text: dash(s.Lang)},
			{Text: RTLabel(s.Runtime, s.Tier)}, {Text: dash(s.Variant)}, {Text: s.Phase}, {Text: cw}, num(itoa(p.Units)), num(itoa(m.N)),
			num(f(p.Center)), num(ci), num(between), num(within),
			num(f(m.Median)), num(f(m.Mean)), num(f(m.Stddev)), num(cv), num(f(m.Min)), num(f(m.Max)), num(p95), num(p99), out})
	}
	return t
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bench report: {{.Name}}</title>
<style>
:root { --ink: #222; --soft: #666; --line: #e2e2e2; --warn: #b3261e; --bg: #fafafa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 6px; }
.sub { color: var(--soft); margin: 0 0 10px; }
.facts { margin: 0 0 14px; line-height: 1.6; }
.facts code { background: #f4f4f4; padding: 1px 5px; border-radius: 3px; }
nav a { margin-right: 14px; color: #0b62a3; text-decoration: none; }
.warnings { border-left: 4px solid var(--warn); background: #fdf3f2; padding: 8px 14px; margin: 14px 0; }
.warnings li { margin: 2px 0; }
table { border-collapse: collapse; margin: 6px 0 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; vertical-align: top; }
th { font-weight: 600; background: var(--bg); position: sticky; top: 0; }
td.n { text-align: right; }
td.warn { color: var(--warn); font-weight: 600; cursor: help; }
td.lead { font-weight: 600; }
.env td:first-child { color: var(--soft); }
pre, code { font: 12.5px/1.4 ui-monospace, "Liberation Mono", monospace; }
pre.cmd { background: #f4f4f4; padding: 10px 12px; overflow-x: auto; border-radius: 4px; }
.scroll { overflow-x: auto; }
figure { margin: 18px 0 30px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--soft); margin-top: 4px; }
figcaption a { color: #0b62a3; }
.skipped { color: var(--soft); font-style: italic; }
details > summary { cursor: pointer; color: #0b62a3; margin: 6px 0; }
.fail pre { background: #fdf3f2; padding: 8px; white-space: pre-wrap; }
.scenario { border-left: 4px solid #0b62a3; background: #f3f7fb; padding: 4px 16px 8px; margin: 14px 0; }
.scenario h2 { border: 0; margin: 10px 0 4px; }
.verdict li { font-weight: 600; }
footer { color: var(--soft); margin-top: 40px; font-size: 13px; }
</style>
</head>
<body>
<main>
<h1>bench report: {{.Name}}</h1>
<p class="sub">{{.Count}}</p>
{{with .Scenario}}{{template "scenario" .}}{{end}}
<nav>{{if .Scenario}}<a href="#scenario">Verdict</a>{{end}}{{if not .NoCharts}}<a href="#charts">Charts</a>{{end}}<a href="#summary">Summary</a><a href="#breakeven">Break-even</a><a href="#sizes">Sizes</a><a href="#cost">Cost</a><a href="#tuning">Power tuning</a>{{if .Soak.Rows}}<a href="#soak">Soak</a>{{end}}<a href="#stats">Statistics</a><a href="#failures">Failures</a><a href="#env">Environment</a></nav>
<p class="facts">{{if .Fingerprint}}<strong>Machine</strong> {{.Fingerprint}}<br><strong>Run</strong> {{.RunLine}}<br>{{end}}{{range .Noise}}<strong>{{index . 0}}</strong> {{index . 1}}<br>{{end}}<strong>Method</strong> {{.Method}} <a href="#method">How to read this</a><br><strong>Reproduce</strong> {{if .Command}}<code>{{.Command}}</code>{{else}}<em>the command was not recorded</em>{{end}}</p>
{{if .Warnings}}<div class="warnings"><strong>Read this first</strong><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}

{{if not .NoCharts}}<h2 id="charts">Charts</h2>
{{range .Groups}}<h3>{{.What}}</h3>
{{range .Skipped}}<p class="skipped">Not drawn: {{.}}.</p>{{end}}
{{range .Charts}}<figure id="{{.Name}}"><img src="{{.Src}}" width="{{.W}}" height="{{.H}}" alt="{{.Title}}">
<figcaption>{{.Caption}} <a href="charts/{{.Name}}.png">PNG</a> · <a href="charts/{{.Name}}.svg">SVG</a></figcaption></figure>
{{end}}{{end}}{{end}}

<h2 id="summary">Summary</h2>
{{range .Summary}}{{template "table" .}}{{end}}
{{if .Sampling}}<h3>Sampling</h3><ul>{{range .Sampling}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2 id="breakeven">Break-even between tiers</h2>
{{if .BreakEven.Rows}}{{template "table" .BreakEven}}{{else}}<p class="skipped">No runtime ran two tiers with both cold and warm samples.</p>{{end}}

<h2 id="sizes">Sizes</h2>
{{if .Sizes.Rows}}{{template "table" .Sizes}}{{else}}<p class="skipped">No size samples.</p>{{end}}

<h2 id="cost">Cost</h2>
{{if .Cost.Rows}}{{template "table" .Cost}}{{else}}<p class="skipped">No sample carries a price (only serverless targets are priced).</p>{{end}}

<h3 id="packages">Packages against Lambda's limits</h3>
{{if .Packages.Rows}}{{template "table" .Packages}}<p class="sub">{{.PackageNote}}</p>{{else}}<p class="skipped">No package sizes (only serverless targets build packages).</p>{{end}}

<h2 id="tuning">Power tuning</h2>
{{with .Tuning}}{{if .Recs.Rows}}<p>Memory size recommended by <strong>{{.Lead}}</strong> first, then by the other strategies:</p>
<ul>{{range .Rules}}<li>{{.}}</li>{{end}}</ul>
{{template "table" .Recs}}
<details><summary>every memory size: time, billed duration and cost</summary>
{{template "table" .Points}}
</details>{{end}}{{if .Single}}<p class="skipped">{{.Single}}.</p>{{end}}{{if and (not .Recs.Rows) (not .Single)}}<p class="skipped">No cell was measured at several memory sizes with prices.</p>{{end}}{{end}}

{{if .Soak.Rows}}<h2 id="soak">Soak: memory over warm invocations</h2>
<p>Each soak ran its invocations in one environment; a line is fitted to its memory against the invocation number. Rule: {{.SoakRule}}.</p>
{{template "table" .Soak}}{{if .SoakNotes}}<ul>{{range .SoakNotes}}<li>{{.}}</li>{{end}}</ul>{{end}}

{{end}}<h2 id="stats">Statistics of every series</h2>
<details><summary>{{len .Stats.Rows}} series: every phase, cold and warm (hover a flagged outlier count for the values)</summary>
{{template "table" .Stats}}
</details>

<h2 id="failures">Failures</h2>
{{if .Failures}}{{range .Failures}}<div class="fail"><h3>{{.Target}} · {{.Workload}}{{if .Param}}({{.Param}}){{end}} · {{.Lang}} · {{.Runtime}} {{.Tier}}</h3>
<p>{{if .ErrorKind}}<strong>{{.ErrorKind}}</strong>: {{end}}{{.Error}}</p>{{if .Stderr}}<details><summary>stderr</summary><pre>{{.Stderr}}</pre></details>{{end}}</div>
{{end}}{{else}}<p class="skipped">None.</p>{{end}}
{{if .Notes}}<h3>Notes</h3><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2 id="env">Environment</h2>
{{if .Env}}<table class="env">{{range .Env}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}
{{range .Runtimes}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>{{else}}<p class="skipped">No env line: the machine that produced these results is unknown.</p>{{end}}

<footer><h3 id="method">How to read this</h3><ul>{{range .Methodology}}<li>{{.}}</li>{{end}}</ul></footer>
</main>
<script>
// Flag any chart that failed to load, for the reader and for tests.
window.addEventListener("load", function () {
  var bad = [];
  for (var i = 0; i < document.images.length; i++) {
    var img = document.images[i];
    if (!img.complete || img.naturalWidth === 0) { bad.push(img.alt); }
  }
  document.body.setAttribute("data-images", String(document.images.length));
  document.body.setAttribute("data-broken-images", String(bad.length));
  if (bad.length > 0) { console.error("bench report: " + bad.length + " chart(s) failed to load: " + bad.join("; ")); }
});
</script>
</body>
</html>
{{define "scenario"}}<section class="scenario" id="scenario">{{if .Err}}<p class="warnings">{{.Err}}</p>{{else}}
<h2>{{.Question}}</h2>
<p class="sub">Scenario <strong>{{.Name}}</strong></p>
<p><strong>Verdict</strong></p><ul class="verdict">{{range .Headline}}<li>{{.}}</li>{{end}}</ul>
{{if .Story}}<p><strong>Published</strong></p><ul>{{range .Story}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Lines}}<details open><summary>{{len .Lines}} rows</summary><ul>{{range .Lines}}<li>{{.}}</li>{{end}}</ul></details>{{end}}
<p class="sub"><strong>How</strong> {{.Method}}.</p>{{end}}</section>
{{end}}{{define "table"}}{{if .Title}}<h3>{{.Title}}</h3>{{end}}<div class="scroll"><table>
<thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Title}} title="{{.Title}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table></div>{{end}}
`))
