package stats

// The statistical test suite: seeded simulations of benchmark runs in
// which every process shifts all of its executions (the CPU it landed on,
// its memory layout), executions vary around their process's level, and
// the odd execution is a spike a shared machine produces. No timing is
// involved: the figures are properties of the method.

import (
	"math"
	"math/rand"
	"testing"
)

// process draws the counted values of one process: a shift of spread
// between, k executions of spread within, each a spike (1.3-1.8x) with
// probability spikes.
func process(r *rand.Rand, k int, center, between, within, spikes float64) []float64 {
	shift := r.NormFloat64() * between
	g := make([]float64, k)
	for j := range g {
		v := center * math.Exp(shift+r.NormFloat64()*within)
		if r.Float64() < spikes {
			v *= 1.3 + 0.5*r.Float64()
		}
		g[j] = v
	}
	return g
}

func processes(r *rand.Rand, n, k int, center, between, within, spikes float64) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = process(r, k, center, between, within, spikes)
	}
	return out
}

// scenario is one shape of cell: n processes of k executions each (k = 1
// for cold samples), with its spreads.
type scenario struct {
	name            string
	n, k            int
	between, within float64
	spikes          float64
}

var scenarios = []scenario{
	{"warm 5x10, shift = noise", 5, 10, 0.05, 0.05, 0.03},
	{"warm 3x10, shift = noise", 3, 10, 0.05, 0.05, 0.03},
	{"warm 5x5, shift 3x noise", 5, 5, 0.06, 0.02, 0.03},
	{"cold 10, 8% spread", 10, 1, 0.08, 0, 0.03},
	{"cold 3, 8% spread", 3, 1, 0.08, 0, 0.03},
}

// A/A rows (OLD and NEW from one distribution): "faster" or "slower" on
// at most 5% of rows, decided alone (no correction for many rows).
func TestAAFalseVerdictRate(t *testing.T) {
	r := rand.New(rand.NewSource(101))
	const rows = 3000
	for _, sc := range scenarios {
		wrong := 0
		for i := 0; i < rows; i++ {
			a := processes(r, sc.n, sc.k, 1e9, sc.between, sc.within, sc.spikes)
			b := processes(r, sc.n, sc.k, 1e9, sc.between, sc.within, sc.spikes)
			if v := Compare(a, b, defOpts).Verdict; v == Better || v == Worse {
				wrong++
			}
		}
		rate := float64(wrong) / rows
		t.Logf("A/A %-26s false verdicts %.2f%% of %d rows", sc.name, 100*rate, rows)
		// 0.05 plus three standard errors of a 3000-row estimate.
		if rate > 0.05+3*math.Sqrt(0.05*0.95/rows) {
			t.Errorf("%s: A/A false verdict rate %.3f, want <= 0.05", sc.name, rate)
		}
	}
}

// The clustering is what makes pooling wrong: the same A/A rows judged by
// treating every execution as independent (a Welch test on all values)
// call far more than 5% of them different. This guards the premise.
func TestPoolingWouldBeWrong(t *testing.T) {
	r := rand.New(rand.NewSource(102))
	const rows = 2000
	wrong := 0
	for i := 0; i < rows; i++ {
		a := processes(r, 2, 10, 1e9, 0.05, 0.05, 0)
		b := processes(r, 2, 10, 1e9, 0.05, 0.05, 0)
		var pa, pb [][]float64
		for _, g := range a {
			for _, v := range g {
				pa = append(pa, []float64{v})
			}
		}
		for _, g := range b {
			for _, v := range g {
				pb = append(pb, []float64{v})
			}
		}
		if v := Compare(pa, pb, defOpts).Verdict; v == Better || v == Worse {
			wrong++
		}
	}
	rate := float64(wrong) / rows
	t.Logf("A/A pooled as if independent (2 processes x 10): false verdicts %.1f%%", 100*rate)
	if rate < 0.15 {
		t.Errorf("pooled false rate %.3f: the simulation no longer shows the clustering", rate)
	}
}

