package main

import (
	"os/exec"
	"strings"
	"testing"
)

// wasmRuntimes are the import paths of the wasm runtimes the workers link.
var wasmRuntimes = []string{
	"github.com/tetratelabs/wazero",
	"github.com/bytecodealliance/wasmtime-go",
	"github.com/wasmerio/wasmer-go",
	"github.com/wasmbench/bench/runners/wazero",
	"github.com/wasmbench/bench/runners/wasmtime",
	"github.com/wasmbench/bench/runners/wasmer",
}

// TestNoWasmRuntime enforces RATIONALE's rule that the orchestrator never
// links a wasm runtime: every runtime runs in a worker process, so none of
// them shares an address space, a garbage collector or a build with the
// clock that measures it.
func TestNoWasmRuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed only %d packages", len(deps))
	}
	for _, d := range deps {
		for _, rt := range wasmRuntimes {
			if d == rt || strings.HasPrefix(d, rt+"/") {
				t.Errorf("cmd/bench depends on %s (a wasm runtime): feature detection and the like belong in packages that read wasm, such as internal/wasmfeat; runtimes run in workers", d)
			}
		}
	}
}
