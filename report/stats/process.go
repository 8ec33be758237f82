package stats

// Process-level statistics: the process is the unit of replication.
//
// Every process (a cold sample's fresh worker, a warm worker, a fresh
// Lambda environment or container) shifts all of its values together:
// the CPU it landed on, its memory layout, what else ran on the machine
// meanwhile. Executions inside one warm process are therefore a cluster,
// not independent draws, and treating them as independent makes every
// interval too narrow and every test too eager (a seeded simulation with a
// per-process shift equal to the within-process noise labels 44% of
// identical rows faster or slower when 2 processes of 10 executions are
// pooled; see sim_test.go).
//
// So each process is reduced to one unit value (the median of its counted
// executions; a cold sample is its own unit), and all inference is done on
// the units: the centre is their geometric mean, the interval a Student t
// interval on their logarithms, and a comparison a t-test on the
// logarithms of the two runs' units, whose exponentiated mean difference
// is the ratio NEW/OLD. Logarithms make the interval a ratio interval
// (timings are right-skewed and compared as ratios) and let the t
// procedures' assumption (roughly normal units) hold far better than on
// raw times.
//
// The comparison's standard error takes the larger of the two sides'
// spreads for both (with Welch-Satterthwaite degrees of freedom). A run
// that samples each cell until its interval is narrow enough stops more
// often when its processes happened to agree, so each side's own spread
// is biased low; with it, seeded simulations of such sampling call 9-13%
// of identical rows different, and far more at the small p-values a
// correction for many rows needs. The larger of two independently sampled
// spreads is rarely low on both sides: the same simulations stay at or
// under 5%, and fixed-count samples lose a little power.

import (
	"math"
	"sort"
	"strconv"

	mstats "github.com/aclements/go-moremath/stats"
)

// MethodName names the process-level method in every output that rests
// on it.
const MethodName = "process-level: one unit per process (median of its executions), " +
	"geometric mean with Student t interval on log units; comparisons by a t-test on log units " +
	"(standard error from the larger spread of the two sides, Welch degrees of freedom)"

// MethodAssumptions says what MethodName assumes, for the same outputs.
const MethodAssumptions = "processes are independent of each other, and the logarithms of their units roughly normal; " +
	"executions inside one process are not assumed independent"

// MinUnits is the fewest independent units (processes) a side needs for
// an interval and a verdict.
const MinUnits = 3

// Units reduces clustered values to one unit value per process: the
// median of each non-empty group. The order of groups is kept.
func Units(groups [][]float64) []float64 {
	out := make([]float64, 0, len(groups))
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		out = append(out, median(sorted(g)))
	}
	return out
}

// ProcessSummary is a process-level summary of one series.
type ProcessSummary struct {
	// Units is the number of independent units (processes); Values the
	// number of values under them.
	Units, Values int
	// Center is the geometric mean of the unit values; Median their
	// median.
	Center, Median float64
	// Lo and Hi bound the Student t interval for the geometric mean at
	// level Confidence; HasCI is false below MinUnits units (or when a
	// value is not positive) and Note says why.
	Lo, Hi float64
	HasCI  bool
	Note   string
	// Between is the spread between processes: the standard deviation of
	// the log unit values (about the CV between processes). Within is
	// the spread inside one process: the pooled standard deviation of
	// log values around their own process's mean (0 when no process has
	// two values). HasWithin is false when no process has two values.
	Between, Within float64
	HasWithin       bool
}

// HalfWidth is the interval's relative half-width: the larger of Hi/Center-1
// and 1-Lo/Center (+Inf without an interval).
func (p ProcessSummary) HalfWidth() float64 {
	if !p.HasCI || p.Center <= 0 {
		return math.Inf(1)
	}
	return math.Max(p.Hi/p.Center-1, 1-p.Lo/p.Center)
}

// SummarizeProcesses summarizes clustered values: groups[i] holds the
// counted values of process i (one value for a cold sample).
func SummarizeProcesses(groups [][]float64) ProcessSummary {
	units := Units(groups)
	var p ProcessSummary
	p.Units = len(units)
	for _, g := range groups {
		p.Values += len(g)
	}
	if p.Units == 0 {
		p.Note = "no samples"
		return p
	}
	p.Median = median(sorted(units))
	logs, ok := logsOf(units)
	if !ok {
		p.Center = mean(units)
		p.Note = "values not all positive: no interval"
		return p
	}
	m, sd := meanSD(logs)
	p.Center = math.Exp(m)
	p.Between = sd
	p.Within, p.HasWithin = pooledWithin(groups)
	if p.Units < MinUnits {
		p.Note = "too few processes for an interval: need at least " + strconv.Itoa(MinUnits)
		return p
	}
	h := tQuantile(1-(1-Confidence)/2, float64(p.Units-1)) * sd / math.Sqrt(float64(p.Units))
	p.Lo, p.Hi, p.HasCI = math.Exp(m-h), math.Exp(m+h), true
	return p
}

