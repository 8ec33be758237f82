package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/results"
)

// FormatValue renders a value in its unit for people: three significant
// digits and a scaled unit ("1.23 ms", "2.49 MiB", "$0.0000021").
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch unit {
	case results.UnitNS:
		return FormatDuration(v)
	case results.UnitNSCall:
		return FormatDuration(v)
	case results.UnitBytes:
		return FormatBytes(v)
	case results.UnitUSD:
		return FormatUSD(v)
	case results.UnitPercent:
		return sig3(v) + "%"
	case "", results.UnitCount:
		return sig3(v)
	}
	return sig3(v) + " " + unit
}

// FormatDuration renders nanoseconds.
func FormatDuration(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a == 0:
		return "0 s"
	case a < 1e3:
		return sig3(ns) + " ns"
	case a < 1e6:
		return sig3(ns/1e3) + " µs"
	case a < 1e9:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// FormatBytes renders a byte count with binary prefixes.
func FormatBytes(b float64) string {
	a := math.Abs(b)
	switch {
	case a < 1024:
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	case a < 1<<20:
		return sig3(b/(1<<10)) + " KiB"
	case a < 1<<30:
		return sig3(b/(1<<20)) + " MiB"
	}
	return sig3(b/(1<<30)) + " GiB"
}

// FormatUSD renders a price in US dollars with three significant digits.
func FormatUSD(v float64) string {
	if v == 0 {
		return "$0"
	}
	if math.Abs(v) >= 1 {
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	digits := max(2, 3-int(math.Floor(math.Log10(math.Abs(v))))-1)
	return "$" + strconv.FormatFloat(v, 'f', digits, 64)
}

// sig3 formats v with three significant digits, no exponent.
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	d := 2 - int(math.Floor(math.Log10(a)))
	return strconv.FormatFloat(v, 'f', d, 64)
}

// FormatRatio renders a ratio as "1.31×".
func FormatRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64) + "×"
	}
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "×"
}

// FormatPercent renders a fraction as a signed percentage ("-3.1%").
func FormatPercent(f float64) string {
	return fmt.Sprintf("%+.1f%%", 100*f)
}

// ParamLabel is a workload and its parameter: "fib(25)", "noop".
func ParamLabel(workload, param string) string {
	if param == "" {
		return workload
	}
	return workload + "(" + param + ")"
}

// RTLabel is "runtime tier", or just the runtime when the tier repeats it.
func RTLabel(runtime, tier string) string {
	if tier == "" || tier == runtime {
		return runtime
	}
	return runtime + " " + tier
}

// ShellQuote renders argv as a command a POSIX shell runs unchanged.
func ShellQuote(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=/.,:@%+") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
