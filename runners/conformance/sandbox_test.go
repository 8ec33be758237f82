package conformance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxGuestMatchesSource rebuilds the sandbox guest with the
// command in its source's header comment (make sandbox-testdata runs the
// same) and compares the bytes with the committed module.
func TestSandboxGuestMatchesSource(t *testing.T) {
	for _, tool := range []string{"clang", "wasm-ld", "wasm-strip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
			}
			t.Skipf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
		}
	}
	src, err := os.ReadFile("testdata/sandbox/sandbox.c")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "//") {
			break
		}
		if c := strings.TrimSpace(strings.TrimPrefix(line, "//")); strings.Contains(c, "-o sandbox.wasm ") {
			cmd = c
		}
	}
	if cmd == "" {
		t.Fatal("sandbox.c gives no build command in its header comment")
	}
	mk, err := os.ReadFile("../../mk/custom.mk")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mk, []byte(cmd)) {
		t.Errorf("mk/custom.mk does not build sandbox.wasm with the command sandbox.c gives: %s", cmd)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sandbox.c"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command("sh", "-c", cmd)
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "sandbox.wasm"))
	want, err := SandboxGuest()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("testdata/sandbox/sandbox.wasm differs from its source: run make sandbox-testdata and commit")
	}
}

// TestSandboxProbes: the suite finds the guest's probes in its source.
func TestSandboxProbes(t *testing.T) {
	probes, controls, err := sandboxProbes()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range append(probes, controls...) {
		if seen[p] {
			t.Errorf("probe %s appears twice in sandbox.c", p)
		}
		seen[p] = true
	}
	t.Logf("%d probes, %d controls", len(probes), len(controls))
}
