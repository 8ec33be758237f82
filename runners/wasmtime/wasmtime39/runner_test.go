// Code generated from runners/wasmtime by go generate (internal/gencopy); DO NOT EDIT.

package wasmtime39

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wasmtime "github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
)

// Small modules written in the text format, each for one behaviour.
const (
	// hello writes "hi\n" to stdout and exits with the code in argv's
	// length minus one (so extra arguments make a non-zero exit).
	watHello = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hi\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (call $proc_exit (i32.sub (i32.load (i32.const 32)) (i32.const 1)))))`
	watTrap = `(module (memory (export "memory") 1) (func (export "_start") unreachable))`
	watLoop = `(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))`
	// watBench counts to 10^6 between bench.start and bench.end.
	watBench = `(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    call $start
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))
    call $end))`
	watMissing = `(module
  (import "env" "mystery" (func))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "other" "thing" (func))
  (func (export "_start")))`
	// watGrow grows memory one page at a time until memory.grow fails,
	// then traps.
	watGrow = `(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable))`
	watBigMemory = `(module (memory (export "memory") 200) (func (export "_start")))`
	watNoop      = `(module (memory (export "memory") 1) (func (export "noop")) (func (export "_start")))`
	// watBenchNoop imports bench.start and exports noop: a call-cost job
	// (which has no bench hooks) must still link it.
	watBenchNoop = `(module (import "bench" "start" (func $start)) (func (export "noop") call $start) (func (export "_start")))`
)

func wat(t *testing.T, dir, name, src string) runners.ModuleRef {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatalf("wat2wasm %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return runners.ModuleRef{Name: name, Path: p}
}

// serve runs jobs through the real worker loop and returns the events.
func serve(t *testing.T, jobs ...runners.Job) []runners.Event {
	t.Helper()
	var in bytes.Buffer
	for _, j := range jobs {
		b, _ := json.Marshal(j)
		in.Write(append(b, '\n'))
	}
	var out, errw bytes.Buffer
	if code := runners.Serve(context.Background(), New(), &in, &out, &errw); code != 0 {
		t.Fatalf("Serve exit %d: %s", code, errw.String())
	}
	var evs []runners.Event
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("bad event %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// result is the interesting part of one job's events.
type result struct {
	phases  map[string]int
	outputs []*runners.Output
	err     *runners.Error
	done    bool
	art     runners.Event
}

func collect(evs []runners.Event, id string) result {
	r := result{phases: map[string]int{}}
	for _, ev := range evs {
		if ev.Job != id {
			continue
		}
		switch ev.Type {
		case runners.EventPhase:
			r.phases[ev.Phase]++
		case runners.EventOutput:
			r.outputs = append(r.outputs, ev.Output)
		case runners.EventError:
			r.err = ev.Error
		case runners.EventDone:
			r.done = true
		case runners.EventArtifact:
			r.art = ev
		}
	}
	return r
}

// compilingTiers are the available tiers that compile at load.
func compilingTiers() []string {
	var names []string
	for _, ti := range tiers() {
		if ti.Unavailable == "" && !ti.Prepared {
			names = append(names, ti.Name)
		}
	}
	return names
}

func TestHello(t *testing.T) {
	for _, tier := range compilingTiers() {
		t.Run(tier, func(t *testing.T) { testHello(t, tier) })
	}
}

func testHello(t *testing.T, tier string) {
	dir := t.TempDir()
	m := wat(t, dir, "hello.wasm", watHello)
	evs := serve(t,
		runners.Job{ID: "ok", Op: runners.OpCold, Tier: tier, Module: m, KeepStdout: true},
		runners.Job{ID: "exit2", Op: runners.OpCold, Tier: tier, Module: m, Args: []string{"a", "b"}},
		runners.Job{ID: "warm", Op: runners.OpWarm, Tier: tier, Module: m, Warmup: 1, Iterations: 2},
	)
	// The version comes from the build information: the major must be
	// the one this flavour links.
	major := fallbackVersion[:strings.Index(fallbackVersion, ".")+1]
	if evs[0].Type != runners.EventHello || evs[0].Runtime != runtimeName || !strings.HasPrefix(evs[0].Version, major) {
		t.Fatalf("hello = %+v", evs[0])
	}
	ok := collect(evs, "ok")
	if !ok.done || len(ok.outputs) != 1 || string(ok.outputs[0].Stdout) != "hi\n" || ok.outputs[0].ExitCode != 0 {
		t.Fatalf("ok: %+v err=%v", ok, ok.err)
	}
	for _, p := range []string{results.PhaseInit, results.PhaseCompile, results.PhaseInstantiate, results.PhaseExecute} {
		if ok.phases[p] != 1 {
			t.Errorf("phase %s reported %d times, want 1", p, ok.phases[p])
		}
	}
	ex := collect(evs, "exit2")
	if ex.err == nil || ex.err.Kind != runners.KindExit || len(ex.outputs) != 1 || ex.outputs[0].ExitCode != 2 {
		t.Fatalf("exit2: %+v err=%v", ex, ex.err)
	}
	w := collect(evs, "warm")
	if !w.done || len(w.outputs) != 3 || w.phases[results.PhaseExecute] != 3 {
		t.Fatalf("warm: %+v err=%v", w, w.err)
	}
}

func TestErrorKinds(t *testing.T) {
	for _, tier := range compilingTiers() {
		t.Run(tier, func(t *testing.T) { testErrorKinds(t, tier) })
	}
}

func testErrorKinds(t *testing.T, tier string) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.wasm")
	if err := os.WriteFile(corrupt, []byte("\x00asm\x01\x00\x00\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		job  runners.Job
		kind runners.ErrorKind
		want string // in the message
	}{
		{runners.Job{Tier: tier, Module: wat(t, dir, "trap.wasm", watTrap)}, runners.KindTrap, "unreachable"},
		{runners.Job{Tier: tier, Module: runners.ModuleRef{Name: "corrupt.wasm", Path: corrupt}}, runners.KindCompile, "corrupt.wasm"},
		{runners.Job{Tier: tier, Module: wat(t, dir, "missing.wasm", watMissing)}, runners.KindUnsupported, "env.mystery, other.thing"},
		{runners.Job{Tier: tier, Module: wat(t, dir, "grow.wasm", watGrow), MaxMemoryBytes: 4 << 20}, runners.KindMemory, "cap"},
		{runners.Job{Tier: tier, Module: wat(t, dir, "big.wasm", watBigMemory), MaxMemoryBytes: 4 << 20}, runners.KindMemory, "cap"},
		{runners.Job{Tier: "lightbeam", Module: wat(t, dir, "t4.wasm", watTrap)}, runners.KindBadJob, "no tier"},
		{runners.Job{Tier: TierAOT, Module: wat(t, dir, "t5.wasm", watTrap), ArtifactDir: filepath.Join(dir, "none")}, runners.KindNotPrepared, "prepare"},
	}
	for _, ti := range tiers() {
		if ti.Unavailable != "" {
			cases = append(cases, struct {
				job  runners.Job
				kind runners.ErrorKind
				want string
			}{runners.Job{Tier: ti.Name, Module: wat(t, dir, ti.Name+".wasm", watTrap)}, runners.KindUnsupported, ti.Unavailable})
		}
	}
	var jobs []runners.Job
	for i, c := range cases {
		c.job.ID = c.job.Module.Name
		c.job.Op = runners.OpCold
		cases[i] = c
		jobs = append(jobs, c.job)
	}
	evs := serve(t, jobs...)
	for _, c := range cases {
		r := collect(evs, c.job.ID)
		if r.err == nil {
			t.Errorf("%s: no error, want %s", c.job.ID, c.kind)
			continue
		}
		t.Logf("%s: %v", c.job.ID, r.err)
		if r.err.Kind != c.kind || !strings.Contains(r.err.Message, c.want) {
			t.Errorf("%s: error %v, want kind %s mentioning %q", c.job.ID, r.err, c.kind, c.want)
		}
	}
}

// TestMemoryCapAllowsSmallGuests checks that the cap is not what makes
// guests fail: the same growing module under a larger cap grows further.
func TestMemoryCapGrowsToCap(t *testing.T) {
	ctx := context.Background()
	b, err := wasmtime.Wat2Wasm(`(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{2 << 20, 8 << 20} {
		eng, err := New().NewEngine(ctx, runners.EngineConfig{Tier: TierJIT, MaxMemoryBytes: limit})
		if err != nil {
			t.Fatal(err)
		}
		mod, err := eng.Compile(ctx, runners.Source{Name: "g.wasm", Wasm: b})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := mod.Instantiate(ctx, runners.IO{Args: []string{"g.wasm"}})
		if err != nil {
			t.Fatal(err)
		}
		if code, err := inst.Run(ctx); code != 0 || err != nil {
			t.Fatalf("run: %d %v", code, err)
		}
		in := inst.(*instance)
		got := int64(in.inst.GetExport(in.store, "memory").Memory().Size(in.store)) * pageSize
		if got != limit {
			t.Errorf("cap %d: memory grew to %d bytes, want exactly the cap", limit, got)
		}
		inst.Close(ctx)
		mod.Close(ctx)
		eng.Close(ctx)
	}
}

