package wasmer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/wasmerio/wasmer-go/wasmer"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/conformance"
	"github.com/wasmbench/bench/workloads"
)

// The test binary is also the worker: started by
// conformance.SelfCommand it serves the worker protocol (TestMain), so
// every test runs the real worker loop in its own process, as the
// orchestrator does.
func TestMain(m *testing.M) {
	conformance.ServeIfWorker(Runner{})
	os.Exit(m.Run())
}

func workerCommand() client.Command { return conformance.SelfCommand() }

// result is what one job produced.
type result struct {
	events []runners.Event
	err    error
}

func (r result) phases(name string) []float64 {
	var ns []float64
	for _, ev := range r.events {
		if ev.Type == runners.EventPhase && ev.Phase == name {
			ns = append(ns, ev.NS)
		}
	}
	return ns
}

func (r result) outputs() []*runners.Output {
	var out []*runners.Output
	for _, ev := range r.events {
		if ev.Type == runners.EventOutput {
			out = append(out, ev.Output)
		}
	}
	return out
}

func (r result) kind() runners.ErrorKind {
	var e *runners.Error
	if errors.As(r.err, &e) {
		return e.Kind
	}
	return ""
}

// runJobs runs jobs one after the other in one fresh worker.
func runJobs(t *testing.T, jobs ...runners.Job) []result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, workerCommand())
	if err != nil {
		t.Fatalf("start worker: %v", err)
	}
	defer cl.Kill()
	var out []result
	for _, job := range jobs {
		var r result
		r.err = cl.Do(ctx, job, func(ev runners.Event) { r.events = append(r.events, ev) })
		out = append(out, r)
		if r.kind() == runners.KindTimeout || r.kind() == runners.KindCrash {
			break
		}
	}
	return out
}

func runJob(t *testing.T, job runners.Job) result {
	t.Helper()
	return runJobs(t, job)[0]
}

// watModule writes a module given as WAT text and returns its reference.
func watModule(t *testing.T, name, wat string) runners.ModuleRef {
	t.Helper()
	b, err := wasmer.Wat2Wasm(wat)
	if err != nil {
		t.Fatalf("wat2wasm %s: %v", name, err)
	}
	return writeModule(t, name, b)
}

func writeModule(t *testing.T, name string, b []byte) runners.ModuleRef {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return runners.ModuleRef{Name: name, Path: path}
}

func workloadModule(t *testing.T, workload, lang string) runners.ModuleRef {
	t.Helper()
	w, err := workloads.Get(workload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Wasm(lang)
	if err != nil {
		t.Fatal(err)
	}
	return writeModule(t, w.ModuleName(lang), b)
}

// procExit calls proc_exit with its argument's code.
const procExitWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const %d))))`

// catWAT copies stdin to stdout, 1 KiB at a time, until EOF or an error.
const catWAT = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $more
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 1024))
      (i32.store (i32.const 16) (i32.const 0))
      (br_if 1 (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
      (br_if 1 (i32.eqz (i32.load (i32.const 16))))
      (i32.store (i32.const 4) (i32.load (i32.const 16)))
      (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (br $more))))`

func TestWasiEnvironmentLayout(t *testing.T) {
	// capture.go reads the C pointer out of a WasiEnvironment.
	ty := reflect.TypeOf(wasmer.WasiEnvironment{})
	if ty.NumField() != 1 || ty.Field(0).Type.Kind() != reflect.Pointer || ty.Size() != unsafe.Sizeof(uintptr(0)) {
		t.Fatalf("wasmer.WasiEnvironment is no longer one C pointer (%d fields, %d bytes): update capture.go", ty.NumField(), ty.Size())
	}
}

func TestGoModVersion(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), goModule+" "+goModuleVersion+"\n") {
		t.Errorf("go.mod does not require %s %s: update goModuleVersion", goModule, goModuleVersion)
	}
}

