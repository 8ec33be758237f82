package stats

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func seq(from, to float64) []float64 {
	var v []float64
	for x := from; x <= to; x++ {
		v = append(v, x)
	}
	return v
}

func TestSummarizeKnownValues(t *testing.T) {
	s := Summarize(seq(1, 10))
	// Mean 5.5, sample standard deviation sqrt(82.5/9).
	if s.N != 10 || s.Median != 5.5 || s.Mean != 5.5 || !near(s.Stddev, math.Sqrt(82.5/9), 1e-12) {
		t.Errorf("n=%d median=%v mean=%v sd=%v", s.N, s.Median, s.Mean, s.Stddev)
	}
	if !near(s.CV, math.Sqrt(82.5/9)/5.5, 1e-12) || s.Min != 1 || s.Max != 10 {
		t.Errorf("cv=%v min=%v max=%v", s.CV, s.Min, s.Max)
	}
	// n=10: the distribution-free 95% interval for the median is
	// [x(2), x(9)], with coverage 1 - 2*11/1024 = 0.978515625.
	if !s.HasCI || s.CILo != 2 || s.CIHi != 9 || !near(s.CIConfidence, 1-2*11.0/1024, 1e-9) {
		t.Errorf("CI [%v, %v] at %v", s.CILo, s.CIHi, s.CIConfidence)
	}
	if s.HasP95 || s.HasP99 {
		t.Error("p95/p99 from 10 samples")
	}
	if len(s.Outliers) != 0 {
		t.Errorf("outliers in 1..10: %v", s.Outliers)
	}
}

func TestPercentiles(t *testing.T) {
	s := Summarize(seq(1, 20))
	// R type 8: h = 1/3 + 0.95*(20+1/3) = 19.65 -> x19 + 0.65*(x20-x19).
	if !s.HasP95 || !near(s.P95, 19.65, 1e-9) || s.HasP99 {
		t.Errorf("p95 = %v (%v), p99 present %v", s.P95, s.HasP95, s.HasP99)
	}
	s = Summarize(seq(1, 100))
	// h = 1/3 + 0.99*(100+1/3) = 99.663...
	if !s.HasP99 || !near(s.P99, 1/3.0+0.99*(100+1/3.0), 1e-9) {
		t.Errorf("p99 = %v", s.P99)
	}
}

func TestTooFewForCI(t *testing.T) {
	if MinCISamples() != 6 {
		t.Fatalf("MinCISamples = %d, want 6 (1/2^5 > 0.025 >= 1/2^6)", MinCISamples())
	}
	s := Summarize([]float64{3, 1, 2, 5, 4})
	if s.HasCI || s.CINote == "" || s.Median != 3 {
		t.Errorf("5 samples: HasCI=%v note=%q median=%v", s.HasCI, s.CINote, s.Median)
	}
	if s := Summarize(nil); s.N != 0 || s.HasCI {
		t.Errorf("empty: %+v", s)
	}
	if s := Summarize(seq(1, 6)); !s.HasCI || s.CILo != 1 || s.CIHi != 6 {
		t.Errorf("6 samples: CI [%v, %v] %v", s.CILo, s.CIHi, s.HasCI)
	}
}

func TestOutliersByMAD(t *testing.T) {
	v := []float64{10, 10.1, 9.9, 10.2, 9.8, 10, 30}
	s := Summarize(v)
	// median 10, MAD 0.1: 30 has modified z 0.6745*20/0.1 = 135; 10.2 only 1.35.
	if !near(s.MAD, 0.1, 1e-9) || len(s.Outliers) != 1 || s.Outliers[0] != 30 || !s.IsOutlier(30) || s.IsOutlier(10.2) {
		t.Errorf("MAD=%v outliers=%v", s.MAD, s.Outliers)
	}
	// Flagged, not dropped: the mean still includes 30.
	if !near(s.Mean, (10+10.1+9.9+10.2+9.8+10+30)/7, 1e-9) || s.Max != 30 {
		t.Errorf("mean %v max %v: the outlier was dropped", s.Mean, s.Max)
	}
	// More than half equal: MAD is 0 and the mean deviation stands in.
	s = Summarize([]float64{5, 5, 5, 5, 5, 6, 50})
	if len(s.Outliers) != 1 || s.Outliers[0] != 50 {
		t.Errorf("MAD 0: outliers %v", s.Outliers)
	}
	if s := Summarize([]float64{118, 120, 133, 119}); len(s.Outliers) != 0 {
		t.Errorf("4 samples: flagged %v (too few to call anything an outlier)", s.Outliers)
	}
	if s := Summarize([]float64{7, 7, 7, 7, 7}); len(s.Outliers) != 0 {
		t.Errorf("constant sample has outliers %v", s.Outliers)
	}
}

