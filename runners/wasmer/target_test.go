package wasmer

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/conformance"
	"github.com/wasmbench/bench/workloads"
)

// needTool returns the path of a command a test needs. Without it the
// test is skipped, saying what to install, except under CI=true, where it
// fails, as the repository's other tool-dependent tests do.
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

// runWith runs jobs one after the other in one worker started by cmd.
func runWith(t *testing.T, cmd client.Command, jobs ...runners.Job) []result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, cmd)
	if err != nil {
		t.Fatalf("start worker %s: %v", cmd.Path, err)
	}
	defer cl.Kill()
	var out []result
	for _, job := range jobs {
		var r result
		r.err = cl.Do(ctx, job, func(ev runners.Event) { r.events = append(r.events, ev) })
		out = append(out, r)
	}
	return out
}

func (r result) artifact() runners.Event {
	for _, ev := range r.events {
		if ev.Type == runners.EventArtifact {
			return ev
		}
	}
	return runners.Event{}
}

// TestAOTForTarget checks how the aot tier meets a target. Wasmer cannot
// be told one (ignoresTarget), so this CPU's features beyond the target
// are refused, another architecture is refused, and the way that works is
// the worker run under qemu-x86_64-static with a CPU model that has
// Lambda's x86_64 features only: its artifact records those features,
// and a worker on this machine, given no target, loads it and runs
// fib.c.wasm to the right answer.
func TestAOTForTarget(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the restricted feature set is x86_64's; this machine is " + runtime.GOARCH)
	}
	fib := workloadModule(t, "fib", workloads.LangC)
	art := t.TempDir()
	lambda := runners.LambdaX86

	extra := false
	for _, f := range hostFeatures() {
		extra = extra || !lambda.Has(f)
	}
	r := runJob(t, runners.Job{ID: "here", Op: runners.OpPrepare, Tier: TierAOT, Module: fib, ArtifactDir: art, Target: &lambda})
	switch {
	case extra && (r.kind() != runners.KindUnsupported || !strings.Contains(r.err.Error(), "qemu-x86_64-static")):
		t.Errorf("prepare for %s on a CPU with %v: %v, want unsupported pointing at qemu", &lambda, hostFeatures(), r.err)
	case !extra && r.err != nil:
		t.Errorf("prepare for %s on a CPU with %v: %v", &lambda, hostFeatures(), r.err)
	}
	arm := runners.Target{Arch: runners.ArchARM}
	if r := runJob(t, runners.Job{ID: "arm", Op: runners.OpPrepare, Tier: TierAOT, Module: fib, ArtifactDir: art, Target: &arm}); r.kind() != runners.KindUnsupported {
		t.Errorf("prepare for arm64 on x86_64: %v, want unsupported", r.err)
	}
	if r := runJob(t, runners.Job{ID: "jit", Op: runners.OpPrepare, Tier: TierJIT, Module: fib, ArtifactDir: art, Target: &lambda}); r.kind() != runners.KindUnsupported && r.kind() != runners.KindBadJob {
		t.Errorf("prepare on the jit tier with a target: %v, want unsupported or bad_job", r.err)
	}

	qemu := needTool(t, "qemu-x86_64-static", "qemu-user-static")
	self := conformance.SelfCommand()
	emulated := client.Command{Path: qemu, Args: []string{"-cpu", runners.QemuX86CPU, self.Path}, Env: self.Env}
	t0 := time.Now()
	rs := runWith(t, emulated, runners.Job{ID: "prep", Op: runners.OpPrepare, Tier: TierAOT, Module: fib, ArtifactDir: art, Target: &lambda})
	took := time.Since(t0)
	if rs[0].err != nil {
		t.Fatalf("prepare under %s -cpu %s: %v", qemu, runners.QemuX86CPU, rs[0].err)
	}
	ev := rs[0].artifact()
	if ev.Target == nil || ev.Target.Arch != runners.ArchX86 {
		t.Fatalf("artifact target %v, want x86_64", ev.Target)
	}
	for _, f := range ev.Target.Features {
		if !lambda.Has(f) {
			t.Errorf("artifact made under -cpu %s may use %s, which %s lacks", runners.QemuX86CPU, f, &lambda)
		}
	}
	if !slices.Contains(ev.Target.Features, "avx2") {
		t.Errorf("artifact made under -cpu %s: features %v, want avx2 among them (the model has it)", runners.QemuX86CPU, ev.Target.Features)
	}
	t.Logf("prepared fib.c.wasm under qemu -cpu %s in %v: %d bytes, %s", runners.QemuX86CPU, took.Round(time.Millisecond), ev.ArtifactBytes, ev.Target)

	w, _ := workloads.Get("fib")
	exp, _ := w.Expect(workloads.LangC, 25)
	run := runJob(t, runners.Job{ID: "run", Op: runners.OpCold, Tier: TierAOT, Module: fib, ArtifactDir: art, Args: w.Args(25), KeepStdout: true})
	if run.err != nil || len(run.outputs()) != 1 || len(run.phases("load")) != 1 {
		t.Fatalf("load and run the restricted artifact here: %v (%d outputs)", run.err, len(run.outputs()))
	}
	if err := exp.Check(run.outputs()[0]); err != nil {
		t.Error(err)
	}
}