func TestTiers(t *testing.T) {
	got := map[string]runners.TierInfo{}
	for _, ti := range (Runner{}).Tiers() {
		got[ti.Name] = ti
		if ti.MemoryCap != "" || !strings.Contains(strings.Join(ti.Limits, ";"), "memory maximum is lowered to the cap") {
			t.Errorf("tier %s does not say how its memory is capped: %q, %v", ti.Name, ti.MemoryCap, ti.Limits)
		}
	}
	for _, name := range []string{TierBaseline, TierJIT, TierAOT} {
		if ti, ok := got[name]; !ok || ti.Unavailable != "" {
			t.Errorf("tier %s: missing or unavailable (%+v)", name, ti)
		}
	}
	if !got[TierAOT].Prepared {
		t.Errorf("aot tier is not marked Prepared")
	}
	if !strings.Contains(got[TierLLVM].Unavailable, "llvm") {
		t.Errorf("llvm tier should be unavailable with the shipped library, got %+v", got[TierLLVM])
	}
	if v := (Runner{}).Version(); !strings.HasPrefix(v, "v1.0.4 (libwasmer 2.") {
		t.Errorf("Version() = %q, want wasmer-go v1.0.4 and libwasmer 2.x", v)
	}
}

// TestFibEveryTier runs the fib workload in every language on every tier,
// the aot tier after its prepare step, and checks the output against the
// oracle. The Go build exits through proc_exit(0), which Wasmer reports as
// a trap.
func TestFibEveryTier(t *testing.T) {
	w, _ := workloads.Get("fib")
	const n = 20
	want, err := w.Expect(workloads.LangC, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range w.Langs {
		mod := workloadModule(t, "fib", lang)
		for _, tier := range []string{TierBaseline, TierJIT, TierAOT} {
			t.Run(lang+"/"+tier, func(t *testing.T) {
				job := runners.Job{ID: "cold", Op: runners.OpCold, Tier: tier, Module: mod, Args: w.Args(n)}
				jobs := []runners.Job{job}
				if tier == TierAOT {
					job.ArtifactDir = t.TempDir()
					jobs = []runners.Job{{ID: "prep", Op: runners.OpPrepare, Tier: tier, Module: mod, ArtifactDir: job.ArtifactDir}, job}
				}
				rs := runJobs(t, jobs...)
				r := rs[len(rs)-1]
				if tier == TierAOT {
					p := rs[0]
					if p.err != nil {
						t.Fatalf("prepare: %v", p.err)
					}
					if len(p.events) != 1 || p.events[0].Type != runners.EventArtifact || p.events[0].ArtifactBytes <= 0 {
						t.Fatalf("prepare events = %+v, want one artifact with a size", p.events)
					}
					if st, err := os.Stat(p.events[0].ArtifactPath); err != nil || st.Size() != p.events[0].ArtifactBytes {
						t.Fatalf("artifact %s: %v (size %v, reported %d)", p.events[0].ArtifactPath, err, st, p.events[0].ArtifactBytes)
					}
				}
				if r.err != nil {
					t.Fatalf("cold: %v", r.err)
				}
				outs := r.outputs()
				if len(outs) != 1 {
					t.Fatalf("got %d outputs, want 1", len(outs))
				}
				if err := want.Check(outs[0]); err != nil {
					t.Errorf("output: %v (stderr %q)", err, outs[0].Stderr)
				}
				compile, load := r.phases(results.PhaseCompile), r.phases(results.PhaseLoad)
				if tier == TierAOT && (len(load) != 1 || len(compile) != 0) {
					t.Errorf("aot: %d load and %d compile phases, want 1 and 0", len(load), len(compile))
				}
				if tier != TierAOT && (len(compile) != 1 || len(load) != 0) {
					t.Errorf("%s: %d compile and %d load phases, want 1 and 0", tier, len(compile), len(load))
				}
				for _, ph := range []string{results.PhaseInit, results.PhaseInstantiate, results.PhaseExecute} {
					if got := r.phases(ph); len(got) != 1 || got[0] <= 0 {
						t.Errorf("phase %s: %v, want one positive figure", ph, got)
					}
				}
			})
		}
	}
}

func TestAOTNotPrepared(t *testing.T) {
	mod := watModule(t, "exit.wasm", strings.Replace(procExitWAT, "%d", "0", 1))
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpCold, Tier: TierAOT, Module: mod, ArtifactDir: t.TempDir()})
	if r.kind() != runners.KindNotPrepared {
		t.Fatalf("err = %v, want kind %s", r.err, runners.KindNotPrepared)
	}
}

