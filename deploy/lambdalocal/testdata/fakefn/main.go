// Command fakefn is a Lambda bootstrap for the host's tests, built by
// them: FAKEFN_MODE picks its behaviour, so that the host's handling of
// each way a function can end is tested against aws-lambda-go's real
// runtime loop. Mode "ok" (the default) answers every event at once and is
// also the "native bootstrap that does nothing" of the overhead figures.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	// Env is a bench request's guest environment: FAKEFN_ALLOC_MB there
	// is AllocMB, so that a bench target can ask for it.
	Env     map[string]string `json:"env"`
	AllocMB int               `json:"alloc_mb"`
	Sleep   bool              `json:"sleep"`
	// SpinMS burns that much CPU time (user and system, all threads).
	SpinMS int  `json:"spin_ms"`
	Fail   bool `json:"fail"`
	Exit   bool `json:"exit"`
}

type reply struct {
	OK    bool              `json:"ok"`
	PID   int               `json:"pid"`
	Env   map[string]string `json:"env"`
	Count int               `json:"count"`
	// Cgroup is /proc/self/cgroup: where the host (or the container
	// engine) put the function.
	Cgroup string `json:"cgroup"`
}

// cpuTime is the process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var sink uint64

var count int

var keep [][]byte

func handle(_ context.Context, ev event) (reply, error) {
	count++
	fmt.Fprintf(os.Stderr, "fakefn: invocation %d\n", count)
	if n, err := strconv.Atoi(ev.Env["FAKEFN_ALLOC_MB"]); err == nil {
		ev.AllocMB = n
	}
	switch {
	case ev.Sleep:
		time.Sleep(time.Hour)
	case ev.Fail:
		return reply{}, errors.New("the function failed on purpose")
	case ev.SpinMS > 0:
		end := cpuTime() + time.Duration(ev.SpinMS)*time.Millisecond
		for cpuTime() < end {
			for i := 0; i < 100000; i++ {
				sink = sink*31 + uint64(i)
			}
		}
	case ev.Exit:
		fmt.Fprintln(os.Stderr, "fakefn: exiting mid-invocation")
		os.Exit(7)
	case ev.AllocMB > 0:
		for i := 0; i < ev.AllocMB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
	}
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_REGION", "TZ", "TMPDIR", "FAKEFN_MODE", "HOME"} {
		env[k] = os.Getenv(k)
	}
	if f, err := os.CreateTemp("", "probe-"); err == nil {
		env["tmp_writable"] = "yes"
		f.Close()
		os.Remove(f.Name())
	}
	cg, _ := os.ReadFile("/proc/self/cgroup")
	return reply{OK: true, PID: os.Getpid(), Env: env, Count: count, Cgroup: string(cg)}, nil
}

// settingsFromModule applies the FAKEFN_* settings written in the module
// a bench target packaged as the function's (BENCH_MODULE): a text file
// such as "FAKEFN_MODE=slow-init FAKEFN_SLEEP_MS=500", so that a target
// test can pick the fake's behaviour, which the target's own environment
// does not carry.
func settingsFromModule() {
	p := os.Getenv("BENCH_MODULE")
	if p == "" || os.Getenv("FAKEFN_MODE") != "" {
		return
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return
	}
	for _, kv := range strings.Fields(string(b)) {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "FAKEFN_") {
			os.Setenv(k, v)
		}
	}
}

func main() {
	settingsFromModule()
	switch os.Getenv("FAKEFN_MODE") {
	case "exit-init":
		fmt.Fprintln(os.Stderr, "fakefn: cannot initialise, exiting")
		os.Exit(3)
	case "slow-init":
		d, _ := strconv.Atoi(os.Getenv("FAKEFN_SLEEP_MS"))
		time.Sleep(time.Duration(d) * time.Millisecond)
	}
	lambda.Start(handle)
}
