package workloads

import (
	"bytes"
	"errors"
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
	cargo          bool   // a Cargo project built by dir/build.sh
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
			_, err := os.Stat(filepath.Join(dir, "Cargo.toml"))
			out = append(out, source{w.Name, l, dir, file, w.Name + ".wasm", l == LangRust && err == nil})
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
func missingTools(lang string, workload string, cargo bool) string {
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
		if cargo {
			need(exists("/usr/bin/cargo"), "cargo")
		}
		if workload == "image" {
			need(exists("/usr/share/cargo/registry/image-0.24.3"), "librust-image-dev")
		}
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
	if lang == LangRust {
		if b, err := exec.Command("/usr/bin/cargo", "--version").Output(); err == nil {
			v += ", " + strings.TrimSpace(string(b))
		}
	}
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
			if m := missingTools(s.lang, s.workload, s.cargo); m != "" {
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
			var home string
			if s.cargo {
				// A Cargo project is rebuilt from a copy at another path:
				// the committed module was built in a checkout, so equal
				// bytes also show that no path of the checkout reaches the
				// module, and that the folder is the whole project. HOME
				// is an empty folder that must stay empty.
				c.Dir = filepath.Join(tmp, "elsewhere", s.workload, s.lang)
				copyDir(t, s.dir, c.Dir)
				home = filepath.Join(tmp, "home-"+s.workload)
				if err := os.Mkdir(home, 0o755); err != nil {
					t.Fatal(err)
				}
				c.Env = append(os.Environ(), "HOME="+home)
			}
			if b, err := c.CombinedOutput(); err != nil {
				t.Fatalf("rebuild %s in %s: %s: %v\n%s", s.wasm, c.Dir, cmd, err, b)
			}
			if home != "" {
				if ents, _ := os.ReadDir(home); len(ents) > 0 {
					t.Errorf("the build of %s/%s wrote %s into $HOME: it must write only inside a temp dir", s.dir, s.wasm, ents[0].Name())
				}
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
		native := regexp.MustCompile(`-o \.\./\.\./\.\./bin/native/` + regexp.QuoteMeta(s.workload+"-"+s.lang) + `(\s|$)`)
		if !native.Match(b) {
			t.Errorf("%s/%s: the header comment has no native build command (%q)", s.dir, s.file, native)
		}
		switch {
		case s.cargo:
			if !strings.HasPrefix(cmd, "sh build.sh ") {
				t.Errorf("%s/%s: %q must build with the project's build.sh", s.dir, s.file, cmd)
			}
			script, err := os.ReadFile(filepath.Join(s.dir, "build.sh"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"cargo=/usr/bin/cargo", "rustc=/usr/bin/rustc", "--offline", `CARGO_HOME="$tmp/`} {
				if !bytes.Contains(script, []byte(want)) {
					t.Errorf("%s/build.sh: no %q (Debian's cargo and rustc, the pinned versions, offline, nothing written outside a temp dir)", s.dir, want)
				}
			}
		case s.lang == LangRust && !strings.HasPrefix(cmd, "/usr/bin/rustc "):
			t.Errorf("%s/%s: %q must call Debian's /usr/bin/rustc (a rustup rustc without wasm32-wasi may come first on PATH)", s.dir, s.file, cmd)
		}
	}
}

// TestCargoBuildScriptRefusesBadArguments: build.sh says what is wrong
// before it builds anything.
func TestCargoBuildScriptRefusesBadArguments(t *testing.T) {
	n := 0
	for _, s := range sources() {
		if !s.cargo {
			continue
		}
		n++
		for _, args := range [][]string{{}, {"--target", "wasm32-wasi"}, {"-o"}, {"--jobs", "2", "-o", "x"}, {"-o", "no/such/folder/image"}} {
			c := exec.Command("sh", append([]string{"build.sh"}, args...)...)
			c.Dir = s.dir
			out, err := c.CombinedOutput()
			code := -1
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			if code != 2 || !strings.Contains(string(out), "usage: sh build.sh") {
				t.Errorf("%s: sh build.sh %s: exit code %d, output %q; want 2 and the usage", s.dir, strings.Join(args, " "), code, out)
			}
		}
	}
	if n == 0 {
		t.Fatal("no Cargo project among the workloads' sources (workloads/image/rust has a Cargo.toml)")
	}
}

// copyDir copies the regular files under src to dst, keeping the tree.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "target" {
				return filepath.SkipDir // a by-hand cargo build's output
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}
