package stats

import (
	"math"
	"strings"
	"testing"

	mstats "github.com/aclements/go-moremath/stats"
)

var defOpts = CompareOptions{Threshold: 0.02, Alpha: 0.05}

// cold makes one group per value: cold samples, each its own process.
func cold(vs ...float64) [][]float64 {
	g := make([][]float64, len(vs))
	for i, v := range vs {
		g[i] = []float64{v}
	}
	return g
}

func TestCompareKnown(t *testing.T) {
	// Warm processes: each unit is its process's median.
	old := [][]float64{{99, 100, 101}, {101, 102, 103}, {97, 98, 99}, {100, 101, 102}, {98, 99, 100}}
	var new [][]float64
	for _, g := range old {
		var n []float64
		for _, v := range g {
			n = append(n, 1.5*v)
		}
		new = append(new, n)
	}
	c := Compare(old, new, defOpts)
	if !near(c.Ratio, 1.5, 1e-12) || c.Verdict != Worse || !c.HasCI || c.Lo > 1.5 || c.Hi < 1.5 || c.N1 != 5 || c.V1 != 15 {
		t.Errorf("1.5x: %+v", c)
	}
	// Welch's test on the log units, as go-moremath computes it.
	var l1, l2 []float64
	for _, u := range Units(old) {
		l1 = append(l1, math.Log(u))
	}
	for _, u := range Units(new) {
		l2 = append(l2, math.Log(u))
	}
	want, err := mstats.TwoSampleWelchTTest(mstats.Sample{Xs: l1}, mstats.Sample{Xs: l2}, mstats.LocationDiffers)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.P, want.P, 1e-9) || !near(c.DF, want.DoF, 1e-9) {
		t.Errorf("p = %v df = %v, want %v %v", c.P, c.DF, want.P, want.DoF)
	}
	if back := Compare(new, old, defOpts); back.Verdict != Better || !near(back.Ratio, 1/1.5, 1e-12) {
		t.Errorf("reversed: %+v", back)
	}
}

func TestCompareEquivalentAndInconclusive(t *testing.T) {
	old := cold(1000, 1004, 998, 1002, 1001, 999)
	new := cold(1001, 1003, 999, 1002, 1000, 1001)
	if c := Compare(old, new, defOpts); c.Verdict != Equivalent {
		t.Errorf("same values: %+v", c)
	}
	noisyOld := cold(100, 120, 90, 110, 105, 95)
	noisyNew := cold(104, 125, 93, 115, 108, 99)
	c := Compare(noisyOld, noisyNew, defOpts)
	if c.Verdict != Inconclusive || c.Processes <= 6 {
		t.Errorf("noisy 4%%: %+v", c)
	}
}

// No verdict from too little data: below MinUnits processes a side, and
// never from one sample per side, however different.
func TestTooFewProcesses(t *testing.T) {
	for _, tc := range []struct {
		old, new [][]float64
		note     string
	}{
		{cold(1000), cold(2000), "n=1 vs 1"},
		{[][]float64{{1, 1.01, 0.99, 1, 1}}, [][]float64{{3, 3.01, 2.99}}, "n=1 vs 1"},
		{cold(1, 1.1), cold(2, 2.1, 2.2, 2.3, 2.4), "n=2 vs 5"},
	} {
		c := Compare(tc.old, tc.new, defOpts)
		if c.Verdict != Inconclusive || c.HasCI || c.Significant() || c.P != 1 {
			t.Errorf("%s: %+v", tc.note, c)
		}
		if !strings.Contains(c.Note, "too few processes ("+tc.note+"; need 3)") {
			t.Errorf("%s: note %q", tc.note, c.Note)
		}
	}
}

// The exact path is for deterministic figures only.
func TestCompareExact(t *testing.T) {
	size := CompareOptions{Threshold: 0.02, Alpha: 0.05, Deterministic: true}
	if c := Compare(cold(1000), cold(1100), size); !c.Exact || c.Verdict != Worse || c.Ratio != 1.1 || !c.Significant() {
		t.Errorf("size grew 10%%: %+v", c)
	}
	if c := Compare(cold(1000, 1000), cold(1010), size); c.Verdict != Equivalent {
		t.Errorf("size grew 1%%: %+v", c)
	}
	if c := Compare(cold(1000), cold(1000), size); c.Verdict != Equivalent || c.Significant() {
		t.Errorf("same size: %+v", c)
	}
	// A timing that happens to be constant (a coarse clock) is not
	// exact: no verdict from it.
	if c := Compare(cold(2e6, 2e6, 2e6, 2e6), cold(3e6, 3e6, 3e6, 3e6), defOpts); c.Exact || c.Verdict != Inconclusive || c.Note == "" {
		t.Errorf("constant timings: %+v", c)
	}
	if c := Compare(cold(2e6), cold(3e6), defOpts); c.Exact || c.Verdict != Inconclusive {
		t.Errorf("one timing per side: %+v", c)
	}
	if c := Compare(nil, cold(1), defOpts); c.Verdict != Inconclusive || c.Note == "" {
		t.Errorf("empty side: %+v", c)
	}
}

