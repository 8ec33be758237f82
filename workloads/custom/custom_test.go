package custom

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
)

// sightglassDir is the committed Sightglass-layout folder of test modules.
const sightglassDir = "../../testdata/sightglass"

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct {
		want, got             string
		wantComplete, gotFull bool
		diff                  string
	}{
		{"a\nb\nc\n", "a\nB\nc\n", true, true, `line 2: expected "b", got "B"`},
		{"a\nb\n", "a\n", true, true, `line 2: expected "b", got the end of the output (1 lines)`},
		{"a\n", "a\nextra\n", true, true, `line 2: expected the end of the output (1 lines), got "extra"`},
		{"a\nb\n", "a\nb", true, true, `line 2: expected a newline at the end of "b"`},
		{"a\nb", "a\nb\n", true, true, `line 2: expected no newline at the end of "b"`},
		{"", "x\n", true, true, `line 1: expected the end of the output (0 lines), got "x"`},
		// got is only a head: a difference on its cut last line proves nothing.
		{"a\nbcdef\n", "a\nbc", true, false, "the first 1 lines agree; the difference is past the part kept for messages (got 9 bytes, expected 8)"},
		// ...but a difference before the cut does.
		{"a\nbcdef\n", "A\nbc", true, false, `line 1: expected "a", got "A"`},
		{strings.Repeat("x", 100) + "\n", strings.Repeat("y", 100) + "\n", true, true,
			`line 1: expected "` + strings.Repeat("x", 80) + `"..., got "` + strings.Repeat("y", 80) + `"...`},
	} {
		n := int64(len(tc.got))
		if !tc.gotFull {
			n = 9
		}
		if d := lineDiff([]byte(tc.want), tc.wantComplete, []byte(tc.got), tc.gotFull, n); d != tc.diff {
			t.Errorf("lineDiff(%q, %q):\n got %s\nwant %s", tc.want, tc.got, d, tc.diff)
		}
	}
}

func TestStderrDiff(t *testing.T) {
	if d := stderrDiff([]byte("step 1\n"), "step 1\n"); d != "" {
		t.Errorf("equal stderr: %q", d)
	}
	if d := stderrDiff([]byte("step 1\nstep 2\n"), "step 1\nstep 3\n"); d != `line 2: expected "step 2", got "step 3"` {
		t.Errorf("different stderr: %q", d)
	}
	if d := stderrDiff(nil, "oops\n"); d != `line 1: expected the end of the output (0 lines), got "oops"` {
		t.Errorf("unexpected stderr: %q", d)
	}
	// A stderr longer than the 4 KiB the worker keeps: tails compared.
	long := strings.Repeat("0123456789abcde\n", 1000)
	if d := stderrDiff([]byte(long), long[len(long)-4096:]); d != "" {
		t.Errorf("equal long stderr: %q", d)
	}
	bad := long[len(long)-4096:len(long)-5] + "XXXX\n"
	if d := stderrDiff([]byte(long), bad); !strings.HasPrefix(d, "in the last 4 KiB: line 256: expected") {
		t.Errorf("different long stderr: %q", d)
	}
	if d := stderrDiff([]byte("short\n"), long[:4096]); !strings.Contains(d, "got at least 4096 bytes") {
		t.Errorf("long stderr, short expectation: %q", d)
	}
}

func TestLoadSightglassFolder(t *testing.T) {
	mods, err := Load([]string{sightglassDir}, []string{"-v"}, "", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
		dir, _ := filepath.Abs(sightglassDir)
		if !m.Sightglass || len(m.Dirs) != 1 || m.Dirs[0] != (runners.Preopen{Host: dir, Guest: "."}) {
			t.Errorf("%s: sightglass %v, dirs %+v; want the folder preopened as .", m.Name, m.Sightglass, m.Dirs)
		}
		if filepath.Base(m.ExpectStdout) != m.Name+".stdout.expected" || filepath.Base(m.ExpectStderr) != m.Name+".stderr.expected" {
			t.Errorf("%s: expected files %q, %q", m.Name, m.ExpectStdout, m.ExpectStderr)
		}
		if !slices.Equal(m.Args, []string{"-v"}) {
			t.Errorf("%s: args %q", m.Name, m.Args)
		}
	}
	want := []string{"atomics", "checksum", "logs", "missing", "simd", "trap", "wrong"}
	if !slices.Equal(names, want) {
		t.Errorf("modules %v, want %v", names, want)
	}
}

func TestModuleFeatures(t *testing.T) {
	for mod, want := range map[string][]string{
		"checksum": nil,
		"simd":     {"SIMD"},
		"atomics":  {"threads (atomics)"},
	} {
		got, err := moduleFeatures(filepath.Join(sightglassDir, mod+".wasm"))
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s uses %q, want %q", mod, got, want)
		}
	}
	if _, err := moduleFeatures(filepath.Join(sightglassDir, "checksum.c")); err == nil {
		t.Error("a C source validated as a module")
	}
}