// pooledWithin is the pooled standard deviation of log values around
// their own group's mean, over groups with two or more positive values.
func pooledWithin(groups [][]float64) (float64, bool) {
	var ss float64
	df := 0
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		logs, ok := logsOf(g)
		if !ok {
			continue
		}
		m, _ := meanSD(logs)
		for _, l := range logs {
			ss += (l - m) * (l - m)
		}
		df += len(g) - 1
	}
	if df == 0 {
		return 0, false
	}
	return math.Sqrt(ss / float64(df)), true
}

// UnitComparison is NEW relative to OLD on process-level units.
type UnitComparison struct {
	N1, N2 int
	// Ratio is exp(mean log NEW - mean log OLD), the ratio of geometric
	// means; Lo and Hi bound its interval at level Confidence.
	Ratio, Lo, Hi float64
	HasCI         bool
	// P is the test's two-sided p-value; DF its Welch-Satterthwaite
	// degrees of freedom; SE the standard error of the log ratio.
	P, DF, SE float64
	Note      string
}

// CompareUnits compares two sets of unit values with a t-test on their
// logarithms (see test). Fewer than MinUnits on a side gives no interval
// and P = 1: too little data is never a verdict.
func CompareUnits(old, new []float64) UnitComparison {
	c := UnitComparison{N1: len(old), N2: len(new), P: 1}
	lo, ok1 := logsOf(old)
	ln, ok2 := logsOf(new)
	if !ok1 || !ok2 || c.N1 == 0 || c.N2 == 0 {
		c.Note = "values not all positive: no ratio"
		if c.N1 == 0 || c.N2 == 0 {
			c.Note = "no samples on one side"
		}
		return c
	}
	r := test(lo, ln)
	c.Ratio = math.Exp(r.d)
	if c.N1 < MinUnits || c.N2 < MinUnits {
		c.Note = "too few processes: need at least " + strconv.Itoa(MinUnits) + " per side"
		return c
	}
	if r.se == 0 {
		c.Note = "no spread between processes on either side: nothing to test against"
		return c
	}
	c.SE, c.DF, c.P = r.se, r.df, r.p
	c.Lo, c.Hi, c.HasCI = math.Exp(r.lo), math.Exp(r.hi), true
	return c
}

// tested is the outcome of test.
type tested struct {
	d, sd1, sd2 float64 // mean log difference, the sides' log spreads
	se, df, p   float64
	lo, hi      float64 // the interval of d at level Confidence
}

// test is the comparison of two sets of log units: the difference of
// their means, its standard error from the larger of the two spreads
// (s·sqrt(1/n1 + 1/n2)), Welch-Satterthwaite degrees of freedom from the
// two spreads, the two-sided p-value and the interval. se is 0 when
// neither side varies (or a side has one unit).
func test(l1, l2 []float64) tested {
	m1, s1 := meanSD(l1)
	m2, s2 := meanSD(l2)
	r := tested{d: m2 - m1, sd1: s1, sd2: s2, p: 1}
	n1, n2 := len(l1), len(l2)
	if n1 < 2 || n2 < 2 {
		return r
	}
	s := math.Max(s1, s2)
	r.se = s * math.Sqrt(1/float64(n1)+1/float64(n2))
	if r.se == 0 {
		return r
	}
	r.df = welchDF(s1*s1/float64(n1), s2*s2/float64(n2), n1, n2)
	r.p = 2 * (1 - tCDF(math.Abs(r.d)/r.se, r.df))
	h := tQuantile(1-(1-Confidence)/2, r.df) * r.se
	r.lo, r.hi = r.d-h, r.d+h
	return r
}

// AdjustBH returns Benjamini-Hochberg adjusted p-values (q-values) for
// ps, in the same order: rejecting every test with q <= alpha controls the
// false discovery rate across them at alpha (for independent or positively
// dependent tests).
func AdjustBH(ps []float64) []float64 {
	n := len(ps)
	q := make([]float64, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	prev := 1.0
	for r := n - 1; r >= 0; r-- {
		i := idx[r]
		v := math.Min(prev, ps[i]*float64(n)/float64(r+1))
		q[i] = math.Min(v, 1)
		prev = q[i]
	}
	return q
}

// tCDF is Student's t distribution's CDF with df degrees of freedom.
func tCDF(x, df float64) float64 {
	if math.IsInf(df, 1) || df > 1e6 {
		return mstats.StdNormal.CDF(x)
	}
	return mstats.TDist{V: df}.CDF(x)
}

// tQuantile inverts tCDF by bisection (p in (0.5, 1)).
func tQuantile(p, df float64) float64 {
	if math.IsInf(df, 1) || df > 1e6 {
		return mstats.StdNormal.InvCDF(p)
	}
	return invert(func(x float64) float64 { return tCDF(x, df) }, p, 1)
}

func logsOf(xs []float64) ([]float64, bool) {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return nil, false
		}
		out[i] = math.Log(x)
	}
	return out, true
}

func meanSD(xs []float64) (m, sd float64) {
	m = mean(xs)
	if len(xs) < 2 {
		return m, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
