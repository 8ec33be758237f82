// Package golden compares test output with files under testdata: run the
// tests with -update to rewrite them; a mismatch writes the output beside
// the golden file as NAME.got for diffing.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update is the -update flag: rewrite golden files instead of checking.
var Update = flag.Bool("update", false, "rewrite golden files and generated test data")

// Check compares got with the golden file at path.
func Check(t *testing.T, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gotPath := path + ".got"
	if bytes.Equal(got, want) {
		os.Remove(gotPath)
		return
	}
	if err := os.WriteFile(gotPath, got, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("output differs from %s: see %s (diff them; go test -update accepts the new output)", path, gotPath)
}
