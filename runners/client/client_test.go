package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/internal/fakeworker"
)

const workerEnv = "BENCH_RUNNERS_FAKE_WORKER"

// TestFakeWorker is not a test: fakeCommand runs the test binary with only
// this test selected and workerEnv set, and it then serves the protocol.
func TestFakeWorker(t *testing.T) {
	if os.Getenv(workerEnv) != "1" {
		t.Skip("the fake worker, started by the client tests")
	}
	os.Args = os.Args[:1] // runners.Main reads its own arguments
	os.Exit(runners.Main(fakeworker.Runner{}))
}

func fakeCommand() client.Command {
	return client.Command{Path: os.Args[0], Args: []string{"-test.run=^TestFakeWorker$"}, Env: []string{workerEnv + "=1"}}
}

func start(t *testing.T) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, fakeCommand())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Kill)
	return cl
}

func TestClientWorkerDiesMidJob(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "die")}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindCrash {
		t.Fatalf("Do = %v; want a KindCrash *Error", err)
	}
	if !strings.Contains(e.Stderr, "fake worker dying") || !strings.Contains(e.Message, "exit status 7") {
		t.Errorf("crash: message %q, stderr %q; want the exit status and the worker's stderr", e.Message, e.Stderr)
	}
	// The worker is gone: the next job is a crash too, not a hang.
	err = cl.Do(ctx, runners.Job{ID: "k", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "ok:")}, func(runners.Event) {})
	if !errors.As(err, &e) || e.Kind != runners.KindCrash {
		t.Errorf("Do after the crash = %v; want KindCrash", err)
	}
	if _, err := cl.Close(); err == nil {
		t.Error("Close of a crashed worker returned no error")
	}
}

// TestClientTimeoutThenNextJob: a runner that honours its context reports
// KindTimeout, and the same worker serves the next job (Do once waited for
// the worker to exit here, and hung).
func TestClientTimeoutThenNextJob(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "waitctx"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout {
		t.Fatalf("Do = %v; want KindTimeout", err)
	}
	var out *runners.Output
	err = cl.Do(ctx, runners.Job{ID: "k", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "ok:again")}, func(ev runners.Event) {
		if ev.Type == runners.EventOutput {
			out = ev.Output
		}
	})
	if err != nil || out == nil || out.StdoutHead != "again" {
		t.Errorf("the job after a timeout: %v, output %+v", err, out)
	}
	if _, err := cl.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestClientWatchdog: a guest the runner cannot interrupt is reported as
// KindTimeout by the worker's watchdog, which then exits.
func TestClientWatchdog(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "hang"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout || !strings.Contains(e.Message, "cannot interrupt") {
		t.Fatalf("Do = %v; want the watchdog's KindTimeout", err)
	}
	if _, err := cl.Close(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Close = %v; want the watchdog's exit status 3", err)
	}
}

// TestClientContextKillsWorker: when the orchestrator's context ends, Do
// kills the worker and returns the context's error.
func TestClientContextKillsWorker(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "hang")}, func(runners.Event) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v; want context.DeadlineExceeded", err)
	}
	if _, err := cl.Close(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Close = %v; want the worker killed", err)
	}
}

// TestRemoveStaleIODirs: only the I/O folders of processes that are gone
// are removed.
func TestRemoveStaleIODirs(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	mine, err := runners.NewIODir(dir)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, fmt.Sprintf("%s%d-123", runners.IOPrefix, dead.Process.Pid))
	other := filepath.Join(dir, runners.IOPrefix+"nopid")
	for _, d := range []string{stale, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := client.RemoveStaleIODirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != stale {
		t.Errorf("removed %v; want only %s", removed, stale)
	}
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v; it should be left alone", d, err)
		}
	}
}

// TestClientKillsFloodingWorker: a "worker" writing a line without end
// is killed, and Start fails at once; the client once buffered 256 MiB of
// it, failed, then waited for the process, which was blocked writing.
func TestClientKillsFloodingWorker(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, client.Command{Path: cat, Args: []string{"/dev/zero"}})
	if err == nil {
		cl.Kill()
		t.Fatal("Start of cat /dev/zero succeeded")
	}
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindCrash || !strings.Contains(e.Message, "longer than") || !strings.Contains(e.Message, "killed") {
		t.Fatalf("Start = %v; want a KindCrash naming the line limit, the process killed", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Start returned only at the test's deadline")
	}
}

// TestWorkerBoundsErrorMessages: an error of any size travels as a
// bounded event line, and the job fails as such.
func TestWorkerBoundsErrorMessages(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "flood")}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTrap || len(e.Message) > 1<<20 || !strings.Contains(e.Message, "truncated") {
		t.Fatalf("Do = %.200v; want the trap, its message truncated", err)
	}
}

// TestClientKillsSilentWorker: a worker that stops answering in the middle
// of an execution with a time limit (here: stopped, so that its own
// watchdog cannot run) is killed by the client, and the job is a timeout.
func TestClientKillsSilentWorker(t *testing.T) {
	cl := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cl.Do(ctx, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "stop"),
		TimeoutNS: int64(50 * time.Millisecond)}, func(runners.Event) {})
	var e *runners.Error
	if !errors.As(err, &e) || e.Kind != runners.KindTimeout || !strings.Contains(e.Message, "killed") {
		t.Fatalf("Do = %v; want the client's KindTimeout", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Do returned only at the test's deadline")
	}
}