// TestAOTArtifactIsPerModule checks that an artifact prepared for one
// module is not loaded for another.
func TestAOTArtifactIsPerModule(t *testing.T) {
	dir := t.TempDir()
	a := watModule(t, "m.wasm", strings.Replace(procExitWAT, "%d", "0", 1))
	r := runJobs(t,
		runners.Job{ID: "prep", Op: runners.OpPrepare, Tier: TierAOT, Module: a, ArtifactDir: dir},
		runners.Job{ID: "run", Op: runners.OpCold, Tier: TierAOT, Module: a, ArtifactDir: dir})
	if r[0].err != nil || r[1].err != nil {
		t.Fatalf("prepare and run the same module: %v, %v", r[0].err, r[1].err)
	}
	b := watModule(t, "m.wasm", strings.Replace(procExitWAT, "%d", "3", 1))
	if r := runJob(t, runners.Job{ID: "run", Op: runners.OpCold, Tier: TierAOT, Module: b, ArtifactDir: dir}); r.kind() != runners.KindNotPrepared {
		t.Fatalf("another module with the same name: err = %v, want kind %s", r.err, runners.KindNotPrepared)
	}
}

func TestExitCodes(t *testing.T) {
	for _, code := range []string{"0", "7"} {
		mod := watModule(t, "exit.wasm", strings.Replace(procExitWAT, "%d", code, 1))
		r := runJob(t, runners.Job{ID: "1", Op: runners.OpCold, Tier: TierBaseline, Module: mod})
		outs := r.outputs()
		if len(outs) != 1 {
			t.Fatalf("exit %s: %d outputs (err %v), want 1", code, len(outs), r.err)
		}
		if got := outs[0].ExitCode; got != map[string]int{"0": 0, "7": 7}[code] {
			t.Errorf("exit %s: exit code %d", code, got)
		}
		if code == "0" && r.err != nil {
			t.Errorf("exit 0: %v", r.err)
		}
		if code == "7" && r.kind() != runners.KindExit {
			t.Errorf("exit 7: err = %v, want kind %s", r.err, runners.KindExit)
		}
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name, wat string
		raw       []byte
		kind      runners.ErrorKind
		mention   string
	}{
		{name: "trap", kind: runners.KindTrap, mention: "unreachable",
			wat: `(module (memory (export "memory") 1) (func (export "_start") unreachable))`},
		{name: "oob", kind: runners.KindTrap, mention: "",
			wat: `(module (memory (export "memory") 1) (func (export "_start") (drop (i32.load (i32.const 1000000)))))`},
		{name: "foreign-import", kind: runners.KindUnsupported, mention: "env.host_thing",
			wat: `(module (import "env" "host_thing" (func)) (func (export "_start") (call 0)))`},
		{name: "unknown-wasi-function", kind: runners.KindUnsupported, mention: "no_such_call",
			wat: `(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (memory (export "memory") 1) (func (export "_start") (call 0)))`},
		{name: "no-start", kind: runners.KindUnsupported, mention: "_start",
			wat: `(module (func (export "main")))`},
		{name: "not-wasm", kind: runners.KindCompile, mention: "not a wasm binary", raw: []byte("this is not a module")},
		{name: "truncated", kind: runners.KindCompile, mention: "", raw: []byte("\x00asm\x01\x00\x00\x00\x01\x05")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mod runners.ModuleRef
			if c.raw != nil {
				mod = writeModule(t, c.name+".wasm", c.raw)
			} else {
				mod = watModule(t, c.name+".wasm", c.wat)
			}
			for _, tier := range []string{TierBaseline, TierJIT} {
				r := runJob(t, runners.Job{ID: "1", Op: runners.OpCold, Tier: tier, Module: mod})
				if r.kind() != c.kind {
					t.Fatalf("%s: err = %v, want kind %s", tier, r.err, c.kind)
				}
				if !strings.Contains(r.err.Error(), c.mention) {
					t.Errorf("%s: error %q does not mention %q", tier, r.err, c.mention)
				}
			}
		})
	}
}

