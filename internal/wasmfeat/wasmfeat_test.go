package wasmfeat

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func names(fs []Feature) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

// The names are the ones bench's messages have always used.
func TestNames(t *testing.T) {
	want := []string{"SIMD", "threads (atomics)", "tail calls", "exception handling",
		"extended constant expressions", "typed function references", "bulk memory",
		"reference types", "multi-value", "sign-extension operators",
		"non-trapping float-to-int conversions"}
	if got := names(All()); !slices.Equal(got, want) {
		t.Errorf("All() = %q\nwant     %q", got, want)
	}
	if s := Feature(99).String(); s != "Feature(99)" {
		t.Errorf("Feature(99) = %q", s)
	}
}

// wantFeatures reads a .wat file's first line, ";; features: A, B".
func wantFeatures(t *testing.T, wat string) []string {
	t.Helper()
	f, err := os.Open(wat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), ";; features:") {
		t.Fatalf("%s: first line is not ';; features: ...'", wat)
	}
	var out []string
	for _, s := range strings.Split(strings.TrimPrefix(sc.Text(), ";; features:"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestTestdata(t *testing.T) {
	wats, _ := filepath.Glob("testdata/*.wat")
	if len(wats) < 10 {
		t.Fatalf("only %d .wat files in testdata", len(wats))
	}
	covered := map[string]bool{}
	for _, wat := range wats {
		want := wantFeatures(t, wat)
		wasm := strings.TrimSuffix(wat, ".wat") + ".wasm"
		b, err := os.ReadFile(wasm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Detect(b)
		if err != nil {
			t.Errorf("%s: %v", wasm, err)
			continue
		}
		if !slices.Equal(names(got), want) {
			t.Errorf("%s: %q, want %q", wasm, names(got), want)
		}
		for _, n := range want {
			covered[n] = true
		}
	}
	covered[TypedFuncRefs.String()] = true // TestTypedFunctionReferences
	for _, f := range All() {
		if !covered[f.String()] {
			t.Errorf("no module in testdata uses %s", f)
		}
	}
}

// onCI is true on CI, where a missing tool fails a test instead of
// skipping it.
func onCI() bool { return os.Getenv("CI") == "true" }

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if onCI() {
			t.Fatalf("%s is missing (apt-get install wabt)", name)
		}
		t.Skipf("%s is missing (apt-get install wabt)", name)
	}
	return p
}

func TestTestdataMatchesWat(t *testing.T) {
	wat2wasm := needTool(t, "wat2wasm")
	wats, _ := filepath.Glob("testdata/*.wat")
	for _, wat := range wats {
		out := filepath.Join(t.TempDir(), "m.wasm")
		if b, err := exec.Command(wat2wasm, "--enable-all", wat, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", wat, err, b)
		}
		got, _ := os.ReadFile(out)
		committed, _ := os.ReadFile(strings.TrimSuffix(wat, ".wat") + ".wasm")
		if !bytes.Equal(got, committed) {
			t.Errorf("%s differs from its .wasm: rebuild it (testdata/README.md)", wat)
		}
	}
}

// The repository's own committed modules, built by clang, Go and rustc.
func TestCommittedModules(t *testing.T) {
	for path, want := range map[string][]string{
		"../../testdata/sightglass/checksum.wasm": nil,
		"../../testdata/sightglass/simd.wasm":     {"SIMD"},
		"../../testdata/sightglass/atomics.wasm":  {"threads (atomics)"},
		"../../testdata/sightglass/missing.wasm":  nil,
		"../../workloads/fib/c/fib.wasm":          nil,
		"../../workloads/fib/rust/fib.wasm":       nil,
		"../../workloads/image/go/image.wasm": {"bulk memory", "sign-extension operators",
			"non-trapping float-to-int conversions"},
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Detect(b)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if !slices.Equal(names(got), want) {
			t.Errorf("%s: %q, want %q", path, names(got), want)
		}
	}
}

// wabt's flag for each feature: a "disable" flag for those on by default,
// an "enable" flag for the others.
var wabtFlags = map[Feature]struct {
	flag     string
	standard bool // on by default in wabt 1.0.32
}{
	SIMD:                  {"simd", true},
	Threads:               {"threads", false},
	TailCalls:             {"tail-call", false},
	Exceptions:            {"exceptions", false},
	ExtendedConst:         {"extended-const", false},
	BulkMemory:            {"bulk-memory", true},
	ReferenceTypes:        {"reference-types", true},
	MultiValue:            {"multi-value", true},
	SignExtension:         {"sign-extension", true},
	NonTrappingFloatToInt: {"saturating-float-to-int", true},
}

// TestAgainstWabt checks committed modules against wabt's validator: a
// module uses a feature exactly when wasm-validate rejects it with that
// feature turned off (and the other proposals it uses on). wabt ties
// reference types to bulk memory (off with it) and to exceptions (on with
// them); the check allows for that. The Go-built modules (2 MB each) are
// represented by one.
func TestAgainstWabt(t *testing.T) {
	validate := needTool(t, "wasm-validate")
	var mods []string
	for _, g := range []string{"testdata/*.wasm", "../../testdata/sightglass/*.wasm", "../../workloads/fib/*/*.wasm",
		"../../workloads/image/c/*.wasm", "../../runners/conformance/testdata/*.wasm"} {
		m, _ := filepath.Glob(g)
		mods = append(mods, m...)
	}
	if len(mods) < 25 {
		t.Fatalf("found only %d modules", len(mods))
	}
	for _, mod := range mods {
		b, err := os.ReadFile(mod)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Detect(b)
		if err != nil {
			t.Errorf("%s: %v", mod, err)
			continue
		}
		uses := func(f Feature) bool { return slices.Contains(got, f) }
		for f := range wabtFlags {
			if f == ReferenceTypes && uses(Exceptions) {
				continue // wabt cannot turn reference types off with exceptions on
			}
			var args []string
			for g, v := range wabtFlags {
				switch {
				case !v.standard && g != f && uses(g):
					args = append(args, "--enable-"+v.flag)
				case v.standard && g == f:
					args = append(args, "--disable-"+v.flag)
				}
			}
			want := uses(f) || f == BulkMemory && uses(ReferenceTypes)
			rejected := exec.Command(validate, append(args, mod)...).Run() != nil
			if want != rejected {
				t.Errorf("%s: Detect says uses %s = %v; wasm-validate %s rejects = %v", mod, f, uses(f), strings.Join(args, " "), rejected)
			}
		}
	}
}

// A tiny assembler for modules wabt cannot write.
func leb(v uint32) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

func section(id byte, items ...[]byte) []byte {
	body := leb(uint32(len(items)))
	for _, it := range items {
		body = append(body, it...)
	}
	return append(append([]byte{id}, leb(uint32(len(body)))...), body...)
}

func module(sections ...[]byte) []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		out = append(out, s...)
	}
	return out
}

