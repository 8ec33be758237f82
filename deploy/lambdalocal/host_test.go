package lambdalocal

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/deploy/pkg"
)

// build compiles a command of this module once per test run.
var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func build(t testing.TB, pkgPath, name string) string {
	t.Helper()
	if d := os.Getenv("BENCH_BIN_DIR"); d != "" && name != "fakefn" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "lambdalocal-test-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, name)
	cmd := exec.Command("go", "build", "-o", out, pkgPath)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkgPath, err, b)
	}
	built[name] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	// Every exit path removes the environments' cgroups.
	if left := leftCgroups(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "cgroups left behind:\n%s\n", strings.Join(left, "\n"))
		code = 1
	}
	os.Exit(code)
}

// leftCgroups lists this process's environment cgroups still there.
func leftCgroups() []string {
	prefix := fmt.Sprintf("bench-lambda-%d-", os.Getpid())
	var left []string
	for _, ctrl := range []string{"memory", "cpu"} {
		p, err := locate(ctrl)
		if err != nil {
			continue
		}
		entries, _ := os.ReadDir(p.dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) {
				left = append(left, filepath.Join(p.dir, e.Name()))
			}
		}
	}
	return left
}

// cpuQuotaOf reads the CPU quota of the cgroup a /proc/<pid>/cgroup text
// names: cgroup v1's cfs quota and period, or v2's cpu.max.
func cpuQuotaOf(t *testing.T, procCgroup string) (quota, period int64) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(procCgroup), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if slices.Contains(strings.Split(parts[1], ","), "cpu") {
			dir := filepath.Join("/sys/fs/cgroup/cpu", parts[2])
			return readInt(filepath.Join(dir, "cpu.cfs_quota_us")), readInt(filepath.Join(dir, "cpu.cfs_period_us"))
		}
	}
	for _, line := range strings.Split(procCgroup, "\n") {
		if rel, ok := strings.CutPrefix(line, "0::"); ok {
			for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
				b, err := os.ReadFile(filepath.Join(root, rel, "cpu.max"))
				if err != nil {
					continue
				}
				f := strings.Fields(string(b))
				if len(f) == 2 && f[0] != "max" {
					q, _ := strconv.ParseInt(f[0], 10, 64)
					p, _ := strconv.ParseInt(f[1], 10, 64)
					return q, p
				}
			}
		}
	}
	t.Fatalf("no CPU quota for the cgroups in %q", procCgroup)
	return 0, 0
}

