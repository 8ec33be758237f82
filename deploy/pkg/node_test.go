package pkg

import (
	"os"
	"slices"
	"testing"
)

// Debian's libnode names the builtins it loads from /usr/share/nodejs.
func TestPathsIn(t *testing.T) {
	b := []byte("\x00internal/deps/cjs-module-lexer/lexer:/usr/share/nodejs/cjs-module-lexer/lexer.js\x00" +
		"/usr/share/nodejs/acorn/dist/acorn.js;/usr/share/nodejs/\x00/usr/share/nodejs/undici/README.md\x00")
	got := pathsIn(b, nodeBuiltinDir)
	want := []string{"/usr/share/nodejs/cjs-module-lexer/lexer.js", "/usr/share/nodejs/acorn/dist/acorn.js"}
	if !slices.Equal(got, want) {
		t.Errorf("pathsIn = %q, want %q", got, want)
	}
}

// NodeFiles brings this machine's node, its libraries and, for Debian's
// nodejs, the builtins it reads at start.
func TestNodeFiles(t *testing.T) {
	files, err := NodeFiles()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs node: %v", err)
		}
		t.Skipf("no node here: %v", err)
	}
	if files[0].Name != "/usr/bin/node" {
		t.Errorf("first file %q, want /usr/bin/node", files[0].Name)
	}
	for _, f := range files {
		if f.Name != "/usr/bin/node" && f.Name != f.Src {
			t.Errorf("%s packaged from %s: system files keep their paths", f.Name, f.Src)
		}
	}
}