func TestBenchRegionAndCallCost(t *testing.T) {
	dir := t.TempDir()
	evs := serve(t,
		runners.Job{ID: "bench", Op: runners.OpCold, Tier: TierJIT, Module: wat(t, dir, "bench.wasm", watBench)},
		runners.Job{ID: "call", Op: runners.OpCallCost, Tier: TierJIT, Module: wat(t, dir, "noop.wasm", watNoop), Export: "noop", Iterations: 2, CallsPerBatch: 100},
		runners.Job{ID: "callbench", Op: runners.OpCallCost, Tier: TierJIT, Module: wat(t, dir, "benchnoop.wasm", watBenchNoop), Export: "noop", Iterations: 1, CallsPerBatch: 10},
		runners.Job{ID: "nocall", Op: runners.OpCallCost, Tier: TierJIT, Module: wat(t, dir, "noop2.wasm", watNoop), Export: "nothing", Iterations: 1},
	)
	b := collect(evs, "bench")
	if !b.done || b.phases[results.PhaseExecute] != 1 || b.phases[results.PhaseExecuteAll] != 1 {
		t.Errorf("bench: %+v err=%v", b, b.err)
	}
	c := collect(evs, "call")
	if !c.done || c.phases[results.PhaseCall] != 2 {
		t.Errorf("call: %+v err=%v", c, c.err)
	}
	if cb := collect(evs, "callbench"); !cb.done || cb.phases[results.PhaseCall] != 1 {
		t.Errorf("callbench: %+v err=%v", cb, cb.err)
	}
	n := collect(evs, "nocall")
	if n.err == nil || n.err.Kind != runners.KindUnsupported {
		t.Errorf("nocall: %+v", n.err)
	}
}

