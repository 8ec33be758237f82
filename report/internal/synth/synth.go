package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/wasmbench/bench/results"
)

// Options shape a synthetic run.
type Options struct {
	Seed uint64
	// Speed multiplies the execute times of "runtime/tier" (0.9: 10%
	// faster), to make a second run that compare should tell apart.
	Speed map[string]float64
	// Omit leaves out runtime/tier pairs; Only keeps just them (when set).
	Omit map[string]bool
	// ColdProcesses, WarmProcesses and WarmIterations size each cell
	// (defaults 6, 5 and 5): every warm process shifts all of its
	// executions by a spread of its own (WarmBetween, default 1.5%).
	ColdProcesses, WarmProcesses, WarmIterations int
	WarmBetween                                  float64
	// Noisy multiplies the between-process spread of "runtime/tier".
	Noisy map[string]float64
	// NoCalibration leaves out the calibration processes (and the load
	// averages); Drift multiplies the end calibration's time.
	NoCalibration bool
	Drift         float64
	// Host changes the machine fingerprint (for the two-machines case).
	Host string
	CPU  string
	// NoServerless leaves out the lambda-local and aws-lambda targets.
	NoServerless bool
	// Workloads keeps only these workloads (all when empty); NoCallCost
	// leaves out the call-cost cells.
	Workloads  []string
	NoCallCost bool
}

type rt struct{ runtime, tier string }

var matrix = []rt{
	{"native", "native"},
	{"wazero", "interp"}, {"wazero", "jit"}, {"wazero", "aot"},
	{"wasmtime", "jit"}, {"wasmtime", "aot"},
	{"wasmer", "baseline"}, {"wasmer", "jit"},
	{"node", "tiered"},
}

var versions = map[string]string{
	"native":   "clang 14.0.6, go1.26.8, rustc 1.63.0",
	"wazero":   "v1.12.0",
	"wasmtime": "v25.0.0",
	"wasmer":   "v1.0.4 (Wasmer 2.3.0)",
	"node":     "v20.19.2",
}

type wl struct {
	name   string
	langs  []string
	params []int64
}

var workloadsList = []wl{
	{"fib", []string{"c", "go", "rust"}, []int64{25, 30, 35}},
	{"primes", []string{"c", "go", "rust"}, []int64{5_000_000}},
	{"image", []string{"c", "go"}, []int64{1920}},
}

// nativeMS is the native build's execute time in milliseconds.
func nativeMS(w, lang string, n int64) float64 {
	switch w {
	case "fib":
		base := map[string]float64{"c": 640, "go": 1200, "rust": 660}[lang]
		return base * math.Pow(math.Phi, float64(n-42))
	case "primes":
		return map[string]float64{"c": 500, "go": 560, "rust": 510}[lang]
	default:
		return map[string]float64{"c": 75, "go": 80}[lang]
	}
}

// slowdown is a runtime/tier's execute time over native's (FACTS.md).
func slowdown(r rt, w, lang string) float64 {
	if r.runtime == "native" {
		return 1
	}
	i := map[string]int{"fib": 0, "primes": 1, "image": 2}[w]
	f := map[string][3]float64{
		"wazero/interp":   {115, 60, 110},
		"wazero/jit":      {1.7, 1.5, 2.8},
		"wazero/aot":      {1.7, 1.5, 2.8},
		"wasmtime/jit":    {1.3, 1.2, 1.15},
		"wasmtime/aot":    {1.3, 1.2, 1.15},
		"wasmer/baseline": {2.1, 1.9, 4.1},
		"wasmer/jit":      {1.4, 1.3, 1.45},
		"node/tiered":     {1.25, 1.3, 1.6},
	}[r.runtime+"/"+r.tier][i]
	if lang == "go" {
		f *= 1.25
	}
	return f
}

func moduleBytes(w, lang string, native bool) float64 {
	k := w + "." + lang
	if native {
		return map[string]float64{
			"fib.c": 16_088, "fib.go": 1_524_312, "fib.rust": 412_776,
			"primes.c": 16_104, "primes.go": 1_526_904, "primes.rust": 413_208,
			"image.c": 312_440, "image.go": 2_301_112,
		}[k]
	}
	return map[string]float64{
		"fib.c": 19_842, "fib.go": 2_612_341, "fib.rust": 71_530,
		"primes.c": 20_113, "primes.go": 2_598_004, "primes.rust": 72_118,
		"image.c": 187_422, "image.go": 3_641_909,
	}[k]
}

