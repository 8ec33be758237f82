package aws

import (
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
)

// needTool is the path of a command a test needs; without it the test is
// skipped, saying what to install, except under CI=true, where it fails.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not installed (Debian: apt-get install " + pkg + ")"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// TestAOTForARMUnderQemu is the proof that arm64 AOT packages work: for
// wasmtime and wasmer it cross-builds the arm64 worker, has the builder
// make the arm64 zip of tier aot (the artifact compiled by that worker
// under qemu-aarch64-static -cpu neoverse-n1, for runners.LambdaARM),
// then runs the zip on lambda-local with the bootstrap under qemu and
// checks that the artifact was loaded, not compiled, and that fib(25)
// came out right. The timings are emulated and only logged.
func TestAOTForARMUnderQemu(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the wasmtime and wasmer workers for arm64 and runs them under qemu")
	}
	needTool(t, crossCC(ArchARM), crossPackage(ArchARM))
	needTool(t, "qemu-aarch64-static", "qemu-user-static")
	for _, name := range []string{"wasmtime", "wasmer"} {
		t.Run(name, func(t *testing.T) { testAOTForARM(t, name) })
	}
}

func testAOTForARM(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	log := &strings.Builder{}
	b := newBuilder(&Options{BuildDir: sharedBuild, SrcDir: srcDir, BinDir: binDir, Log: log})
	// The cell's task as the orchestrator gives it to the target, for
	// arm64: this machine's worker, the module, the artifact folder.
	e := newTestEnv(t)
	e.o.Arches = []string{ArchARM}
	task := e.task(t, cellSpec{name, "aot", "fib", workloads.LangC, 25}, runners.OpCold)
	if task.Job.ArtifactDir == "" {
		t.Fatalf("%s's aot tier has no prepare step", name)
	}
	s, err := newSpec(task)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	worker, err := b.worker(ctx, s, ArchARM)
	if err != nil {
		t.Fatalf("cross-build the %s worker: %v", name, err)
	}
	t.Logf("arm64 %s worker built in %v", name, time.Since(t0).Round(time.Second))
	emu, err := lambdalocal.QemuFor(ArchARM)
	if err != nil {
		t.Fatal(err)
	}
	// The arm64 worker says which of its tiers are machine code.
	hello, err := client.Info(ctx, emulated(emu, worker))
	if err != nil {
		t.Fatalf("the arm64 worker under qemu: %v", err)
	}
	t.Logf("arm64 %s worker: %s, %d tiers", name, hello.Version, len(hello.Tiers))

	const n = 25
	t0 = time.Now()
	a := b.artifact(ctx, s, ArchARM, PackageZip)
	if a.Unavailable != "" {
		t.Fatalf("arm64 aot package: %s\n%s", a.Unavailable, log)
	}
	t.Logf("arm64 aot package built in %v (artifact prepared under qemu): %d bytes zipped; %s", time.Since(t0).Round(time.Millisecond), a.Bytes, a.AOTTarget)
	if !strings.HasPrefix(a.AOTTarget, "arm64 [") || !strings.Contains(a.AOTTarget, "qemu-aarch64-static") {
		t.Errorf("artifact target %q, want arm64 prepared under qemu-aarch64-static", a.AOTTarget)
	}
	for _, f := range a.Files {
		if !strings.HasPrefix(f.Name, "task/artifact/") {
			continue
		}
		st, err := os.Stat(f.Src)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("artifact %s: %d bytes", f.Name, st.Size())
		if name == "wasmtime" {
			// wasmtime's artifact is an ELF file: it must be aarch64 code.
			ef, err := elf.Open(f.Src)
			if err != nil {
				t.Fatalf("artifact %s: %v", f.Src, err)
			}
			if ef.Machine != elf.EM_AARCH64 {
				t.Errorf("artifact %s is for %s, want aarch64", f.Name, ef.Machine)
			}
			ef.Close()
		}
	}

	h, err := lambdalocal.FromZip(a.ZipPath, lambdalocal.Config{Launcher: lambdalocal.Qemu{Emulator: emu}, MemoryMB: 1024,
		Env: a.Env, Timeout: 5 * time.Minute, InitTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	payload, _ := json.Marshal(runners.LambdaRequest{Args: task.Job.Args, KeepStdout: true})
	t0 = time.Now()
	resp, rep, err := h.Invoke(ctx, payload)
	took := time.Since(t0)
	if err != nil || resp.FunctionError != "" {
		t.Fatalf("invoke under qemu: %v %s %s", err, resp.ErrorType, resp.Payload)
	}
	var lr runners.LambdaResponse
	if err := json.Unmarshal(resp.Payload, &lr); err != nil {
		t.Fatalf("response %s: %v", resp.Payload, err)
	}
	if lr.Error != nil {
		t.Fatalf("the function failed: %v", lr.Error)
	}
	var out *runners.Output
	phases := map[string]bool{}
	for _, ev := range lr.Events {
		if ev.Type == runners.EventPhase {
			phases[ev.Phase] = true
		}
		if ev.Output != nil {
			out = ev.Output
		}
	}
	if !phases[results.PhaseLoad] || phases[results.PhaseCompile] {
		t.Errorf("phases %v: want the artifact loaded (load), not compiled", phases)
	}
	w, _ := workloads.Get("fib")
	exp, _ := w.Expect(workloads.LangC, n)
	if out == nil {
		t.Fatalf("no output in %s", resp.Payload)
	}
	if err := exp.Check(out); err != nil {
		t.Error(err)
	}
	t.Logf("%s: cold invocation under qemu-aarch64-static took %v (Init Duration %v, Duration %v; %s)",
		name, took.Round(time.Millisecond), rep.InitDuration, rep.Duration, lambdalocal.EmulatedNote)
}
