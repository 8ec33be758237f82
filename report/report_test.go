package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report/internal/golden"
	"github.com/wasmbench/bench/report/internal/synth"
	"github.com/wasmbench/bench/results"
)

// runDir is the committed synthetic run: every runtime and tier kind,
// native baselines, three workloads in three languages, a fib sweep,
// serverless targets with prices, a failure, a note, an unverified
// sample and a truncated last line.
const runDir = "testdata/run"

func synthRun() []results.Record {
	return synth.Run(synth.Options{Seed: 1, Noisy: map[string]float64{"wasmer/baseline": 8}})
}

// TestRunUpToDate keeps testdata/run/results.jsonl what the generator
// makes (go test -update rewrites it).
func TestRunUpToDate(t *testing.T) {
	want := synth.Encode(synthRun(), true)
	path := filepath.Join(runDir, results.FileName)
	if *golden.Update {
		if err := synth.WriteDir(runDir, synthRun(), true); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the generator makes: run go test ./report -update", path)
	}
}

func loadRun(t *testing.T) *Data {
	t.Helper()
	d, err := Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := loadRun(t).WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/summary.golden", buf.Bytes())
}

func TestSummaryOfRecords(t *testing.T) {
	// report.Summary is what bench run prints: the same text from records.
	var a, b bytes.Buffer
	d := loadRun(t)
	d.Skipped = nil // records in memory have no unreadable lines
	if err := d.WriteSummary(&a); err != nil {
		t.Fatal(err)
	}
	recs, _, err := results.ReadFile(filepath.Join(runDir, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := Summary(&b, recs); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("Summary(records) differs from the summary of the loaded folder")
	}
}

func TestMarkdownGolden(t *testing.T) {
	d := loadRun(t)
	charts, _ := d.charts()
	var buf bytes.Buffer
	if err := d.WriteMarkdown(&buf, charts); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxMarkdown+5000 {
		t.Errorf("report.md is %d bytes: too long to paste into an issue", buf.Len())
	}
	golden.Check(t, "testdata/report.md.golden", buf.Bytes())
}

func TestLoadCounts(t *testing.T) {
	d := loadRun(t)
	if d.Env == nil || d.Env.CPU == "" {
		t.Fatal("env line not read")
	}
	if len(d.Skipped) != 1 {
		t.Fatalf("skipped %d lines, want the truncated last one", len(d.Skipped))
	}
	if d.Unverified != 1 || d.Warmups == 0 || len(d.Failures) != 1 || len(d.Notes) != 1 {
		t.Errorf("unverified=%d warmups=%d failures=%d notes=%d", d.Unverified, d.Warmups, len(d.Failures), len(d.Notes))
	}
	warn := strings.Join(d.Warnings(), "\n")
	if !strings.Contains(warn, "truncated last line") || !strings.Contains(warn, "results.jsonl:") {
		t.Errorf("warnings do not point at the truncated line: %q", warn)
	}
}

// Unverified samples and warm-ups never reach a statistic or a chart.
func TestUnverifiedAndWarmupsLeftOut(t *testing.T) {
	c := results.Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "local"}
	var recs []results.Record
	for i, v := range []float64{100, 101, 99, 100, 102, 98} {
		recs = append(recs, results.Record{Kind: results.KindSample, Cell: c, Phase: "execute", Value: v, Unit: "ns", Verified: true, Iteration: i})
	}
	recs = append(recs,
		results.Record{Kind: results.KindSample, Cell: c, Phase: "execute", Value: 1e9, Unit: "ns", Verified: false},
		results.Record{Kind: results.KindSample, Cell: c, Phase: "execute", Value: 5e8, Unit: "ns", Verified: true, Warmup: true})
	d := FromRecords(recs)
	s := d.Get(Key{Cell: c, Phase: "execute"})
	if s == nil || len(s.Values) != 6 || s.Summary.Max != 102 {
		t.Fatalf("series = %+v, want the 6 verified non-warm-up values", s)
	}
	if d.Unverified != 1 || d.Warmups != 1 {
		t.Errorf("unverified=%d warmups=%d, want 1 and 1", d.Unverified, d.Warmups)
	}
}