// fakeHost is a host for the fakefn bootstrap.
func fakeHost(t *testing.T, mode string, cfg Config) (*Host, *bytes.Buffer) {
	t.Helper()
	exe := build(t, "github.com/wasmbench/bench/deploy/lambdalocal/testdata/fakefn", "fakefn")
	dir := t.TempDir()
	files := []pkg.File{{Name: "bootstrap", Src: exe}}
	zipPath := filepath.Join(dir, "fn.zip")
	if _, err := pkg.ZipFile(zipPath, files); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg.Log = &syncWriter{w: &log}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	cfg.Env["FAKEFN_MODE"] = mode
	h, err := FromZip(zipPath, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, &log
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type fakeReply struct {
	OK     bool              `json:"ok"`
	PID    int               `json:"pid"`
	Env    map[string]string `json:"env"`
	Count  int               `json:"count"`
	Cgroup string            `json:"cgroup"`
}

func invokeFake(t *testing.T, h *Host, event string) (Response, lambdareport.Report, fakeReply) {
	t.Helper()
	resp, rep, err := h.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatal(err)
	}
	var r fakeReply
	if resp.FunctionError == "" {
		if err := json.Unmarshal(resp.Payload, &r); err != nil {
			t.Fatalf("payload %s: %v", resp.Payload, err)
		}
	}
	return resp, rep, r
}

func TestHostColdThenWarm(t *testing.T) {
	h, log := fakeHost(t, "ok", Config{FunctionName: "fib-fn", MemoryMB: 256, Handler: "fn.handler"})
	resp1, rep1, r1 := invokeFake(t, h, `{}`)
	if !resp1.Cold || !rep1.Cold || !r1.OK || r1.Count != 1 {
		t.Fatalf("first invocation: cold %v/%v reply %+v", resp1.Cold, rep1.Cold, r1)
	}
	if rep1.InitDuration <= 0 || rep1.Duration <= 0 || rep1.MaxMemoryUsed < 1<<20 {
		t.Errorf("first report not measured: %+v", rep1)
	}
	if !resp1.Launched.Before(resp1.Ready) || resp1.Ready.After(resp1.Delivered) || !resp1.Delivered.Before(resp1.Done) {
		t.Errorf("times out of order: %v %v %v %v", resp1.Launched, resp1.Ready, resp1.Delivered, resp1.Done)
	}
	if rep1.InitDuration != resp1.Ready.Sub(resp1.Launched) || rep1.Duration != resp1.Done.Sub(resp1.Delivered) {
		t.Errorf("report durations do not match the times")
	}
	// Billed: INIT included on a cold start, rounded up to the ms.
	if rep1.BilledDuration%time.Millisecond != 0 || rep1.BilledDuration < rep1.Duration+rep1.InitDuration ||
		rep1.BilledDuration >= rep1.Duration+rep1.InitDuration+time.Millisecond {
		t.Errorf("billed %v for init %v + duration %v", rep1.BilledDuration, rep1.InitDuration, rep1.Duration)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "fib-fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "_HANDLER": "fn.handler", "LAMBDA_TASK_ROOT": h.Config().TaskRoot,
		"LAMBDA_RUNTIME_DIR": "/var/runtime", "AWS_REGION": "us-east-1", "TZ": ":UTC", "FAKEFN_MODE": "ok",
		"HOME": "", "tmp_writable": "yes",
	}
	for k, v := range want {
		if r1.Env[k] != v {
			t.Errorf("environment %s=%q, want %q", k, r1.Env[k], v)
		}
	}
	if r1.Env["TMPDIR"] == "" || r1.Env["TMPDIR"] == os.TempDir() {
		t.Errorf("TMPDIR %q is not the environment's own folder", r1.Env["TMPDIR"])
	}
	if !strings.Contains(resp1.Logs, "fakefn: invocation 1") {
		t.Errorf("logs %q lack the function's output", resp1.Logs)
	}

	resp2, rep2, r2 := invokeFake(t, h, `{}`)
	t.Logf("%s\n%s\nmemory: %s", rep1, rep2, h.MemoryEnforcement())
	if resp2.Cold || rep2.Cold || rep2.InitDuration != 0 || r2.PID != r1.PID || r2.Count != 2 {
		t.Errorf("second invocation not warm: cold %v init %v pid %d/%d count %d", resp2.Cold, rep2.InitDuration, r2.PID, r1.PID, r2.Count)
	}
	if rep2.BilledDuration < rep2.Duration || rep2.BilledDuration >= rep2.Duration+time.Millisecond {
		t.Errorf("warm billed %v for %v", rep2.BilledDuration, rep2.Duration)
	}
	if strings.Contains(resp2.Logs, "invocation 1") {
		t.Errorf("second invocation's logs %q hold the first's", resp2.Logs)
	}
	if rep1.RequestID == rep2.RequestID || len(rep1.RequestID) != 36 {
		t.Errorf("request ids %q %q", rep1.RequestID, rep2.RequestID)
	}

	// The log holds START, END and REPORT per invocation, REPORT as parsed.
	text := log.String()
	for _, rep := range []lambdareport.Report{rep1, rep2} {
		for _, l := range []string{"START RequestId: " + rep.RequestID + " Version: $LATEST", "END RequestId: " + rep.RequestID, rep.String()} {
			if !strings.Contains(text, l+"\n") {
				t.Errorf("log lacks %q:\n%s", l, text)
			}
		}
	}

	h.Recycle()
	resp3, rep3, r3 := invokeFake(t, h, `{}`)
	if !resp3.Cold || !rep3.Cold || r3.PID == r1.PID || r3.Count != 1 {
		t.Errorf("after Recycle: cold %v pid %d count %d", resp3.Cold, r3.PID, r3.Count)
	}
}

func TestHostFunctionErrorKeepsEnvironment(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{})
	invokeFake(t, h, `{}`)
	resp, rep, _ := invokeFake(t, h, `{"fail":true}`)
	if resp.FunctionError != "Unhandled" || resp.ErrorType != "errorString" || resp.InitError ||
		!strings.Contains(string(resp.Payload), "failed on purpose") {
		t.Errorf("function error: %+v %s", resp, resp.Payload)
	}
	if rep.Status != "" {
		t.Errorf("a handled function error has status %q", rep.Status)
	}
	_, _, r := invokeFake(t, h, `{}`)
	if r.Count != 3 {
		t.Errorf("environment did not survive a function error: count %d", r.Count)
	}
}

