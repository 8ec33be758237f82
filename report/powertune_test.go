package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report/internal/golden"
	"github.com/wasmbench/bench/results"
)

// sweepRecords makes a cell's warm invocations at memory sizes: three
// environments per size, one invocation each, with the given durations
// (ms, one per environment) and one price per invocation.
func sweepRecords(c results.Cell, sizes []int, ms map[int][3]float64, usd map[int]float64, phase string) []results.Record {
	var recs []results.Record
	for _, mem := range sizes {
		for p, d := range ms[mem] {
			task := fmt.Sprintf("%s/mem=%d/warm/%d", c.Key(), mem, p)
			base := results.Record{Kind: results.KindSample, Cell: c, Verified: true, Process: p, Task: task, MemoryMB: mem, Arch: "x86_64", Package: "zip"}
			t, b, pr := base, base, base
			t.Phase, t.Value, t.Unit = phase, d*1e6, results.UnitNS
			b.Phase, b.Value, b.Unit = results.PhaseBilledDuration, (d+1)*1e6, results.UnitNS
			pr.Phase, pr.Value, pr.Unit, pr.PriceUSD = results.PhasePrice, usd[mem], results.UnitUSD, usd[mem]
			recs = append(recs, t, b, pr)
		}
	}
	return recs
}

var sweepCell = results.Cell{Runtime: "wazero", Tier: "aot", Workload: "fib", Lang: "c", Param: "30", Target: "aws-lambda"}

// The sweep the tests compute by hand:
//
//	memory  time (ms)       cost (µUSD)  cost norm  time norm  balanced
//	128     990, 1000, 1010  2.2          0.053      1          0.526
//	256     495, 500, 505    2.1          0          0.333      0.167
//	512     250, 260, 270    2.4          0.158      0.013      0.086
//	1024    240, 250, 260    4.0          1          0          0.5
//
// Cheapest: 256. Fastest: 1024, but 512's interval (n=3, ±9%)
// overlaps it and 512 is cheaper: speed picks 512. Balanced: 512.
func handSweep() []results.Record {
	return sweepRecords(sweepCell, []int{128, 256, 512, 1024},
		map[int][3]float64{128: {990, 1000, 1010}, 256: {495, 500, 505}, 512: {250, 260, 270}, 1024: {240, 250, 260}},
		map[int]float64{128: 2.2e-6, 256: 2.1e-6, 512: 2.4e-6, 1024: 4.0e-6}, results.PhaseDuration)
}

func TestPowerTuningRecommends(t *testing.T) {
	ts := FromRecords(handSweep()).PowerTuning()
	if len(ts) != 1 {
		t.Fatalf("%d tunings, want 1", len(ts))
	}
	tu := ts[0]
	if tu.Variant != "arch=x86_64 pkg=zip" || tu.TimePhase != results.PhaseDuration || len(tu.Points) != 4 {
		t.Fatalf("tuning %+v", tu)
	}
	want := map[Strategy]int{StrategyCost: 256, StrategySpeed: 512, StrategyBalanced: 512}
	for s, mb := range want {
		p, ok := tu.Recommended(s)
		if !ok || p.MemoryMB != mb {
			t.Errorf("%s recommends %d MB (%v), want %d MB", s, p.MemoryMB, ok, mb)
		}
	}
	if tu.Points[tu.Fastest].MemoryMB != 1024 || !tu.SpeedTie {
		t.Errorf("fastest %d MB, tie %v: want 1024 MB and a tie broken by cost", tu.Points[tu.Fastest].MemoryMB, tu.SpeedTie)
	}
	wantScores := []float64{0.526, 0.167, 0.086, 0.5}
	for i, w := range wantScores {
		if d := tu.Scores[i] - w; d > 0.005 || d < -0.005 {
			t.Errorf("balanced score at %d MB = %.3f, want %.3f", tu.Points[i].MemoryMB, tu.Scores[i], w)
		}
	}
	if p := tu.Points[1]; p.CostUSD != 2.1e-6 || p.Billed < 500e6 || p.Procs != 3 || !p.HasCI {
		t.Errorf("256 MB point %+v", p)
	}

	// The chart: one, with the sweep's lines, drawn without error.
	charts, _ := FromRecords(handSweep()).charts()
	n := 0
	for _, c := range charts {
		if c.Kind == KindTuning {
			n++
			if _, err := c.Figure.SVG(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(c.Title, "fib(30) · c, aws-lambda x86_64 zip") {
				t.Errorf("power-tuning chart title %q", c.Title)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d power-tuning charts, want 1", n)
	}

	// Without the overlap (512 MB clearly slower), speed is the fastest.
	recs := sweepRecords(sweepCell, []int{512, 1024},
		map[int][3]float64{512: {400, 401, 402}, 1024: {240, 241, 242}},
		map[int]float64{512: 2.4e-6, 1024: 4.0e-6}, results.PhaseExecute)
	tu = FromRecords(recs).PowerTuning()[0]
	if p, _ := tu.Recommended(StrategySpeed); p.MemoryMB != 1024 || tu.SpeedTie || tu.TimePhase != results.PhaseExecute {
		t.Errorf("speed picks %d MB (tie %v, from %s), want 1024 MB from execute", p.MemoryMB, tu.SpeedTie, tu.TimePhase)
	}
}

// A cell at one memory size gets no recommendation, and the summary says
// so in one line instead of inventing one.
func TestPowerTuningSingleSize(t *testing.T) {
	recs := sweepRecords(sweepCell, []int{512}, map[int][3]float64{512: {250, 260, 270}}, map[int]float64{512: 2.4e-6}, results.PhaseDuration)
	d := FromRecords(recs)
	ts := d.PowerTuning()
	if len(ts) != 1 {
		t.Fatalf("%d tunings", len(ts))
	}
	for _, s := range Strategies {
		if _, ok := ts[0].Recommended(s); ok {
			t.Errorf("%s recommends a size from one size", s)
		}
	}
	var buf bytes.Buffer
	if err := d.WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1 cell measured at one memory size only: no recommendation") || strings.Contains(buf.String(), "recommended by") {
		t.Errorf("summary of a single size:\n%s", buf.String())
	}
	charts, skipped := d.charts()
	for _, c := range charts {
		if c.Kind == KindTuning {
			t.Error("a power-tuning chart from one memory size")
		}
	}
	found := false
	for _, s := range skipped {
		found = found || s.Kind == KindTuning && strings.Contains(s.Reason, "one memory size")
	}
	if !found {
		t.Errorf("power-tuning chart not skipped with a reason: %v", skipped)
	}
}

func TestParseStrategy(t *testing.T) {
	for in, want := range map[string]Strategy{"": StrategyBalanced, "cost": StrategyCost, "speed": StrategySpeed, "balanced": StrategyBalanced} {
		if got, err := ParseStrategy(in); err != nil || got != want {
			t.Errorf("ParseStrategy(%q) = %q, %v", in, got, err)
		}
	}
	_, err := ParseStrategy("fastest")
	if err == nil || !strings.Contains(err.Error(), "cost, speed, balanced") {
		t.Errorf("bad strategy: %v", err)
	}
}

// The summary's power-tuning section leads with the chosen strategy, in
// its heading and its first column.
func TestSummaryLeadsWithStrategy(t *testing.T) {
	for _, s := range Strategies {
		var buf bytes.Buffer
		if err := SummaryStrategy(&buf, handSweep(), s); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "power tuning: memory size by "+string(s)+",") {
			t.Errorf("%s: heading does not lead with it:\n%s", s, out)
		}
		head := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "cell") && strings.Contains(l, "sizes") {
				head = strings.Fields(l)[2]
			}
		}
		if head != string(s) {
			t.Errorf("%s: first recommendation column is %q", s, head)
		}
	}
	var buf bytes.Buffer
	if err := SummaryStrategy(&buf, handSweep(), StrategySpeed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "512 MB (cheaper, and its 95% interval overlaps the fastest's, 1024 MB)") {
		t.Errorf("speed's tie is not explained:\n%s", buf.String())
	}
}

