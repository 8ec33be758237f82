package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// variedTarget is a fake target whose environments come in
// architectures and package types (deploy.Varied) and which makes its own
// artifacts (deploy.Preparer); it stamps a record with its own
// architecture, as AWS's REPORT figures are.
type variedTarget struct {
	*fakeTarget
	mu       sync.Mutex
	prepared []deploy.Task
}

func (*variedTarget) Name() string         { return "aws-lambda" }
func (*variedTarget) DefaultMemoryMB() int { return 512 }
func (*variedTarget) Arches() []string     { return []string{"x86_64", "arm64"} }
func (*variedTarget) Packages() []string   { return []string{"zip", "image"} }

func (v *variedTarget) Prepare(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	v.mu.Lock()
	v.prepared = append(v.prepared, t)
	v.mu.Unlock()
	return deploy.Outcome{Events: []runners.Event{{Type: runners.EventArtifact, ArtifactBytes: 1000}}}, nil
}

func (v *variedTarget) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	out, err := v.fakeTarget.Run(ctx, t)
	if err == nil && out.Err == nil {
		out.Extra = append(out.Extra, results.Record{Phase: results.PhaseBilledDuration, Value: 5e6, Unit: results.UnitNS,
			Cold: t.Job.Op == runners.OpCold, MemoryMB: t.MemoryMB, Arch: t.Arch, Package: t.Package})
	}
	return out, err
}

func variedConfig(t *testing.T, vt *variedTarget) Config {
	cfg := testConfig(t, vt.fakeTarget)
	cfg.Options.Workloads, cfg.Options.Langs, cfg.Options.Runtimes = []string{"fib"}, []string{"c"}, []string{"wazero"}
	cfg.Options.Tiers = []string{"aot"}
	cfg.Options.Targets = []string{"aws-lambda"}
	cfg.Options.CallCost = false
	cfg.Targets = map[string]deploy.Target{"aws-lambda": vt}
	return cfg
}

// TestVariantsMakeOneCellEach: --arch and --package multiply a varied
// target's cells as --memory does; every record carries its cell's
// architecture and package; each architecture's artifact is made once
// by the target, in a folder of its own.
func TestVariantsMakeOneCellEach(t *testing.T) {
	vt := &variedTarget{fakeTarget: &fakeTarget{execNS: 1e6}}
	cfg := variedConfig(t, vt)
	cfg.Options.Arches, cfg.Options.Packages = []string{"x86_64", "arm64"}, []string{"zip", "image"}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cells != 4 {
		t.Errorf("%d cells, want 4 (2 architectures x 2 packages)", res.Cells)
	}
	byVariant := map[string]int{}
	for _, task := range vt.tasks {
		byVariant[task.Arch+"/"+task.Package]++
	}
	for _, v := range []string{"x86_64/zip", "x86_64/image", "arm64/zip", "arm64/image"} {
		if byVariant[v] == 0 {
			t.Errorf("no task for %s (tasks by variant: %v)", v, byVariant)
		}
	}
	for _, r := range res.Records {
		if r.Target != "aws-lambda" {
			continue
		}
		if r.Arch == "" || r.Package == "" || r.MemoryMB != 512 {
			t.Errorf("record without its cell's deployment: %+v", r)
		}
		if r.Task != "" && !strings.HasSuffix(strings.Split(r.Task, "|")[0], "@512MB@"+r.Arch+"@"+r.Package) {
			t.Errorf("task %q does not name the record's memory, architecture and package", r.Task)
		}
	}
	if len(vt.prepared) != 2 {
		t.Fatalf("%d prepare tasks, want one per architecture: %+v", len(vt.prepared), vt.prepared)
	}
	if vt.prepared[0].Arch == vt.prepared[1].Arch || vt.prepared[0].Job.ArtifactDir == vt.prepared[1].Job.ArtifactDir {
		t.Errorf("both prepares for one architecture or folder: %+v", vt.prepared)
	}
}