func TestExplain(t *testing.T) {
	simd := NewChecker(&Module{Name: "simd", Path: filepath.Join(sightglassDir, "simd.wasm")})
	// wasmer's single-pass compiler does not say "SIMD".
	e := simd.Explain(runners.Errorf(runners.KindCompile,
		"wasmer: compile simd.wasm: singlepass compiler: Compilation error: not yet implemented: V128Const { value: V128([0, 0]) }"))
	if e.Kind != runners.KindUnsupported || !strings.HasPrefix(e.Message, "simd.wasm uses SIMD, which this runtime and tier reject: wasmer: compile") {
		t.Errorf("simd on wasmer baseline: %s: %s", e.Kind, e.Message)
	}
	// A message naming nothing: the module's only feature is named as such.
	e = simd.Explain(runners.Errorf(runners.KindCompile, "compile simd.wasm: invalid opcode 0xfd"))
	if e.Kind != runners.KindUnsupported || !strings.Contains(e.Message, "uses SIMD (its only feature beyond WebAssembly 1.0)") {
		t.Errorf("simd, vague message: %s: %s", e.Kind, e.Message)
	}
	// Other kinds, and plain WebAssembly 1.0 modules, are left alone.
	trap := runners.Errorf(runners.KindTrap, "wasm error: unreachable")
	if e := simd.Explain(trap); e != trap {
		t.Errorf("a trap was rewritten: %+v", e)
	}
	plain := NewChecker(&Module{Name: "checksum", Path: filepath.Join(sightglassDir, "checksum.wasm")})
	c := runners.Errorf(runners.KindCompile, "bad module")
	if e := plain.Explain(c); e.Kind != runners.KindCompile || e.Message != "bad module" {
		t.Errorf("a 1.0 module's compile error was rewritten: %+v", e)
	}
}

// TestSightglassModulesMatchSources rebuilds each committed test module
// with the command in its source's header comment and compares the bytes.
func TestSightglassModulesMatchSources(t *testing.T) {
	for _, tool := range []string{"clang", "wasm-ld", "wasm-strip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
			}
			t.Skipf("%s is missing (Debian: clang lld wasi-libc libclang-rt-dev-wasm32 wabt)", tool)
		}
	}
	srcs, _ := filepath.Glob(filepath.Join(sightglassDir, "*.c"))
	if len(srcs) != 7 {
		t.Fatalf("%d C sources in %s, want 7", len(srcs), sightglassDir)
	}
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var cmd string
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "//") {
				break
			}
			if c := strings.TrimSpace(strings.TrimPrefix(line, "//")); strings.Contains(c, "-o "+name+".wasm ") {
				cmd = c
			}
		}
		if cmd == "" {
			t.Errorf("%s: no build command in the header comment", src)
			continue
		}
		dir := t.TempDir()
		for _, f := range []string{filepath.Base(src), "bench.h"} {
			data, err := os.ReadFile(filepath.Join(sightglassDir, f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, f, string(data))
		}
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s: %s: %v\n%s", name, cmd, err, out)
			continue
		}
		got, _ := os.ReadFile(filepath.Join(dir, name+".wasm"))
		want, _ := os.ReadFile(filepath.Join(sightglassDir, name+".wasm"))
		if !bytes.Equal(got, want) {
			t.Errorf("%s.wasm does not match its source (%d bytes rebuilt, %d committed): run make custom-testdata", name, len(got), len(want))
		}
	}
}

// TestConformanceCopyOfSightglass: the conformance suite embeds a copy of
// the Sightglass folder's modules, expected files and input.
func TestConformanceCopyOfSightglass(t *testing.T) {
	const copyDir = "../../runners/conformance/testdata/custom"
	var want []string
	for _, pat := range []string{"*.wasm", "*.expected", "input.txt"} {
		m, _ := filepath.Glob(filepath.Join(sightglassDir, pat))
		want = append(want, m...)
	}
	entries, err := os.ReadDir(copyDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%s holds %d files, %s %d to copy: run make custom-testdata", copyDir, len(entries), sightglassDir, len(want))
	}
	for _, p := range want {
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(copyDir, filepath.Base(p)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s is not a copy of %s (%v): run make custom-testdata", filepath.Join(copyDir, filepath.Base(p)), p, err)
		}
	}
}

// TestQuoteLine: a diff shows at most 80 bytes of a line, escaped.
func TestQuoteLine(t *testing.T) {
	got := quoteLine(strings.Repeat("é", 100) + "\x1b[2J\n")
	if got != `"`+strings.Repeat("é", 40)+`"...` {
		t.Errorf("quoteLine of a long line: %q", got)
	}
	if got := quoteLine("a\x1b[2Jb\x00\n"); got != `"a\x1b[2Jb\x00"` {
		t.Errorf("quoteLine of control bytes: %s", got)
	}
}
