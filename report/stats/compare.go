package stats

import (
	"fmt"
	"math"
	"sort"
	"sync"

	mstats "github.com/aclements/go-moremath/stats"
)

// Verdict is what a comparison concludes about NEW relative to OLD, for
// figures where lower is better (time, bytes, price).
type Verdict int

const (
	// Inconclusive: neither a significant difference nor an interval
	// inside the equivalence threshold, or too little data to tell.
	Inconclusive Verdict = iota
	// Equivalent: the whole confidence interval lies within ±threshold.
	Equivalent
	// Better: significantly lower (faster, smaller, cheaper).
	Better
	// Worse: significantly higher (slower, larger, dearer).
	Worse
)

// CompareOptions set how Compare decides.
type CompareOptions struct {
	// Threshold is the equivalence margin as a fraction (0.02: ±2%).
	Threshold float64
	// Alpha is the significance level, and the false discovery rate
	// once ControlFDR has adjusted a family of comparisons.
	Alpha float64
	// Deterministic marks a figure that does not vary between processes
	// (a file's size): when each side is one constant value the ratio is
	// exact and needs no test. Timings are never deterministic, even when
	// a coarse clock makes them look constant.
	Deterministic bool
}

// Comparison is NEW relative to OLD, on process-level units.
type Comparison struct {
	// N1 and N2 count the independent units (processes) of OLD and NEW;
	// V1 and V2 the values under them.
	N1, N2, V1, V2 int
	// OldCenter and NewCenter are the geometric means of the two sides'
	// units.
	OldCenter, NewCenter float64
	// Ratio is NewCenter/OldCenter; Lo and Hi bound its Welch interval
	// at level Confidence. HasCI is false without an interval (too few
	// processes, values not positive, no spread to test).
	Ratio, Lo, Hi float64
	HasCI         bool
	// Exact is set for a deterministic figure that is one constant value
	// on each side: the ratio is then exact and no test is needed.
	Exact bool
	// Tested is set when a Welch test was made: the comparison belongs to
	// the family ControlFDR adjusts.
	Tested bool
	// P is Welch's two-sided p-value (1 when untested); Q its
	// Benjamini-Hochberg adjusted value (P until ControlFDR adjusts it).
	P, Q float64
	// DF are the Welch-Satterthwaite degrees of freedom.
	DF               float64
	Alpha, Threshold float64
	Verdict          Verdict
	// Processes, for an inconclusive verdict, estimates how many
	// processes per side would likely settle it (0 when unknown); Note
	// explains an inconclusive or unusual result.
	Processes int
	Note      string

	sd1, sd2 float64 // standard deviations of the log units
}

// Significant reports whether the difference is significant: tested, and
// Q at most Alpha (after ControlFDR, across the family), or exact and
// different.
func (c Comparison) Significant() bool {
	if c.Exact {
		return c.Ratio != 1
	}
	return c.Tested && c.HasCI && c.Q <= c.Alpha && (c.Lo > 1 || c.Hi < 1)
}

// Compare compares two sets of clustered values, groups[i] holding the
// counted values of process i (one value for a cold sample): each process
// is reduced to one unit (Units), and the units' logarithms are compared
// with Welch's t-test. Fewer than MinUnits units on a side never gives a
// verdict.
func Compare(old, new [][]float64, o CompareOptions) Comparison {
	c := Comparison{Alpha: o.Alpha, Threshold: o.Threshold, P: 1, Q: 1}
	u1, u2 := Units(old), Units(new)
	c.N1, c.N2 = len(u1), len(u2)
	c.V1, c.V2 = countValues(old), countValues(new)
	if c.N1 == 0 || c.N2 == 0 {
		c.Note = "no samples on one side"
		return c
	}
	l1, ok1 := logsOf(u1)
	l2, ok2 := logsOf(u2)
	if !ok1 || !ok2 {
		c.OldCenter, c.NewCenter = mean(u1), mean(u2)
		c.Note = "values not all positive: no ratio"
		return c
	}
	r := test(l1, l2)
	c.sd1, c.sd2 = r.sd1, r.sd2
	m1, _ := meanSD(l1)
	c.OldCenter, c.NewCenter = math.Exp(m1), math.Exp(m1+r.d)
	c.Ratio = math.Exp(r.d)
	if o.Deterministic && constant(old) && constant(new) {
		c.OldCenter, c.NewCenter = u1[0], u2[0]
		c.Ratio = u2[0] / u1[0]
		c.Exact, c.P, c.Q = true, 0, 0
		c.Lo, c.Hi, c.HasCI = c.Ratio, c.Ratio, true
		if c.Ratio == 1 {
			c.P, c.Q = 1, 1
		}
		c.decide()
		return c
	}
	if c.N1 < MinUnits || c.N2 < MinUnits {
		c.Note = fmt.Sprintf("too few processes (n=%d vs %d; need %d)", c.N1, c.N2, MinUnits)
		c.Processes = MinUnits
		return c
	}
	if r.se == 0 {
		c.Note = "no spread between processes on either side: nothing to test against (a coarse clock?)"
		return c
	}
	c.DF, c.P, c.Q = r.df, r.p, r.p
	c.Lo, c.Hi, c.HasCI, c.Tested = math.Exp(r.lo), math.Exp(r.hi), true, true
	c.decide()
	return c
}