// The power-tuning and package sections of report.html, from the
// committed synthetic run (its memory sweeps, prices and packages).
func TestTuningHTMLGolden(t *testing.T) {
	d := loadRun(t)
	var buf bytes.Buffer
	if err := d.writeHTML(&buf, nil, nil, true); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	i, j := strings.Index(html, `<h3 id="packages">`), strings.Index(html, `<h2 id="stats">`)
	if i < 0 || j < i {
		t.Fatal("report.html has no package and power-tuning sections")
	}
	golden.Check(t, "testdata/tuning.html.golden", []byte(html[i:j]))
	for _, want := range []string{"by balanced", "interval overlaps the fastest", "2 cells measured at one memory size only", "image 10 GB"} {
		if !strings.Contains(html[i:j], want) {
			t.Errorf("sections lack %q", want)
		}
	}
	if _, err := os.Stat("testdata/tuning.html.golden"); err != nil {
		t.Error(err)
	}
}

// TestPowerTuningShowsColdStarts: a size's cold start (cold total) sits
// beside its warm time, and the recommendations, which are about warm
// invocations, do not move.
func TestPowerTuningShowsColdStarts(t *testing.T) {
	recs := handSweep()
	for p, ms := range []float64{1500, 1600, 1700} {
		recs = append(recs, results.Record{Kind: results.KindSample, Cell: sweepCell, Verified: true, Cold: true, Process: 10 + p,
			Task: fmt.Sprintf("%s/mem=128/cold/%d", sweepCell.Key(), 10+p), MemoryMB: 128, Arch: "x86_64", Package: "zip",
			Phase: results.PhaseTotal, Value: ms * 1e6, Unit: results.UnitNS})
	}
	tu := FromRecords(recs).PowerTuning()[0]
	if c := tu.Points[0].Cold; c.Units != 3 || c.Center < 1590e6 || c.Center > 1610e6 || !c.HasCI {
		t.Errorf("128 MB cold start %+v, want 3 environments about 1.6 s with an interval", c)
	}
	for _, p := range tu.Points[1:] {
		if p.Cold.Units != 0 {
			t.Errorf("%d MB has a cold start %+v, but none was measured", p.MemoryMB, p.Cold)
		}
	}
	if p, _ := tu.Recommended(StrategyBalanced); p.MemoryMB != 512 {
		t.Errorf("balanced moved to %d MB with a cold start beside the sweep", p.MemoryMB)
	}
	var sb strings.Builder
	FromRecords(recs).writePowerTuning(&sb)
	if !strings.Contains(sb.String(), "cold start") || !strings.Contains(sb.String(), "1.60 s") {
		t.Errorf("the summary's tuning section lacks the cold start:\n%s", sb.String())
	}
}