func TestControlFDR(t *testing.T) {
	// Four rows: one clear difference, one marginal (p just under 0.05),
	// two equal. Alone, the marginal one is a verdict; in the family its
	// q is p*4/2 > 0.05.
	clear := Compare(cold(100, 101, 99, 100, 102), cold(120, 121, 119, 120, 122), defOpts)
	marginal := Compare(cold(100, 104, 96, 102, 98), cold(105, 109.2, 100.8, 107.1, 102.9), defOpts)
	if marginal.Verdict != Worse || marginal.P > 0.05 || marginal.P < 0.025 {
		t.Fatalf("marginal row alone: p=%v %v", marginal.P, marginal.Verdict)
	}
	same1 := Compare(cold(100, 104, 96, 102, 98), cold(100, 104, 96, 102, 98), defOpts)
	same2 := same1
	exact := Compare(cold(1000), cold(1100), CompareOptions{Threshold: 0.02, Alpha: 0.05, Deterministic: true})
	fam := []*Comparison{&clear, &marginal, &same1, &same2, &exact}
	if n := ControlFDR(fam); n != 4 {
		t.Errorf("family of %d, want 4 (the exact row is not tested)", n)
	}
	if clear.Verdict != Worse || marginal.Verdict != Inconclusive || !near(marginal.Q, math.Min(1, marginal.P*4/2), 1e-12) {
		t.Errorf("after BH: clear %v q=%v, marginal %v q=%v", clear.Verdict, clear.Q, marginal.Verdict, marginal.Q)
	}
	if exact.Verdict != Worse {
		t.Errorf("exact row changed: %+v", exact)
	}
}

func TestProcessesNeeded(t *testing.T) {
	// More spread, a smaller effect or fewer processes so far: more
	// processes needed; a difference far beyond the noise: no more than
	// one extra.
	base := ProcessesNeeded(math.Log(1.03), 0.03, 0.03, 5, 5, 0.02, 0.05)
	if base <= 5 {
		t.Fatalf("3%% at 3%% spread with 5 processes: %d", base)
	}
	if n := ProcessesNeeded(math.Log(1.03), 0.06, 0.06, 5, 5, 0.02, 0.05); n <= base {
		t.Errorf("double the spread: %d, not more than %d", n, base)
	}
	if n := ProcessesNeeded(math.Log(1.03), 0.03, 0.03, 20, 20, 0.02, 0.05); n >= base {
		t.Errorf("a better-known spread (20 processes): %d, not fewer than %d", n, base)
	}
	if n := ProcessesNeeded(math.Log(1.5), 0.01, 0.01, 5, 5, 0.02, 0.05); n != 6 {
		t.Errorf("huge effect: %d, want 6", n)
	}
	// The estimate sits on the equivalence threshold: only a test of a
	// 2% difference settles it, with many processes.
	if n := ProcessesNeeded(math.Log(1.02), 0.05, 0.05, 5, 5, 0.02, 0.05); n < 100 {
		t.Errorf("on the threshold: %d, want hundreds", n)
	}
	// No equivalence margin and next to no difference: no realistic
	// count settles it.
	if n := ProcessesNeeded(1e-4, 0.05, 0.05, 5, 5, 0, 0.05); n != 0 {
		t.Errorf("no margin, no difference: %d, want 0", n)
	}
}

func TestDistributions(t *testing.T) {
	for _, c := range []struct{ p, k, want float64 }{{0.1, 4, 1.063623}, {0.95, 1, 3.841459}, {0.1, 9, 4.168159}} {
		if got := chi2Quantile(c.p, c.k); math.Abs(got-c.want) > 1e-5 {
			t.Errorf("chi2(%v, %v) = %v, want %v", c.p, c.k, got, c.want)
		}
	}
	// F(4, 9) at 3.633 is the 0.95 quantile.
	if got := fCDF(3.633089, 4, 9); math.Abs(got-0.95) > 1e-5 {
		t.Errorf("F cdf = %v", got)
	}
	r, p := SpreadTest(0.02, 10, 0.02, 10)
	if r != 1 || !near(p, 1, 1e-9) {
		t.Errorf("equal spreads: ratio %v p %v", r, p)
	}
	if _, p := SpreadTest(0.08, 10, 0.01, 10); p > 0.001 {
		t.Errorf("8x spread: p %v", p)
	}
	// More than 3x: 8x in 10 and 20 units is; 3.5x in 5 units is not
	// shown to be.
	if p := SpreadExceeds(0.08, 10, 0.01, 20, 3); p > 0.01 {
		t.Errorf("8x over 3x: p %v", p)
	}
	if p := SpreadExceeds(0.035, 5, 0.01, 20, 3); p < 0.05 {
		t.Errorf("3.5x over 3x from 5 units: p %v", p)
	}
}
