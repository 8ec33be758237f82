package conformance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestdataMatchesWAT rebuilds each committed test module from its WAT
// source with wat2wasm (Debian: wabt) and compares the bytes.
func TestTestdataMatchesWAT(t *testing.T) {
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wat2wasm is missing (apt-get install wabt)")
		}
		t.Skip("wat2wasm is missing (apt-get install wabt)")
	}
	wats, err := filepath.Glob("testdata/*.wat")
	if err != nil || len(wats) == 0 {
		t.Fatalf("no testdata/*.wat: %v", err)
	}
	for _, wat := range wats {
		name := strings.TrimSuffix(filepath.Base(wat), ".wat")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(wat)
			if err != nil {
				t.Fatal(err)
			}
			cmd := "wat2wasm " + name + ".wat -o " + name + ".wasm"
			if !bytes.Contains(src, []byte(cmd)) {
				t.Errorf("%s does not give its rebuild command %q", wat, cmd)
			}
			out := filepath.Join(t.TempDir(), name+".wasm")
			if b, err := exec.Command("wat2wasm", wat, "-o", out).CombinedOutput(); err != nil {
				t.Fatalf("wat2wasm %s: %v\n%s", wat, err, b)
			}
			got, _ := os.ReadFile(out)
			want, err := os.ReadFile(strings.TrimSuffix(wat, ".wat") + ".wasm")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("testdata/%s.wasm differs from its WAT source: run %q in testdata and commit", name, cmd)
			}
		})
	}
}

// TestModulesEmbedded: every module the suite names is embedded, for wasm
// and, where it has one, for native.
func TestModulesEmbedded(t *testing.T) {
	for _, native := range []bool{false, true} {
		mods, err := writeModules(t.TempDir(), native)
		if err != nil {
			t.Fatal(err)
		}
		want := 9
		if native {
			want = len(nativeTwins)
		}
		if len(mods) != want {
			t.Errorf("native=%v: %d modules written, want %d", native, len(mods), want)
		}
	}
}
