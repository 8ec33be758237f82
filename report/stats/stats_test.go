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
	if s.HasP95 || s.HasP99 {
		t.Error("p95/p99 from 10 samples")
	}
	if len(s.Outliers) != 0 {
		t.Errorf("outliers in 1..10: %v", s.Outliers)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Errorf("empty: %+v", s)
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
