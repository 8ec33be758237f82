package report

import (
	"bytes"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/wasmbench/bench/report/internal/golden"
	"github.com/wasmbench/bench/results"
)

// soakRecs makes one synthetic soak: n invocations whose Max Memory Used
// (when maxMem is set) and resident set follow the given functions of the
// invocation, with its note.
func soakRecs(c results.Cell, memMB, n int, maxMem, rss func(i int) float64, note string) []results.Record {
	task := c.Key() + "|soak|7"
	var out []results.Record
	for i := 0; i < n; i++ {
		base := results.Record{Kind: results.KindSample, Cell: c, Task: task, Process: 7, Iteration: i, Unit: results.UnitBytes,
			Verified: true, WarmMode: "live-instance", MemoryMB: memMB}
		if maxMem != nil {
			m := base
			m.Phase, m.Value = results.PhaseSoakMaxMemory, maxMem(i)
			out = append(out, m)
		}
		r := base
		r.Phase, r.Value = results.PhaseSoakRSS, rss(i)
		out = append(out, r)
	}
	return append(out, results.Record{Kind: results.KindNote, Cell: c, Task: task, Note: note})
}

func soakCell(workload, target string) results.Cell {
	return results.Cell{Runtime: "wazero", Tier: "jit", Workload: workload, Lang: "wasm", Target: target}
}

// synthSoaks are soaks of every shape the report tells apart: a steady
// leak, a runtime that settles and then stays flat (its Max Memory Used
// a running peak), a soak too short to fit, a local one with a resident
// set only, and one that failed part-way.
func synthSoaks() []results.Record {
	rng := rand.New(rand.NewSource(3))
	noise := func(kib float64) float64 { return (rng.Float64()*2 - 1) * kib * 1024 }
	var recs []results.Record
	recs = append(recs, soakRecs(soakCell("leak", "lambda-local"), 1024, 200,
		func(i int) float64 { return 2<<20 + float64(i)*96*1024 + noise(16) },
		func(i int) float64 { return 11<<20 + float64(i)*90*1024 + noise(24) }, "soak: 200 invocations in one environment")...)
	peak := 0.0
	recs = append(recs, soakRecs(soakCell("noleak", "lambda-local"), 1024, 200,
		func(i int) float64 {
			// Settles over the first 100 invocations, then a running peak.
			peak = math.Max(peak, 2<<20+float64(min(i, 100))*28*1024+noise(8))
			return peak
		},
		func(i int) float64 { return 11<<20 + float64(min(i, 100))*28*1024 + float64(i)*2*1024 + noise(24) },
		"soak: 200 invocations in one environment")...)
	recs = append(recs, soakRecs(soakCell("short", "lambda-local"), 1024, 10,
		func(i int) float64 { return 2<<20 + float64(i)*64*1024 },
		func(i int) float64 { return 11<<20 + float64(i)*64*1024 }, "soak: 10 invocations in one environment")...)
	recs = append(recs, soakRecs(soakCell("leak", "local"), 0, 200, nil,
		func(i int) float64 { return 10<<20 + float64(i)*80*1024 + noise(24) }, "soak: 200 invocations in one worker process")...)
	recs = append(recs, soakRecs(soakCell("oom", "lambda-local"), 128, 60,
		func(i int) float64 { return 20<<20 + float64(i)*1.5*(1<<20) + noise(32) },
		func(i int) float64 { return 28<<20 + float64(i)*1.5*(1<<20) + noise(32) },
		"soak failed: stopped at invocation 61 of 1000 (60 completed; live-instance) after 1.2s: memory: invocation: Runtime.OutOfMemory")...)
	return recs
}

func TestFitSoakExactLine(t *testing.T) {
	var xs, ys []float64
	for i := 100; i < 200; i++ {
		xs = append(xs, float64(i))
		ys = append(ys, 1<<20+65536*float64(i))
	}
	f, ok := FitSoak(xs, ys)
	if !ok {
		t.Fatal("no fit")
	}
	if math.Abs(f.Slope-65536) > 1e-6 || math.Abs(f.Lo-65536) > 1e-6 || math.Abs(f.Hi-65536) > 1e-6 || math.Abs(f.Intercept-(1<<20)) > 1e-3 {
		t.Errorf("exact line: %+v, want slope 65536 with a zero-width interval and intercept 1 MiB", f)
	}
	if _, ok := FitSoak([]float64{1, 1, 1}, []float64{1, 2, 3}); ok {
		t.Error("a fit with no spread in x succeeded")
	}
	if _, ok := FitSoak([]float64{1, 2}, []float64{1, 2}); ok {
		t.Error("a fit of two points succeeded")
	}
}

