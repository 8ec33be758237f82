package wasmer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmbench/bench/runners"
)

func TestRefuse(t *testing.T) {
	dangerous := map[string]bool{"abs": true}
	for p, want := range map[string]bool{
		"a.txt": false, "sub/a.txt": false, "sub/../a.txt": false, ".": false, "": false,
		"/etc/passwd": true, "..": true, "../x": true, "sub/../../x": true, "a/./../..": true,
		"abs": true, "sub/abs/x": true, "absent": false,
	} {
		if got := refuse(p, dangerous); got != want {
			t.Errorf("refuse(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestScanLinks: absolute links and the relative links that lead to one
// (through chains) are dangerous; other links are not.
func TestScanLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"sub/abs": "/etc/passwd", "to-abs": "sub/abs", "chain": "to-abs", "inside": "sub", "out": "../x",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := scanLinks([]runners.Preopen{{Host: dir, Guest: "."}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"abs": true, "to-abs": true, "chain": true, "inside": false, "out": false} {
		if got[name] != want {
			t.Errorf("%s: dangerous %v, want %v", name, got[name], want)
		}
	}
}
