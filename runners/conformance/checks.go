package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
)

// compilePhase is the phase a tier's compile step reports.
func compilePhase(tier runners.TierInfo) string {
	if tier.Prepared {
		return results.PhaseLoad
	}
	return results.PhaseCompile
}

// checkCold checks a cold job's phases: init, compile or load,
// instantiate and execute, once each, positive, not warm-up; plus any of
// extra.
func checkCold(t *testing.T, r result, tier runners.TierInfo, extra ...string) {
	t.Helper()
	want := append([]string{results.PhaseInit, compilePhase(tier), results.PhaseInstantiate, results.PhaseExecute}, extra...)
	for _, name := range want {
		ps := r.phases(name)
		if len(ps) != 1 {
			t.Errorf("%d %q phases, want 1 (phases: %s)", len(ps), name, phaseList(r))
			continue
		}
		if ps[0].NS <= 0 {
			t.Errorf("phase %s is %v ns, want > 0", name, ps[0].NS)
		}
		if ps[0].Warmup {
			t.Errorf("phase %s of a cold job is marked warm-up", name)
		}
	}
	for _, ev := range r.events(runners.EventPhase) {
		if !containsStr(want, ev.Phase) {
			t.Errorf("unexpected phase %q in a cold job (want %v)", ev.Phase, want)
		}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func phaseList(r result) string {
	var parts []string
	for _, ev := range r.events(runners.EventPhase) {
		parts = append(parts, fmt.Sprintf("%s[%d]=%s", ev.Phase, ev.Iteration, ms(ev.NS)))
	}
	return strings.Join(parts, " ")
}

func ms(ns float64) string { return time.Duration(ns).String() }

// checkOutput checks that exactly one output was reported and that it
// passes exp.
func checkOutput(t *testing.T, r result, exp workloads.Expectation) {
	t.Helper()
	outs := r.events(runners.EventOutput)
	if len(outs) != 1 {
		t.Fatalf("%d output events, want 1", len(outs))
	}
	if err := exp.Check(outs[0].Output); err != nil {
		t.Errorf("output not verified: %v (stderr: %s)", err, stderrOf(outs[0]))
	}
}

func stderrOf(ev runners.Event) string {
	if ev.Output == nil {
		return ""
	}
	return ev.Output.Stderr
}

func (s *suite) testWorkload(t *testing.T, tier runners.TierInfo, w *workloads.Workload, lang string) {
	n := w.Param.Quick
	exp, err := w.Expect(lang, n)
	if err != nil {
		t.Fatal(err)
	}
	mod := s.workloadModule(t, w, lang)
	job := s.job(t, tier, runners.OpCold, mod)
	job.Args = w.Args(n)
	job.StdinPath = s.stdin(t, w)
	r := s.run(t, job)
	r.wantOK(t, "cold "+mod.Name)
	checkCold(t, r, tier)
	checkOutput(t, r, exp)
	t.Logf("%s %s(%d) cold: %s", tier.Name, mod.Name, n, phaseList(r))
}

// testPrepare checks the ahead-of-time cycle: no artifact (missing or
// empty folder) and another module's artifact fail with KindNotPrepared;
// prepare reports a size; cold after prepare loads.
func (s *suite) testPrepare(t *testing.T, tier runners.TierInfo) {
	hello := s.ref(modHello)
	missing := filepath.Join(t.TempDir(), "never-prepared")
	r := s.run(t, runners.Job{ID: s.id(), Op: runners.OpCold, Tier: tier.Name, Module: hello, ArtifactDir: missing})
	r.wantKind(t, "cold before prepare (no artifact folder)", runners.KindNotPrepared)
	if _, err := os.Stat(missing); err == nil {
		if ents, _ := os.ReadDir(missing); len(ents) > 0 {
			t.Errorf("a failed cold job left files in the artifact folder: %v", ents)
		}
	}

	empty := t.TempDir()
	r = s.run(t, runners.Job{ID: s.id(), Op: runners.OpCold, Tier: tier.Name, Module: hello, ArtifactDir: empty})
	r.wantKind(t, "cold before prepare (empty artifact folder)", runners.KindNotPrepared)

	dir := filepath.Join(t.TempDir(), "artifact")
	r = s.run(t, runners.Job{ID: s.id(), Op: runners.OpPrepare, Tier: tier.Name, Module: hello, ArtifactDir: dir})
	r.wantOK(t, "prepare")
	arts := r.events(runners.EventArtifact)
	if len(arts) != 1 || arts[0].ArtifactBytes <= 0 {
		t.Fatalf("prepare: artifact events %+v; want one with a size > 0", arts)
	}
	t.Logf("artifact of %s: %d bytes at %s", hello.Name, arts[0].ArtifactBytes, arts[0].ArtifactPath)
	if len(r.events(runners.EventPhase)) != 0 || len(r.events(runners.EventOutput)) != 0 {
		t.Errorf("prepare reported phases or outputs: %s", phaseList(r))
	}

	r = s.run(t, runners.Job{ID: s.id(), Op: runners.OpCold, Tier: tier.Name, Module: hello, ArtifactDir: dir})
	r.wantOK(t, "cold after prepare")
	checkCold(t, r, tier)
	checkOutput(t, r, workloads.Exact("hello\n"))

	// An artifact made for hello must not run for another module.
	other := s.ref(modExit3)
	r = s.run(t, runners.Job{ID: s.id(), Op: runners.OpCold, Tier: tier.Name, Module: other, ArtifactDir: dir})
	r.wantKind(t, "cold of "+other.Name+" with the artifact of "+hello.Name, runners.KindNotPrepared)
}

// testWarm runs one warm-up and three measured executions of fib (or the
// first workload) in one worker.
func (s *suite) testWarm(t *testing.T, tier runners.TierInfo) {
	w, lang := s.warmWorkload(t)
	n := w.Param.Quick
	exp, err := w.Expect(lang, n)
	if err != nil {
		t.Fatal(err)
	}
	mod := s.workloadModule(t, w, lang)
	job := s.job(t, tier, runners.OpWarm, mod)
	job.Args, job.StdinPath = w.Args(n), s.stdin(t, w)
	job.Warmup, job.Iterations = 1, 3
	r := s.run(t, job)
	r.wantOK(t, "warm "+mod.Name)
	if ps := r.phases(compilePhase(tier)); len(ps) != 1 {
		t.Errorf("%d %s phases in a warm job, want 1 (phases: %s)", len(ps), compilePhase(tier), phaseList(r))
	}
	for _, name := range []string{results.PhaseInstantiate, results.PhaseExecute} {
		ps := r.phases(name)
		if len(ps) != 4 {
			t.Errorf("%d %s phases, want 4 (1 warm-up + 3): %s", len(ps), name, phaseList(r))
			continue
		}
		for i, p := range ps {
			if p.Iteration != i || p.Warmup != (i < 1) || p.NS <= 0 {
				t.Errorf("%s phase %d: iteration %d, warmup %v, %v ns; want iteration %d, warmup %v, > 0 ns",
					name, i, p.Iteration, p.Warmup, p.NS, i, i < 1)
			}
		}
	}
	outs := r.events(runners.EventOutput)
	if len(outs) != 4 {
		t.Fatalf("%d outputs, want 4", len(outs))
	}
	for i, o := range outs {
		if o.Iteration != i || o.Warmup != (i < 1) {
			t.Errorf("output %d: iteration %d, warmup %v", i, o.Iteration, o.Warmup)
		}
		if err := exp.Check(o.Output); err != nil {
			t.Errorf("output %d not verified: %v", i, err)
		}
	}
	t.Logf("%s %s(%d) warm: %s", tier.Name, mod.Name, n, phaseList(r))
}

func (s *suite) warmWorkload(t *testing.T) (*workloads.Workload, string) {
	t.Helper()
	var cands []*workloads.Workload
	if w, err := workloads.Get("fib"); err == nil {
		cands = append(cands, w)
	}
	cands = append(cands, workloads.All()...)
	for _, w := range cands {
		if s.c.Workloads != nil && !containsStr(s.c.Workloads, w.Name) {
			continue
		}
		for _, lang := range w.Langs {
			if s.c.Langs == nil || containsStr(s.c.Langs, lang) {
				return w, lang
			}
		}
	}
	t.Skip("no workload and language left by Config.Workloads and Config.Langs")
	return nil, ""
}

func (s *suite) testCallCost(t *testing.T, tier runners.TierInfo) {
	if s.native {
		job := runners.Job{ID: s.id(), Op: runners.OpCallCost, Tier: tier.Name, Module: s.ref(modHello),
			Export: "noop", Iterations: 1, CallsPerBatch: 10}
		s.run(t, job).wantKind(t, "callcost on a native executable", runners.KindUnsupported)
		return
	}
	p := filepath.Join(t.TempDir(), "noop.wasm")
	if err := os.WriteFile(p, workloads.Noop, 0o644); err != nil {
		t.Fatal(err)
	}
	job := s.job(t, tier, runners.OpCallCost, runners.ModuleRef{Name: "noop.wasm", Path: p})
	job.Export, job.Warmup, job.Iterations, job.CallsPerBatch = "noop", 1, 3, 2000
	r := s.run(t, job)
	r.wantOK(t, "callcost")
	calls := r.phases(results.PhaseCall)
	if len(calls) != 4 {
		t.Fatalf("%d call phases, want 4 (1 warm-up + 3 batches): %s", len(calls), phaseList(r))
	}
	for i, c := range calls {
		if c.NS <= 0 || c.Warmup != (i < 1) || c.Iteration != i {
			t.Errorf("call batch %d: %v ns/call, warmup %v, iteration %d", i, c.NS, c.Warmup, c.Iteration)
		}
	}
	t.Logf("%s call cost: %.1f %.1f %.1f ns/call", tier.Name, calls[1].NS, calls[2].NS, calls[3].NS)

	job.ID, job.Export = s.id(), "no_such_export"
	s.run(t, job).wantKind(t, "callcost of a missing export", runners.KindUnsupported)
}

func (s *suite) testCorrupt(t *testing.T, tier runners.TierInfo) {
	for name, b := range corruptModules(s.native) {
		t.Run(strings.TrimSuffix(name, filepath.Ext(name)), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, b, 0o755); err != nil {
				t.Fatal(err)
			}
			op := runners.OpCold
			if tier.Prepared {
				op = runners.OpPrepare
			}
			job := runners.Job{ID: s.id(), Op: op, Tier: tier.Name, Module: runners.ModuleRef{Name: name, Path: p},
				ArtifactDir: filepath.Join(t.TempDir(), "artifact")}
			r := s.run(t, job)
			r.wantKind(t, string(op)+" of a corrupt module", runners.KindCompile)
			if !strings.Contains(r.err.Message, name) {
				t.Errorf("the message does not name the module %s: %q", name, r.err.Message)
			}
			if strings.Contains(r.err.Message, "goroutine ") {
				t.Errorf("the message is a panic dump, not a message: %q", r.err.Message)
			}
		})
	}
}