func TestFitSoakInterval(t *testing.T) {
	// Noise around a slope of 1000: the interval holds the true slope and
	// narrows as the noise shrinks.
	rng := rand.New(rand.NewSource(1))
	width := func(amp float64) (lo, hi float64) {
		var xs, ys []float64
		for i := range 200 {
			xs = append(xs, float64(i))
			ys = append(ys, 1000*float64(i)+amp*rng.NormFloat64())
		}
		f, _ := FitSoak(xs, ys)
		return f.Lo, f.Hi
	}
	lo1, hi1 := width(20000)
	lo2, hi2 := width(2000)
	if !(lo1 < 1000 && 1000 < hi1) || !(lo2 < 1000 && 1000 < hi2) {
		t.Errorf("intervals [%v, %v] and [%v, %v] miss the true slope 1000", lo1, hi1, lo2, hi2)
	}
	if hi2-lo2 >= hi1-lo1 {
		t.Errorf("ten times less noise did not narrow the interval: %v vs %v", hi2-lo2, hi1-lo1)
	}
}

func TestSoakVerdicts(t *testing.T) {
	d := FromRecords(synthSoaks())
	if len(d.Series) != 0 || d.Counted != 0 || d.Unverified != 0 || len(d.Notes) != 0 {
		t.Fatalf("soak records reached the statistics: %d series, %d counted, %d unverified, %d notes",
			len(d.Series), d.Counted, d.Unverified, len(d.Notes))
	}
	got := map[string]Soak{}
	for _, s := range d.Soaks() {
		got[s.Cell.Workload+"/"+s.Cell.Target] = s
	}
	if len(got) != 5 {
		t.Fatalf("%d soaks, want 5: %v", len(got), got)
	}
	for name, want := range map[string]bool{"leak/lambda-local": true, "noleak/lambda-local": false, "short/lambda-local": false,
		"leak/local": true, "oom/lambda-local": false} {
		if s := got[name]; s.Leak() != want {
			v := s.Verdict()
			t.Errorf("%s: leak %v, want %v (fit %+v)", name, s.Leak(), want, v.Fit)
		}
	}
	if v := got["short/lambda-local"].Verdict(); v.Fitted {
		t.Errorf("10 invocations were fitted: %+v", v.Fit)
	}
	if s := got["leak/local"]; s.Verdict() != s.RSS || s.ExceedsAt() != 0 {
		t.Errorf("local: verdict from %s, exceeds at %d; want the resident set and no memory size", s.Verdict().Phase, s.ExceedsAt())
	}
	if s := got["oom/lambda-local"]; !s.Failed || !s.Verdict().Fitted || !s.Verdict().Fit.Leaks() {
		t.Errorf("the failed soak of 60 invocations: failed %v, fit %+v; want failed, and fitted to a slope the rule "+
			"would call a leak in a soak of %d", s.Failed, s.Verdict().Fit, SoakMinVerdict)
	}
	// 96 KiB an invocation from 2 MiB reaches 1024 MiB at invocation
	// (1022 MiB / 96 KiB) + 1 = 10,902 (the noise moves it by a few).
	if at := got["leak/lambda-local"].ExceedsAt(); at < 10800 || at > 11000 {
		t.Errorf("leak exceeds 1024 MB at invocation %d, want about 10,902", at)
	}
	if at := got["noleak/lambda-local"].ExceedsAt(); at != 0 {
		t.Errorf("no leak, yet exceeds at %d", at)
	}
}

func TestSoakSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	FromRecords(synthSoaks()).writeSoakSummary(&buf)
	golden.Check(t, "testdata/soak-summary.golden", buf.Bytes())
	var none bytes.Buffer
	FromRecords(nil).writeSoakSummary(&none)
	if none.Len() != 0 {
		t.Errorf("a run without a soak has a soak section: %q", none.String())
	}
}

func TestSoakHTML(t *testing.T) {
	d := FromRecords(synthSoaks())
	var buf bytes.Buffer
	if err := d.writeHTML(&buf, nil, nil, true); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`<h2 id="soak">`, `<a href="#soak">Soak</a>`, `class="warn" title="` + strings.ReplaceAll(SoakRule, "'", "&#39;") + `">LEAK (max memory used)`,
		"no leak (max memory used)", "invocation 10,9", "Runtime.OutOfMemory", "failed; too short for a verdict (under 200)"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	buf.Reset()
	if err := FromRecords(nil).writeHTML(&buf, nil, nil, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `id="soak"`) {
		t.Error("a run without a soak has a soak section in report.html")
	}
}