func TestUnknownAndUnavailableTier(t *testing.T) {
	mod := watModule(t, "exit.wasm", strings.Replace(procExitWAT, "%d", "0", 1))
	rs := runJobs(t,
		runners.Job{ID: "1", Op: runners.OpCold, Tier: "interpreter", Module: mod},
		runners.Job{ID: "2", Op: runners.OpCold, Tier: TierLLVM, Module: mod})
	if rs[0].kind() != runners.KindBadJob {
		t.Errorf("unknown tier: err = %v, want kind %s", rs[0].err, runners.KindBadJob)
	}
	if rs[1].kind() != runners.KindUnsupported {
		t.Errorf("llvm tier: err = %v, want kind %s", rs[1].err, runners.KindUnsupported)
	}
}

// TestStdin feeds a file to the guest on every execution of a warm job.
func TestStdin(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000) // more than Rust's 8 KiB stdin buffer
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mod := watModule(t, "cat.wasm", catWAT)
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpWarm, Tier: TierJIT, Module: mod, StdinPath: in,
		Warmup: 1, Iterations: 2, KeepStdout: true})
	if r.err != nil {
		t.Fatal(r.err)
	}
	outs := r.outputs()
	if len(outs) != 3 {
		t.Fatalf("%d outputs, want 3", len(outs))
	}
	for i, o := range outs {
		if !bytes.Equal(o.Stdout, data) {
			t.Errorf("execution %d: stdout is %d bytes, want the %d bytes of stdin", i, len(o.Stdout), len(data))
		}
	}
}

// TestStdinIsNotTheJobPipe runs a guest that reads stdin with no stdin
// given: it must see EOF at once. Were it reading the worker's own stdin
// (the job pipe, open and empty while the job runs), the job could not
// finish until the next job line arrived, and the guest would eat it.
func TestStdinIsNotTheJobPipe(t *testing.T) {
	mod := watModule(t, "cat.wasm", catWAT)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), conformance.WorkerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	events := make(chan runners.Event)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev runners.Event
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()
	send := func(id string) {
		b, _ := json.Marshal(runners.Job{ID: id, Op: runners.OpCold, Tier: TierBaseline, Module: mod, KeepStdout: true})
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(id string) {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("job %s: worker closed its output", id)
				}
				switch {
				case ev.Type == runners.EventOutput && len(ev.Output.Stdout) != 0:
					t.Errorf("job %s: guest read %q from the worker's stdin", ev.Job, ev.Output.Stdout)
				case ev.Type == runners.EventError:
					t.Fatalf("job %s: %v", ev.Job, ev.Error)
				case ev.Type == runners.EventDone && ev.Job == id:
					return
				}
			case <-deadline:
				t.Fatalf("job %s did not finish: the guest is reading the worker's stdin", id)
			}
		}
	}
	send("first")
	wait("first")
	send("second")
	wait("second")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("worker: %v", err)
	}
}

func TestArgsEnvStderr(t *testing.T) {
	// fib in C prints its usage on stderr and exits 2 without an argument.
	mod := workloadModule(t, "fib", workloads.LangC)
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpCold, Tier: TierBaseline, Module: mod})
	if r.kind() != runners.KindExit {
		t.Fatalf("err = %v, want kind %s", r.err, runners.KindExit)
	}
	outs := r.outputs()
	if len(outs) != 1 || outs[0].ExitCode == 0 || outs[0].Stderr == "" {
		t.Fatalf("outputs %+v, want a non-zero exit code and a message on stderr", outs)
	}
}

