package stats

import (
	"math"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
)

// Confidence is the confidence level of every interval this package
// reports.
const Confidence = 0.95

// Minimum sample counts for the upper percentiles: below them p95 and p99
// would only be the maximum under another name.
const (
	MinN95 = 20
	MinN99 = 100
)

// OutlierZ is the modified z-score (0.6745·|x−median|/MAD) above which a
// value is flagged as an outlier (Iglewicz and Hoaglin's 3.5).
const OutlierZ = 3.5

// MinOutlierN is the smallest sample in which outliers are flagged: in
// three or four values the median absolute deviation is too unsteady to
// call any of them an outlier.
const MinOutlierN = 5

// Summary describes one sample's values as they are, pooled across
// processes: it is descriptive only. Intervals and tests treat the
// process as the unit (SummarizeProcesses, Compare), because executions
// of one process are not independent.
type Summary struct {
	N                    int
	Median, Mean, Stddev float64
	// CV is the coefficient of variation, Stddev/Mean (0 when N < 2).
	CV       float64
	Min, Max float64
	// P95 and P99 are set when N reaches MinN95 and MinN99.
	P95, P99       float64
	HasP95, HasP99 bool
	// MAD is the median absolute deviation from the median.
	MAD float64
	// Outliers are the values whose modified z-score exceeds OutlierZ,
	// ascending. They are flagged, never removed: every other figure
	// includes them.
	Outliers []float64
}

// Summarize computes the summary of values (which it does not modify).
func Summarize(values []float64) Summary {
	var s Summary
	s.N = len(values)
	if s.N == 0 {
		return s
	}
	xs := sorted(values)
	ms := mstats.Sample{Xs: xs, Sorted: true}
	s.Min, s.Max = xs[0], xs[len(xs)-1]
	s.Mean = ms.Mean()
	if s.N > 1 {
		s.Stddev = ms.StdDev()
		if s.Mean != 0 {
			s.CV = s.Stddev / math.Abs(s.Mean)
		}
	}
	if s.N >= MinN95 {
		s.P95, s.HasP95 = ms.Quantile(0.95), true
	}
	if s.N >= MinN99 {
		s.P99, s.HasP99 = ms.Quantile(0.99), true
	}
	s.Median = ms.Quantile(0.5)
	s.MAD, s.Outliers = outliers(xs, s.Median)
	return s
}

// outliers flags the values of sorted xs whose modified z-score exceeds
// OutlierZ. When more than half the values are equal the MAD is 0; the
// mean absolute deviation (scaled to estimate the same spread) stands in.
func outliers(xs []float64, median float64) (mad float64, out []float64) {
	if len(xs) < MinOutlierN {
		return 0, nil
	}
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - median)
	}
	sort.Float64s(dev)
	mad = mstats.Sample{Xs: dev, Sorted: true}.Quantile(0.5)
	scale := mad / 0.6745
	if mad == 0 {
		var sum float64
		for _, d := range dev {
			sum += d
		}
		scale = 1.2533 * sum / float64(len(dev))
	}
	if scale == 0 {
		return mad, nil
	}
	for _, x := range xs {
		if math.Abs(x-median)/scale > OutlierZ {
			out = append(out, x)
		}
	}
	return mad, out
}

// IsOutlier reports whether x is one of s's flagged outliers.
func (s Summary) IsOutlier(x float64) bool {
	i := sort.SearchFloat64s(s.Outliers, x)
	return i < len(s.Outliers) && s.Outliers[i] == x
}