// Per-runtime costs in milliseconds (per MB of module where it says so).
var (
	spawnMS   = map[string]float64{"native": 0.9, "wazero": 1.4, "wasmtime": 2.8, "wasmer": 4.1, "node": 42}
	initMS    = map[string]float64{"wazero": 0.4, "wasmtime": 1.6, "wasmer": 3.2, "node": 38}
	compileMB = map[string]float64{"wazero/interp": 83, "wazero/jit": 325, "wasmtime/jit": 640, "wasmer/baseline": 108, "wasmer/jit": 837, "node/tiered": 12}
	loadMB    = map[string]float64{"wazero/aot": 15, "wasmtime/aot": 2}
	instMB    = map[string]float64{"wazero": 0.4, "wasmtime": 0.3, "wasmer": 0.5, "node": 2}
	rssMB     = map[string]float64{"native": 3, "wazero": 12, "wasmtime": 22, "wasmer": 30, "node": 48}
	workerB   = map[string]float64{"native": 2_104_320, "wazero": 9_812_344, "wasmtime": 29_436_112, "wasmer": 54_221_004, "node": 98_112_000}
	artifactX = map[string]float64{"wazero/aot": 2.4, "wasmtime/aot": 3.1}
	callNS    = map[string]float64{"wazero/interp": 45, "wazero/jit": 18, "wazero/aot": 18, "wasmtime/jit": 25, "wasmtime/aot": 25, "wasmer/baseline": 60, "wasmer/jit": 58, "node/tiered": 95}
)

// Lambda prices (x86_64), as FACTS.md states them.
const (
	gbSecondUSD = 0.0000166667
	requestUSD  = 0.20 / 1e6
)

type gen struct {
	o    Options
	rng  *rand.Rand
	recs []results.Record
}

