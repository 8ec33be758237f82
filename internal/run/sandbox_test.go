package run

import (
	"errors"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/confine"
	"github.com/wasmbench/bench/workloads/custom"
)

// TestSandboxNote: without bubblewrap, a node or wasmer cell with --dir on
// the local target is not run, and the note names the package; other
// runtimes, modules without --dir and other targets are not affected.
func TestSandboxNote(t *testing.T) {
	saved := sandboxAvailable
	defer func() { sandboxAvailable = saved }()
	sandboxAvailable = func() error { return errors.New("bwrap is not installed") }
	node := &Runtime{RuntimeSpec: RuntimeSpec{Name: "node", Confine: true}}
	wazero := &Runtime{RuntimeSpec: RuntimeSpec{Name: "wazero"}}
	withDir := &custom.Module{Name: "m", Dirs: []runners.Preopen{{Host: "/data", Guest: "."}}}
	noDir := &custom.Module{Name: "m"}
	msg := sandboxNote(node, withDir, "local")
	for _, want := range []string{"bubblewrap", "apt-get install bubblewrap", "without --dir", "bwrap is not installed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("note %q does not say %q", msg, want)
		}
	}
	for _, tc := range []struct {
		r  *Runtime
		m  *custom.Module
		tg string
	}{{wazero, withDir, "local"}, {node, noDir, "local"}, {node, nil, "local"}, {node, withDir, "lambda-local"}} {
		if got := sandboxNote(tc.r, tc.m, tc.tg); got != "" {
			t.Errorf("%s on %s: %q, want no note", tc.r.Name, tc.tg, got)
		}
	}
	sandboxAvailable = func() error { return nil }
	if got := sandboxNote(node, withDir, "local"); got != "" {
		t.Errorf("with bwrap: %q", got)
	}
}

// TestWorkerForConfines: the orchestrator wraps exactly the jobs that need
// it in bwrap: a confined runtime's guest-running job with a preopen, on
// the local target.
func TestWorkerForConfines(t *testing.T) {
	if err := confine.Available(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	node := &Runtime{RuntimeSpec: RuntimeSpec{Name: "wazero", Binary: "true", Confine: true}, BinDir: "/usr/bin"}
	plain := &Runtime{RuntimeSpec: RuntimeSpec{Name: "wazero", Binary: "true"}, BinDir: "/usr/bin"}
	job := runners.Job{Op: runners.OpCold, Dirs: []runners.Preopen{{Host: dir, Guest: "."}}}
	r := &runner{}
	for _, tc := range []struct {
		rt   *Runtime
		job  runners.Job
		tg   deploy.Target
		want bool
	}{
		{node, job, local.Local{}, true},
		{plain, job, local.Local{}, false},
		{node, runners.Job{Op: runners.OpCold}, local.Local{}, false},
		{node, runners.Job{Op: runners.OpPrepare, Dirs: job.Dirs}, local.Local{}, false},
		{node, job, remoteTarget{}, false},
	} {
		c := &Cell{Runtime: tc.rt, Cell: results.Cell{Tier: "jit"}}
		cmd, err := r.workerFor(c, tc.tg, tc.job)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasSuffix(cmd.Path, "bwrap"); got != tc.want {
			t.Errorf("confine=%v op=%s dirs=%d on %s: command %s %q", tc.rt.Confine, tc.job.Op, len(tc.job.Dirs), tc.tg.Name(), cmd.Path, cmd.Args)
		}
	}
}

// remoteTarget stands for a target that packages the worker itself.
type remoteTarget struct{ local.Local }

func (remoteTarget) Name() string { return "lambda-local" }
