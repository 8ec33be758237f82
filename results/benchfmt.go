package results

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/perf/benchfmt"
)

// BenchFileName is the Go benchmark format copy of a run, beside FileName.
const BenchFileName = "results.bench"

// Counts reports whether a record is a measured result that statistics,
// charts and results.bench may use: a sample that is not a warm-up and
// whose run was verified. Size samples describe files, not executions, so
// they count whether or not the orchestrator marked them verified. A
// soak's per-invocation series (IsSoakPhase) never count: the report
// fits them on their own.
func Counts(r Record) bool {
	if r.Kind != KindSample || r.Warmup || IsSoakPhase(r.Phase) || IsBurstTask(r.Task) {
		return false
	}
	return r.Verified || IsSizePhase(r.Phase)
}

// IsSizePhase reports whether phase measures a file's size.
func IsSizePhase(phase string) bool {
	switch phase {
	case PhaseModuleBytes, PhaseArtifactBytes, PhaseWorkerBytes, PhasePackageBytes:
		return true
	}
	return false
}

// WriteBench writes a run in Go benchmark format, so benchstat reads it
// unchanged and compares two runs in one table:
//
//	BenchmarkFib/runtime=wasmtime/tier=aot/lang=c/param=42/target=local/phase=execute/cold=false 3 0.81 sec/op
//
// One line per independent unit, the process: a cold sample is a line of
// its own (iterations 1); a warm process's counted executions of one
// phase become one line, their median (iterations: how many). benchstat
// treats every line as an independent sample, and executions of one
// process are not (see report/stats), so lines per execution would make
// its p-values far too small. Warm-ups, unverified samples and the
// calibration are left out (Counts).
//
// Time is written in sec/op (sec/call for per-call figures), sizes in B
// (marked assume=exact: a file's size does not vary), peak memory in
// peak-B, prices in USD/op. The machine (goos, goarch, cpu, cores) comes
// first as configuration lines: benchstat starts a new table whenever they
// differ, as they should between machines. Facts that differ between runs
// on one machine (when it started, the command, bench's commit, runtime
// versions, kernel, governor, host, load) are "# key: value" comment
// lines, which benchstat ignores, so two runs share one table with a
// vs-base column. env labels the file; when it is the zero Env, the first
// env record of recs is used.
func WriteBench(w io.Writer, env Env, recs []Record) error {
	if env.CPU == "" && env.OS == "" {
		for _, r := range recs {
			if r.Kind == KindEnv && r.Env != nil {
				env = *r.Env
				break
			}
		}
	}
	var loadEnd []float64
	for _, r := range recs {
		if r.Kind == KindNote && r.Env != nil && len(r.Env.LoadAvgEnd) > 0 {
			loadEnd = r.Env.LoadAvgEnd
		}
	}
	var head strings.Builder
	head.WriteString("# bench run: per-run facts are comments, so benchstat compares runs in one table\n")
	for _, kv := range runFacts(env, loadEnd) {
		fmt.Fprintf(&head, "# %s: %s\n", kv[0], kv[1])
	}
	if _, err := io.WriteString(w, head.String()); err != nil {
		return fmt.Errorf("results.bench: %w", err)
	}
	bw := benchfmt.NewWriter(w)
	config := benchConfig(env)
	exactDone := map[string]bool{}
	for _, u := range benchUnits(recs) {
		r := u.rec
		r.Value = u.value
		val, unit, exact := benchValue(r)
		if exact && !exactDone[unit] {
			exactDone[unit] = true
			md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: unit, Key: "assume"}, OrigUnit: unit, Value: "exact"}
			if err := bw.Write(md); err != nil {
				return fmt.Errorf("results.bench: write unit metadata: %w", err)
			}
		}
		res := &benchfmt.Result{Config: config, Name: benchfmt.Name(BenchName(u.rec)), Iters: u.n,
			Values: []benchfmt.Value{{Value: val, Unit: unit}}}
		if err := bw.Write(res); err != nil {
			return fmt.Errorf("results.bench: write %s: %w", u.rec.Cell.Key(), err)
		}
	}
	return nil
}

// benchUnit is one line of results.bench: a record standing for its
// process (value: the median of the process's counted values, n of them).
type benchUnit struct {
	rec   Record
	value float64
	n     int
}