func TestPricesFromRecordField(t *testing.T) {
	c := results.Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "aws-lambda"}
	var recs []results.Record
	for i := 0; i < 3; i++ {
		// Two samples of one invocation carry its price: counted once.
		for _, ph := range []string{"execute", "billed_duration"} {
			recs = append(recs, results.Record{Kind: results.KindSample, Cell: c, Phase: ph, Value: 1e6, Unit: "ns",
				Verified: true, Iteration: i, Task: "t", MemoryMB: 128, PriceUSD: 2.1e-6})
		}
	}
	d := FromRecords(recs)
	s := d.Get(Key{Cell: c, Phase: "price", Variant: "mem=128MB"})
	if s == nil || len(s.Values) != 3 || s.Unit != results.UnitUSD {
		t.Fatalf("price series = %+v, want 3 values in usd", s)
	}
}

func TestWrite(t *testing.T) {
	dir := copyRun(t)
	rep, err := Write(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{HTMLFile, MarkdownFile, SummaryFile, StatsFile, results.BenchFileName} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty (%v)", f, err)
		}
	}
	kinds := map[string]int{}
	for _, c := range rep.Charts {
		kinds[c.Kind]++
		checkChart(t, dir, c)
	}
	for _, k := range ChartKinds {
		if kinds[k.Kind] == 0 {
			t.Errorf("no %s chart drawn from a run that has data for it", k.Kind)
		}
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("skipped %v from a run with data for every chart", rep.Skipped)
	}
	html, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if n := strings.Count(string(html), `src="data:image/svg&#43;xml;base64,`); n != len(rep.Charts) {
		t.Errorf("report.html embeds %d charts, want %d", n, len(rep.Charts))
	}
	for _, want := range []string{"bench run --param fib=25,30,35", "worker exited: signal: aborted", "Intel(R) Xeon(R)", "truncated last line"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}

	// A second report replaces the charts, leaving no stale file.
	stale := filepath.Join(dir, ChartDir, "99-warm-gone.png")
	os.WriteFile(stale, []byte("x"), 0o644)
	keep := filepath.Join(dir, ChartDir, "mine.txt")
	os.WriteFile(keep, []byte("x"), 0o644)
	if _, err := Write(dir, Options{NoCharts: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale chart survived a new report")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("a file that is not a chart was removed")
	}
}