func TestHostInitCrash(t *testing.T) {
	h, _ := fakeHost(t, "exit-init", Config{})
	resp, rep, _ := invokeFake(t, h, `{}`)
	if resp.FunctionError == "" || !resp.InitError || resp.ErrorType != "Runtime.ExitError" ||
		!strings.Contains(string(resp.Payload), "exit status 3") {
		t.Errorf("init crash: %+v %s", resp, resp.Payload)
	}
	if !strings.Contains(resp.Logs, "cannot initialise") {
		t.Errorf("init crash logs %q", resp.Logs)
	}
	if rep.Status != "error" || rep.ErrorType != "Runtime.ExitError" || !rep.Cold {
		t.Errorf("init crash report %s", rep)
	}
}

func TestHostCrashDuringInvocation(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{})
	_, _, r1 := invokeFake(t, h, `{}`)
	resp, rep, _ := invokeFake(t, h, `{"exit":true}`)
	if resp.InitError || resp.ErrorType != "Runtime.ExitError" || !strings.Contains(string(resp.Payload), "exit status 7") ||
		!strings.Contains(resp.Logs, "exiting mid-invocation") {
		t.Errorf("crash: %+v %s", resp, resp.Payload)
	}
	if rep.Status != "error" {
		t.Errorf("crash report %s", rep)
	}
	_, rep2, r2 := invokeFake(t, h, `{}`)
	if !rep2.Cold || r2.PID == r1.PID {
		t.Errorf("no fresh environment after a crash")
	}
}

func TestHostTimeout(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{Timeout: 300 * time.Millisecond})
	_, _, r1 := invokeFake(t, h, `{}`)
	resp, rep, _ := invokeFake(t, h, `{"sleep":true}`)
	if resp.ErrorType != "Sandbox.Timedout" || !strings.Contains(string(resp.Payload), "Task timed out after 0.30 seconds") {
		t.Errorf("timeout: %+v %s", resp, resp.Payload)
	}
	if rep.Status != "timeout" || rep.Duration < 300*time.Millisecond {
		t.Errorf("timeout report %s", rep)
	}
	if err := findProcess(r1.PID); err == nil {
		t.Errorf("the timed-out environment's process %d is still alive", r1.PID)
	}
	_, rep2, r2 := invokeFake(t, h, `{}`)
	if !rep2.Cold || r2.PID == r1.PID {
		t.Errorf("no fresh environment after a timeout")
	}
}

// findProcess fails when no live process has that pid.
func findProcess(pid int) error {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return err
	}
	// A zombie is dead: "pid (comm) Z ...".
	if i := bytes.LastIndexByte(b, ')'); i > 0 && bytes.HasPrefix(b[i+1:], []byte(" Z")) {
		return os.ErrNotExist
	}
	return nil
}

