package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/wasmbench/bench/report/stats"
	"github.com/wasmbench/bench/results"
)

// Files a report writes into its folder.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
	SummaryFile  = "summary.txt"
	StatsFile    = "stats.csv"
	ChartDir     = "charts"
)

// Options change what Write produces.
type Options struct {
	// Out is the folder to write into; default: the run folder.
	Out string
	// NoCharts leaves the charts out (report.html then has tables only).
	NoCharts bool
	// Stdout, when set, receives the text summary as well.
	Stdout io.Writer
	// Strategy is the power-tuning strategy the summary leads with
	// (default balanced; see ParseStrategy).
	Strategy Strategy
}

// Report is what Write produced.
type Report struct {
	Data    *Data
	Dir     string
	Files   []string
	Charts  []*Chart
	Skipped []SkippedChart
}

// Write reads the run in dir and writes its report into opts.Out (default
// dir): report.html (self-contained: charts embedded), report.md,
// summary.txt, stats.csv, charts/NN-kind-....png and .svg, and
// results.bench when the run folder has none (an interrupted run, say).
// A truncated results.jsonl is reported as far as it can be read.
func Write(dir string, opts Options) (*Report, error) {
	d, err := Load(dir)
	if err != nil {
		return nil, err
	}
	out := opts.Out
	if out == "" {
		out = d.Dir
	}
	return d.Write(out, opts)
}

// Write writes d's report into out (see the package function Write).
func (d *Data) Write(out string, opts Options) (*Report, error) {
	if opts.Strategy != "" {
		d.Strategy = opts.Strategy
	}
	rep := &Report{Data: d, Dir: out}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	save := func(name string, b []byte) error {
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		rep.Files = append(rep.Files, p)
		return nil
	}

	var sum bytes.Buffer
	if err := d.WriteSummary(&sum); err != nil {
		return nil, err
	}
	if err := save(SummaryFile, sum.Bytes()); err != nil {
		return nil, err
	}
	if opts.Stdout != nil {
		if _, err := opts.Stdout.Write(sum.Bytes()); err != nil {
			return nil, fmt.Errorf("report: write summary: %w", err)
		}
	}

	var csvBuf bytes.Buffer
	if err := d.WriteCSV(&csvBuf); err != nil {
		return nil, err
	}
	if err := save(StatsFile, csvBuf.Bytes()); err != nil {
		return nil, err
	}

	// The charts folder always matches this report: a previous report's
	// charts go first.
	cdir := filepath.Join(out, ChartDir)
	if err := removeOldCharts(cdir); err != nil {
		return nil, err
	}
	var images []renderedChart
	if !opts.NoCharts {
		rep.Charts, rep.Skipped = d.charts()
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for _, c := range rep.Charts {
			png, err := c.Figure.PNG()
			if err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
			svg, err := c.Figure.SVG()
			if err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
			if err := save(filepath.Join(ChartDir, c.Name+".png"), png); err != nil {
				return nil, err
			}
			if err := save(filepath.Join(ChartDir, c.Name+".svg"), svg); err != nil {
				return nil, err
			}
			// Embedded as SVG (a quarter of the PNG's size, sharp at any
			// zoom), at the figure's size in CSS pixels.
			images = append(images, renderedChart{Chart: c, SVG: svg, W: int(c.Figure.Width / 72 * 96), H: int(c.Figure.Height / 72 * 96)})
		}
	}

	var md bytes.Buffer
	if err := d.WriteMarkdown(&md, rep.Charts); err != nil {
		return nil, err
	}
	if err := save(MarkdownFile, md.Bytes()); err != nil {
		return nil, err
	}
	var html bytes.Buffer
	if err := d.writeHTML(&html, images, rep.Skipped, opts.NoCharts); err != nil {
		return nil, err
	}
	if err := save(HTMLFile, html.Bytes()); err != nil {
		return nil, err
	}

	if d.Dir != "" {
		bench := filepath.Join(d.Dir, results.BenchFileName)
		if _, err := os.Stat(bench); errors.Is(err, fs.ErrNotExist) {
			if err := d.writeBench(bench); err != nil {
				return nil, err
			}
			rep.Files = append(rep.Files, bench)
		}
	}
	return rep, nil
}

// writeBench writes results.bench from the run's results file.
func (d *Data) writeBench(path string) error {
	recs, _, err := results.ReadFile(filepath.Join(d.Dir, results.FileName))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := results.WriteBench(&buf, results.Env{}, recs); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

var chartFile = regexp.MustCompile(`^\d\d-(cold-start|warm|vs-native|scaling|sizes|break-even|cost|power-tuning)(-.*)?\.(png|svg)$`)

// removeOldCharts deletes the charts a previous report left, so a
// re-run shows no stale figure; other files are left alone.
func removeOldCharts(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() && chartFile.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("report: %w", err)
			}
		}
	}
	return nil
}

// WriteCSV writes every series' statistics as CSV, one row per series:
// the process-level figures first (processes, geometric mean and its 95%
// interval, spreads between and within processes), then the pooled
// description of the values.
func (d *Data) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	_ = cw.Write([]string{"target", "workload", "param", "lang", "runtime", "tier", "variant", "phase", "cold", "unit",
		"processes", "n", "center", "ci_lo", "ci_hi", "ci_confidence", "between_sd_log", "within_sd_log",
		"median", "mean", "stddev", "cv", "min", "max", "p95", "p99", "outliers", "note"})
	for _, s := range d.Series {
		m, p := s.Summary, s.Proc
		row := []string{s.Target, s.Workload, s.Param, s.Lang, s.Runtime, s.Tier, s.Variant, s.Phase, strconv.FormatBool(s.Cold), s.Unit,
			strconv.Itoa(p.Units), strconv.Itoa(m.N), f(p.Center), "", "", "", "", "",
			f(m.Median), f(m.Mean), f(m.Stddev), f(m.CV), f(m.Min), f(m.Max), "", "", strconv.Itoa(len(m.Outliers)), p.Note}
		if p.HasCI {
			row[13], row[14], row[15] = f(p.Lo), f(p.Hi), f(stats.Confidence)
		}
		if p.Units > 1 {
			row[16] = f(p.Between)
		}
		if p.HasWithin {
			row[17] = f(p.Within)
		}
		if m.HasP95 {
			row[24] = f(m.P95)
		}
		if m.HasP99 {
			row[25] = f(m.P99)
		}
		if s.Deterministic {
			row[27] = "exact: a size, the same in every process"
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: stats.csv: %w", err)
	}
	return nil
}
