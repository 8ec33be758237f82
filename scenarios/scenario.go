package scenarios

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wasmbench/bench/runners/registry"
	"github.com/wasmbench/bench/workloads"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	// Name is the scenario's name (bench run --scenario NAME).
	Name string
	// Question is the one sentence the scenario answers; its report opens
	// with it.
	Question string
	// Story are the published figures the scenario reproduces, one line
	// each, shown beside the verdict.
	Story []string

	// The matrix, as bench run's filters: empty means every one.
	Runtimes, Tiers, Workloads, Langs, Targets []string
	// Params are workload parameters: name to values (a sweep when
	// several).
	Params map[string][]int64
	// Memory are the memory sizes of serverless environments, in MB (a
	// sweep when several; none: the target's default).
	Memory []int
	// FunctionTimeout is the serverless function timeout (0: Lambda's
	// 3 s).
	FunctionTimeout time.Duration

	// Sampling knobs (0 or false: bench run's defaults).
	Samples   int
	Budget    time.Duration
	Precision float64
	// HasPrecision is set when the file gives a precision (0 is a valid
	// one: sample every cell to its budget).
	HasPrecision bool
	Quick        bool

	// Compare is what the verdict sets against what.
	Compare Compare
	// Verdict is how the verdict is formed (VerdictLimit, ...).
	Verdict string
	// Figures are what a VerdictFaster compares (FigureCold, ...);
	// DefaultFigures when the file names none.
	Figures []string

	// File is where the scenario came from: the embedded file's name
	// ("precompile.scenario") or the path given. Text is its content.
	File string
	Text []byte
	// Line is the line of each key given (the first, for a repeated
	// one), for errors found after parsing.
	Line map[string]int
}

// Compare is "DIM A[,A...] vs B[,B...]": the cells whose DIM is one of A
// are the baseline, each set against the cells whose DIM is one of B and
// that agree with it on everything else (a runtime's tier excepted when
// runtimes are compared: tiers belong to runtimes).
type Compare struct {
	Dim  string
	A, B []string
}

// String is the compare line's value.
func (c Compare) String() string {
	if c.Dim == "" {
		return ""
	}
	return c.Dim + " " + strings.Join(c.A, ",") + " vs " + strings.Join(c.B, ",")
}

// Dimensions a compare line can name.
const (
	DimRuntime = "runtime"
	DimTier    = "tier"
	DimTarget  = "target"
	DimLang    = "lang"
	DimMemory  = "memory"
)

// Dims lists the dimensions a compare line can name.
var Dims = []string{DimRuntime, DimTier, DimTarget, DimLang, DimMemory}

// Verdicts: how a scenario's verdict is formed from its run's records.
const (
	// VerdictLimit: for each baseline cell and its counterparts, whether
	// each crossed one of Lambda's limits (a failure of kind timeout or
	// memory, naming the phase and the limit) or passed, with its cold
	// start.
	VerdictLimit = "limit"
	// VerdictFaster: each counterpart set against its baseline on
	// Figures, with the project's comparison (ratio of geometric means of
	// the processes, Welch's t-test on their logarithms,
	// Benjamini-Hochberg across the verdict's rows): faster, slower,
	// equivalent or inconclusive.
	VerdictFaster = "faster"
	// VerdictPackageSize: each cell's deployment package against
	// Lambda@Edge's zipped limits, 1 MB for viewer triggers and 50 MB for
	// origin triggers.
	VerdictPackageSize = "package-size"
)

// Verdicts lists the verdict kinds.
var Verdicts = []string{VerdictLimit, VerdictFaster, VerdictPackageSize}

// Figures a faster verdict compares.
const (
	FigureCold   = "cold"   // cold start, end to end (phase total, cold)
	FigureInit   = "init"   // a serverless cold start's Init Duration
	FigureWarm   = "warm"   // warm execute
	FigureMemory = "memory" // a serverless invocation's Max Memory Used
	FigureCost   = "cost"   // price per invocation, shown per million
)

// FigureNames lists the figures, in the order a verdict shows them.
var FigureNames = []string{FigureCold, FigureInit, FigureWarm, FigureMemory, FigureCost}

// DefaultFigures are a faster verdict's figures when the file names
// none.
var DefaultFigures = []string{FigureCold, FigureWarm}

// Targets are the targets bench run knows (deploy/targets; a test in
// internal/cli keeps the two lists the same).
var Targets = []string{"local", "lambda-local", "container-local", "aws-lambda"}