func welchDF(v1, v2 float64, n1, n2 int) float64 {
	den := 0.0
	if v1 > 0 {
		den += v1 * v1 / float64(n1-1)
	}
	if v2 > 0 {
		den += v2 * v2 / float64(n2-1)
	}
	return (v1 + v2) * (v1 + v2) / den
}

// decide sets the verdict (and, when inconclusive, the processes likely
// to settle it) from the interval and Q.
func (c *Comparison) decide() {
	c.Verdict, c.Processes = Inconclusive, 0
	if !c.HasCI {
		return
	}
	if c.Exact {
		switch {
		case math.Abs(c.Ratio-1) <= c.Threshold:
			c.Verdict = Equivalent
		case c.Ratio < 1:
			c.Verdict = Better
		default:
			c.Verdict = Worse
		}
		return
	}
	switch {
	case c.Significant() && c.Hi < 1:
		c.Verdict = Better
	case c.Significant() && c.Lo > 1:
		c.Verdict = Worse
	case c.Lo >= 1-c.Threshold && c.Hi <= 1+c.Threshold:
		c.Verdict = Equivalent
	default:
		c.Processes = ProcessesNeeded(math.Log(c.Ratio), c.sd1, c.sd2, c.N1, c.N2, c.Threshold, c.Alpha)
	}
}

// ControlFDR adjusts the p-values of a family of comparisons (the rows of
// one compare) with Benjamini-Hochberg and decides each again on the
// adjusted value Q: the expected share of false "faster" or "slower"
// verdicts among all of them stays at most Alpha. Untested comparisons
// (exact, too few processes) are not part of the family. It returns the
// family's size.
func ControlFDR(cs []*Comparison) int {
	var tested []*Comparison
	var ps []float64
	for _, c := range cs {
		if c.Tested {
			tested = append(tested, c)
			ps = append(ps, c.P)
		}
	}
	for i, q := range AdjustBH(ps) {
		tested[i].Q = q
		tested[i].decide()
	}
	return len(tested)
}

// Power is the probability ProcessesNeeded plans for: of settling the
// question when the true ratio is the one estimated.
const Power = 0.8

// SpreadBound is the one-sided confidence level of the upper bound on the
// spread ProcessesNeeded assumes.
const SpreadBound = 0.9

// ProcessesNeeded estimates how many processes per side would settle an
// inconclusive comparison: either show a difference of d (the estimated
// log ratio) at level alpha, or fit the interval inside ±threshold, each
// with probability Power. It assumes the true log ratio is d and the
// spread of both sides is at most the larger of their SpreadBound upper
// confidence bounds (s·sqrt((n-1)/χ²)), so it errs on the side of more.
// It does not allow for the correction for many rows (ControlFDR), which
// can ask for more. It
// returns 0 when no realistic count settles it (the estimate sits on the
// threshold) and never less than MinUnits or the count already there
// plus one.
func ProcessesNeeded(d, s1, s2 float64, n1, n2 int, threshold, alpha float64) int {
	if n1 < 2 || n2 < 2 {
		return MinUnits
	}
	// The test's standard error uses the larger spread for both sides.
	u := math.Max(s1*math.Sqrt(float64(n1-1)/chi2Quantile(1-SpreadBound, float64(n1-1))),
		s2*math.Sqrt(float64(n2-1)/chi2Quantile(1-SpreadBound, float64(n2-1))))
	vv := 2 * u * u
	if vv == 0 {
		return 0
	}
	eqLo, eqHi := math.Log(1-threshold), math.Log(1+threshold)
	settles := func(n int) bool {
		df := float64(2 * (n - 1)) // Welch's df with equal spreads and counts
		need := (tQuantileInt(1-alpha/2, df) + tQuantileInt(Power, df)) * math.Sqrt(vv/float64(n))
		return math.Abs(d) >= need || d > eqLo && d < eqHi && math.Min(eqHi-d, d-eqLo) >= need
	}
	const limit = 100000
	start := max(n1, n2, MinUnits)
	if !settles(limit) {
		return 0
	}
	// settles is monotone in n: the smallest n that settles it.
	lo, hi := start-1, limit
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if settles(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return max(hi, start+1)
}

var (
	tqMu    sync.Mutex
	tqCache = map[[2]float64]float64{}
)

// tQuantileInt is tQuantile, remembered for the integer degrees of
// freedom ProcessesNeeded asks about again and again.
func tQuantileInt(p, df float64) float64 {
	k := [2]float64{p, df}
	tqMu.Lock()
	v, ok := tqCache[k]
	tqMu.Unlock()
	if ok {
		return v
	}
	v = tQuantile(p, df)
	tqMu.Lock()
	tqCache[k] = v
	tqMu.Unlock()
	return v
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

func countValues(groups [][]float64) int {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	return n
}

// constant reports whether every value of every group is the same.
func constant(groups [][]float64) bool {
	first, set := 0.0, false
	for _, g := range groups {
		for _, v := range g {
			if !set {
				first, set = v, true
			} else if v != first {
				return false
			}
		}
	}
	return set
}

func sorted(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s
}

func median(sorted []float64) float64 {
	return mstats.Sample{Xs: sorted, Sorted: true}.Quantile(0.5)
}
