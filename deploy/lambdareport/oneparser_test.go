package lambdareport

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyParser fails when code outside this package formats or parses
// REPORT lines: a Go file (tests aside) that holds the line's prefix,
// "REPORT RequestId" or "REPORT ". Lambda's REPORT format is written down
// once, here; a second parser drifts (as lambda-local's and the aws
// target's did before they were merged).
func TestOnlyParser(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == self || path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("REPORT RequestId")) || bytes.Contains(src, []byte(`"REPORT "`)) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s handles REPORT lines: use deploy/lambdareport (its Report's String to write one, Parse* to read one)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