// An INIT past its limit is cut off and re-run inside the invocation,
// under the function timeout: here the re-run fits.
func TestHostSuppressedInit(t *testing.T) {
	h, log := fakeHost(t, "slow-init", Config{InitTimeout: 200 * time.Millisecond, Timeout: time.Minute,
		Env: map[string]string{"FAKEFN_SLEEP_MS": "500"}})
	resp, rep, r := invokeFake(t, h, `{}`)
	if resp.FunctionError != "" || !r.OK || r.Count != 1 {
		t.Fatalf("suppressed init failed: %+v %s", resp, resp.Payload)
	}
	if !resp.Cold || !resp.SuppressedInit || !rep.SuppressedInit || resp.FirstInit < 200*time.Millisecond {
		t.Errorf("not a suppressed init: cold %v suppressed %v/%v first INIT %v", resp.Cold, resp.SuppressedInit, rep.SuppressedInit, resp.FirstInit)
	}
	// As Lambda's REPORT: no Init Duration, the re-run (a 500 ms sleep
	// before the first /next) inside Duration, and billed as such.
	if rep.InitDuration != 0 || strings.Contains(rep.String(), "Init Duration") || rep.Duration < 500*time.Millisecond ||
		rep.Duration != resp.Done.Sub(resp.Launched) || rep.BilledDuration != lambdareport.Billed(rep.Duration) {
		t.Errorf("report after a suppressed init: %s (launched %v, done %v)", rep, resp.Launched, resp.Done)
	}
	text := log.String()
	if !strings.Contains(text, "INIT_REPORT Init Duration: ") || !strings.Contains(text, "\tPhase: init\tStatus: timeout\n") ||
		strings.Index(text, "INIT_REPORT") > strings.Index(text, rep.String()) {
		t.Errorf("log lacks the INIT_REPORT of the timed-out INIT before the REPORT:\n%s", text)
	}
	// The environment that served is warm from then on.
	resp2, rep2, r2 := invokeFake(t, h, `{}`)
	if resp2.Cold || resp2.SuppressedInit || rep2.Cold || r2.PID != r.PID || r2.Count != 2 {
		t.Errorf("second invocation: cold %v suppressed %v pid %d/%d count %d", resp2.Cold, resp2.SuppressedInit, r2.PID, r.PID, r2.Count)
	}
}

// A re-run INIT that runs out the function timeout times the invocation
// out, in phase invoke.
func TestHostSuppressedInitTimesOut(t *testing.T) {
	h, log := fakeHost(t, "slow-init", Config{InitTimeout: 200 * time.Millisecond, Timeout: 300 * time.Millisecond,
		Env: map[string]string{"FAKEFN_SLEEP_MS": "60000"}})
	resp, rep, _ := invokeFake(t, h, `{}`)
	if !resp.InitError || !resp.SuppressedInit || resp.ErrorType != "Sandbox.Timedout" || rep.Status != "timeout" ||
		!strings.Contains(string(resp.Payload), "Task timed out after 0.30 seconds") {
		t.Errorf("re-run INIT past the function timeout: %+v %s, report %s", resp, resp.Payload, rep)
	}
	if strings.Contains(rep.String(), "Init Duration") || rep.Duration < 300*time.Millisecond {
		t.Errorf("report %s", rep)
	}
	text := log.String()
	for _, phase := range []string{"\tPhase: init\tStatus: timeout\n", "\tPhase: invoke\tStatus: timeout\n"} {
		if !strings.Contains(text, phase) {
			t.Errorf("log lacks an INIT_REPORT with %q:\n%s", phase, text)
		}
	}
	if h.env != nil {
		t.Error("the timed-out environment is still live")
	}
}

// The function timeout counts from the re-run INIT's launch: a handler
// that needs the rest of it times out.
func TestHostSuppressedInitLeavesLessTime(t *testing.T) {
	h, _ := fakeHost(t, "slow-init", Config{InitTimeout: 200 * time.Millisecond, Timeout: 700 * time.Millisecond,
		Env: map[string]string{"FAKEFN_SLEEP_MS": "400"}})
	resp, rep, _ := invokeFake(t, h, `{"sleep":true}`)
	if resp.InitError || !resp.SuppressedInit || resp.ErrorType != "Sandbox.Timedout" || rep.Duration < 700*time.Millisecond {
		t.Errorf("handler after a suppressed init: %+v %s, report %s", resp, resp.Payload, rep)
	}
	if !resp.Delivered.IsZero() && resp.Done.Sub(resp.Delivered) >= 700*time.Millisecond {
		t.Errorf("the handler got the whole function timeout (%v), not what the re-run INIT left", resp.Done.Sub(resp.Delivered))
	}
}