// Run generates a run's records: an env line, then samples, task markers,
// notes and one failure, in the order an orchestrator would write them.
func Run(o Options) []results.Record {
	if o.ColdProcesses == 0 {
		o.ColdProcesses = 6
	}
	if o.WarmProcesses == 0 {
		o.WarmProcesses = 5
	}
	if o.WarmIterations == 0 {
		o.WarmIterations = 5
	}
	if o.WarmBetween == 0 {
		o.WarmBetween = 0.015
	}
	g := &gen{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	g.recs = append(g.recs, results.Record{Kind: results.KindEnv, Env: g.env()})
	g.calibration("start", 1)
	g.recs = append(g.recs, results.Record{Kind: results.KindNote,
		Cell: results.Cell{Runtime: "node", Tier: "tiered"},
		Note: "node: V8 compiles lazily; its compile phase is validation plus Liftoff of what runs first"})
	workerDone := map[string]bool{}
	for _, w := range workloadsList {
		if !g.wantWorkload(w.name) {
			continue
		}
		for _, lang := range w.langs {
			for _, n := range w.params {
				for _, r := range matrix {
					if !g.keep(r) {
						continue
					}
					c := results.Cell{Runtime: r.runtime, Tier: r.tier, Workload: w.name, Lang: lang,
						Param: strconv.FormatInt(n, 10), Target: "local"}
					if r.runtime == "wasmer" && r.tier == "jit" && w.name == "image" && lang == "go" {
						g.recs = append(g.recs, results.Record{Kind: results.KindFailure, Cell: c,
							RuntimeVersion: versions[r.runtime], ErrorKind: "crash",
							Error:  "worker exited: signal: aborted (core dumped)",
							Stderr: "thread '<unnamed>' panicked at 'called `Option::unwrap()` on a `None` value'\nfatal runtime error: failed to initiate panic"})
						continue
					}
					g.local(c, r, w.name, lang, n, !workerDone[r.runtime+"/"+r.tier])
					workerDone[r.runtime+"/"+r.tier] = true
				}
			}
		}
	}
	for _, r := range matrix {
		if r.runtime == "native" || !g.keep(r) || o.NoCallCost {
			continue
		}
		g.callCost(r)
	}
	if !o.NoServerless {
		g.serverless()
	}
	drift := o.Drift
	if drift == 0 {
		drift = 1
	}
	g.calibration("end", drift)
	if !o.NoCalibration {
		g.recs = append(g.recs, results.Record{Kind: results.KindNote, Note: "run ended at 2026-09-20T10:41:07Z; load average 1.31 1.12 0.86 (1, 5, 15 min)",
			Env: &results.Env{Ended: "2026-09-20T10:41:07Z", LoadAvgEnd: []float64{1.31, 1.12, 0.86}}})
	}
	return g.recs
}

// calibration adds the native calibration processes a run takes at its
// start and end: cold native fib(38), about 75 ms, 1% apart.
func (g *gen) calibration(when string, factor float64) {
	if g.o.NoCalibration {
		return
	}
	c := results.Cell{Runtime: "native", Tier: "native", Workload: "calibration", Lang: "c", Param: when, Target: "local"}
	for p := 0; p < 8; p++ {
		task := fmt.Sprintf("%s|cold|%d", c.Key(), p)
		v := 75.3 * ms * factor * math.Exp(0.01*g.rng.NormFloat64())
		g.recs = append(g.recs,
			results.Record{Kind: results.KindSample, Cell: c, RuntimeVersion: versions["native"], Phase: results.PhaseExecute, Cold: true,
				Value: math.Round(v), Unit: results.UnitNS, Verified: true, Process: p, Task: task},
			results.Record{Kind: results.KindTask, Cell: c, Task: task, WallNS: int64(v + 2*ms), Process: p})
	}
}

// samplingNote is the note the orchestrator writes when a cell stops
// sampling.
func (g *gen) samplingNote(c results.Cell, hw float64) {
	note := fmt.Sprintf("reached the precision target ±3%% after %d cold and %d warm processes", g.o.ColdProcesses, g.o.WarmProcesses)
	if hw > 0.03 {
		note = fmt.Sprintf("stopped on budget at ±%.1f%% (target ±3%%) after %d cold and %d warm processes", 100*hw, g.o.ColdProcesses, g.o.WarmProcesses)
	}
	g.recs = append(g.recs, results.Record{Kind: results.KindNote, Cell: c, Note: note})
}

func (g *gen) wantWorkload(w string) bool {
	if len(g.o.Workloads) == 0 {
		return true
	}
	for _, x := range g.o.Workloads {
		if x == w {
			return true
		}
	}
	return false
}

func (g *gen) keep(r rt) bool {
	return !g.o.Omit[r.runtime+"/"+r.tier]
}

func (g *gen) env() *results.Env {
	host, cpu := g.o.Host, g.o.CPU
	if host == "" {
		host = "bench-ci-1"
	}
	if cpu == "" {
		cpu = "Intel(R) Xeon(R) CPU @ 2.20GHz"
	}
	return &results.Env{
		CPU: cpu, Cores: 2, MemoryBytes: 8_341_966_848, Kernel: "6.1.0-18-amd64", OS: "linux", Arch: "amd64",
		GoVersion: "go1.26.8", Governor: "performance", Hostname: host, BenchVersion: "devel",
		Commit: "84125e2a0c1d", Runtimes: versions, Seed: int64(g.o.Seed), LoadAvg: g.load(),
		Command: []string{"bench", "run", "--param", "fib=25,30,35", "--samples", "5", "--out", "results/synthetic"},
		Started: "2026-09-20T10:00:00Z",
	}
}

func (g *gen) load() []float64 {
	if g.o.NoCalibration {
		return nil
	}
	return []float64{0.52, 0.4, 0.33}
}

// noisy draws a log-normal value around v with relative spread sigma,
// with the odd spike a shared machine produces.
func (g *gen) noisy(v, sigma float64) float64 {
	x := v * math.Exp(sigma*g.rng.NormFloat64())
	if g.rng.Float64() < 0.03 {
		x *= 1.3 + 0.5*g.rng.Float64()
	}
	return x
}

// sample is a record as the orchestrator writes it: the warm mode on
// every sample of a task, the cache state on an AOT tier's.
func (g *gen) sample(c results.Cell, phase string, cold bool, v float64, unit string, process, iter int, task string) results.Record {
	r := results.Record{Kind: results.KindSample, Cell: c, RuntimeVersion: versions[c.Runtime],
		Phase: phase, Cold: cold, Value: math.Round(v), Unit: unit, Verified: true,
		Process: process, Iteration: iter, Task: task, WarmMode: "fresh-instance"}
	if c.Tier == "aot" {
		r.Cache = "disk"
	}
	return r
}

const ms = 1e6 // ns per millisecond

func (g *gen) local(c results.Cell, r rt, w, lang string, n int64, withWorker bool) {
	key := r.runtime + "/" + r.tier
	native := r.runtime == "native"
	modB := moduleBytes(w, lang, native)
	modMB := modB / 1e6
	speed := 1.0
	if s, ok := g.o.Speed[key]; ok {
		speed = s
	}
	execMS := nativeMS(w, lang, n) * slowdown(r, w, lang) * speed

	if _, ok := loadMB[key]; ok {
		// The prepare step of an AOT tier: compile and write the artifact.
		task := c.Key() + "/prepare"
		g.recs = append(g.recs,
			g.sample(c, results.PhasePrepare, false, g.noisy((0.3+modMB*compileMB[r.runtime+"/jit"]*1.1)*ms, 0.04), results.UnitNS, 0, 0, task),
			g.sample(c, results.PhaseArtifactBytes, false, math.Round(modB*artifactX[key]), results.UnitBytes, 0, 0, task),
			results.Record{Kind: results.KindTask, Cell: c, Task: task, WallNS: int64(200 * ms)})
	}
	for p := 0; p < g.o.ColdProcesses; p++ {
		task := fmt.Sprintf("%s/cold/%d", c.Key(), p)
		var total float64
		add := func(phase string, v float64) {
			total += v
			g.recs = append(g.recs, g.sample(c, phase, true, v, results.UnitNS, p, 0, task))
		}
		add(results.PhaseSpawn, g.noisy(spawnMS[r.runtime]*ms, 0.08))
		if !native {
			add(results.PhaseInit, g.noisy(initMS[r.runtime]*ms, 0.06))
			if lm, ok := loadMB[key]; ok {
				add(results.PhaseLoad, g.noisy((0.15+modMB*lm)*ms, 0.06))
			} else {
				add(results.PhaseCompile, g.noisy((0.2+modMB*compileMB[key])*ms, 0.05))
			}
			add(results.PhaseInstantiate, g.noisy((0.05+modMB*instMB[r.runtime])*ms, 0.08))
		}
		coldX := 1.08
		switch {
		case r.tier == "interp" || native:
			coldX = 1.01
		case r.runtime == "node":
			coldX = 1.6
		}
		exec := g.noisy(execMS*coldX*ms, 0.04)
		execRec := g.sample(c, results.PhaseExecute, true, exec, results.UnitNS, p, 0, task)
		if c.Runtime == "node" && c.Workload == "fib" && c.Lang == "rust" && c.Param == "35" && p == 2 {
			// One sample whose output did not verify: recorded, never counted.
			execRec.Verified = false
		}
		total += exec
		g.recs = append(g.recs, execRec)
		g.recs = append(g.recs,
			g.sample(c, results.PhaseTotal, true, total+g.noisy(0.3*ms, 0.1), results.UnitNS, p, 0, task),
			g.sample(c, results.PhaseMaxRSS, true, g.noisy((rssMB[r.runtime]+3*modMB+map[bool]float64{true: 40}[w == "image"])*1e6, 0.02), results.UnitBytes, p, 0, task),
			results.Record{Kind: results.KindTask, Cell: c, Task: task, WallNS: int64(total + 2*ms)})
	}
	between := g.o.WarmBetween
	if f, ok := g.o.Noisy[key]; ok {
		between *= f
	}
	var task string
	for wp := 0; wp < g.o.WarmProcesses; wp++ {
		proc := g.o.ColdProcesses + wp
		task = fmt.Sprintf("%s/warm/%d", c.Key(), proc)
		shift := math.Exp(between * g.rng.NormFloat64())
		for i := 0; i < 1+g.o.WarmIterations; i++ {
			v := g.noisy(execMS*ms*shift, 0.02)
			rec := g.sample(c, results.PhaseExecute, false, v, results.UnitNS, proc, i, task)
			if i < 1 {
				rec.Value = math.Round(v * 1.15)
				rec.Warmup = true
			}
			g.recs = append(g.recs, rec)
		}
		g.recs = append(g.recs, results.Record{Kind: results.KindTask, Cell: c, Task: task, WallNS: int64(execMS * 5 * ms), Process: proc})
	}
	hw := 0.02
	if r.tier == "interp" {
		hw = 0.041
	}
	g.samplingNote(c, hw)
	g.recs = append(g.recs, g.sample(c, results.PhaseModuleBytes, false, modB, results.UnitBytes, 0, 0, task))
	if withWorker {
		g.recs = append(g.recs, g.sample(c, results.PhaseWorkerBytes, false, workerB[r.runtime], results.UnitBytes, 0, 0, task))
	}
}

func (g *gen) callCost(r rt) {
	key := r.runtime + "/" + r.tier
	c := results.Cell{Runtime: r.runtime, Tier: r.tier, Workload: "noop", Lang: "wat", Target: "local"}
	task := c.Key() + "/callcost/0"
	for i := 0; i < 10; i++ {
		g.recs = append(g.recs, results.Record{Kind: results.KindSample, Cell: c, RuntimeVersion: versions[r.runtime],
			Phase: results.PhaseCall, Value: math.Round(g.noisy(callNS[key], 0.03)*10) / 10, Unit: results.UnitNSCall,
			Verified: true, Process: 0, Iteration: i, Task: task})
	}
}

// serverless adds lambda-local, container-local and aws-lambda cells for
// a few runtimes, memory sizes and workloads, with REPORT durations,
// billed durations, prices and package sizes: memory sweeps on
// lambda-local and aws-lambda (a CPU share in proportion to memory, one
// vCPU at 1,769 MB, so a single-threaded guest runs no faster above it),
// one size on container-local (image packages).
func (g *gen) serverless() {
	type target struct {
		name string
		mems []int
		pkg  string
	}
	targets := []target{
		{"lambda-local", []int{128, 512, 1769}, "zip"},
		{"container-local", []int{1024}, "image"},
		{"aws-lambda", []int{128, 1024, 1769, 3008}, "zip"},
	}
	rts := []rt{{"native", "native"}, {"wazero", "jit"}, {"wazero", "aot"}, {"wasmtime", "aot"}}
	cells := []struct {
		w, lang string
		n       int64
	}{{"fib", "c", 30}, {"image", "go", 1920}}
	for _, t := range targets {
		for _, cw := range cells {
			if !g.wantWorkload(cw.w) || t.name == "container-local" && cw.w != "fib" {
				continue
			}
			for _, r := range rts {
				if !g.keep(r) || t.name == "container-local" && r.tier != "aot" {
					continue
				}
				for _, mem := range t.mems {
					g.lambda(t.name, t.pkg, mem, math.Max(1, 1769/float64(mem)), r, cw.w, cw.lang, cw.n)
				}
			}
		}
	}
}

func (g *gen) lambda(target, pkgKind string, mem int, cpu float64, r rt, w, lang string, n int64) {
	c := results.Cell{Runtime: r.runtime, Tier: r.tier, Workload: w, Lang: lang, Param: strconv.FormatInt(n, 10), Target: target}
	key := r.runtime + "/" + r.tier
	native := r.runtime == "native"
	modMB := moduleBytes(w, lang, native) / 1e6
	speed := 1.0
	if s, ok := g.o.Speed[key]; ok {
		speed = s
	}
	execMS := nativeMS(w, lang, n) * slowdown(r, w, lang) * speed * cpu
	setupMS := spawnMS[r.runtime] + 3 // the bootstrap's Runtime API client
	if !native {
		setupMS += initMS[r.runtime] + 0.05 + modMB*instMB[r.runtime]
		if lm, ok := loadMB[key]; ok {
			setupMS += 0.15 + modMB*lm
		} else {
			setupMS += 0.2 + modMB*compileMB[key]
		}
	}
	setupMS *= cpu
	price := func(billedMS float64) float64 {
		return gbSecondUSD*float64(mem)/1024*billedMS/1000 + requestUSD
	}
	// The target's own figures (a REPORT line's) carry the deployment
	// settings; the worker's phases do not (the report fills them in
	// from the task).
	mk := func(phase string, cold bool, v float64, unit string, p, i int, task string) results.Record {
		rec := g.sample(c, phase, cold, v, unit, p, i, task)
		rec.WarmMode = "live-instance"
		if phase != results.PhaseExecute {
			rec.MemoryMB, rec.Arch, rec.Package = mem, "x86_64", pkgKind
		}
		if unit == results.UnitUSD {
			rec.Value = v
			rec.PriceUSD = v
		}
		return rec
	}
	for p := 0; p < g.o.ColdProcesses; p++ {
		task := fmt.Sprintf("%s/mem=%d/cold/%d", c.Key(), mem, p)
		initD := g.noisy(setupMS*ms, 0.07)
		exec := g.noisy(execMS*1.05*ms, 0.04)
		dur := exec + g.noisy(0.2*ms, 0.1)
		billed := math.Ceil((initD+dur)/ms) * ms
		g.recs = append(g.recs,
			mk(results.PhaseInitDuration, true, initD, results.UnitNS, p, 0, task),
			mk(results.PhaseExecute, true, exec, results.UnitNS, p, 0, task),
			mk(results.PhaseDuration, true, dur, results.UnitNS, p, 0, task),
			mk(results.PhaseTotal, true, initD+dur+g.noisy(1.2*ms, 0.2), results.UnitNS, p, 0, task),
			mk(results.PhaseBilledDuration, true, billed, results.UnitNS, p, 0, task),
			mk(results.PhaseMaxMemoryUsed, true, g.noisy((rssMB[r.runtime]+3*modMB+8)*1e6, 0.02), results.UnitBytes, p, 0, task),
			mk(results.PhasePrice, true, price(billed/ms), results.UnitUSD, p, 0, task),
			results.Record{Kind: results.KindTask, Cell: c, Task: task, MemoryMB: mem, WallNS: int64(initD + exec + 5*ms)})
	}
	var task string
	for wp := 0; wp < g.o.WarmProcesses; wp++ {
		proc := g.o.ColdProcesses + wp
		task = fmt.Sprintf("%s/mem=%d/warm/%d", c.Key(), mem, proc)
		shift := math.Exp(g.o.WarmBetween * g.rng.NormFloat64())
		for i := 0; i < g.o.WarmIterations; i++ {
			exec := g.noisy(execMS*ms*shift, 0.03)
			dur := exec + g.noisy(0.15*ms, 0.1)
			billed := math.Ceil(dur/ms) * ms
			g.recs = append(g.recs,
				mk(results.PhaseExecute, false, exec, results.UnitNS, proc, i, task),
				mk(results.PhaseDuration, false, dur, results.UnitNS, proc, i, task),
				mk(results.PhaseBilledDuration, false, billed, results.UnitNS, proc, i, task),
				mk(results.PhasePrice, false, price(billed/ms), results.UnitUSD, proc, i, task))
		}
	}
	size := math.Round(workerB[r.runtime]*0.38 + moduleBytes(w, lang, native)*0.4)
	if pkgKind == "image" {
		// The worker and module uncompressed on a base image's layers.
		size = math.Round(workerB[r.runtime] + moduleBytes(w, lang, native) + 41_943_040)
	}
	pkg := mk(results.PhasePackageBytes, false, size, results.UnitBytes, 0, 0, task)
	g.recs = append(g.recs, pkg, results.Record{Kind: results.KindTask, Cell: c, Task: task, MemoryMB: mem, WallNS: int64(execMS * 10 * ms)})
}

// Encode renders records as results.jsonl. With truncate, a last record
// is cut off mid-line, as a run killed while writing leaves it.
func Encode(recs []results.Record, truncate bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			panic(err) // records are plain data; encoding cannot fail
		}
	}
	if truncate && len(recs) > 1 {
		var last bytes.Buffer
		_ = json.NewEncoder(&last).Encode(&recs[len(recs)-1])
		buf.Write(last.Bytes()[:last.Len()/2])
	}
	return buf.Bytes()
}

// WriteDir writes a run folder: dir/results.jsonl.
func WriteDir(dir string, recs []results.Record, truncate bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(dir+"/"+results.FileName, Encode(recs, truncate), 0o644)
}
