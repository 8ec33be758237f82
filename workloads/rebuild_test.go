package workloads

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// source is one workload's source in one language and its committed build.
type source struct {
	workload, lang string
	dir            string // workloads/<w>/<lang>, relative to this package
	file           string // the source file whose header comment says how to build
	wasm           string // the committed module, in dir
}

func sources() []source {
	var out []source
	for _, w := range All() {
		for _, l := range w.Langs {
			dir := filepath.Join(w.Name, l)
			file := w.Name + "." + map[string]string{LangC: "c", LangRust: "rs"}[l]
			if l == LangGo {
				file = "main.go"
			}
			out = append(out, source{w.Name, l, dir, file, w.Name + ".wasm"})
		}
	}
	return out
}

// buildCommand is the shell command in the source's header comment that
// builds the .wasm: the line with "-o <w>.wasm".
func (s source) buildCommand() (string, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, s.file))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "//") {
			break // the header comment is over
		}
		cmd := strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if strings.Contains(cmd, "-o "+s.wasm+" ") {
			return cmd, nil
		}
	}
	return "", fmt.Errorf("%s/%s: no build command for %s in the header comment", s.dir, s.file, s.wasm)
}

// missingTools says which of a language's wasm toolchain is absent here, in
// Debian package terms, or "".
func missingTools(lang string, workload string) string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	onPath := func(name string) bool { _, err := exec.LookPath(name); return err == nil }
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }
	switch lang {
	case LangC:
		need(onPath("clang"), "clang")
		need(onPath("wasm-ld"), "lld")
		need(exists("/usr/include/wasm32-wasi/stdio.h"), "wasi-libc")
		need(onPath("clang") && exists(clangWasmBuiltins()), "libclang-rt-dev-wasm32")
		need(onPath("wasm-strip"), "wabt")
		if workload == "image" {
			need(exists("/usr/include/stb/stb_image.h"), "libstb-dev")
		}
	case LangRust:
		need(exists("/usr/bin/rustc"), "rustc")
		need(exists("/usr/lib/rustlib/wasm32-wasi"), "libstd-rust-dev-wasm32")
		need(onPath("wasm-strip"), "wabt")
	case LangGo:
		need(onPath("go"), "go")
	}
	return strings.Join(missing, " ")
}

// clangWasmBuiltins is where clang looks for its wasm32-wasi runtime
// library (libclang_rt.builtins-wasm32.a).
func clangWasmBuiltins() string {
	b, err := exec.Command("clang", "--target=wasm32-wasi", "-print-libgcc-file-name").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// toolVersion names the compiler that built (or would build) a language's
// module, for messages.
func toolVersion(lang string) string {
	var cmd *exec.Cmd
	switch lang {
	case LangC:
		cmd = exec.Command("clang", "--version")
	case LangRust:
		cmd = exec.Command("/usr/bin/rustc", "--version")
	default:
		cmd = exec.Command("go", "env", "GOVERSION")
	}
	b, _ := cmd.Output()
	v, _, _ := strings.Cut(string(b), "\n")
	return v
}

// goProducer is the Go version a wasip1 module records in its "producers"
// custom section, or "".
var goProducer = regexp.MustCompile(`go1\.[0-9]+(\.[0-9]+)?`)

// TestCommittedModulesMatchSources rebuilds every committed .wasm with the
// command its source's header comment gives and fails when the bytes
// differ: the committed artifacts must be what their sources build to.
func TestCommittedModulesMatchSources(t *testing.T) {
	ci := os.Getenv("CI") == "true"
	tmp := t.TempDir()
	for _, s := range sources() {
		t.Run(s.workload+"/"+s.lang, func(t *testing.T) {
			if m := missingTools(s.lang, s.workload); m != "" {
				msg := fmt.Sprintf("cannot rebuild %s/%s: toolchain missing (Debian packages: %s)", s.dir, s.wasm, m)
				if ci {
					t.Fatal(msg + "; CI must install them")
				}
				t.Skip(msg)
			}
			cmd, err := s.buildCommand()
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(tmp, s.workload+"."+s.lang+".wasm")
			// Point every mention of the module at the temp file.
			word := regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(s.wasm) + `(\s|$)`)
			cmd = word.ReplaceAllString(cmd, "${1}"+out+"${2}")
			cmd = word.ReplaceAllString(cmd, "${1}"+out+"${2}") // adjacent matches share a space
			c := exec.Command("sh", "-c", cmd)
			c.Dir = s.dir
			if b, err := c.CombinedOutput(); err != nil {
				t.Fatalf("rebuild %s in %s: %s: %v\n%s", s.wasm, s.dir, cmd, err, b)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(s.dir, s.wasm))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				hint := ""
				if s.lang == LangGo {
					hint = fmt.Sprintf(" (committed module built by %s)", goProducer.Find(want))
				}
				t.Errorf("%s/%s differs from its rebuild (%d bytes, committed %d bytes) with %s%s: run `make workloads` and commit, or use the toolchain it was built with",
					s.dir, s.wasm, len(got), len(want), toolVersion(s.lang), hint)
			}
		})
	}
}

func TestSourcesSayHowTheyAreBuilt(t *testing.T) {
	for _, s := range sources() {
		cmd, err := s.buildCommand()
		if err != nil {
			t.Error(err)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(s.dir, s.file))
		native := "-o ../../../bin/native/" + s.workload + "-" + s.lang + " "
		if !bytes.Contains(b, []byte(native)) {
			t.Errorf("%s/%s: the header comment has no native build command (%q)", s.dir, s.file, native)
		}
		if s.lang == LangRust && !strings.HasPrefix(cmd, "/usr/bin/rustc ") {
			t.Errorf("%s/%s: %q must call Debian's /usr/bin/rustc (a rustup rustc without wasm32-wasi may come first on PATH)", s.dir, s.file, cmd)
		}
	}
}