// FileExt is a scenario file's extension; a --scenario value ending in
// it, or holding a '/', is a path, anything else a shipped scenario's
// name.
const FileExt = ".scenario"

// RunFile is the scenario's copy in the run folder, which bench report
// reads to open the report with the question and the verdict.
const RunFile = "scenario.txt"

// key is one key a file may hold.
type key struct {
	name, takes string
	// repeat: the key may be given on several lines (values add up).
	repeat bool
	set    func(sc *Scenario, v string) error
}

// Keys describes every key, in the order README lists them.
func Keys() [][2]string {
	var out [][2]string
	for _, k := range keys {
		out = append(out, [2]string{k.name, k.takes})
	}
	return out
}

func keyNames() []string {
	var n []string
	for _, k := range keys {
		n = append(n, k.name)
	}
	return n
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

var keys = []key{
	{name: "name", takes: "the scenario's name: lower-case letters, digits and '-'", set: func(sc *Scenario, v string) error {
		if !nameRE.MatchString(v) {
			return fmt.Errorf("%q is not a name: use lower-case letters, digits and '-', starting with a letter or digit", v)
		}
		sc.Name = v
		return nil
	}},
	{name: "question", takes: "the one sentence the scenario answers, ending in '?'", set: func(sc *Scenario, v string) error {
		if !strings.HasSuffix(v, "?") {
			return fmt.Errorf("a question ends in '?': %q", v)
		}
		sc.Question = v
		return nil
	}},
	{name: "story", takes: "a published figure the scenario reproduces (repeatable: one per line)", repeat: true, set: func(sc *Scenario, v string) error {
		sc.Story = append(sc.Story, v)
		return nil
	}},
	{name: "runtimes", takes: "runtimes, comma-separated (" + strings.Join(registry.Names(), ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Runtimes, v, "runtime", registry.Names())
	}},
	{name: "tiers", takes: "tiers, comma-separated (" + strings.Join(allTiers(), ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Tiers, v, "tier", allTiers())
	}},
	{name: "workloads", takes: "built-in workloads, comma-separated (" + strings.Join(workloads.Names(), ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Workloads, v, "workload", workloads.Names())
	}},
	{name: "langs", takes: "source languages, comma-separated (" + strings.Join(workloads.Langs(), ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Langs, v, "language", workloads.Langs())
	}},
	{name: "param", takes: "a workload parameter NAME=V1[,V2...] (repeatable: one workload per line)", repeat: true, set: setParam},
	{name: "targets", takes: "targets, comma-separated (" + strings.Join(Targets, ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Targets, v, "target", Targets)
	}},
	{name: "memory", takes: "memory sizes in MB of serverless environments, comma-separated (128 to 10240)", set: setMemory},
	{name: "function-timeout", takes: "the serverless function timeout, a duration such as 3s (1ms to 15m)", set: func(sc *Scenario, v string) error {
		d, err := duration(v, time.Millisecond, 15*time.Minute)
		sc.FunctionTimeout = d
		return err
	}},
	{name: "samples", takes: "minimum processes per cell of each kind, cold and warm (1 to 10000)", set: func(sc *Scenario, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("%q is not a number of processes from 1 to 10000", v)
		}
		sc.Samples = n
		return nil
	}},
	{name: "budget", takes: "time per cell, a duration such as 5s (1ms to 24h)", set: func(sc *Scenario, v string) error {
		d, err := duration(v, time.Millisecond, 24*time.Hour)
		sc.Budget = d
		return err
	}},
	{name: "precision", takes: "target half-width of each cell's 95% interval, in percent (0 to under 100)", set: func(sc *Scenario, v string) error {
		p, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
		if err != nil || !(p >= 0 && p < 100) {
			return fmt.Errorf("%q is not a percentage from 0 up to, not including, 100", v)
		}
		sc.Precision, sc.HasPrecision = p/100, true
		return nil
	}},
	{name: "quick", takes: "yes or no: bench run --quick's smaller parameters and budgets", set: func(sc *Scenario, v string) error {
		b, err := yesNo(v)
		sc.Quick = b
		return err
	}},
	{name: "compare", takes: "DIM A[,A...] vs B[,B...], DIM one of " + strings.Join(Dims, ", ") + " (e.g. tier jit vs aot)", set: setCompare},
	{name: "verdict", takes: "how the verdict is formed: " + strings.Join(Verdicts, ", "), set: func(sc *Scenario, v string) error {
		if !contains(Verdicts, v) {
			return fmt.Errorf("unknown verdict %q (verdicts: %s)", v, strings.Join(Verdicts, ", "))
		}
		sc.Verdict = v
		return nil
	}},
	{name: "figures", takes: "what a faster verdict compares, comma-separated (" + strings.Join(FigureNames, ", ") + "; default " + strings.Join(DefaultFigures, ", ") + ")", set: func(sc *Scenario, v string) error {
		return names(&sc.Figures, v, "figure", FigureNames)
	}},
}

