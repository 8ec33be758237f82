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
// they count whether or not the orchestrator marked them verified.
func Counts(r Record) bool {
	if r.Kind != KindSample || r.Warmup {
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

// BenchWriter writes samples in Go benchmark format, one line per sample,
// so benchstat reads a run unchanged:
//
//	BenchmarkFib/runtime=wasmtime/tier=aot/lang=c/param=42/target=local/phase=execute/cold=false 1 0.81 sec/op
//
// Time is written in sec/op (sec/call for per-call figures), sizes in B
// (marked assume=exact: a file's size does not vary), peak memory in
// peak-B, prices in USD/op. The run's environment comes first as
// configuration lines (cpu, goos, goarch, ...).
type BenchWriter struct {
	w      *benchfmt.Writer
	config []benchfmt.Config
	units  map[string]bool
}

// NewBenchWriter returns a writer of samples to w, labelled with env.
func NewBenchWriter(w io.Writer, env Env) *BenchWriter {
	return &BenchWriter{w: benchfmt.NewWriter(w), config: benchConfig(env), units: map[string]bool{}}
}

// Write writes the records that Counts accepts and ignores the others.
func (bw *BenchWriter) Write(recs ...Record) error {
	for _, r := range recs {
		if !Counts(r) {
			continue
		}
		val, unit, exact := benchValue(r)
		if exact && !bw.units[unit] {
			bw.units[unit] = true
			md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: unit, Key: "assume"}, OrigUnit: unit, Value: "exact"}
			if err := bw.w.Write(md); err != nil {
				return fmt.Errorf("results.bench: write unit metadata: %w", err)
			}
		}
		res := &benchfmt.Result{
			Config: bw.config,
			Name:   benchfmt.Name(BenchName(r)),
			Iters:  1,
			Values: []benchfmt.Value{{Value: val, Unit: unit}},
		}
		if err := bw.w.Write(res); err != nil {
			return fmt.Errorf("results.bench: write %s: %w", r.Cell.Key(), err)
		}
	}
	return nil
}

// WriteBench writes every sample of recs that Counts accepts to w in Go
// benchmark format. env labels the file; when it is the zero Env, the
// first env record of recs is used.
func WriteBench(w io.Writer, env Env, recs []Record) error {
	if env.CPU == "" && env.OS == "" {
		for _, r := range recs {
			if r.Kind == KindEnv && r.Env != nil {
				env = *r.Env
				break
			}
		}
	}
	return NewBenchWriter(w, env).Write(recs...)
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

// benchConfig is the file configuration describing env.
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
	if env.MemoryBytes > 0 {
		add("memory", strconv.FormatInt(env.MemoryBytes, 10)+" B")
	}
	add("kernel", env.Kernel)
	add("governor", env.Governor)
	add("go", env.GoVersion)
	add("host", env.Hostname)
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