func body(locals []byte, code ...byte) []byte {
	b := append(append([]byte{}, locals...), code...)
	return append(leb(uint32(len(b))), b...)
}

// TestTypedFunctionReferences: (type $t (func (result i32)))
// (func $f (type $t) i32.const 1) (elem declare func $f)
// (func (result i32) ref.func $f ref.as_non_null call_ref $t)
func TestTypedFunctionReferences(t *testing.T) {
	m := module(
		section(1, []byte{0x60, 0x00, 0x01, 0x7f}),
		section(3, []byte{0x00}, []byte{0x00}),
		section(9, []byte{0x03, 0x00, 0x01, 0x00}), // declarative, funcref kind, [$f]
		section(10,
			body([]byte{0x00}, 0x41, 0x01, 0x0b),
			body([]byte{0x00}, 0xd2, 0x00, 0xd4, 0x14, 0x00, 0x0b)),
	)
	got, err := Detect(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"typed function references", "reference types"}; !slices.Equal(names(got), want) {
		t.Errorf("%q, want %q", names(got), want)
	}
	// A local of type (ref null $t).
	m = module(
		section(1, []byte{0x60, 0x00, 0x00}),
		section(3, []byte{0x00}),
		section(10, body([]byte{0x01, 0x01, 0x63, 0x00}, 0x0b)),
	)
	if got, err := Detect(m); err != nil || !slices.Equal(names(got), []string{"typed function references"}) {
		t.Errorf("(ref null 0) local: %q, %v", names(got), err)
	}
}

