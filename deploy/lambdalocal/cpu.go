package lambdalocal

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// MBPerVCPU is the memory size at which Lambda gives a function one vCPU.
// Lambda's developer guide, "Configure Lambda function memory"
// (docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html):
// "Lambda allocates CPU power in proportion to the amount of memory
// configured. [...] At 1,769 MB, a function has the equivalent of one
// vCPU (one vCPU-second of credits per second)." So a function of M MB
// gets M/1769 vCPU-seconds per second: 0.072 at 128 MB, 5.79 at Lambda's
// largest size, 10,240 MB (which Lambda spreads over 6 visible vCPUs).
const MBPerVCPU = 1769

// cfsPeriodUS is the CFS bandwidth period a share is enforced over: the
// kernel's and Docker's default, 100 ms.
const cfsPeriodUS = 100_000

// cfsMinQuotaUS is the smallest quota the kernel accepts.
const cfsMinQuotaUS = 1000

// CPUShare is the CPU an environment gets, as a CFS bandwidth quota: at
// most QuotaUS of CPU time (over all its threads) in every PeriodUS; and
// its weight against the machine's other work, in cgroup v1 cpu.shares
// (1024 a task, 0 for the default).
type CPUShare struct {
	MemoryMB          int
	QuotaUS, PeriodUS int64
	Shares            int64
}

// Weights of an environment's group (cgroup v1 cpu.shares).
const (
	taskShares = 1024   // one ordinary task's
	maxShares  = 262144 // the kernel's largest
)

// withWeight gives a share its weight on a machine of that many CPUs. A
// share that leaves at least one CPU (or half the machine) to the rest
// gets the highest weight, so that the machine's other work cannot keep
// the environment from its quota, as nothing keeps a Lambda function
// from its vCPU share: the quota still caps it. A larger share weighs as
// many tasks as its vCPUs, rounded up (a group competes as one entity: at
// the default weight all of a function's threads would together count as
// one thread of any other process), so that it cannot take the whole
// machine from the rest, this host included.
func withWeight(s CPUShare, machine float64) CPUShare {
	v := s.VCPU()
	if v <= machine-1 || v <= machine/2 {
		s.Shares = maxShares
	} else {
		s.Shares = taskShares * int64(math.Ceil(v))
	}
	return s
}

// Weight is the share's weight in cgroup v2 cpu.weight (1 to 10000,
// 100 a task), converted from Shares as runc and systemd convert it.
func (s CPUShare) Weight() int64 {
	if s.Shares <= 0 {
		return 100
	}
	return 1 + (min(max(s.Shares, 2), maxShares)-2)*9999/(maxShares-2)
}

// LambdaCPU is the CPU share Lambda gives a function of memoryMB: memoryMB
// / MBPerVCPU of a vCPU, as a quota per 100 ms period (7236 µs at 128 MB).
func LambdaCPU(memoryMB int) CPUShare {
	q := int64(math.Round(float64(cfsPeriodUS) * float64(memoryMB) / MBPerVCPU))
	return CPUShare{MemoryMB: memoryMB, QuotaUS: max(q, cfsMinQuotaUS), PeriodUS: cfsPeriodUS}
}

// VCPU is the share in vCPUs (QuotaUS / PeriodUS); 0 for no share.
func (s CPUShare) VCPU() float64 {
	if s.PeriodUS <= 0 {
		return 0
	}
	return float64(s.QuotaUS) / float64(s.PeriodUS)
}

// machineCPU is how many CPUs this process can use: the cores it may run
// on, and less when its own cgroup has a CPU quota; with what says so.
func machineCPU() (float64, string) {
	n := float64(runtime.NumCPU()) // the affinity mask's CPUs
	what := plural(runtime.NumCPU(), "core")
	if p, err := locate("cpu"); err == nil {
		if q := groupQuota(p); q > 0 && q < n {
			n = q
			what += fmt.Sprintf(", %.2f vCPU under its own cgroup's quota", q)
		}
	}
	return n, what
}

// groupQuota is a group's own CPU quota in vCPUs; 0 when it has none.
func groupQuota(p place) float64 {
	if p.v2 {
		b, err := os.ReadFile(filepath.Join(p.dir, "cpu.max"))
		if err != nil {
			return 0
		}
		f := strings.Fields(string(b))
		if len(f) != 2 || f[0] == "max" {
			return 0
		}
		q, err1 := strconv.ParseFloat(f[0], 64)
		per, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || per <= 0 {
			return 0
		}
		return q / per
	}
	q := readInt(filepath.Join(p.dir, "cpu.cfs_quota_us"))
	per := readInt(filepath.Join(p.dir, "cpu.cfs_period_us"))
	if q <= 0 || per <= 0 {
		return 0
	}
	return float64(q) / float64(per)
}

// fitQuota lowers a share's quota to what this process's own cpu group
// allows, when that group has a quota of its own: cgroup v1 refuses a
// child quota above its parent's (EINVAL).
func fitQuota(s CPUShare) CPUShare {
	p, err := locate("cpu")
	if err != nil || p.v2 {
		return s
	}
	if q := groupQuota(p); q > 0 && s.VCPU() > q {
		s.QuotaUS = int64(q * float64(s.PeriodUS))
	}
	return s
}

// cpuNote says what CPU an environment of a share gets and how, and says
// when this machine has fewer CPUs than the share wants.
func cpuNote(s CPUShare, how string, machine float64, machineWhat string) string {
	msg := fmt.Sprintf("cpu quota %.3f vCPU for %d MB (Lambda: 1 vCPU per %s MB): %s",
		s.VCPU(), s.MemoryMB, thousands(MBPerVCPU), how)
	if want := float64(s.MemoryMB) / MBPerVCPU; want > machine {
		msg += fmt.Sprintf("; %s MB wants %.2f vCPUs, this machine has %s: the environment gets at most %.2f, "+
			"so parallel work runs slower than on Lambda", thousands(s.MemoryMB), want, machineWhat, machine)
	}
	return msg
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// thousands writes n with a comma between thousands, as AWS writes sizes.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if len(s) <= 3 {
		return s
	}
	return thousands(n/1000) + "," + s[len(s)-3:]
}