// benchUnits groups the counted records (calibration left out) by series
// and process: each cold record alone, the warm records of one process
// and series together, in the order they first appear.
func benchUnits(recs []Record) []benchUnit {
	type acc struct {
		rec    Record
		values []float64
	}
	var order []string
	groups := map[string]*acc{}
	for i, r := range recs {
		if !Counts(r) || r.Workload == "calibration" && r.Runtime == "native" {
			continue
		}
		k := BenchName(r) + "|" + r.Task + "|" + strconv.Itoa(r.Process)
		if r.Cold || IsSizePhase(r.Phase) {
			k += "|" + strconv.Itoa(i)
		}
		g := groups[k]
		if g == nil {
			g = &acc{rec: r}
			groups[k] = g
			order = append(order, k)
		}
		g.values = append(g.values, r.Value)
	}
	out := make([]benchUnit, 0, len(order))
	for _, k := range order {
		g := groups[k]
		out = append(out, benchUnit{rec: g.rec, value: medianOf(g.values), n: len(g.values)})
	}
	return out
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// BenchName is a sample's benchmark name without the "Benchmark" prefix:
// the workload (capitalised), then /key=value for the cell, phase,
// cold|warm and any deployment variant the record carries.
func BenchName(r Record) string {
	var b strings.Builder
	b.WriteString(benchWorkload(r.Workload))
	kv := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteString("/" + k + "=" + benchSafe(v))
	}
	kv("runtime", r.Runtime)
	kv("tier", r.Tier)
	kv("lang", r.Lang)
	kv("param", r.Param)
	kv("target", r.Target)
	kv("phase", r.Phase)
	kv("cold", strconv.FormatBool(r.Cold))
	for _, v := range Variant(r) {
		kv(v[0], v[1])
	}
	return b.String()
}

// Variant lists the deployment settings that make a record's series
// different from another of the same cell, phase and cold flag: memory
// size, architecture, package kind and module file. Each element is a key
// and its value; unset settings are left out. The AOT cache state and the
// warm mode are not among them: they follow from the tier and target, and
// the orchestrator sets them on some records of a cell and not others.
func Variant(r Record) [][2]string {
	var v [][2]string
	add := func(k, val string) {
		if val != "" {
			v = append(v, [2]string{k, val})
		}
	}
	if r.MemoryMB != 0 {
		add("mem", strconv.Itoa(r.MemoryMB)+"MB")
	}
	add("arch", r.Arch)
	add("pkg", r.Package)
	add("module", r.ModuleName)
	return v
}

// benchWorkload makes a workload name a valid benchmark name start.
func benchWorkload(w string) string {
	w = benchSafe(w)
	if w == "" {
		return "Unnamed"
	}
	r := []rune(w)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// benchSafe replaces the characters that would end a benchmark name or
// split a sub-name (space, '/') and a '-' before trailing digits, which
// readers take for a GOMAXPROCS suffix.
func benchSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '/' {
			return '_'
		}
		return r
	}, s)
	if i := strings.LastIndexByte(s, '-'); i >= 0 && i < len(s)-1 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			s = s[:i] + "_" + s[i+1:]
		}
	}
	return s
}

// benchValue converts a sample to the unit benchstat understands best.
func benchValue(r Record) (val float64, unit string, exact bool) {
	switch r.Unit {
	case UnitNS:
		return r.Value / 1e9, "sec/op", false
	case UnitNSCall:
		return r.Value / 1e9, "sec/call", false
	case UnitBytes:
		if IsSizePhase(r.Phase) {
			return r.Value, "B", true
		}
		return r.Value, "peak-B", false
	case UnitUSD:
		return r.Value, "USD/op", false
	case "":
		return r.Value, "value", false
	}
	return r.Value, benchSafe(r.Unit), false
}

// benchConfig is the file configuration: the machine, the keys benchstat
// may split tables on.
func benchConfig(env Env) []benchfmt.Config {
	var c []benchfmt.Config
	add := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ")
		if v != "" {
			c = append(c, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
	}
	add("goos", env.OS)
	add("goarch", env.Arch)
	add("cpu", env.CPU)
	if env.Cores > 0 {
		add("cores", strconv.Itoa(env.Cores))
	}
	return c
}

// runFacts are the facts of one run that another run on the same machine
// may not share: written as comments.
func runFacts(env Env, loadEnd []float64) [][2]string {
	var c [][2]string
	add := func(k, v string) {
		v = strings.Join(strings.Fields(v), " ")
		if v != "" {
			c = append(c, [2]string{k, v})
		}
	}
	if env.MemoryBytes > 0 {
		add("memory", strconv.FormatInt(env.MemoryBytes, 10)+" B")
	}
	add("kernel", env.Kernel)
	add("governor", env.Governor)
	add("host", env.Hostname)
	add("go", env.GoVersion)
	add("bench", env.BenchVersion)
	add("commit", env.Commit)
	names := make([]string, 0, len(env.Runtimes))
	for n := range env.Runtimes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		add("runtime-"+configKey(n), env.Runtimes[n])
	}
	add("started", env.Started)
	add("command", strings.Join(env.Command, " "))
	load := func(l []float64) string {
		if len(l) != 3 {
			return ""
		}
		return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2])
	}
	add("load-start", load(env.LoadAvg))
	add("load-end", load(loadEnd))
	return c
}

// configKey makes s a valid configuration key: lower case, no spaces.
func configKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == ':' {
			return '_'
		}
		return unicode.ToLower(r)
	}, s)
}