// The environment's processes run under Lambda's CPU share for the
// memory size, and a CPU-bound handler is held to it.
func TestHostCPUQuota(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{MemoryMB: 128, ScaleCPU: true, Timeout: time.Minute})
	note := h.CPUEnforcement()
	t.Logf("cpu: %s", note)
	if h.cpuMode == "" {
		if !strings.Contains(note, "cpu not scaled (") || !strings.Contains(note, "0.072 vCPU") {
			t.Errorf("no CPU cgroup, and the note does not say so: %q", note)
		}
		t.Skipf("no CPU cgroup here: %s", note)
	}
	_, _, r := invokeFake(t, h, `{}`)
	quota, period := cpuQuotaOf(t, r.Cgroup)
	if quota != 7236 || period != 100000 {
		t.Errorf("the bootstrap's cgroup has quota %d/%d us, want 7236/100000 (128/1769 of a CPU)", quota, period)
	}
	if !strings.Contains(note, "cpu quota 0.072 vCPU for 128 MB") || !strings.Contains(note, "7236") {
		t.Errorf("note %q", note)
	}
	if got := h.CPU(); got.QuotaUS != 7236 || got.PeriodUS != 100000 {
		t.Errorf("CPU() %+v", got)
	}
	// The group's weight is the share's: the highest, on a machine with a
	// CPU to spare.
	g := h.env.cg.groups[h.env.cg.cpu]
	want := strconv.FormatInt(h.CPU().Shares, 10)
	file := "cpu.shares"
	if g.v2 {
		want, file = strconv.FormatInt(h.CPU().Weight(), 10), "cpu.weight"
	}
	if b, _ := os.ReadFile(filepath.Join(g.dir, file)); strings.TrimSpace(string(b)) != want || !strings.Contains(note, file+" "+want) {
		t.Errorf("%s %q, want %s; note %q", file, b, want, note)
	}
	// 50 ms of CPU at 7.236 ms per 100 ms period: throttled, whatever
	// else this machine is doing.
	resp, _, _ := invokeFake(t, h, `{"spin_ms":50}`)
	if resp.FunctionError != "" {
		t.Fatalf("spin: %s", resp.Payload)
	}
	if st := h.env.cg.CPUStat(); st.Throttled == 0 || st.ThrottledTime <= 0 {
		t.Errorf("50 ms of CPU under a 7.2 ms/100 ms quota was not throttled: %+v", st)
	}
	dirs := make([]string, 0, 2)
	for _, g := range h.env.cg.groups {
		dirs = append(dirs, g.dir)
	}
	h.Close()
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup %s left after Close", d)
		}
	}
}

// Without CPU scaling, or without a cgroup for it, the host says so and
// says what Lambda would give.
func TestHostCPUNotScaled(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{MemoryMB: 512})
	if n := h.CPUEnforcement(); !strings.Contains(n, "cpu not scaled (CPU scaling is off)") || !strings.Contains(n, "512 MB 0.289 vCPU") {
		t.Errorf("scaling off: %q", n)
	}
	h, _ = fakeHost(t, "ok", Config{MemoryMB: 512, ScaleCPU: true})
	h.cpuMode, h.cpuWhy, h.share = "", "disabled by the test", CPUShare{}
	if n := h.CPUEnforcement(); !strings.Contains(n, "cpu not scaled (disabled by the test)") {
		t.Errorf("no cgroup: %q", n)
	}
	_, _, r := invokeFake(t, h, `{}`)
	if !r.OK || h.CPU().VCPU() != 0 {
		t.Errorf("unscaled environment: %+v, share %+v", r, h.CPU())
	}
}