func (s *suite) testTrap(t *testing.T, tier runners.TierInfo) {
	r := s.run(t, s.job(t, tier, runners.OpCold, s.ref(modTrap)))
	r.wantKind(t, "a trapping module", runners.KindTrap)
	want := "unreachable"
	if s.native {
		want = "SIGSEGV"
	}
	if !strings.Contains(strings.ToLower(r.err.Message), strings.ToLower(want)) {
		t.Errorf("the trap message does not say %q: %q", want, r.err.Message)
	}
}

func (s *suite) testExit(t *testing.T, tier runners.TierInfo) {
	r := s.run(t, s.job(t, tier, runners.OpCold, s.ref(modExit3)))
	r.wantKind(t, "a module exiting with code 3", runners.KindExit)
	if !strings.Contains(r.err.Message, "3") {
		t.Errorf("the message does not give the exit code: %q", r.err.Message)
	}
	for _, o := range r.events(runners.EventOutput) {
		if o.Output == nil || o.Output.ExitCode != 3 {
			t.Errorf("output event %+v: want exit code 3", o.Output)
		}
	}
}

// testTimeout runs an infinite loop under a 300 ms timeout: the job must
// end with KindTimeout within seconds; a runtime that can interrupt must
// then serve another job in the same worker.
func (s *suite) testTimeout(t *testing.T, tier runners.TierInfo) {
	const limit = 300 * time.Millisecond
	// The watchdog in runners.Serve gives an uninterruptible guest
	// limit/10 + 2 s; allow that and a loaded machine's scheduling.
	const bound = 20 * time.Second
	job := s.job(t, tier, runners.OpCold, s.ref(modLoop))
	job.TimeoutNS = int64(limit)
	cl := s.start(t)
	r := s.doWithin(t, cl, job, bound+10*time.Second)
	r.wantKind(t, "an infinite loop under a 300 ms timeout", runners.KindTimeout)
	t.Logf("timeout reported %v after the job was sent", r.elapsed.Round(time.Millisecond))
	if r.elapsed > bound {
		t.Errorf("the timed-out job took %v to end, want well under %v", r.elapsed, bound)
	}
	if !s.c.CanInterrupt {
		return
	}
	r = s.do(t, cl, s.job(t, tier, runners.OpCold, s.ref(modHello)))
	r.wantOK(t, "the next job after a timeout, in the same worker")
	checkOutput(t, r, workloads.Exact("hello\n"))
	if _, err := cl.Close(); err != nil {
		t.Errorf("worker exit: %v", err)
	}
}