// One compare tests many rows at once. Benjamini-Hochberg keeps the
// share of false verdicts among all verdicts (the false discovery rate)
// at most 5%, and an all-null compare rarely has any false verdict.
func TestFDRAcrossACompare(t *testing.T) {
	r := rand.New(rand.NewSource(103))
	const compares = 400
	const rows, real = 60, 15
	var fdpSum float64
	anyFalseNull := 0
	found, trueRows := 0, 0
	for i := 0; i < compares; i++ {
		var fam []*Comparison
		for j := 0; j < rows; j++ {
			shift := 1.0
			if j < real {
				shift = 1.1
			}
			a := processes(r, 5, 10, 1e9, 0.05, 0.05, 0.03)
			b := processes(r, 5, 10, 1e9*shift, 0.05, 0.05, 0.03)
			c := Compare(a, b, defOpts)
			fam = append(fam, &c)
		}
		ControlFDR(fam)
		falses, verdicts := 0, 0
		for j, c := range fam {
			if c.Verdict == Better || c.Verdict == Worse {
				verdicts++
				if j >= real || c.Verdict == Better {
					falses++
				}
			}
			if j < real {
				trueRows++
				if c.Verdict == Worse {
					found++
				}
			}
		}
		if verdicts > 0 {
			fdpSum += float64(falses) / float64(verdicts)
		}

		// The same compare with no real difference at all.
		var null []*Comparison
		for j := 0; j < rows; j++ {
			c := Compare(processes(r, 5, 10, 1e9, 0.05, 0.05, 0.03), processes(r, 5, 10, 1e9, 0.05, 0.05, 0.03), defOpts)
			null = append(null, &c)
		}
		ControlFDR(null)
		for _, c := range null {
			if c.Verdict == Better || c.Verdict == Worse {
				anyFalseNull++
				break
			}
		}
	}
	fdr := fdpSum / compares
	t.Logf("FDR over %d compares of %d rows (%d real 10%% differences): %.2f%%; real differences found %.1f%%",
		compares, rows, real, 100*fdr, 100*float64(found)/float64(trueRows))
	t.Logf("all-null compares of %d rows with any false verdict: %.1f%%", rows, 100*float64(anyFalseNull)/compares)
	if fdr > 0.05 {
		t.Errorf("false discovery rate %.3f, want <= 0.05", fdr)
	}
	if rate := float64(anyFalseNull) / compares; rate > 0.05+3*math.Sqrt(0.05*0.95/compares) {
		t.Errorf("all-null compares with a false verdict: %.3f, want <= 0.05", rate)
	}
}

// sampleToPrecision draws processes as a default run takes them: at
// least MinUnits, then more until the 95% interval's half-width is within
// precision or the budget allows no more (maxN).
func sampleToPrecision(r *rand.Rand, sc scenario, center, precision float64, maxN int) [][]float64 {
	g := processes(r, MinUnits, sc.k, center, sc.between, sc.within, sc.spikes)
	for len(g) < maxN && SummarizeProcesses(g).HalfWidth() > precision {
		g = append(g, process(r, sc.k, center, sc.between, sc.within, sc.spikes))
	}
	return g
}

// A true 10% difference at a CV of 5% is found with the process counts a
// default run produces. Defaults (internal/run): at least 3 processes of
// 3 measured executions, more until the interval is within ±3% or the
// budget runs out; on this machine's long cells the budget allows about
// 8 warm processes. The 5% is split evenly between and within processes,
// or all between processes (the worst case). Fixed counts are shown for
// comparison, not held to a bar (want < 0): with 3 processes of 3
// executions a 10% difference at CV 5% is rarely found, which is why the
// defaults sample to a precision target.
func TestPowerTenPercentAtCV5(t *testing.T) {
	r := rand.New(rand.NewSource(104))
	const rows = 2000
	cv := 0.05
	for _, tc := range []struct {
		sc        scenario
		precision bool
		maxN      int
		want      float64
	}{
		{scenario{"warm to ±3%, CV split", 0, 3, cv / math.Sqrt2, cv / math.Sqrt2, 0}, true, 8, 0.9},
		{scenario{"warm to ±3%, CV between", 0, 3, cv, 0.01, 0}, true, 8, 0.8},
		{scenario{"cold to ±3%", 0, 1, cv, 0, 0}, true, 40, 0.9},
		{scenario{"warm 5x10, CV split", 5, 10, cv / math.Sqrt2, cv / math.Sqrt2, 0}, false, 0, -1},
		{scenario{"warm 5x10, CV between", 5, 10, cv, 0.01, 0}, false, 0, -1},
		{scenario{"warm 3x3, CV split", 3, 3, cv / math.Sqrt2, cv / math.Sqrt2, 0}, false, 0, -1},
		{scenario{"cold 10", 10, 1, cv, 0, 0}, false, 0, 0.9},
	} {
		sc := tc.sc
		found, wrong, units := 0, 0, 0
		var fam []*Comparison
		for i := 0; i < rows; i++ {
			var a, b [][]float64
			if tc.precision {
				a = sampleToPrecision(r, sc, 1e9, 0.03, tc.maxN)
				b = sampleToPrecision(r, sc, 1.1e9, 0.03, tc.maxN)
			} else {
				a = processes(r, sc.n, sc.k, 1e9, sc.between, sc.within, sc.spikes)
				b = processes(r, sc.n, sc.k, 1.1e9, sc.between, sc.within, sc.spikes)
			}
			units += len(a) + len(b)
			c := Compare(a, b, defOpts)
			fam = append(fam, &c)
		}
		// One compare in which every row really changed (the 30% test of
		// issue #11 is of this kind): BH does not stand in the way.
		ControlFDR(fam)
		for _, c := range fam {
			switch c.Verdict {
			case Worse:
				found++
			case Better:
				wrong++
			}
		}
		rate := float64(found) / rows
		t.Logf("power %-24s %4.1f processes/side: 10%% slower found in %5.1f%% of rows (wrong way: %d)",
			sc.name, float64(units)/2/rows, 100*rate, wrong)
		if wrong > 0 || tc.want >= 0 && rate < tc.want {
			t.Errorf("%s: found %.3f (want >= %.2f), wrong way %d", sc.name, rate, tc.want, wrong)
		}
	}
}