func TestHostOutOfMemory(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{MemoryMB: 64, Timeout: time.Minute})
	t.Logf("memory: %s", h.MemoryEnforcement())
	_, rep1, _ := invokeFake(t, h, `{}`)
	resp, rep, _ := invokeFake(t, h, `{"alloc_mb":256}`)
	if resp.ErrorType != "Runtime.OutOfMemory" || rep.Status != "error" || rep.ErrorType != "Runtime.OutOfMemory" {
		t.Fatalf("256 MB in a 64 MB function: %+v %s, report %s\nlogs: %s", resp, resp.Payload, rep, resp.Logs)
	}
	if h.memMode != "" && (rep.MaxMemoryUsed < 60<<20 || rep.MaxMemoryUsed > 64<<20+64<<10) {
		t.Errorf("peak %d bytes: want the 64 MB limit reached, not passed", rep.MaxMemoryUsed)
	}
	// Within the limit, the same function is fine and its peak shows it.
	resp2, rep2, _ := invokeFake(t, h, `{"alloc_mb":16}`)
	if resp2.FunctionError != "" || rep2.MaxMemoryUsed < rep1.MaxMemoryUsed+16<<20 {
		t.Errorf("16 MB in a 64 MB function: %+v, peak %d (idle %d)", resp2, rep2.MaxMemoryUsed, rep1.MaxMemoryUsed)
	}
}

func TestHostRuntimeAPIRejectsUnknownRequestID(t *testing.T) {
	// The bootstrap is a shell script that plays the runtime by hand.
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	dir := t.TempDir()
	script := `#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
id=$(curl -sS -D - -o /dev/null "$api/invocation/next" | tr -d '\r' | sed -n 's/^Lambda-Runtime-Aws-Request-Id: //ip')
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d '{}' "$api/invocation/not-$id/response")
curl -sS -X POST -d "{\"bad_id_status\":$code,\"id\":\"$id\"}" "$api/invocation/$id/response"
sleep 60
`
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(script), 0o755)
	h, err := NewHost(Config{TaskRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	resp, rep, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		BadIDStatus int    `json:"bad_id_status"`
		ID          string `json:"id"`
	}
	if err := json.Unmarshal(resp.Payload, &got); err != nil {
		t.Fatalf("%s: %v (logs %s)", resp.Payload, err, resp.Logs)
	}
	if got.BadIDStatus != 400 || got.ID != rep.RequestID {
		t.Errorf("got %+v, request id %s", got, rep.RequestID)
	}
}

func TestUnzipRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	// pkg.Zip refuses such names, so write one by hand.
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("../evil")
	w.Write([]byte("x"))
	zw.Close()
	p := filepath.Join(dir, "evil.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	if err := Unzip(p, filepath.Join(dir, "out")); err == nil {
		t.Fatal("Unzip extracted ../evil")
	}
}

func TestHostOutOfMemoryWithoutCgroup(t *testing.T) {
	h, _ := fakeHost(t, "ok", Config{MemoryMB: 64, Timeout: time.Minute})
	h.memMode, h.memWhy = "", "disabled by the test" // as on a machine without a writable memory cgroup
	if !strings.Contains(h.MemoryEnforcement(), "VmRSS") {
		t.Fatalf("enforcement %q", h.MemoryEnforcement())
	}
	_, rep1, _ := invokeFake(t, h, `{}`)
	if rep1.MaxMemoryUsed <= 0 {
		t.Errorf("no peak without a cgroup: %s", rep1)
	}
	resp, rep, _ := invokeFake(t, h, `{"alloc_mb":256}`)
	if resp.ErrorType != "Runtime.OutOfMemory" || rep.ErrorType != "Runtime.OutOfMemory" {
		t.Fatalf("256 MB in a 64 MB function: %+v %s\nlogs: %s", resp, resp.Payload, resp.Logs)
	}
	if resp.InitError || rep1.Cold == rep.Cold {
		t.Errorf("the warm environment was not the one killed: init error %v, cold %v", resp.InitError, rep.Cold)
	}
}