// TestVariantsDefaultAndRefuse: without --arch and --package a varied
// target's cells take its first of each; a name it lacks, or --arch on a
// run without such a target, is refused before anything runs.
func TestVariantsDefaultAndRefuse(t *testing.T) {
	vt := &variedTarget{fakeTarget: &fakeTarget{execNS: 1e6}}
	res, err := Run(context.Background(), variedConfig(t, vt))
	if err != nil {
		t.Fatal(err)
	}
	if res.Cells != 1 || vt.tasks[0].Arch != "x86_64" || vt.tasks[0].Package != "zip" {
		t.Errorf("%d cells, first task %s/%s; want 1 cell on x86_64/zip", res.Cells, vt.tasks[0].Arch, vt.tasks[0].Package)
	}

	cfg := variedConfig(t, &variedTarget{fakeTarget: &fakeTarget{execNS: 1e6}})
	cfg.Options.Arches = []string{"riscv64"}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), `no architecture "riscv64" (valid: x86_64, arm64)`) {
		t.Errorf("riscv64: %v", err)
	}
	ft := &fakeTarget{execNS: 1e6}
	cfg = testConfig(t, ft)
	cfg.Options.Packages = []string{"image"}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "none of this run's targets (local) does") {
		t.Errorf("--package on local: %v", err)
	}
}

func (v *variedTarget) Burst(ctx context.Context, t deploy.Task, n int) (deploy.Outcome, error) {
	var out deploy.Outcome
	for k := range n {
		one, err := v.fakeTarget.Run(ctx, t)
		if err != nil {
			return out, err
		}
		for _, ev := range one.Events {
			ev.Iteration = k
			out.Events = append(out.Events, ev)
		}
		out.Extra = append(out.Extra, results.Record{Phase: results.PhaseDuration, Value: 1e6, Unit: results.UnitNS, Iteration: k, Cold: k == 0})
	}
	out.Extra = append(out.Extra, results.Record{Phase: results.PhaseBurstColdStarts, Value: 1, Unit: results.UnitCount, Cold: true})
	return out, nil
}

func (v *variedTarget) DryRun(ctx context.Context, tasks []deploy.Task, w io.Writer) error {
	for _, t := range tasks {
		if _, err := os.Stat(t.Job.Module.Path); err != nil {
			return err
		}
		fmt.Fprintf(w, "plan %s %s %s %d %s\n", t.Cell.Key(), t.Arch, t.Package, t.MemoryMB, t.Job.Op)
	}
	return nil
}

// TestBurstTask: --burst gives each cell of a target that offers bursts
// one burst task after its sampling; its records are in no statistic.
func TestBurstTask(t *testing.T) {
	vt := &variedTarget{fakeTarget: &fakeTarget{execNS: 1e6}}
	cfg := variedConfig(t, vt)
	cfg.Options.Burst = 4
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var burst, counted int
	for _, r := range res.Records {
		if !results.IsBurstTask(r.Task) || r.Kind != results.KindSample {
			continue
		}
		if r.Phase == results.PhaseBurstColdStarts {
			burst++
		}
		if results.Counts(r) {
			counted++
		}
	}
	if burst != 1 || counted != 0 {
		t.Errorf("%d burst_cold_starts samples (want 1), %d burst samples counted in statistics (want 0)", burst, counted)
	}
}

// TestDryRun: a dry run plans one cold task per cell with its module
// written out, measures nothing, and refuses a target with nothing to
// plan.
func TestDryRun(t *testing.T) {
	vt := &variedTarget{fakeTarget: &fakeTarget{execNS: 1e6}}
	cfg := variedConfig(t, vt)
	cfg.Options.Arches, cfg.Options.Memory = []string{"x86_64", "arm64"}, []int{128, 256}
	var b strings.Builder
	if err := DryRun(context.Background(), cfg, &b); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "plan "); n != 4 || len(vt.tasks) != 0 {
		t.Errorf("%d tasks planned (want 4), %d run (want 0):\n%s", n, len(vt.tasks), b.String())
	}
	if !strings.Contains(b.String(), "/aws-lambda arm64 zip 256 cold") {
		t.Errorf("plan lacks the arm64 256 MB cell:\n%s", b.String())
	}
	cfg = testConfig(t, &fakeTarget{execNS: 1e6})
	if err := DryRun(context.Background(), cfg, &b); err == nil || !strings.Contains(err.Error(), "target local has nothing to plan") {
		t.Errorf("dry run on local: %v", err)
	}
}
