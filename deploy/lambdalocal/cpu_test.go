package lambdalocal

import (
	"fmt"
	"strings"
	"testing"
)

func TestLambdaCPU(t *testing.T) {
	for _, c := range []struct {
		mb    int
		quota int64
		vcpu  string
	}{
		{128, 7236, "0.072"},
		{512, 28943, "0.289"},
		{1024, 57886, "0.579"},
		{1769, 100000, "1.000"},
		{3538, 200000, "2.000"},
		{10240, 578858, "5.789"},
		{1, 1000, "0.010"}, // the kernel's smallest quota
	} {
		s := LambdaCPU(c.mb)
		if s.QuotaUS != c.quota || s.PeriodUS != 100000 || s.MemoryMB != c.mb {
			t.Errorf("LambdaCPU(%d) = %+v, want quota %d per 100000 us", c.mb, s, c.quota)
		}
		if got := fmt.Sprintf("%.3f", s.VCPU()); got != c.vcpu {
			t.Errorf("LambdaCPU(%d).VCPU() = %s, want %s", c.mb, got, c.vcpu)
		}
	}
	if (CPUShare{}).VCPU() != 0 {
		t.Error("a zero share is not 0 vCPU")
	}
}

func TestCPUWeight(t *testing.T) {
	for _, c := range []struct {
		mb      int
		machine float64
		shares  int64
	}{
		{128, 2, 262144}, {1769, 2, 262144}, // leaves a CPU to the rest: the highest weight
		{3538, 2, 2048}, {10240, 2, 6144}, // would take the machine: as many tasks as its vCPUs
		{128, 1, 262144}, {1024, 1, 1024}, // one CPU: up to half of it
		{10240, 8, 262144},
	} {
		if got := withWeight(LambdaCPU(c.mb), c.machine).Shares; got != c.shares {
			t.Errorf("%d MB on %v CPUs: cpu.shares %d, want %d", c.mb, c.machine, got, c.shares)
		}
	}
	for shares, weight := range map[int64]int64{0: 100, 2: 1, 1024: 39, 262144: 10000} {
		if got := (CPUShare{Shares: shares}).Weight(); got != weight {
			t.Errorf("cpu.shares %d is cpu.weight %d, want %d", shares, got, weight)
		}
	}
}

func TestCPUNoteSaysWhatTheMachineLacks(t *testing.T) {
	got := cpuNote(LambdaCPU(10240), "cgroup v1 cfs quota 578858/100000 us", 2, "2 cores")
	for _, want := range []string{"cpu quota 5.789 vCPU for 10240 MB (Lambda: 1 vCPU per 1,769 MB): cgroup v1 cfs quota 578858/100000 us",
		"10,240 MB wants 5.79 vCPUs, this machine has 2 cores: the environment gets at most 2.00"} {
		if !strings.Contains(got, want) {
			t.Errorf("note %q lacks %q", got, want)
		}
	}
	if got := cpuNote(LambdaCPU(1769), "x", 2, "2 cores"); strings.Contains(got, "wants") {
		t.Errorf("1 vCPU on 2 cores is no shortfall: %q", got)
	}
	if got := cpuNote(LambdaCPU(3538), "x", 1.5, "2 cores, 1.50 vCPU under its own cgroup's quota"); !strings.Contains(got,
		"3,538 MB wants 2.00 vCPUs, this machine has 2 cores, 1.50 vCPU under its own cgroup's quota") {
		t.Errorf("a quota'd machine: %q", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 128: "128", 1769: "1,769", 10240: "10,240", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
