package aws

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// customTask is the task of a --wasm module as the orchestrator makes it:
// the module's own file, its arguments and a preopened folder (the
// Sightglass layout: the module's folder as ".").
func (e *testEnv) customTask(t *testing.T, name string, args ...string) deploy.Task {
	t.Helper()
	sg := filepath.Join(srcDir, "testdata", "sightglass")
	task := e.task(t, fib, runners.OpCold)
	task.Cell = results.Cell{Runtime: "wazero", Tier: "jit", Workload: name, Lang: "wasm", Target: TargetName}
	task.Job.Module = runners.ModuleRef{Name: name + ".wasm", Path: filepath.Join(sg, name+".wasm")}
	task.Job.Args, task.Job.StdinPath = args, ""
	task.Job.Dirs = []runners.Preopen{{Host: sg, Guest: "."}}
	task.Job.KeepStdout = true
	return task
}

// TestCustomPackage: a --wasm module's package ships the module and its
// preopened folder as lambda-local ships them (task/dirs/<n>/), the
// module's own name as argv[0], and the invocation's request carries the
// arguments and the packaged preopens; only its first invocation asks for
// the whole stdout (for a line diff).
func TestCustomPackage(t *testing.T) {
	e := newTestEnv(t)
	task := e.customTask(t, "checksum", "input.txt")
	s, err := newSpec(task)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(&e.o)
	a := b.artifact(context.Background(), s, ArchX86, PackageZip)
	if a.Unavailable != "" {
		t.Fatalf("unavailable: %s", a.Unavailable)
	}
	var names []string
	for _, f := range a.Files {
		names = append(names, f.Name)
	}
	for _, want := range []string{"bootstrap", "task/checksum.wasm", "task/dirs/0/input.txt", "task/dirs/0/checksum.wasm"} {
		if !slices.Contains(names, want) {
			t.Errorf("package has no %s: %v", want, names)
		}
	}
	if len(a.Dirs) != 1 || a.Dirs[0] != (runners.Preopen{Host: "task/dirs/0", Guest: "."}) || a.InputBytes == 0 {
		t.Errorf("preopens %+v, input bytes %d", a.Dirs, a.InputBytes)
	}
	if a.Env[runners.EnvModuleName] != "checksum.wasm" {
		t.Errorf("argv[0] %q", a.Env[runners.EnvModuleName])
	}
	m := &measurer{o: &e.o, f: &Function{Artifact: a}}
	first := m.request(task.Job, 0)
	if !slices.Equal(first.Args, []string{"input.txt"}) || !slices.Equal(first.Dirs, a.Dirs) || !first.KeepStdout || first.TimeoutNS != task.Job.TimeoutNS {
		t.Errorf("first request %+v", first)
	}
	if m.request(task.Job, 1).KeepStdout {
		t.Errorf("only the first invocation should ask for the whole stdout")
	}
}

func TestFunctionErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		inv  invocation
		rep  lambdareport.Report
		kind runners.ErrorKind
		msg  string
	}{
		{invocation{funcError: `Unhandled: {...}`, funcErrType: "Bench.compile", funcErrMsg: "wasmer: compile simd.wasm: V128Const"}, lambdareport.Report{},
			runners.KindCompile, "function error (Bench.compile): wasmer: compile simd.wasm: V128Const"},
		{invocation{funcError: `Unhandled: {"errorType":"Sandbox.Timedout"}`, funcErrType: "Sandbox.Timedout"}, lambdareport.Report{Status: "timeout"},
			runners.KindTimeout, "function error: Unhandled"},
		{invocation{funcError: `Unhandled: {"errorType":"Runtime.OutOfMemory"}`, funcErrType: "Runtime.OutOfMemory"}, lambdareport.Report{},
			runners.KindMemory, "OutOfMemory"},
		{invocation{funcError: `Unhandled: {"errorType":"Runtime.ExitError"}`, funcErrType: "Runtime.ExitError"}, lambdareport.Report{},
			runners.KindCrash, "Runtime.ExitError"},
	} {
		e := functionError(tc.inv, tc.rep)
		if e.Kind != tc.kind || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%+v: %s %q; want %s and %q", tc.inv, e.Kind, e.Message, tc.kind, tc.msg)
		}
	}
}