// Error is a scenario file's error, at a line (0: the file as a whole).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Parse reads a scenario file's text; file names it in errors. Every
// name is checked against what bench knows (runtimes and tiers in
// runners/registry, workloads and languages in workloads, Targets), and
// the compare line against the matrix.
func Parse(file string, text []byte) (*Scenario, error) {
	sc := &Scenario{File: file, Text: text, Line: map[string]int{}}
	errAt := func(line int, format string, a ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	for i, raw := range strings.Split(string(text), "\n") {
		ln := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, r := range line {
			if !unicode.IsPrint(r) && r != '\t' {
				return nil, errAt(ln, "a control character (%q): a scenario file is plain text", r)
			}
		}
		k, v, ok := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, errAt(ln, "want \"key: value\" (or a # comment), got %q", clip(line))
		}
		var def *key
		for j := range keys {
			if keys[j].name == k {
				def = &keys[j]
			}
		}
		if def == nil {
			return nil, errAt(ln, "unknown key %q (keys: %s)", k, strings.Join(keyNames(), ", "))
		}
		if first, seen := sc.Line[k]; seen && !def.repeat {
			return nil, errAt(ln, "%s given twice (first on line %d); it takes one line", k, first)
		}
		if v == "" {
			return nil, errAt(ln, "%s has no value; it takes %s", k, def.takes)
		}
		if _, seen := sc.Line[k]; !seen {
			sc.Line[k] = ln
		}
		if err := def.set(sc, v); err != nil {
			return nil, errAt(ln, "%s: %v", k, err)
		}
	}
	for _, k := range []string{"name", "question", "verdict"} {
		if _, ok := sc.Line[k]; !ok {
			return nil, errAt(0, "no %s line; every scenario has a name, a question and a verdict", k)
		}
	}
	if err := sc.check(); err != nil {
		return nil, err
	}
	return sc, nil
}

// check validates what one line cannot: the compare line against the
// matrix and the verdict, the tiers against the runtimes, the parameters
// against the workloads.
func (sc *Scenario) check() error {
	errAt := func(k string, format string, a ...any) error {
		return &Error{File: sc.File, Line: sc.Line[k], Msg: k + ": " + fmt.Sprintf(format, a...)}
	}
	if len(sc.Runtimes) > 0 && len(sc.Tiers) > 0 {
		for _, t := range sc.Tiers {
			found := false
			for _, r := range sc.Runtimes {
				if registry.Kind(r, t) != registry.KindUnknown {
					found = true
				}
			}
			if !found {
				return errAt("tiers", "no runtime of the scenario has a tier %q (its runtimes' tiers: %s)", t, strings.Join(tiersOf(sc.Runtimes), ", "))
			}
		}
	}
	if len(sc.Workloads) > 0 {
		for name := range sc.Params {
			if !contains(sc.Workloads, name) {
				return errAt("param", "workload %s is not among the scenario's workloads (%s)", name, strings.Join(sc.Workloads, ", "))
			}
		}
	}
	if len(sc.Figures) > 0 && sc.Verdict != VerdictFaster {
		return errAt("figures", "figures are what a %s verdict compares; this scenario's verdict is %s", VerdictFaster, sc.Verdict)
	}
	if len(sc.Figures) == 0 && sc.Verdict == VerdictFaster {
		sc.Figures = append([]string(nil), DefaultFigures...)
	}
	c := sc.Compare
	if c.Dim == "" {
		if sc.Verdict == VerdictPackageSize {
			return nil
		}
		return errAt("verdict", "a %s verdict sets cells against each other: add a compare line (compare: DIM A vs B)", sc.Verdict)
	}
	var in []string
	switch c.Dim {
	case DimRuntime:
		in = sc.Runtimes
	case DimTier:
		in = sc.Tiers
	case DimTarget:
		in = sc.Targets
	case DimLang:
		in = sc.Langs
	case DimMemory:
		for _, m := range sc.Memory {
			in = append(in, strconv.Itoa(m))
		}
		if len(in) == 0 {
			return errAt("compare", "memory sizes are compared, but the scenario has no memory line")
		}
	}
	if len(in) > 0 {
		for _, v := range append(append([]string(nil), c.A...), c.B...) {
			if !contains(in, v) {
				return errAt("compare", "%s %s is not in the scenario's %s line (%s)", c.Dim, v, plural(c.Dim), strings.Join(in, ", "))
			}
		}
	}
	return nil
}