// TestWASI runs the C fib and image workloads: argv, stdin from a file,
// stdout to a file, and a preopened directory the guest does not need.
func TestWASI(t *testing.T) {
	for _, tier := range compilingTiers() {
		t.Run(tier, func(t *testing.T) { testWASI(t, tier) })
	}
}

func testWASI(t *testing.T, tier string) {
	dir := t.TempDir()
	fib, _ := workloads.Get("fib")
	img, _ := workloads.Get("image")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var jobs []runners.Job
	type check struct {
		id  string
		exp workloads.Expectation
	}
	var checks []check
	for _, lang := range fib.Langs {
		b, err := fib.Wasm(lang)
		if err != nil {
			t.Fatal(err)
		}
		id := "fib-" + lang
		jobs = append(jobs, runners.Job{ID: id, Op: runners.OpCold, Tier: tier,
			Module: runners.ModuleRef{Name: fib.ModuleName(lang), Path: write(fib.ModuleName(lang), b)},
			Args:   fib.Args(20), Env: map[string]string{"A": "1"}, Dirs: []runners.Preopen{{Host: dir, Guest: "/data"}}})
		e, _ := fib.Expect(lang, 20)
		checks = append(checks, check{id, e})
	}
	// The image workload takes seconds in an interpreter: JIT only.
	if tier == TierJIT {
		b, err := img.Wasm(workloads.LangC)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, runners.Job{ID: "image-c", Op: runners.OpCold, Tier: TierJIT,
			Module:    runners.ModuleRef{Name: img.ModuleName("c"), Path: write("image.c.wasm", b)},
			StdinPath: write("input.jpg", img.Stdin())})
		e, _ := img.Expect(workloads.LangC, img.Param.Default)
		checks = append(checks, check{"image-c", e})
	}

	evs := serve(t, jobs...)
	for _, c := range checks {
		r := collect(evs, c.id)
		if r.err != nil || len(r.outputs) != 1 {
			t.Errorf("%s: %v", c.id, r.err)
			continue
		}
		if err := c.exp.Check(r.outputs[0]); err != nil {
			t.Errorf("%s: %v", c.id, err)
		}
	}
}

func TestAOT(t *testing.T) {
	for _, ti := range tiers() {
		if ti.Prepared && ti.Unavailable == "" {
			t.Run(ti.Name, func(t *testing.T) { testAOT(t, ti.Name) })
		}
	}
}

