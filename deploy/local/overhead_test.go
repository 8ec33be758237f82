package local

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// BenchmarkHarnessOverhead checks the orchestrator's own clock: the client
// side "total" of a cold sample of the native worker running /bin/true is
// compared with hyperfine timing the same command (bench-native reading
// the same job from a file; hyperfine corrects for its shell). The two
// medians should agree within 10%; the ratio is reported, not asserted,
// because the machines are shared and noisy.
//
//	BENCH_BIN_DIR=$PWD/bin go test -run '^$' -bench HarnessOverhead ./deploy/local
func BenchmarkHarnessOverhead(b *testing.B) {
	bin := os.Getenv("BENCH_BIN_DIR")
	worker := filepath.Join(bin, "bench-native")
	if _, err := os.Stat(worker); bin == "" || err != nil {
		b.Skip("set BENCH_BIN_DIR to a folder with bench-native (make build)")
	}
	hf, err := exec.LookPath("hyperfine")
	if err != nil {
		b.Skip("hyperfine not installed (Debian: apt-get install hyperfine)")
	}
	job := runners.Job{ID: "noop", Op: runners.OpCold, Tier: "native", Module: runners.ModuleRef{Name: "true", Path: "/bin/true"}}
	jb, _ := json.Marshal(job)
	jobFile := filepath.Join(b.TempDir(), "job.json")
	if err := os.WriteFile(jobFile, append(jb, '\n'), 0o644); err != nil {
		b.Fatal(err)
	}
	const runs = 40
	var totals []float64
	for i := 0; i < runs; i++ {
		out, err := Local{}.Run(context.Background(), deploy.Task{Worker: client.Command{Path: worker}, Job: job})
		if err != nil || out.Err != nil {
			b.Fatalf("local run: %v %v", err, out.Err)
		}
		totals = append(totals, float64(out.Total.Nanoseconds()))
	}
	export := filepath.Join(b.TempDir(), "hf.json")
	cmd := exec.Command(hf, "--runs", "40", "--warmup", "3", "--style", "none", "--export-json", export,
		worker+" < "+jobFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("hyperfine: %v\n%s", err, out)
	}
	var hres struct {
		Results []struct {
			Median float64 `json:"median"`
		} `json:"results"`
	}
	raw, err := os.ReadFile(export)
	if err != nil || json.Unmarshal(raw, &hres) != nil || len(hres.Results) != 1 {
		b.Fatalf("read hyperfine export: %v", err)
	}
	sort.Float64s(totals)
	ours := totals[len(totals)/2]
	theirs := hres.Results[0].Median * float64(time.Second)
	b.ReportMetric(ours/1e6, "orchestrator-ms")
	b.ReportMetric(theirs/1e6, "hyperfine-ms")
	b.ReportMetric(ours/theirs, "ratio")
}
