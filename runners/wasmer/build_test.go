package wasmer

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuiltWorker checks the worker `make build` made (BENCH_BIN_DIR, set
// by make test): it must find libwasmer.so beside it through RUNPATH
// $ORIGIN/lib alone, never through the Go module cache, so that bin/ can
// be shipped (Lambda zip, container image) as it is.
func TestBuiltWorker(t *testing.T) {
	dir := os.Getenv("BENCH_BIN_DIR")
	if dir == "" {
		t.Skip("BENCH_BIN_DIR is not set (make test sets it after make build)")
	}
	bin := filepath.Join(dir, "bench-wasmer")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("open the built worker: %v", err)
	}
	defer f.Close()
	runpath, err := f.DynString(elf.DT_RUNPATH)
	if err != nil {
		t.Fatal(err)
	}
	rpath, _ := f.DynString(elf.DT_RPATH)
	if strings.Join(runpath, ":") != "$ORIGIN/lib" || len(rpath) != 0 {
		t.Errorf("%s: RUNPATH %q, RPATH %q; want RUNPATH $ORIGIN/lib only (see mk/wasmer.mk)", bin, runpath, rpath)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(libs, " "), "libwasmer.so") {
		t.Errorf("%s does not link libwasmer.so (needs %v)", bin, libs)
	}
	if _, err := os.Stat(filepath.Join(dir, "lib", "libwasmer.so")); err != nil {
		t.Errorf("libwasmer.so is not beside the worker: %v", err)
	}
	// Run from a copy in an unrelated folder, with an empty environment.
	tmp := t.TempDir()
	for _, p := range []string{"bench-wasmer", "lib/libwasmer.so"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, p), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(tmp, "bench-wasmer"), "version")
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "wasmer v1.0.4") {
		t.Errorf("copied worker: %v: %s", err, out)
	}
}