func (s *suite) testMemory(t *testing.T, tier runners.TierInfo) {
	if !s.c.CanLimitMemory {
		t.Skipf("%s cannot cap a guest's memory (Config.CanLimitMemory is false)", s.c.Runtime)
	}
	const limit = 16 << 20
	job := s.cappedJob(t, tier, runners.OpCold, s.ref(modMemhog), limit)
	r := s.run(t, job)
	r.wantKind(t, "a memory hog under a 16 MiB cap", runners.KindMemory, runners.KindTrap, runners.KindExit)

	// Without a cap the same module runs to its end: the failure above is the cap's.
	job = s.job(t, tier, runners.OpCold, s.ref(modMemhog))
	r = s.run(t, job)
	r.wantOK(t, "the memory hog without a cap")
	checkOutput(t, r, workloads.Exact("memhog: grew to 64 MiB\n"))
}

func (s *suite) testMissingImport(t *testing.T, tier runners.TierInfo) {
	if s.native {
		t.Skip("native executables have no wasm imports")
	}
	r := s.run(t, s.job(t, tier, runners.OpCold, s.ref(modMissing)))
	r.wantKind(t, "a module importing bench_conformance.no_such_function", runners.KindUnsupported)
	if !strings.Contains(r.err.Message, "no_such_function") {
		t.Errorf("the message does not name the missing import no_such_function: %q", r.err.Message)
	}
}

func (s *suite) testBenchMarkers(t *testing.T, tier runners.TierInfo) {
	if s.native {
		t.Skip("native executables have no bench.start/bench.end imports")
	}
	r := s.run(t, s.job(t, tier, runners.OpCold, s.ref(modBenchmark)))
	r.wantOK(t, "a module calling bench.start and bench.end")
	checkCold(t, r, tier, results.PhaseExecuteAll)
	checkOutput(t, r, workloads.Exact("ok\n"))
	ex, all := r.phases(results.PhaseExecute), r.phases(results.PhaseExecuteAll)
	if len(ex) == 1 && len(all) == 1 && ex[0].NS > all[0].NS {
		t.Errorf("execute (bench.start to bench.end) %s is longer than execute_all (the whole _start) %s", ms(ex[0].NS), ms(all[0].NS))
	}
	t.Logf("%s bench markers: %s", tier.Name, phaseList(r))
}