func TestUnknownFeatures(t *testing.T) {
	for name, m := range map[string][]byte{
		"gc struct type":  module(section(1, []byte{0x5f, 0x00})),
		"64-bit memory":   module(section(5, []byte{0x04, 0x01})),
		"two memories":    module(section(5, []byte{0x00, 0x01}, []byte{0x00, 0x01})),
		"gc instruction":  module(section(1, []byte{0x60, 0, 0}), section(3, []byte{0}), section(10, body([]byte{0}, 0xfb, 0x00, 0x0b))),
		"memory 1 access": module(section(1, []byte{0x60, 0, 0}), section(3, []byte{0}), section(10, body([]byte{0}, 0x41, 0, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b))),
	} {
		_, err := Detect(m)
		if !errors.Is(err, ErrUnknownFeature) {
			t.Errorf("%s: %v, want ErrUnknownFeature", name, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	simd, err := os.ReadFile("testdata/simd.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		wasm []byte
		want string
	}{
		"C source":           {[]byte("#include <stdio.h>\nint main() {}\n"), "not a WebAssembly binary"},
		"empty":              {nil, "not a WebAssembly binary"},
		"version 2":          {[]byte("\x00asm\x02\x00\x00\x00"), "version 2"},
		"component":          {[]byte("\x00asm\x0d\x00\x01\x00"), "component"},
		"truncated":          {simd[:len(simd)-3], "offset"},
		"unknown section":    {module([]byte{14, 0}), "unknown section id 14"},
		"section past end":   {module([]byte{1, 9, 0}), "type section"},
		"unknown opcode":     {module(section(1, []byte{0x60, 0, 0}), section(3, []byte{0}), section(10, body([]byte{0}, 0x27, 0x0b))), "unknown opcode 0x27"},
		"no final end":       {module(section(1, []byte{0x60, 0, 0}), section(3, []byte{0}), section(10, body([]byte{0}, 0x01))), "final end"},
		"bytes after end":    {module(section(1, []byte{0x60, 0, 0}), section(3, []byte{0}), section(10, body([]byte{0}, 0x0b, 0x01))), "after the function's final end"},
		"huge vector":        {module([]byte{1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f}), "vector of"},
		"overlong LEB":       {module([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "too long"},
		"bad value type":     {module(section(1, []byte{0x60, 0x01, 0x01, 0x00})), "unknown value type 0x01"},
		"bad export kind":    {module(section(7, []byte{0x01, 'x', 0x09, 0x00})), "export kind 9"},
		"bad data flags":     {module(section(11, []byte{0x05})), "data segment flags 5"},
		"bad element flags":  {module(section(9, []byte{0x08})), "element segment flags 8"},
		"trailing in import": {module([]byte{2, 2, 0, 0}), "left over"},
	} {
		_, err := Detect(c.wasm)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if errors.Is(err, ErrUnknownFeature) {
			t.Errorf("%s: a malformed module reported as an unknown feature: %v", name, err)
		}
	}
}

// FuzzDetect: no input makes Detect panic or loop.
func FuzzDetect(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.wasm")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := Detect(b)
		if err != nil && fs != nil {
			t.Errorf("features %v with error %v", fs, err)
		}
	})
}