// setCompare parses "DIM A[,A...] vs B[,B...]".
func setCompare(sc *Scenario, v string) error {
	dim, rest, _ := strings.Cut(v, " ")
	a, b, ok := strings.Cut(rest, " vs ")
	if !ok || !contains(Dims, dim) {
		return fmt.Errorf("want DIM A[,A...] vs B[,B...] with DIM one of %s (e.g. tier jit vs aot), got %q", strings.Join(Dims, ", "), v)
	}
	var valid []string
	what := dim
	switch dim {
	case DimRuntime:
		valid = registry.Names()
	case DimTier:
		valid = allTiers()
	case DimTarget:
		valid = Targets
	case DimLang:
		valid, what = workloads.Langs(), "language"
	}
	c := Compare{Dim: dim}
	for _, side := range []struct {
		s   string
		out *[]string
	}{{a, &c.A}, {b, &c.B}} {
		if err := names(side.out, side.s, what, valid); err != nil {
			return err
		}
		if len(*side.out) == 0 {
			return fmt.Errorf("a side of %q names nothing", v)
		}
		if dim == DimMemory {
			for i, m := range *side.out {
				n, err := memorySize(m)
				if err != nil {
					return err
				}
				(*side.out)[i] = strconv.Itoa(n)
			}
		}
	}
	for _, x := range c.A {
		if contains(c.B, x) {
			return fmt.Errorf("%s %s is on both sides", dim, x)
		}
	}
	sc.Compare = c
	return nil
}

func setParam(sc *Scenario, v string) error {
	name, vals, ok := strings.Cut(v, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(vals) == "" {
		return fmt.Errorf("want NAME=VALUE or NAME=V1,V2,... (e.g. fib=30), got %q", v)
	}
	w, err := workloads.Get(name)
	if err != nil {
		return err
	}
	if _, dup := sc.Params[name]; dup {
		return fmt.Errorf("workload %s is given twice; put its values on one line (%s=V1,V2)", name, name)
	}
	for _, s := range strings.Split(vals, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", strings.TrimSpace(s))
		}
		if err := w.CheckParam(n); err != nil {
			return err
		}
		if sc.Params == nil {
			sc.Params = map[string][]int64{}
		}
		sc.Params[name] = append(sc.Params[name], n)
	}
	return nil
}

func setMemory(sc *Scenario, v string) error {
	for _, s := range strings.Split(v, ",") {
		m, err := memorySize(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		for _, x := range sc.Memory {
			if x == m {
				return fmt.Errorf("%d MB is given twice", m)
			}
		}
		sc.Memory = append(sc.Memory, m)
	}
	return nil
}

func memorySize(s string) (int, error) {
	m, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "MB")))
	if err != nil || m < 128 || m > 10240 {
		return 0, fmt.Errorf("%q is not a memory size in MB from 128 to 10240 (Lambda's range)", s)
	}
	return m, nil
}

func duration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%q is not a duration from %s to %s (e.g. 3s, 500ms)", v, lo, hi)
	}
	return d, nil
}

func yesNo(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true, nil
	case "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither yes nor no", v)
}

// names adds the comma-separated names of v to *out, each of which must
// be in valid (nil: any).
func names(out *[]string, v, what string, valid []string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return fmt.Errorf("an empty name in %q", v)
		}
		if valid != nil && !contains(valid, s) {
			return fmt.Errorf("unknown %s %q (%ss: %s)", what, s, what, strings.Join(valid, ", "))
		}
		if contains(*out, s) {
			return fmt.Errorf("%s %s is given twice", what, s)
		}
		*out = append(*out, s)
	}
	return nil
}

// allTiers lists every tier name of the registry, sorted.
func allTiers() []string {
	return tiersOf(registry.Names())
}

func tiersOf(runtimes []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range runtimes {
		r, ok := registry.Lookup(n)
		if !ok {
			continue
		}
		for _, t := range r.TierNames() {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

func plural(dim string) string {
	if dim == DimMemory {
		return dim
	}
	return dim + "s"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
