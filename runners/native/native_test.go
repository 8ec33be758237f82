package native

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmbench/bench/runners/conformance"
	"github.com/wasmbench/bench/workloads"
)

func TestMain(m *testing.M) {
	conformance.ServeIfWorker(New())
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	dir := nativeDir(t)
	cmd := conformance.SelfCommand()
	cmd.Env = append(cmd.Env, DirEnv+"="+dir)
	conformance.Run(t, conformance.Config{
		Command:        cmd,
		Runtime:        "native",
		NativeDir:      dir,
		CanInterrupt:   true,
		CanLimitMemory: true,
	})
}

// nativeDir is $BENCH_BIN_DIR/native when `make build` filled it, or a
// folder this test builds the native executables into with the commands
// of mk/workloads.mk, skipping (with a message) those whose toolchain is
// missing.
func nativeDir(t *testing.T) string {
	if bin := os.Getenv("BENCH_BIN_DIR"); bin != "" {
		dir := filepath.Join(bin, "native")
		if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
			return dir
		}
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	_, errClang := exec.LookPath("clang")
	_, errRustc := os.Stat("/usr/bin/rustc") // Debian's; a rustup rustc may come first on PATH
	_, errStb := os.Stat("/usr/include/stb/stb_image_resize.h")
	for _, w := range workloads.All() {
		for _, lang := range w.Langs {
			src := filepath.Join(root, "workloads", w.Name, lang)
			out := filepath.Join(dir, w.NativeName(lang))
			var c *exec.Cmd
			switch lang {
			case workloads.LangC:
				if errClang != nil || (w.Name == "image" && errStb != nil) {
					t.Logf("not building %s: no clang or no /usr/include/stb (apt-get install clang libstb-dev)", w.NativeName(lang))
					continue
				}
				args := []string{"-O2", "-o", out, w.Name + ".c"}
				if w.Name == "image" {
					args = append([]string{"-I/usr/include/stb"}, append(args, "-lm")...)
				}
				c = exec.Command("clang", args...)
			case workloads.LangGo:
				c = exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", out, ".")
				c.Env = append(os.Environ(), "CGO_ENABLED=0")
			case workloads.LangRust:
				if errRustc != nil {
					t.Logf("not building %s: no /usr/bin/rustc (apt-get install rustc)", w.NativeName(lang))
					continue
				}
				c = exec.Command("/usr/bin/rustc", "-C", "opt-level=2", "-C", "strip=debuginfo", "-o", out, w.Name+".rs")
				if _, err := os.Stat(filepath.Join(src, "build.sh")); err == nil { // a Cargo project
					c = exec.Command("sh", "build.sh", "-o", out)
				}
			default:
				t.Logf("not building %s: no native build rule for language %s", w.NativeName(lang), lang)
				continue
			}
			c.Dir = src
			if b, err := c.CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v: %v\n%s", w.NativeName(lang), c.Args, err, b)
			}
		}
	}
	return dir
}

func TestVersionReadsCompilers(t *testing.T) {
	dir := t.TempDir()
	// A Go executable: this test binary.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fib-go"), self, 0o755); err != nil {
		t.Fatal(err)
	}
	v := toolchains(dir)
	if !strings.HasPrefix(v, "go1.") {
		t.Errorf("toolchains = %q, want the Go version of a Go executable", v)
	}
	if got := toolchains(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("toolchains of a missing folder = %q, want empty", got)
	}
	if _, err := exec.LookPath("clang"); err == nil {
		c := exec.Command("clang", "-O2", "-x", "c", "-o", filepath.Join(dir, "hello-c"), "-")
		c.Stdin = strings.NewReader("int main(void) { return 0; }\n")
		if b, err := c.CombinedOutput(); err != nil {
			t.Fatalf("clang: %v\n%s", err, b)
		}
		if v := toolchains(dir); !strings.Contains(v, "clang ") {
			t.Errorf("toolchains = %q, want it to name clang", v)
		}
	}
}

func TestSignalName(t *testing.T) {
	if got := signalName(syscall.SIGSEGV); got != "SIGSEGV (segmentation fault)" {
		t.Errorf("signalName(SIGSEGV) = %q", got)
	}
	if got := signalName(syscall.Signal(40)); !strings.HasPrefix(got, "signal 40") {
		t.Errorf("signalName(40) = %q", got)
	}
}