// Sampling to a precision target stops on the spread, not on the
// difference: A/A rows sampled that way still get at most 5% false
// verdicts.
func TestAAWithPrecisionSampling(t *testing.T) {
	r := rand.New(rand.NewSource(106))
	const rows = 3000
	sc := scenario{"warm to ±3%", 0, 3, 0.04, 0.04, 0.03}
	wrong := 0
	for i := 0; i < rows; i++ {
		c := Compare(sampleToPrecision(r, sc, 1e9, 0.03, 8), sampleToPrecision(r, sc, 1e9, 0.03, 8), defOpts)
		if c.Verdict == Better || c.Verdict == Worse {
			wrong++
		}
	}
	rate := float64(wrong) / rows
	t.Logf("A/A %-26s false verdicts %.2f%% of %d rows", sc.name, 100*rate, rows)
	if rate > 0.05+3*math.Sqrt(0.05*0.95/rows) {
		t.Errorf("A/A with precision sampling: false verdict rate %.3f", rate)
	}
}

// "Processes needed" is honest: an inconclusive row repeated with the
// suggested number of processes per side settles (any verdict but
// inconclusive) in most cases, and the suggestion is not wildly more than
// needed (the median settles).
func TestProcessesNeededSettles(t *testing.T) {
	r := rand.New(rand.NewSource(105))
	for _, tc := range []struct {
		name   string
		ratio  float64
		spread float64
	}{
		{"no difference, 3% spread", 1.0, 0.03},
		{"4% difference, 5% spread", 1.04, 0.05},
		{"3% difference, 2% spread", 1.03, 0.02},
		{"1% difference, 1% spread", 1.01, 0.01},
	} {
		asked, settled := 0, 0
		for i := 0; i < 3000 && asked < 400; i++ {
			a := processes(r, 5, 1, 1e9, tc.spread, 0, 0)
			b := processes(r, 5, 1, 1e9*tc.ratio, tc.spread, 0, 0)
			c := Compare(a, b, defOpts)
			if c.Verdict != Inconclusive || c.Processes == 0 || c.Processes > 2000 {
				continue
			}
			asked++
			a2 := processes(r, c.Processes, 1, 1e9, tc.spread, 0, 0)
			b2 := processes(r, c.Processes, 1, 1e9*tc.ratio, tc.spread, 0, 0)
			if Compare(a2, b2, defOpts).Verdict != Inconclusive {
				settled++
			}
		}
		rate := float64(settled) / float64(asked)
		t.Logf("processes needed, %-26s settled %.1f%% of %d inconclusive rows", tc.name, 100*rate, asked)
		if asked < 50 {
			t.Errorf("%s: only %d inconclusive rows to try", tc.name, asked)
		}
		if rate < 0.7 {
			t.Errorf("%s: the suggested count settled only %.3f", tc.name, rate)
		}
	}
}

// The interval of one run sampled to a precision target covers the truth
// somewhat less often than 95% (the stop favours processes that happened
// to agree, and a single run has no second side to take a larger spread
// from); the figure is reported, and held above 85%.
func TestCoverageWithPrecisionSampling(t *testing.T) {
	r := rand.New(rand.NewSource(107))
	const trials = 4000
	for _, sc := range []scenario{
		{"warm to ±3%, 2% spread", 0, 3, 0.02, 0.02, 0},
		{"warm to ±3%, 4% spread", 0, 3, 0.04, 0.04, 0},
		{"cold to ±3%, 6% spread", 0, 1, 0.06, 0, 0},
	} {
		// The true centre: the geometric mean of a unit's distribution,
		// estimated from many units.
		var logs []float64
		for i := 0; i < 200000; i++ {
			logs = append(logs, math.Log(Units([][]float64{process(r, sc.k, 1, sc.between, sc.within, 0)})[0]))
		}
		m, _ := meanSD(logs)
		truth := math.Exp(m)
		covered := 0
		for i := 0; i < trials; i++ {
			p := SummarizeProcesses(sampleToPrecision(r, sc, 1, 0.03, 40))
			if p.Lo <= truth && truth <= p.Hi {
				covered++
			}
		}
		cov := float64(covered) / trials
		t.Logf("coverage %-24s %.1f%%", sc.name, 100*cov)
		if cov < 0.85 {
			t.Errorf("%s: coverage %.3f", sc.name, cov)
		}
	}
}