func TestBenchRegion(t *testing.T) {
	mod := watModule(t, "region.wasm", `(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (func $spin (param $n i32)
    (loop $l (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br_if $l (local.get $n))))
  (func (export "_start")
    (call $spin (i32.const 20000000))
    (call $start)
    (call $spin (i32.const 1000))
    (call $end)))`)
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpWarm, Tier: TierJIT, Module: mod, Iterations: 2})
	if r.err != nil {
		t.Fatal(r.err)
	}
	region, all := r.phases(results.PhaseExecute), r.phases(results.PhaseExecuteAll)
	if len(region) != 2 || len(all) != 2 {
		t.Fatalf("execute %v, execute_all %v: want two of each", region, all)
	}
	for i := range region {
		if !(region[i] > 0 && region[i] < all[i]) {
			t.Errorf("iteration %d: region %v ns is not inside the whole run %v ns", i, region[i], all[i])
		}
	}
}

func TestCallCost(t *testing.T) {
	mod := writeModule(t, "noop.wasm", workloads.Noop)
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpCallCost, Tier: TierBaseline, Module: mod, Export: "noop",
		Warmup: 1, Iterations: 2, CallsPerBatch: 100})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.phases(results.PhaseCall); len(got) != 3 || got[2] <= 0 {
		t.Errorf("call phases %v, want 3 positive", got)
	}
	r = runJob(t, runners.Job{ID: "1", Op: runners.OpCallCost, Tier: TierBaseline, Module: mod, Export: "missing", Iterations: 1})
	if r.kind() != runners.KindUnsupported {
		t.Errorf("missing export: err = %v, want kind %s", r.err, runners.KindUnsupported)
	}
}

// TestSleepAbortsWorker polls a clock, as a Go guest's time.Sleep does:
// Wasmer 2.0 panics across the C boundary and the process aborts. The
// crash must carry Wasmer's message, not a goroutine dump that hides it.
func TestSleepAbortsWorker(t *testing.T) {
	mod := watModule(t, "sleep.wasm", `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; one subscription at 0: tag 0 (clock), clock id 1 (monotonic), timeout 1 ms
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 1000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))`)
	r := runJob(t, runners.Job{ID: "1", Op: runners.OpCold, Tier: TierBaseline, Module: mod})
	var e *runners.Error
	if !errors.As(r.err, &e) || e.Kind != runners.KindCrash {
		t.Fatalf("err = %v, want kind %s", r.err, runners.KindCrash)
	}
	if !strings.Contains(e.Stderr, "Polling not implemented for clocks") || strings.Contains(e.Stderr, "goroutine ") {
		t.Errorf("worker stderr does not end with Wasmer's message alone:\n%s", e.Stderr)
	}
}

// TestTimeoutEndsWorker runs an endless loop: Wasmer cannot interrupt it,
// so Serve's watchdog reports the timeout and the worker exits.
func TestTimeoutEndsWorker(t *testing.T) {
	mod := watModule(t, "loop.wasm", `(module (func (export "_start") (loop $l (br $l))))`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, workerCommand())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Kill()
	err = cl.Do(ctx, runners.Job{ID: "1", Op: runners.OpCold, Tier: TierJIT, Module: mod, TimeoutNS: int64(100 * time.Millisecond)},
		func(runners.Event) {})
	if r := (result{err: err}); r.kind() != runners.KindTimeout {
		t.Fatalf("err = %v, want kind %s", err, runners.KindTimeout)
	}
	// Do has waited for the worker: it must have exited, not kept spinning.
	if _, err := cl.Close(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("worker after the timeout: %v, want exit status 3", err)
	}
}
