package stats

import (
	"fmt"
	"math"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"
)

// Verdict is what a comparison concludes about NEW relative to OLD, for
// figures where lower is better (time, bytes, price).
type Verdict int

const (
	// Inconclusive: neither a significant difference nor an interval
	// inside the equivalence threshold.
	Inconclusive Verdict = iota
	// Equivalent: the whole confidence interval lies within ±threshold.
	Equivalent
	// Better: significantly lower (faster, smaller, cheaper).
	Better
	// Worse: significantly higher (slower, larger, dearer).
	Worse
)

// Comparison is NEW relative to OLD.
type Comparison struct {
	N1, N2 int
	// OldMedian and NewMedian are the two samples' medians.
	OldMedian, NewMedian float64
	// Ratio estimates NEW/OLD: the exponential of the Hodges-Lehmann
	// estimate of the shift between log(NEW) and log(OLD), the median
	// of all pairwise log ratios. Lo and Hi bound its confidence interval
	// (Moses' distribution-free interval, the one that goes with the
	// Mann-Whitney U test); HasCI is false when the samples are too
	// small for one.
	Ratio, Lo, Hi float64
	HasCI         bool
	// Exact is set when both samples are constant (sizes, say): the
	// ratio is then exact and no test is needed.
	Exact bool
	// P is the Mann-Whitney U test's p-value; Alpha its threshold.
	P, Alpha float64
	// Threshold is the equivalence margin: ±Threshold around 1.
	Threshold float64
	Verdict   Verdict
	// MoreSamples, for an inconclusive verdict, estimates how many more
	// samples per side would likely settle it (0 when unknown); Note
	// explains an inconclusive or unusual result.
	MoreSamples int
	Note        string
}

// Compare compares two samples. threshold is the equivalence margin as a
// fraction (0.02 for ±2%); alpha the significance level (0.05).
func Compare(old, new []float64, threshold, alpha float64) Comparison {
	c := Comparison{N1: len(old), N2: len(new), Alpha: alpha, Threshold: threshold, P: 1}
	if c.N1 == 0 || c.N2 == 0 {
		c.Note = "no samples on one side"
		return c
	}
	xs := sorted(old)
	ys := sorted(new)
	c.OldMedian = median(xs)
	c.NewMedian = median(ys)
	if xs[0] <= 0 || ys[0] <= 0 {
		c.Note = "values not all positive: no ratio"
		return c
	}
	if xs[0] == xs[len(xs)-1] && ys[0] == ys[len(ys)-1] {
		c.Exact = true
		c.Ratio = ys[0] / xs[0]
		c.Lo, c.Hi, c.HasCI = c.Ratio, c.Ratio, true
		c.P = 0
		switch {
		case math.Abs(c.Ratio-1) <= threshold:
			c.Verdict = Equivalent
		case c.Ratio < 1:
			c.Verdict = Better
		default:
			c.Verdict = Worse
		}
		return c
	}

	th := benchmath.DefaultThresholds
	th.CompareAlpha = alpha
	cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(xs, &th), benchmath.NewSample(ys, &th))
	c.P = cmp.P

	// All pairwise log ratios: their median is the Hodges-Lehmann
	// estimate, their order statistics bound Moses' interval.
	d := make([]float64, 0, len(xs)*len(ys))
	for _, x := range xs {
		lx := math.Log(x)
		for _, y := range ys {
			d = append(d, math.Log(y)-lx)
		}
	}
	sort.Float64s(d)
	c.Ratio = math.Exp(median(d))
	if k := mosesK(len(xs), len(ys), alpha); k >= 1 {
		c.Lo, c.Hi, c.HasCI = math.Exp(d[k-1]), math.Exp(d[len(d)-k]), true
	}
	c.Verdict, c.MoreSamples, c.Note = verdict(c)
	return c
}

func verdict(c Comparison) (Verdict, int, string) {
	if !c.HasCI {
		need := minSamples(c.Alpha)
		have := min(c.N1, c.N2)
		return Inconclusive, need - have, fmt.Sprintf("too few samples: need at least %d per side", need)
	}
	if c.Lo >= 1-c.Threshold && c.Hi <= 1+c.Threshold {
		return Equivalent, 0, ""
	}
	if c.P < c.Alpha && c.Hi < 1 {
		return Better, 0, ""
	}
	if c.P < c.Alpha && c.Lo > 1 {
		return Worse, 0, ""
	}
	// The interval shrinks around the estimate roughly as 1/sqrt(n). It
	// settles the question when it either excludes 1 or fits inside the
	// threshold; whichever needs less shrinking comes first.
	est := math.Log(c.Ratio)
	lo, hi := math.Log(c.Lo), math.Log(c.Hi)
	eqLo, eqHi := math.Log(1-c.Threshold), math.Log(1+c.Threshold)
	f := 0.0 // the largest shrink factor (new width / old width) that settles it
	if est > eqLo && est < eqHi {
		f = math.Min(ratioOr1(est-eqLo, est-lo), ratioOr1(eqHi-est, hi-est))
	}
	if est > 0 && est-lo > 0 {
		f = math.Max(f, est/(est-lo))
	} else if est < 0 && hi-est > 0 {
		f = math.Max(f, -est/(hi-est))
	}
	n := min(c.N1, c.N2)
	if f <= 1e-3 {
		return Inconclusive, 0, "the estimate sits on the threshold: more samples may not settle it"
	}
	need := int(math.Ceil(float64(n) / (f * f)))
	// The estimate is rough (the interval does not shrink exactly as
	// 1/sqrt(n), and the estimate moves): never promise fewer than 2.
	return Inconclusive, max(need-n, 2), ""
}

func ratioOr1(a, b float64) float64 {
	if b <= 0 {
		return 1
	}
	return a / b
}

// mosesK is the order statistic (1-based) of the pairwise differences
// that bounds Moses' interval at level 1-alpha: the largest k with
// P(U <= k-1) <= alpha/2. It is 0 when no such k exists.
func mosesK(n1, n2 int, alpha float64) int {
	mn := n1 * n2
	if n1 <= 50 && n2 <= 50 {
		u := mstats.UDist{N1: n1, N2: n2}
		k := 0
		for k < mn/2 && u.CDF(float64(k)) <= alpha/2 {
			k++
		}
		return k
	}
	z := mstats.StdNormal.InvCDF(1 - alpha/2)
	c := float64(mn)/2 - z*math.Sqrt(float64(mn)*float64(n1+n2+1)/12)
	return int(math.Floor(c))
}

// minSamples is the smallest equal sample size with a Moses interval at
// level 1-alpha.
func minSamples(alpha float64) int {
	for n := 2; n <= 50; n++ {
		if mosesK(n, n, alpha) >= 1 {
			return n
		}
	}
	return 51
}

// Geomean is the geometric mean of positive ratios (NaN when none).
func Geomean(ratios []float64) float64 {
	var s float64
	n := 0
	for _, r := range ratios {
		if r > 0 && !math.IsInf(r, 0) && !math.IsNaN(r) {
			s += math.Log(r)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Exp(s / float64(n))
}

func sorted(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s
}

func median(sorted []float64) float64 {
	return mstats.Sample{Xs: sorted, Sorted: true}.Quantile(0.5)
}