// checkChart checks a chart's files: the PNG decodes, has the size the
// figure says and is not blank; the SVG is well-formed XML.
func checkChart(t *testing.T, dir string, c *Chart) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ChartDir, c.Name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10_000 {
		t.Errorf("%s.png is only %d bytes", c.Name, len(b))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s.png: %v", c.Name, err)
	}
	w, h := c.Figure.PixelSize()
	if got := img.Bounds().Size(); got.X != w || got.Y != h || w < 1000 || h < 400 {
		t.Errorf("%s.png is %dx%d, want %dx%d (at least 1000x400)", c.Name, got.X, got.Y, w, h)
	}
	colours := map[uint32]bool{}
	for y := 0; y < h; y += 7 {
		for x := 0; x < w; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>11<<10|g>>11<<5|b>>11] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("%s.png has %d colours: blank?", c.Name, len(colours))
	}
	svg, err := os.ReadFile(filepath.Join(dir, ChartDir, c.Name+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Errorf("%s.svg: %v", c.Name, err)
			}
			break
		}
	}
	if c.Title == "" || !bytes.Contains(svg, []byte(xmlEscape(c.Title))) {
		t.Errorf("%s.svg lacks its title %q", c.Name, c.Title)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func copyRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(runDir, results.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A run without cold samples, sweeps or prices: those charts are skipped
// with a reason, and the report says so.
func TestSkippedCharts(t *testing.T) {
	var recs []results.Record
	for _, r := range synth.Run(synth.Options{Seed: 3, NoServerless: true, Workloads: []string{"primes"}}) {
		if r.Kind == results.KindSample && (r.Cold || results.IsSizePhase(r.Phase)) {
			continue
		}
		recs = append(recs, r)
	}
	dir := t.TempDir()
	if err := synth.WriteDir(dir, recs, false); err != nil {
		t.Fatal(err)
	}
	rep, err := Write(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]string{}
	for _, s := range rep.Skipped {
		skipped[s.Kind] = s.Reason
	}
	for _, k := range []string{KindColdStart, KindScaling, KindSizes, KindBreakEven, KindCost, KindTuning} {
		if skipped[k] == "" {
			t.Errorf("%s chart not reported as skipped (skipped: %v)", k, skipped)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if !strings.Contains(string(html), "Not drawn: "+skipped[KindCost]) {
		t.Error("report.html does not say why the cost chart is missing")
	}
}

func TestBadInput(t *testing.T) {
	empty := t.TempDir()
	_, err := Load(empty)
	if !errors.Is(err, ErrNotRun) || !strings.Contains(err.Error(), "no results.jsonl") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Load(filepath.Join(empty, "nope")); err == nil {
		t.Error("a missing folder loads")
	}

	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, results.FileName), []byte("goos: linux\nBenchmarkX 1 2 ns/op\n"), 0o644)
	_, err = Load(garbage)
	if !errors.Is(err, ErrNotRun) || !strings.Contains(err.Error(), "none of its 2 non-empty lines") {
		t.Errorf("garbage file: %v", err)
	}

	blank := t.TempDir()
	os.WriteFile(filepath.Join(blank, results.FileName), nil, 0o644)
	if _, err := Load(blank); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty results.jsonl: %v", err)
	}

	// Only an env line and half a sample: still a report, with a warning.
	half := t.TempDir()
	recs := synthRun()[:3]
	if err := synth.WriteDir(half, recs, true); err != nil {
		t.Fatal(err)
	}
	rep, err := Write(half, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := os.ReadFile(filepath.Join(half, SummaryFile))
	if !strings.Contains(string(sum), "truncated last line") {
		t.Errorf("summary of a truncated run lacks the warning:\n%s", sum)
	}
	if len(rep.Charts) != 0 {
		t.Errorf("drew %d charts from one sample", len(rep.Charts))
	}
}

// A target that puts the memory size only on its own figures: the
// worker's phases of the same task join them in one variant.
func TestTaskVariantsFilledIn(t *testing.T) {
	c := results.Cell{Runtime: "wazero", Tier: "jit", Workload: "fib", Lang: "c", Param: "30", Target: "lambda-local"}
	var recs []results.Record
	for p, mem := range []int{128, 512} {
		task := "t" + string(rune('0'+p))
		recs = append(recs,
			results.Record{Kind: results.KindSample, Cell: c, Phase: "execute", Cold: true, Value: 1e6, Unit: "ns", Verified: true, Task: task},
			results.Record{Kind: results.KindSample, Cell: c, Phase: "init_duration", Cold: true, Value: 5e6, Unit: "ns", Verified: true, Task: task, MemoryMB: mem, Package: "zip"})
	}
	d := FromRecords(recs)
	for _, v := range []string{"mem=128MB pkg=zip", "mem=512MB pkg=zip"} {
		for _, ph := range []string{"execute", "init_duration"} {
			if d.Get(Key{Cell: c, Phase: ph, Cold: true, Variant: v}) == nil {
				t.Errorf("no %s series in variant %q", ph, v)
			}
		}
	}
	if len(d.Series) != 4 {
		t.Errorf("%d series, want 4", len(d.Series))
	}
	if recs[0].MemoryMB != 0 {
		t.Error("FromRecords modified its input")
	}
}

func TestShortNativeWarning(t *testing.T) {
	rec := func(v float64) results.Record {
		return results.Record{Kind: results.KindSample, Cell: results.Cell{Runtime: "native", Tier: "native", Workload: "fib",
			Lang: "c", Param: "42", Target: "local"}, Phase: "execute", Value: v, Unit: results.UnitNS, Verified: true}
	}
	warned := func(v float64) bool {
		for _, w := range FromRecords([]results.Record{rec(v), rec(v), rec(v)}).Warnings() {
			if strings.Contains(w, "native executions as short as") {
				return true
			}
		}
		return false
	}
	if !warned(3e6) {
		t.Error("no warning for 3 ms native executions")
	}
	if warned(600e6) {
		t.Error("a warning for 600 ms native executions")
	}
}
