package run

import (
	"context"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
)

// sizedTarget is a fake serverless target: its environments have a
// memory size, and it adds a REPORT-like record carrying it.
type sizedTarget struct{ *fakeTarget }

func (sizedTarget) Name() string         { return "lambda-local" }
func (sizedTarget) DefaultMemoryMB() int { return 1024 }

func (s sizedTarget) Run(ctx context.Context, t deploy.Task) (deploy.Outcome, error) {
	out, err := s.fakeTarget.Run(ctx, t)
	if err == nil && out.Err == nil {
		out.Extra = append(out.Extra, results.Record{Phase: results.PhaseBilledDuration, Value: 5e6, Unit: results.UnitNS,
			Cold: t.Job.Op == "cold", MemoryMB: t.MemoryMB})
	}
	return out, err
}

func sweepConfig(t *testing.T, ft *fakeTarget, memory []int) Config {
	cfg := testConfig(t, ft)
	cfg.Options.Workloads, cfg.Options.Langs, cfg.Options.Runtimes = []string{"fib"}, []string{"c"}, []string{"wazero"}
	cfg.Options.Tiers = []string{"jit", "aot"}
	cfg.Options.Targets = []string{"local", "lambda-local"}
	cfg.Options.Memory = memory
	cfg.Targets = map[string]deploy.Target{"local": ft, "lambda-local": sizedTarget{ft}}
	return cfg
}

func TestMemorySweepMakesOneCellPerSize(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	res, err := Run(context.Background(), sweepConfig(t, ft, []int{128, 1769}))
	if err != nil {
		t.Fatal(err)
	}
	// 2 tiers on local, 2 tiers x 2 sizes on lambda-local, and local's 2
	// call-cost cells.
	if res.Cells != 2+2*2+2 {
		t.Errorf("%d cells, want 8", res.Cells)
	}
	sizes := map[string]map[int]int{} // target -> memory -> tasks
	for _, task := range ft.tasks {
		if sizes[task.Cell.Target] == nil {
			sizes[task.Cell.Target] = map[int]int{}
		}
		sizes[task.Cell.Target][task.MemoryMB]++
	}
	if len(sizes["local"]) != 1 || sizes["local"][0] == 0 {
		t.Errorf("local tasks by memory size: %v, want all at 0", sizes["local"])
	}
	if len(sizes["lambda-local"]) != 2 || sizes["lambda-local"][128] == 0 || sizes["lambda-local"][1769] == 0 {
		t.Errorf("lambda-local tasks by memory size: %v, want 128 and 1769", sizes["lambda-local"])
	}
	for _, r := range res.Records {
		if r.Kind == results.KindEnv || r.Target == "" || r.Workload == "noop" {
			continue
		}
		switch {
		case r.Target == "local" && r.MemoryMB != 0:
			t.Errorf("local record with a memory size: %+v", r)
		case r.Target == "lambda-local" && r.MemoryMB != 128 && r.MemoryMB != 1769:
			t.Errorf("lambda-local record without its cell's memory size: %+v", r)
		case r.Task != "" && r.Target == "lambda-local" && !strings.Contains(r.Task, "@"):
			t.Errorf("task ID %q does not name the memory size", r.Task)
		}
	}
	// Each size's cell reached its own minimums.
	for _, mem := range []int{128, 1769} {
		n := count(res.Records, func(r results.Record) bool {
			return r.Kind == results.KindTask && r.Target == "lambda-local" && r.MemoryMB == mem && r.Tier == "jit" &&
				strings.Contains(r.Task, "|cold|")
		})
		if n < Defaults(true).MinCold {
			t.Errorf("%d MB: %d cold processes, want at least %d", mem, n, Defaults(true).MinCold)
		}
	}
}

func TestMemoryDefaultsToTheTargets(t *testing.T) {
	ft := &fakeTarget{execNS: 1e6}
	res, err := Run(context.Background(), sweepConfig(t, ft, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range ft.tasks {
		if task.Cell.Target == "lambda-local" && task.MemoryMB != 1024 {
			t.Fatalf("lambda-local task at %d MB, want the target's default 1024", task.MemoryMB)
		}
	}
	if res.Cells != 6 {
		t.Errorf("%d cells, want 6 (2 local, 2 lambda-local, 2 call-cost)", res.Cells)
	}
}

func TestMemorySweepResumes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTarget{execNS: 1e6, cancelAfter: 9, cancel: cancel}
	cfg := sweepConfig(t, ft, []int{128, 512})
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	ft2 := &fakeTarget{execNS: 1e6}
	cfg2 := cfg
	cfg2.Options = Options{} // a resume reads run.json
	cfg2.Targets = map[string]deploy.Target{"local": ft2, "lambda-local": sizedTarget{ft2}}
	cfg2.Preparer, cfg2.Resume = ft2, true
	res, err := Run(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, r := range res.Records {
		if r.Kind == results.KindTask {
			ids[r.Task]++
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("task %s recorded %d times after resume", id, n)
		}
	}
	for _, task := range ft2.tasks {
		if task.Cell.Target == "lambda-local" && task.MemoryMB != 128 && task.MemoryMB != 512 {
			t.Errorf("resumed task at %d MB, want the sweep's sizes from run.json", task.MemoryMB)
		}
	}
}

func TestCheckMemory(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{nil, ""}, {[]int{128, 10240}, ""}, {[]int{64}, "128 to 10240"}, {[]int{20000}, "128 to 10240"},
		{[]int{512, 512}, "given twice"},
	} {
		err := CheckMemory(tc.in)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckMemory(%v) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
