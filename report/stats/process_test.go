package stats

import (
	"math"
	"math/rand"
	"testing"
)

// simulateUnits draws n processes, each shifted by a lognormal factor of
// spread between, with k executions of spread within.
func simulateUnits(r *rand.Rand, n, k int, center, between, within float64) [][]float64 {
	g := make([][]float64, n)
	for i := range g {
		shift := r.NormFloat64() * between
		for j := 0; j < k; j++ {
			g[i] = append(g[i], center*math.Exp(shift+r.NormFloat64()*within))
		}
	}
	return g
}

// A/A rows with a per-process shift as large as the within-process noise:
// the process-level test must call at most about 5% of them different
// (sim_test.go holds the full suite).
func TestCompareUnitsAAFalseRate(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const rows = 4000
	nFalse := 0
	for i := 0; i < rows; i++ {
		a := Units(simulateUnits(r, 4, 10, 1e9, 0.05, 0.05))
		b := Units(simulateUnits(r, 4, 10, 1e9, 0.05, 0.05))
		if c := CompareUnits(a, b); c.P < 0.05 {
			nFalse++
		}
	}
	if rate := float64(nFalse) / rows; rate > 0.065 {
		t.Errorf("A/A false verdict rate %.3f, want <= 0.05 (+ simulation error)", rate)
	}
}

func TestSummarizeProcessesCoverage(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	const trials = 4000
	covered := 0
	for i := 0; i < trials; i++ {
		p := SummarizeProcesses(simulateUnits(r, 5, 6, 1e6, 0.08, 0.03))
		if !p.HasCI {
			t.Fatalf("5 processes: no interval: %s", p.Note)
		}
		// The true geometric mean of the unit medians is 1e6.
		if p.Lo <= 1e6 && 1e6 <= p.Hi {
			covered++
		}
	}
	if cov := float64(covered) / trials; cov < 0.935 {
		t.Errorf("95%% interval covered the truth in %.3f of trials", cov)
	}
}

func TestTooFewUnits(t *testing.T) {
	c := CompareUnits([]float64{1, 1.1}, []float64{2, 2.1, 2.2})
	if c.HasCI || c.P != 1 {
		t.Errorf("2 units on a side: got interval %v p=%v, want none", c.HasCI, c.P)
	}
	p := SummarizeProcesses([][]float64{{1, 2, 3}, {2, 3}})
	if p.HasCI || p.Units != 2 || p.Values != 5 {
		t.Errorf("got %+v", p)
	}
}

func TestAdjustBH(t *testing.T) {
	q := AdjustBH([]float64{0.01, 0.04, 0.03, 0.5})
	// Hand computation: sorted p = .01 .03 .04 .5 -> p*n/rank = .04 .06 .0533 .5;
	// running minimum from the top: .04 .0533 .0533 .5.
	exp := []float64{0.04, 0.16 / 3, 0.16 / 3, 0.5}
	for i := range q {
		if math.Abs(q[i]-exp[i]) > 1e-12 {
			t.Errorf("q[%d] = %v, want %v", i, q[i], exp[i])
		}
	}
}

func TestTQuantile(t *testing.T) {
	for _, c := range []struct{ df, want float64 }{{2, 4.302653}, {4, 2.776445}, {30, 2.042272}} {
		if got := tQuantile(0.975, c.df); math.Abs(got-c.want) > 1e-5 {
			t.Errorf("t(0.975, %v) = %v, want %v", c.df, got, c.want)
		}
	}
}
