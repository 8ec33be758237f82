package report

import (
	"strconv"
	"strings"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners/registry"
)

// Orders in which known names are shown; unknown names follow, sorted.
var (
	targetOrder   = []string{"local", "lambda-local", "container-local", "aws-lambda"}
	workloadOrder = []string{"fib", "primes", "image"}
	langOrder     = []string{"c", "go", "rust"}
	runtimeOrder  = registry.DisplayOrder()
	tierOrder     = registry.TierOrder()
	phaseOrder    = []string{
		results.PhaseSpawn, results.PhaseSandbox, results.PhaseInit, results.PhaseCompile, results.PhaseLoad,
		results.PhaseInstantiate, results.PhaseExecute, results.PhaseExecuteAll, results.PhaseTotal, results.PhaseCall,
		results.PhaseInitDuration, results.PhaseDuration, results.PhaseBilledDuration, results.PhasePrice,
		results.PhaseMaxMemoryUsed, results.PhaseMaxRSS,
		results.PhaseModuleBytes, results.PhaseArtifactBytes, results.PhaseWorkerBytes, results.PhasePackageBytes, results.PhasePrepare,
	}
)

// rank compares a and b by their place in order, then naturally.
func rank(order []string, a, b string) int {
	ia, ib := index(order, a), index(order, b)
	if ia != ib {
		return ia - ib
	}
	return natural(a, b)
}

func index(order []string, s string) int {
	for i, o := range order {
		if o == s {
			return i
		}
	}
	return len(order)
}

// natural compares strings, numbers by value ("25" < "100", "128MB" <
// "1024MB").
func natural(a, b string) int {
	if a == b {
		return 0
	}
	na, ra := leadingNumber(a)
	nb, rb := leadingNumber(b)
	if ra != a && rb != b && na != nb {
		if na < nb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func leadingNumber(s string) (float64, string) {
	// Variants read "mem=128MB arch=x86_64": compare after the key.
	_, v, ok := strings.Cut(s, "=")
	if !ok {
		v = s
	}
	end := 0
	for end < len(v) && (v[end] >= '0' && v[end] <= '9' || v[end] == '.') {
		end++
	}
	if end == 0 {
		return 0, s
	}
	n, err := strconv.ParseFloat(v[:end], 64)
	if err != nil {
		return 0, s
	}
	return n, v[end:]
}

func lessKey(a, b Key) bool {
	if c := cmpCell(a.Cell, a.Variant, b.Cell, b.Variant); c != 0 {
		return c < 0
	}
	if c := rank(phaseOrder, a.Phase, b.Phase); c != 0 {
		return c < 0
	}
	return a.Cold && !b.Cold
}

// cmpCell orders cells the way a reader scans them: by target, workload,
// parameter, language, runtime, tier, variant.
func cmpCell(a results.Cell, av string, b results.Cell, bv string) int {
	for _, c := range []int{
		rank(targetOrder, a.Target, b.Target),
		rank(workloadOrder, a.Workload, b.Workload),
		natural(a.Param, b.Param),
		rank(langOrder, a.Lang, b.Lang),
		rank(runtimeOrder, a.Runtime, b.Runtime),
		rank(tierOrder, a.Tier, b.Tier),
		natural(av, bv),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }
