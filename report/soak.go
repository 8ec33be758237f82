package report

import (
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/wasmbench/bench/results"
)

// A soak (bench run --soak N) records, per invocation of one environment,
// its Max Memory Used and the worker's resident set. The report fits each
// series against the invocation number and flags a leak: memory that
// keeps growing at a steady rate, as the image service's linear memory
// did until it ran out after about 4,000 invocations.
//
// The rule (SoakRule): the fit covers the soak's second half, because a
// runtime's own memory settles in the first (heap arenas, code caches,
// the buffers of its Runtime API client grow in steps, then slow down).
// A series leaks when, over that half, the slope's 95% interval lies
// above zero and the slope is material: at least LeakMinSlope, half a
// 64 KiB wasm page an invocation. Measured here (RATIONALE.md, "Soak"),
// a module that leaks nothing still grew up to 23.5 KB an invocation
// over invocations 100-199 of a 200-invocation soak, and up to 7.7 KB
// over 200-399 of a 400-invocation one (the workers' own heaps, which
// settle over several hundred invocations), while the module that leaks
// a page a call grew 64.6-348 KB an invocation: the threshold sits
// between them, and a smaller leak is reported with its slope but not
// flagged (a longer soak settles further). The verdict of a cell is its Max Memory
// Used series' (what Lambda compares with the memory size), or its
// resident set's where a target has no Max Memory Used (local).

// Leak rule constants.
const (
	// SoakSettleFraction is the share of a soak's first invocations left
	// out of the fit while the runtime's own memory settles.
	SoakSettleFraction = 0.5
	// LeakMinSlope is the least growth, bytes an invocation, that counts
	// as a leak: half a 64 KiB wasm page.
	LeakMinSlope = 65536.0 / 2
	// SoakMinFit is the fewest invocations a fit needs (after settling).
	SoakMinFit = 8
	// SoakMinVerdict is the shortest soak that gets a verdict: a shorter
	// one is fitted and shown, but its second half is still the runtimes
	// settling (wazero's AOT tier grew 36.5 KiB an invocation over
	// invocations 25-49 of fib, under 2 KiB over 200-399).
	SoakMinVerdict = 200
)

// SoakRule states the leak rule in one line, for the summary and report.
const SoakRule = "a line fitted to the soak's second half (the first is the runtime settling); leak: the slope's 95% interval " +
	"above 0 and the slope at least 32 KiB an invocation (half a 64 KiB wasm page), in a soak of at least 200 invocations; " +
	"verdict from Max Memory Used, else the resident set"

// SoakFit is a least-squares line through one soak series, memory
// (bytes) against invocation (from 0).
type SoakFit struct {
	// From is the first invocation fitted, N how many.
	From, N int
	// Slope is bytes an invocation, with its 95% interval [Lo, Hi] from
	// the residuals (Student's t, N-2 degrees of freedom); Intercept the
	// fitted memory at invocation 0.
	Slope, Lo, Hi, Intercept float64
}

// FitSoak fits ys against xs (gonum's stat.LinearRegression) with the
// slope's 95% interval. ok is false with fewer than three points or no
// spread in xs.
func FitSoak(xs, ys []float64) (f SoakFit, ok bool) {
	n := len(xs)
	if n < 3 || n != len(ys) {
		return f, false
	}
	mx := stat.Mean(xs, nil)
	var sxx float64
	for _, x := range xs {
		sxx += (x - mx) * (x - mx)
	}
	if sxx == 0 {
		return f, false
	}
	a, b := stat.LinearRegression(xs, ys, nil, false)
	var ssr float64
	for i := range xs {
		r := ys[i] - (a + b*xs[i])
		ssr += r * r
	}
	se := math.Sqrt(ssr / float64(n-2) / sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(0.975)
	return SoakFit{N: n, Slope: b, Lo: b - t*se, Hi: b + t*se, Intercept: a}, true
}

// Leaks applies the leak rule to a fit.
func (f SoakFit) Leaks() bool { return f.N > 0 && f.Lo > 0 && f.Slope >= LeakMinSlope }

// SoakSeries is one series of a soak.
type SoakSeries struct {
	Phase string
	// Invocations is how many invocations it has; First and Last its
	// first and last values, bytes.
	Invocations int
	First, Last float64
	Fit         SoakFit
	// Fitted is false when too few invocations were left to fit.
	Fitted bool
}

// Soak is one cell's soak.
type Soak struct {
	Cell     results.Cell
	WarmMode string
	// MemoryMB is the environment's memory size (0: none, local).
	MemoryMB int
	// Note is the soak's note: its summary, or why it stopped.
	Note   string
	Failed bool
	// MaxMemory and RSS are its series (nil when not recorded).
	MaxMemory, RSS *SoakSeries
}

// Verdict is the series the cell's verdict rests on: Max Memory Used,
// else the resident set.
func (s Soak) Verdict() *SoakSeries {
	if s.MaxMemory != nil {
		return s.MaxMemory
	}
	return s.RSS
}

// Leak reports whether the cell's soak shows a leak (see SoakRule).
func (s Soak) Leak() bool {
	v := s.Verdict()
	return v != nil && v.Fitted && v.Invocations >= SoakMinVerdict && v.Fit.Leaks()
}

// ExceedsAt is the invocation (counted from 1) at which the fitted Max
// Memory Used line reaches the environment's memory size, for a leak; 0
// when there is no leak or no memory size.
func (s Soak) ExceedsAt() int {
	v := s.Verdict()
	if !s.Leak() || s.MemoryMB <= 0 || v != s.MaxMemory {
		return 0
	}
	limit := float64(s.MemoryMB) * (1 << 20)
	x := (limit - v.Fit.Intercept) / v.Fit.Slope
	return max(int(math.Ceil(x))+1, 1)
}

// Soaks are the run's soaks, one per cell and soak task, in the order of
// the report's sections.
func (d *Data) Soaks() []Soak {
	type key struct{ cell, task string }
	byKey := map[key]*Soak{}
	var order []key
	pts := map[key]map[string][][2]float64{}
	get := func(r results.Record) *Soak {
		k := key{r.Cell.Key(), r.Task}
		s := byKey[k]
		if s == nil {
			s = &Soak{Cell: r.Cell}
			byKey[k] = s
			pts[k] = map[string][][2]float64{}
			order = append(order, k)
		}
		return s
	}
	for _, r := range d.Soak {
		s := get(r)
		k := key{r.Cell.Key(), r.Task}
		switch r.Kind {
		case results.KindNote:
			s.Note = r.Note
			s.Failed = strings.HasPrefix(r.Note, soakFailedPrefix)
		case results.KindSample:
			if r.WarmMode != "" {
				s.WarmMode = r.WarmMode
			}
			if r.MemoryMB > 0 {
				s.MemoryMB = r.MemoryMB
			}
			pts[k][r.Phase] = append(pts[k][r.Phase], [2]float64{float64(r.Iteration), r.Value})
		}
	}
	out := make([]Soak, 0, len(order))
	for _, k := range order {
		s := byKey[k]
		s.MaxMemory = soakSeries(results.PhaseSoakMaxMemory, pts[k][results.PhaseSoakMaxMemory])
		s.RSS = soakSeries(results.PhaseSoakRSS, pts[k][results.PhaseSoakRSS])
		if s.MaxMemory == nil && s.RSS == nil && s.Note == "" {
			continue
		}
		out = append(out, *s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := Key{Cell: out[i].Cell}, Key{Cell: out[j].Cell}
		if lessKey(a, b) != lessKey(b, a) {
			return lessKey(a, b)
		}
		return out[i].MemoryMB < out[j].MemoryMB
	})
	return out
}

// soakFailedPrefix starts a failed soak's note (internal/run's
// SoakFailedNotePrefix).
const soakFailedPrefix = "soak failed: "

// soakNotePrefixes start the notes of a soak task (internal/run).
var soakNotePrefixes = []string{"soak: ", soakFailedPrefix}

// isSoakRecord reports whether a record belongs to a soak: one of its
// series' samples, or its note.
func isSoakRecord(r results.Record) bool {
	switch r.Kind {
	case results.KindSample:
		return results.IsSoakPhase(r.Phase)
	case results.KindNote:
		if r.Task == "" {
			return false
		}
		for _, p := range soakNotePrefixes {
			if strings.HasPrefix(r.Note, p) {
				return true
			}
		}
	}
	return false
}

// soakSeries sorts a series' points by invocation and fits its settled
// part; nil for no points.
func soakSeries(phase string, pts [][2]float64) *SoakSeries {
	if len(pts) == 0 {
		return nil
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
	s := &SoakSeries{Phase: phase, Invocations: len(pts), First: pts[0][1], Last: pts[len(pts)-1][1]}
	from := int(float64(len(pts)) * SoakSettleFraction)
	if len(pts)-from < SoakMinFit {
		return s
	}
	xs := make([]float64, 0, len(pts)-from)
	ys := make([]float64, 0, len(pts)-from)
	for _, p := range pts[from:] {
		xs = append(xs, p[0])
		ys = append(ys, p[1])
	}
	if f, ok := FitSoak(xs, ys); ok {
		f.From = int(xs[0])
		s.Fit, s.Fitted = f, true
	}
	return s
}