func testAOT(t *testing.T, tier string) {
	dir := t.TempDir()
	m := wat(t, dir, "hello.wasm", watHello)
	art := filepath.Join(dir, "art")
	evs := serve(t,
		runners.Job{ID: "prep", Op: runners.OpPrepare, Tier: tier, Module: m, ArtifactDir: art},
		runners.Job{ID: "run", Op: runners.OpCold, Tier: tier, Module: m, ArtifactDir: art, KeepStdout: true},
		runners.Job{ID: "jitprep", Op: runners.OpPrepare, Tier: TierJIT, Module: m, ArtifactDir: art},
	)
	p := collect(evs, "prep")
	if !p.done || p.art.ArtifactBytes <= 0 {
		t.Fatalf("prepare: %+v err=%v", p, p.err)
	}
	st, err := os.Stat(p.art.ArtifactPath)
	if err != nil || st.Size() != p.art.ArtifactBytes {
		t.Fatalf("artifact %s: %v (size %d, reported %d)", p.art.ArtifactPath, err, st.Size(), p.art.ArtifactBytes)
	}
	r := collect(evs, "run")
	if !r.done || r.phases[results.PhaseLoad] != 1 || r.phases[results.PhaseCompile] != 0 || string(r.outputs[0].Stdout) != "hi\n" {
		t.Fatalf("run: %+v err=%v", r, r.err)
	}
	if j := collect(evs, "jitprep"); j.err == nil || j.err.Kind != runners.KindBadJob {
		t.Errorf("prepare on jit: %v, want bad_job", j.err)
	}

	// A changed module must not load the old artifact.
	m2 := wat(t, dir, "hello.wasm", watTrap)
	evs = serve(t, runners.Job{ID: "stale", Op: runners.OpCold, Tier: tier, Module: m2, ArtifactDir: art})
	if s := collect(evs, "stale"); s.err == nil || s.err.Kind != runners.KindNotPrepared {
		t.Errorf("changed module: %v, want not_prepared", s.err)
	}

	// An artifact from another engine configuration is refused by
	// wasmtime and reported as not prepared.
	src := runners.Source{Name: "hello.wasm", Wasm: mustRead(t, m.Path)}
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	other := wasmtime.NewEngineWithConfig(cfg)
	defer other.Close()
	om, err := wasmtime.NewModule(other, src.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := om.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ArtifactPath(art, src), ob, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := New().NewEngine(ctx, runners.EngineConfig{Tier: tier, ArtifactDir: art})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(ctx)
	if _, err := eng.Compile(ctx, src); !errors.Is(err, runners.ErrNotPrepared) {
		t.Errorf("artifact made with epoch interruption: %v, want ErrNotPrepared", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoGuestExit checks that a Go guest (which ends with proc_exit(0),
// reported by wasmtime as an error) counts as exit code 0 with its output.
func TestGoGuestExit(t *testing.T) {
	dir := t.TempDir()
	fib, _ := workloads.Get("fib")
	b, err := fib.Wasm(workloads.LangGo)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "fib.go.wasm")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	evs := serve(t, runners.Job{ID: "go", Op: runners.OpCold, Tier: TierJIT,
		Module: runners.ModuleRef{Name: "fib.go.wasm", Path: p}, Args: fib.Args(10)})
	r := collect(evs, "go")
	exp, _ := fib.Expect(workloads.LangGo, 10)
	if r.err != nil || len(r.outputs) != 1 {
		t.Fatalf("go: %v", r.err)
	}
	if err := exp.Check(r.outputs[0]); err != nil {
		t.Fatal(err)
	}
}

// watPopcnt exits with the number of bits set in 0x00ff00ff (16): with
// popcnt allowed Cranelift emits the instruction, without it a sequence of
// shifts and masks, so the two artifacts differ.
const watPopcnt = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\ff\00\ff\00")
  (func (export "_start")
    (call $proc_exit (i32.popcnt (i32.load (i32.const 0))))))`

// TestAOTForTarget prepares artifacts for an explicit target of this
// machine's architecture with a restricted feature set (Lambda's, and
// none at all) and checks that each one is made with exactly those
// features, loads in a worker that was given no target, and runs
// correctly. The features are Cranelift's to use, not this CPU's: the
// popcnt module's two artifacts differ.
func TestAOTForTarget(t *testing.T) {
	for _, ti := range tiers() {
		if !ti.Prepared || ti.Unavailable != "" {
			continue
		}
		t.Run(ti.Name, func(t *testing.T) { testAOTForTarget(t, ti) })
	}
}

func testAOTForTarget(t *testing.T, ti runners.TierInfo) {
	dir := t.TempDir()
	host := runners.HostArch()
	lambda, err := runners.LambdaTarget(host)
	if err != nil {
		t.Fatal(err)
	}
	if !ti.MachineCode {
		evs := serve(t, runners.Job{ID: "p", Op: runners.OpPrepare, Tier: ti.Name, Module: wat(t, dir, "pop.wasm", watPopcnt),
			ArtifactDir: dir, Target: &lambda})
		if r := collect(evs, "p"); r.err == nil || r.err.Kind != runners.KindUnsupported {
			t.Fatalf("prepare for a target on a tier that is not machine code: %v, want unsupported", r.err)
		}
		return
	}
	fib, _ := workloads.Get("fib")
	b, err := fib.Wasm(workloads.LangC)
	if err != nil {
		t.Fatal(err)
	}
	fibPath := filepath.Join(dir, "fib.c.wasm")
	if err := os.WriteFile(fibPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fibRef := runners.ModuleRef{Name: "fib.c.wasm", Path: fibPath}
	exp, _ := fib.Expect(workloads.LangC, 20)
	pop := wat(t, dir, "pop.wasm", watPopcnt)

	none := runners.Target{Arch: host}
	sizes := map[string]int64{}
	var popArts [][]byte
	for _, tg := range []runners.Target{lambda, none} {
		art := filepath.Join(dir, "art-"+strings.Join(tg.Features, "-"))
		evs := serve(t,
			runners.Job{ID: "fib-prep", Op: runners.OpPrepare, Tier: ti.Name, Module: fibRef, ArtifactDir: art, Target: &tg},
			runners.Job{ID: "pop-prep", Op: runners.OpPrepare, Tier: ti.Name, Module: pop, ArtifactDir: art, Target: &tg},
		)
		// A second worker, given no target, loads what the first made.
		evs = append(evs, serve(t,
			runners.Job{ID: "fib", Op: runners.OpCold, Tier: ti.Name, Module: fibRef, ArtifactDir: art, Args: fib.Args(20), KeepStdout: true},
			runners.Job{ID: "pop", Op: runners.OpCold, Tier: ti.Name, Module: pop, ArtifactDir: art},
		)...)
		for _, id := range []string{"fib-prep", "pop-prep"} {
			p := collect(evs, id)
			if !p.done || p.art.Target == nil {
				t.Fatalf("%v %s: %+v err=%v", tg.Features, id, p, p.err)
			}
			if got := p.art.Target; got.Arch != host || strings.Join(got.Features, " ") != strings.Join(tg.Features, " ") {
				t.Errorf("%v %s: artifact target %s, want %s", tg.Features, id, got, &tg)
			}
		}
		sizes[strings.Join(tg.Features, " ")] = collect(evs, "fib-prep").art.ArtifactBytes
		r := collect(evs, "fib")
		if r.err != nil || len(r.outputs) != 1 || r.phases[results.PhaseLoad] != 1 {
			t.Fatalf("%v fib: %+v err=%v", tg.Features, r, r.err)
		}
		if err := exp.Check(r.outputs[0]); err != nil {
			t.Errorf("%v fib: %v", tg.Features, err)
		}
		// A non-zero exit is a KindExit error, with its output.
		if r := collect(evs, "pop"); r.err == nil || r.err.Kind != runners.KindExit || len(r.outputs) != 1 || r.outputs[0].ExitCode != 16 {
			t.Fatalf("%v popcnt: %+v err=%v, want exit code 16", tg.Features, r, r.err)
		}
		popArts = append(popArts, mustRead(t, collect(evs, "pop-prep").art.ArtifactPath))
	}
	if bytes.Equal(popArts[0], popArts[1]) {
		t.Errorf("the popcnt module's artifacts with and without popcnt are the same bytes: the target's features were not applied")
	}
	t.Logf("fib.c.wasm artifact bytes by feature set: %v", sizes)

	// Another architecture: no backend for it in this library.
	other := runners.ArchARM
	if host == runners.ArchARM {
		other = runners.ArchX86
	}
	evs := serve(t, runners.Job{ID: "x", Op: runners.OpPrepare, Tier: ti.Name, Module: pop, ArtifactDir: dir,
		Target: &runners.Target{Arch: other}})
	if r := collect(evs, "x"); r.err == nil || r.err.Kind != runners.KindUnsupported || !strings.Contains(r.err.Message, "backend") {
		t.Errorf("prepare for %s: %v, want unsupported naming the missing backend", other, r.err)
	}
	// A target is for the prepare step only.
	evs = serve(t, runners.Job{ID: "c", Op: runners.OpCold, Tier: ti.Name, Module: pop, ArtifactDir: dir, Target: &lambda})
	if r := collect(evs, "c"); r.err == nil || r.err.Kind != runners.KindBadJob {
		t.Errorf("cold job with a target: %v, want bad_job", r.err)
	}
}
