package container

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/pkg"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/workloads"
)

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// wazeroWorker is bin/bench-wazero ($BENCH_BIN_DIR) or a fresh build.
func wazeroWorker(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("BENCH_BIN_DIR"); d != "" {
		p := filepath.Join(d, "bench-wazero")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return build(t, "github.com/wasmbench/bench/cmd/bench-wazero", "bench-wazero")
}

// build compiles a command of this module, statically, once per run.
func build(t *testing.T, pkgPath, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "container-test-bin-")
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

// engine returns the target for an engine, skipping (outside CI) when the
// engine cannot run here.
func engine(t *testing.T, name string) *Target {
	t.Helper()
	tg, err := New(Options{Engine: name, FunctionTimeout: time.Minute}) // not about the timeout: a busy machine must not fail it
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Available(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s must run on CI: %v", name, err)
		}
		t.Skipf("%s unavailable: %v", name, err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func fibTask(t *testing.T, op runners.Op, worker client.Command, tier string, n int64) deploy.Task {
	t.Helper()
	w, _ := workloads.Get("fib")
	wasm, err := w.Wasm("c")
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(t.TempDir(), "fib.c.wasm")
	if err := os.WriteFile(mod, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return deploy.Task{
		Cell:   results.Cell{Runtime: "wazero", Tier: tier, Workload: "fib", Lang: "c", Target: "container-local"},
		Worker: worker,
		Job: runners.Job{ID: "j", Op: op, Tier: tier, Module: runners.ModuleRef{Name: "fib.c.wasm", Path: mod},
			Args: w.Args(n)},
		MemoryMB: 512,
	}
}

func verify(t *testing.T, out deploy.Outcome, n int64, want int) {
	t.Helper()
	w, _ := workloads.Get("fib")
	exp, _ := w.Expect("c", n)
	got := 0
	for _, ev := range out.Events {
		if ev.Type == runners.EventOutput {
			got++
			if err := exp.Check(ev.Output); err != nil {
				t.Errorf("output: %v", err)
			}
		}
	}
	if got != want {
		t.Errorf("%d verified outputs, want %d", got, want)
	}
}

func extra(out deploy.Outcome, phase string) []results.Record {
	var r []results.Record
	for _, e := range out.Extra {
		if e.Phase == phase {
			r = append(r, e)
		}
	}
	return r
}

func testEngine(t *testing.T, name string) {
	tg := engine(t, name)
	t.Logf("%s memory: %s", name, tg.MemoryEnforcement())
	ctx := context.Background()
	worker := client.Command{Path: wazeroWorker(t)}

	out, err := tg.Run(ctx, fibTask(t, runners.OpCold, worker, "jit", 20))
	if err != nil {
		t.Fatal(err)
	}
	if out.Err != nil {
		t.Fatalf("cold: %v\n%s", out.Err, out.Err.Stderr)
	}
	verify(t, out, 20, 1)
	for _, p := range []string{results.PhaseContainerCreate, results.PhaseContainerStart, results.PhaseRuntimeInit, results.PhaseInitDuration,
		results.PhaseDuration, results.PhaseMaxMemoryUsed} {
		r := extra(out, p)
		if len(r) != 1 || r[0].Value <= 0 || !r[0].Cold {
			t.Errorf("%s: %+v", p, r)
		}
	}
	if pb := extra(out, results.PhasePackageBytes); len(pb) != 1 || pb[0].Package != "image" || pb[0].Value <= 0 {
		t.Errorf("package size: %+v", pb)
	}
	// The cold start adds up: create + start + runtime init = init duration.
	sum := extra(out, results.PhaseContainerCreate)[0].Value + extra(out, results.PhaseContainerStart)[0].Value + extra(out, results.PhaseRuntimeInit)[0].Value
	if initDur := extra(out, results.PhaseInitDuration)[0].Value; sum != initDur {
		t.Errorf("create+start+runtime init = %v, init duration %v", sum, initDur)
	}
	t.Logf("%s cold: total %v, spawn %v", name, out.Total, out.Spawn)

	warm := fibTask(t, runners.OpWarm, worker, "jit", 20)
	warm.Job.Warmup, warm.Job.Iterations = 1, 2
	out, err = tg.Run(ctx, warm)
	if err != nil || out.Err != nil {
		t.Fatalf("warm: %v %+v", err, out.Err)
	}
	verify(t, out, 20, 3)

	testOutOfMemory(t, tg)
	testCPUQuota(t, tg)
}

// testCPUQuota runs a function at 128 MB: the container's own cgroup has
// Lambda's CPU quota for it, 128/1769 of a CPU.
func testCPUQuota(t *testing.T, tg *Target) {
	t.Helper()
	exe := build(t, "github.com/wasmbench/bench/deploy/lambdalocal/testdata/fakefn", "fakefn")
	dir := t.TempDir()
	if _, err := tg.l.prepare(context.Background(), dir, []pkg.File{{Name: "bootstrap", Src: exe}}); err != nil {
		t.Fatal(err)
	}
	if d, ok := tg.l.(*dockerLauncher); ok {
		t.Cleanup(d.close)
	}
	h, err := lambdalocal.NewHost(lambdalocal.Config{TaskRoot: dir, Launcher: tg.l, MemoryMB: 128, ScaleCPU: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	note := h.CPUEnforcement()
	t.Logf("cpu: %s", note)
	if !strings.Contains(note, "cpu quota 0.072 vCPU for 128 MB") || !strings.Contains(note, tg.l.Name()) {
		t.Errorf("note %q", note)
	}
	resp, _, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil || resp.FunctionError != "" {
		t.Fatalf("invoke: %v %s\n%s", err, resp.Payload, resp.Logs)
	}
	var reply struct {
		Cgroup string `json:"cgroup"`
	}
	if err := json.Unmarshal(resp.Payload, &reply); err != nil {
		t.Fatal(err)
	}
	if q, p := cpuQuota(t, reply.Cgroup); q != 7236 || p != 100000 {
		t.Errorf("the container's cgroup has quota %d/%d us, want 7236/100000", q, p)
	}
}

// cpuQuota reads the CPU quota of the cgroup a /proc/<pid>/cgroup text
// names (the engines here share the host's cgroup namespace).
func cpuQuota(t *testing.T, procCgroup string) (quota, period int64) {
	t.Helper()
	read := func(p string) int64 {
		b, _ := os.ReadFile(p)
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
	for _, line := range strings.Split(strings.TrimSpace(procCgroup), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && slices.Contains(strings.Split(parts[1], ","), "cpu") {
			dir := filepath.Join("/sys/fs/cgroup/cpu", parts[2])
			return read(filepath.Join(dir, "cpu.cfs_quota_us")), read(filepath.Join(dir, "cpu.cfs_period_us"))
		}
		if len(parts) == 3 && parts[0] == "0" {
			if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", parts[2], "cpu.max")); err == nil {
				var q, p int64
				if _, err := fmt.Sscanf(string(b), "%d %d", &q, &p); err == nil {
					return q, p
				}
			}
		}
	}
	t.Fatalf("no CPU quota for the cgroups in %q", procCgroup)
	return 0, 0
}

func TestCPUShareInEngineConfig(t *testing.T) {
	share := lambdalocal.LambdaCPU(128)
	s := lambdalocal.LaunchSpec{ID: "x", Tmp: "/tmp/x", MemoryMB: 128, CPU: share, Env: []string{"A=b"}}
	args := strings.Join(dockerCreateArgs("n", "img", s, true), " ")
	for _, want := range []string{"--memory 128m --memory-swap 128m", "--cpu-period 100000 --cpu-quota 7236", "--env A=b img"} {
		if !strings.Contains(args, want) {
			t.Errorf("docker create %s: lacks %q", args, want)
		}
	}
	s.CPU = lambdalocal.CPUShare{}
	if args := strings.Join(dockerCreateArgs("n", "img", s, true), " "); strings.Contains(args, "--cpu") {
		t.Errorf("no share, yet docker create %s", args)
	}
	s.CPU = share
	s.CPU.Shares = 262144
	if args := strings.Join(dockerCreateArgs("n", "img", s, true), " "); !strings.Contains(args, "--cpu-quota 7236 --cpu-shares 262144") {
		t.Errorf("weighted share, docker create %s", args)
	}
	cfg := ociConfig("/root", s, "/bench-runc/x")
	res := cfg["linux"].(map[string]any)["resources"].(map[string]any)
	if cpu := res["cpu"].(map[string]any); cpu["quota"] != int64(7236) || cpu["period"] != int64(100000) || cpu["shares"] != int64(262144) {
		t.Errorf("runc resources.cpu %v", cpu)
	}
	if mem := res["memory"].(map[string]any); mem["limit"] != int64(128<<20) {
		t.Errorf("runc resources.memory %v", mem)
	}
}

// testOutOfMemory runs a function that allocates 256 MB in a 64 MB
// container: the kernel kills it and the host says Runtime.OutOfMemory.
// (A real workload squeezed into a few MB makes the kernel thrash on the
// executable's pages for a long while before it kills anything.)
func testOutOfMemory(t *testing.T, tg *Target) {
	t.Helper()
	exe := build(t, "github.com/wasmbench/bench/deploy/lambdalocal/testdata/fakefn", "fakefn")
	files := []pkg.File{{Name: "bootstrap", Src: exe}}
	dir := t.TempDir()
	if _, err := tg.l.prepare(context.Background(), dir, files); err != nil {
		t.Fatal(err)
	}
	if d, ok := tg.l.(*dockerLauncher); ok {
		t.Cleanup(d.close)
	}
	h, err := lambdalocal.NewHost(lambdalocal.Config{TaskRoot: dir, Launcher: tg.l, MemoryMB: 64, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	resp, rep, err := h.Invoke(context.Background(), []byte(`{}`))
	if err != nil || resp.FunctionError != "" {
		t.Fatalf("idle: %v %s", err, resp.Payload)
	}
	resp, rep, err = h.Invoke(context.Background(), []byte(`{"alloc_mb":256}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorType != "Runtime.OutOfMemory" || rep.ErrorType != "Runtime.OutOfMemory" {
		t.Errorf("256 MB in a 64 MB container: %s %s\n%s", resp.Payload, rep, resp.Logs)
	}
}

func TestDocker(t *testing.T) { testEngine(t, Docker) }
func TestRunc(t *testing.T)   { testEngine(t, Runc) }

func TestNodeFunctionImage(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	tg := engine(t, Runc)
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "runners", "node", "worker.mjs")
	worker := client.Command{Path: node, Args: []string{"--no-warnings", "--liftoff-only", script}}
	task := fibTask(t, runners.OpCold, worker, "baseline", 20)
	out, err := tg.Run(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	if out.Err != nil {
		t.Fatalf("node in a container: %v\n%s", out.Err, out.Err.Stderr)
	}
	verify(t, out, 20, 1)
}

func TestUnavailableSaysWhy(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Engine: Docker, Docker: "/nonexistent/docker"}, "docker is not installed"},
		{Options{Engine: Runc, Runc: "/nonexistent/runc"}, "runc is not installed"},
	} {
		tg, err := New(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		err = tg.Available(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.opts.Engine, err, c.want)
		}
		if _, err := tg.Run(context.Background(), deploy.Task{}); err == nil {
			t.Errorf("%s: Run on an unavailable engine succeeded", c.opts.Engine)
		}
	}
	if _, err := New(Options{Engine: "podman"}); err == nil {
		t.Error("unknown engine accepted")
	}
}

// TestDockerOwnMemoryLimit runs Docker as with a systemd cgroup driver,
// where the environment's cgroup cannot be the container's parent: docker
// --memory enforces the size and the container's own cgroup gives the peak.
func TestDockerOwnMemoryLimit(t *testing.T) {
	tg := engine(t, Docker)
	d := tg.l.(*dockerLauncher)
	d.mu.Lock()
	d.cgroupfs = false // engine() has asked the daemon already
	d.mu.Unlock()
	worker := client.Command{Path: wazeroWorker(t)}
	out, err := tg.Run(context.Background(), fibTask(t, runners.OpCold, worker, "jit", 20))
	if err != nil || out.Err != nil {
		t.Fatalf("cold: %v %+v", err, out.Err)
	}
	verify(t, out, 20, 1)
	if p := extra(out, results.PhaseMaxMemoryUsed); len(p) != 1 || p[0].Value <= 0 {
		t.Errorf("no peak from the container's cgroup: %+v", p)
	}
	testOutOfMemory(t, tg)
	if !d.checked || d.cgroupfs {
		t.Error("the daemon was asked again")
	}
}
