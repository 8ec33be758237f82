package workloads

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
)

// TestNativeBuilds runs the native builds `make build` put in
// $BENCH_BIN_DIR/native and checks their outputs against the oracles (the
// image workload: byte for byte against the committed hash, which is what
// the wasm builds must print too).
func TestNativeBuilds(t *testing.T) {
	bin := os.Getenv("BENCH_BIN_DIR")
	if bin == "" {
		t.Skip("BENCH_BIN_DIR is not set: `make test` sets it to the folder `make build` filled")
	}
	dir := filepath.Join(bin, "native")
	ci := os.Getenv("CI") == "true"
	for _, w := range All() {
		for _, l := range w.Langs {
			t.Run(w.NativeName(l), func(t *testing.T) {
				exe := filepath.Join(dir, w.NativeName(l))
				if _, err := os.Stat(exe); err != nil {
					if ci {
						t.Fatalf("%s: %v (make build skips a native build only when its toolchain is missing, and CI installs them)", exe, err)
					}
					t.Skipf("%s is not built (its toolchain is missing here?): %v", exe, err)
				}
				n := w.Param.Quick
				out := runNative(t, exe, w.Args(n), w.Stdin())
				e, err := w.Expect(l, n)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Check(out); err != nil {
					t.Errorf("%s %s: %v (stderr: %s)", exe, strings.Join(w.Args(n), " "), err, out.Stderr)
				}
				if w.Param.Fixed {
					return
				}
				// A bad parameter is refused with exit code 2 and a message.
				bad := runNative(t, exe, []string{"12x"}, nil)
				if bad.ExitCode != 2 || !strings.Contains(bad.Stderr, "12x") {
					t.Errorf("%s 12x: exit code %d, stderr %q; want 2 and a message naming the argument", exe, bad.ExitCode, bad.Stderr)
				}
			})
		}
	}
}

// runNative runs a native build and reports its output the way a runner
// does.
func runNative(t *testing.T, exe string, args []string, stdin []byte) *runners.Output {
	t.Helper()
	tmp := t.TempDir()
	stdout, stderr := filepath.Join(tmp, "stdout"), filepath.Join(tmp, "stderr")
	fo, err := os.Create(stdout)
	if err != nil {
		t.Fatal(err)
	}
	fe, err := os.Create(stderr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = fo, fe
	runErr := cmd.Run()
	fo.Close()
	fe.Close()
	code := 0
	var exit *exec.ExitError
	if errors.As(runErr, &exit) {
		code = exit.ExitCode()
	} else if runErr != nil {
		t.Fatalf("run %s: %v", exe, runErr)
	}
	out, err := runners.ReadOutput(stdout, stderr)
	if err != nil {
		t.Fatal(err)
	}
	out.ExitCode = code
	return out
}
