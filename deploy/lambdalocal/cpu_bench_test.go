package lambdalocal

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// BenchmarkCPUShare measures what the CPU share by memory size does to a
// CPU-bound execute: each round runs one cold lambda-local function per
// memory size (the C fib workload on wazero's compiler; $BENCH_CPU_FIB
// sets n, 38 by default), the sizes in a rotating order, and the
// benchmark reports each size's median execute time and its slowdown
// against 1,769 MB, one vCPU. Lambda's rule makes 128 MB 1769/128 = 13.8
// times slower than 1,769 MB; a machine busy with other work narrows the
// gap, since the larger sizes then get less than their quota.
//
//	BENCH_BIN_DIR=$PWD/bin go test ./deploy/lambdalocal -run '^$' -bench CPUShare -benchtime 5x
func BenchmarkCPUShare(b *testing.B) {
	n := int64(38)
	if s := os.Getenv("BENCH_CPU_FIB"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("BENCH_CPU_FIB=%q: %v", s, err)
		}
		n = v
	}
	sizes := []int{MBPerVCPU, 128, 512, 1024}
	tg := New(Options{FunctionTimeout: MaxTimeout})
	defer tg.Close()
	for _, mb := range sizes {
		b.Logf("%d MB: %s", mb, tg.CPUScaling(mb))
	}
	loadavg := func() string {
		l, _ := os.ReadFile("/proc/loadavg")
		return strings.TrimSpace(string(l))
	}
	b.Logf("load average before: %s", loadavg())
	defer func() { b.Logf("load average after: %s", loadavg()) }()
	exec := map[int][]float64{}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range sizes {
			mb := sizes[(i+j)%len(sizes)]
			task := fibTask(b, runners.OpCold, "jit", n)
			task.MemoryMB = mb
			out, err := tg.Run(ctx, task)
			if err != nil {
				b.Fatal(err)
			}
			if out.Err != nil {
				b.Fatalf("%d MB: %v\n%s", mb, out.Err, out.Err.Stderr)
			}
			ns := -1.0
			for _, ev := range out.Events {
				if ev.Type == runners.EventPhase && ev.Phase == results.PhaseExecute {
					ns = ev.NS
				}
			}
			if ns < 0 {
				b.Fatalf("%d MB: no execute phase", mb)
			}
			exec[mb] = append(exec[mb], ns)
		}
	}
	b.StopTimer()
	med := map[int]float64{}
	for _, mb := range sizes {
		med[mb] = median(exec[mb])
		b.ReportMetric(med[mb]/1e6, fmt.Sprintf("exec-ms@%dMB", mb))
	}
	for _, mb := range sizes[1:] {
		b.ReportMetric(med[mb]/med[MBPerVCPU], fmt.Sprintf("slowdown@%dMB", mb))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