func TestMosesK(t *testing.T) {
	// Critical values of the two-sided Mann-Whitney test at 0.05
	// (tables): n=4,4: 0; 5,5: 2; 10,10: 23; the interval uses the
	// (critical+1)th difference. n=3,3 has no 95% interval.
	for _, c := range []struct{ n1, n2, k int }{{3, 3, 0}, {4, 4, 1}, {5, 5, 3}, {10, 10, 24}, {8, 6, 9}} {
		if k := mosesK(c.n1, c.n2, 0.05); k != c.k {
			t.Errorf("mosesK(%d,%d) = %d, want %d", c.n1, c.n2, k, c.k)
		}
	}
	// The normal approximation (n > 50) is close to the exact value.
	exact, approx := mosesK(50, 50, 0.05), int(math.Floor(1250-1.959963984540054*math.Sqrt(2500*101.0/12)))
	if math.Abs(float64(exact-approx)) > 2 || mosesK(60, 60, 0.05) < exact {
		t.Errorf("k(50,50)=%d approx %d k(60,60)=%d", exact, approx, mosesK(60, 60, 0.05))
	}
}

func TestCompareKnown(t *testing.T) {
	old := seq(100, 109)
	var new []float64
	for _, x := range old {
		new = append(new, 1.5*x)
	}
	c := Compare(old, new, 0.02, 0.05)
	// Every pairwise log ratio is log 1.5 + log(x_j/x_i), symmetric
	// around log 1.5: the estimate is exactly 1.5.
	if !near(c.Ratio, 1.5, 1e-12) || c.Verdict != Worse || !c.HasCI || c.Lo > 1.5 || c.Hi < 1.5 || c.Lo < 1.4 {
		t.Errorf("1.5x: %+v", c)
	}
	// No overlap at all: the exact two-sided p is 2/C(20,10).
	if !near(c.P, 2/184756.0, 1e-9) {
		t.Errorf("p = %v, want %v", c.P, 2/184756.0)
	}
	if back := Compare(new, old, 0.02, 0.05); back.Verdict != Better || !near(back.Ratio, 1/1.5, 1e-12) {
		t.Errorf("reversed: %+v", back)
	}
}

func TestCompareEquivalentAndInconclusive(t *testing.T) {
	old := seq(1000, 1009)
	new := []float64{1004, 1000, 1008, 1002, 1001, 1009, 1003, 1006, 1005, 1007}
	if c := Compare(old, new, 0.02, 0.05); c.Verdict != Equivalent {
		t.Errorf("same values: %+v", c)
	}
	noisyOld := []float64{100, 120, 90, 110, 105, 95}
	noisyNew := []float64{104, 125, 93, 115, 108, 99}
	c := Compare(noisyOld, noisyNew, 0.02, 0.05)
	if c.Verdict != Inconclusive || c.MoreSamples < 2 {
		t.Errorf("noisy 4%%: %+v", c)
	}
	// More samples of the same spread settle it; the estimate said so.
	var o2, n2 []float64
	for i := 0; i < 1+c.MoreSamples/len(noisyOld)+1; i++ {
		o2 = append(o2, noisyOld...)
		n2 = append(n2, noisyNew...)
	}
	if c2 := Compare(o2, n2, 0.02, 0.05); c2.Verdict == Inconclusive && c2.MoreSamples >= c.MoreSamples {
		t.Errorf("with %d samples per side still inconclusive, and no closer: %+v", len(o2), c2)
	}
	few := Compare([]float64{1, 2, 3}, []float64{4, 5, 6}, 0.02, 0.05)
	if few.Verdict != Inconclusive || few.HasCI || few.MoreSamples != 1 || few.Note == "" {
		t.Errorf("3 vs 3: %+v", few)
	}
}

func TestCompareExact(t *testing.T) {
	if c := Compare([]float64{1000}, []float64{1100}, 0.02, 0.05); !c.Exact || c.Verdict != Worse || c.Ratio != 1.1 {
		t.Errorf("size grew 10%%: %+v", c)
	}
	if c := Compare([]float64{1000, 1000}, []float64{1010}, 0.02, 0.05); c.Verdict != Equivalent {
		t.Errorf("size grew 1%%: %+v", c)
	}
	if c := Compare(nil, []float64{1}, 0.02, 0.05); c.Verdict != Inconclusive || c.Note == "" {
		t.Errorf("empty side: %+v", c)
	}
}

func TestGeomean(t *testing.T) {
	if g := Geomean([]float64{0.5, 2, 1}); !near(g, 1, 1e-12) {
		t.Errorf("geomean = %v", g)
	}
	if g := Geomean([]float64{4, 1}); !near(g, 2, 1e-12) {
		t.Errorf("geomean = %v", g)
	}
	if !math.IsNaN(Geomean(nil)) {
		t.Error("geomean of nothing is a number")
	}
}
