package stats

import (
	"math"

	"github.com/aclements/go-moremath/mathx"
)

// chi2CDF is the chi-square distribution's CDF with k degrees of freedom.
func chi2CDF(x, k float64) float64 {
	if x <= 0 {
		return 0
	}
	return mathx.GammaInc(k/2, x/2)
}

// chi2Quantile inverts chi2CDF by bisection (p in (0, 1)).
func chi2Quantile(p, k float64) float64 {
	return invert(func(x float64) float64 { return chi2CDF(x, k) }, p, math.Max(1, k))
}

// invert finds the x >= 0 where the increasing cdf reaches p, by bisection
// from [0, hi], hi doubled until it brackets p.
func invert(cdf func(float64) float64, p, hi float64) float64 {
	lo := 0.0
	for cdf(hi) < p {
		hi *= 2
	}
	for i := 0; i < 200 && hi-lo > 1e-12*hi; i++ {
		mid := (lo + hi) / 2
		if cdf(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// fCDF is the F distribution's CDF with d1 and d2 degrees of freedom.
func fCDF(x, d1, d2 float64) float64 {
	if x <= 0 {
		return 0
	}
	return mathx.BetaInc(d1*x/(d1*x+d2), d1/2, d2/2)
}

// SpreadTest compares two spreads (standard deviations of log units, as
// ProcessSummary.Between) with the F test on their variances: the ratio
// a/b and the two-sided p-value of the hypothesis that they are equal.
// It assumes roughly normal log units, as the rest of the method does.
func SpreadTest(a float64, na int, b float64, nb int) (ratio, p float64) {
	if na < 2 || nb < 2 || a <= 0 || b <= 0 {
		return math.NaN(), 1
	}
	ratio = a / b
	f := ratio * ratio
	c := fCDF(f, float64(na-1), float64(nb-1))
	p = 2 * math.Min(c, 1-c)
	return ratio, math.Min(p, 1)
}

// SpreadExceeds tests whether spread a is more than factor times spread b
// (standard deviations of log units from na and nb units): the one-sided
// F test of a² <= factor²·b², its p-value.
func SpreadExceeds(a float64, na int, b float64, nb int, factor float64) float64 {
	if na < 2 || nb < 2 || a <= 0 || b <= 0 || factor <= 0 {
		return 1
	}
	f := (a * a) / (factor * factor * b * b)
	return 1 - fCDF(f, float64(na-1), float64(nb-1))
}
