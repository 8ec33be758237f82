package workloads

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"regexp"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
)

// wasmHeader is the magic number and version 1 every module starts with.
var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

func TestEveryModuleIsEmbedded(t *testing.T) {
	want := map[string][]string{
		"fib":    {LangC, LangGo, LangRust},
		"primes": {LangC, LangGo, LangRust},
		"image":  {LangC, LangGo, LangRust},
	}
	if len(All()) != len(want) {
		t.Errorf("%d workloads %v, want %d", len(All()), Names(), len(want))
	}
	for name, langs := range want {
		w, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(w.Langs, ",") != strings.Join(langs, ",") {
			t.Errorf("%s: languages %v, want %v", name, w.Langs, langs)
		}
		for _, l := range langs {
			b, err := w.Wasm(l)
			if err != nil {
				t.Errorf("%s: %v", w.ModuleName(l), err)
				continue
			}
			if !bytes.HasPrefix(b, wasmHeader) {
				t.Errorf("%s: starts % x, not a wasm module header", w.ModuleName(l), b[:min(8, len(b))])
			}
			// A module built with wasi-libc or Go's wasip1 port imports WASI
			// preview 1 and exports _start: look for both names.
			for _, s := range []string{"wasi_snapshot_preview1", "_start"} {
				if !bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: no %q in the module: not a WASI command", w.ModuleName(l), s)
				}
			}
		}
	}
	fib, _ := Get("fib")
	if _, err := fib.Wasm("java"); err == nil || !strings.Contains(err.Error(), "c, go, rust") {
		t.Errorf("fib.Wasm(java) = %v, want an error listing the languages", err)
	}
}

func TestImageInput(t *testing.T) {
	w, _ := Get("image")
	in := w.Stdin()
	if len(in) == 0 || len(in) > 2_500_000 {
		t.Fatalf("input.jpg is %d bytes, want 1..2500000", len(in))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("input.jpg: %v", err)
	}
	if cfg.Width != 3000 || cfg.Height != 2000 {
		t.Errorf("input.jpg is %dx%d, want 3000x2000", cfg.Width, cfg.Height)
	}
	for _, name := range []string{"fib", "primes"} {
		if w, _ := Get(name); w.Stdin() != nil {
			t.Errorf("%s has stdin", name)
		}
	}
}

func TestImageExpectations(t *testing.T) {
	w, _ := Get("image")
	hexSHA := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]string{}
	for _, l := range w.Langs {
		e, err := w.Expect(l, w.Param.Default)
		if err != nil {
			t.Fatal(err)
		}
		if !hexSHA.MatchString(e.SHA256) || e.Stdout != nil {
			t.Errorf("image %s: expectation %+v, want a SHA-256 only", l, e)
		}
		seen[e.SHA256] = l
	}
	// The languages use different codecs: equal hashes would mean one file
	// was copied over the other.
	if len(seen) != len(w.Langs) {
		t.Errorf("image: the languages share an expected hash: %v", seen)
	}
	if _, err := w.Expect("java", w.Param.Default); err == nil {
		t.Error("image has no Java version, yet Expect(java) succeeded")
	}
	if _, err := w.Expect(LangC, 1000); err == nil {
		t.Error("image's parameter is fixed, yet Expect(c, 1000) succeeded")
	}
	if w.Args(w.Param.Default) != nil {
		t.Errorf("image takes no arguments, Args = %q", w.Args(w.Param.Default))
	}
}

func TestFib(t *testing.T) {
	for n, want := range map[int64]uint64{
		0: 0, 1: 1, 2: 1, 10: 55, 32: 2178309, 42: 267914296, 50: 12586269025,
		93: 12200160415121876738, // the largest that fits in a uint64
	} {
		if got := Fib(n); got != want {
			t.Errorf("Fib(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPrimeCount(t *testing.T) {
	// pi(x), the prime-counting function, at known points.
	for n, want := range map[int64]int64{
		0: 0, 1: 0, 2: 1, 3: 2, 10: 4, 100: 25, 1000: 168, 7919: 1000,
		1_000_000: 78498, 5_000_000: 348513, 10_000_000: 664579,
	} {
		if got := PrimeCount(n); got != want {
			t.Errorf("PrimeCount(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestParams(t *testing.T) {
	for _, w := range All() {
		p := w.Param
		for _, v := range []int64{p.Default, p.Quick} {
			if err := w.CheckParam(v); err != nil {
				t.Errorf("%s: %v", w.Name, err)
			}
		}
	}
	fib, _ := Get("fib")
	if err := fib.CheckParam(51); err == nil || !strings.Contains(err.Error(), "fib=51") {
		t.Errorf("fib.CheckParam(51) = %v, want an out-of-range error naming fib=51", err)
	}
	if got := fib.Args(30); len(got) != 1 || got[0] != "30" {
		t.Errorf("fib.Args(30) = %q", got)
	}
	if PrimesDefault < 1_000_000 || PrimesDefault > 20_000_000 {
		t.Errorf("PrimesDefault = %d: recalibrate it (about 0.5 s natively)", PrimesDefault)
	}
}

// output is what a runner reports for a guest that printed s and exited
// with code.
func output(s string, code int) *runners.Output {
	sum := sha256.Sum256([]byte(s))
	return &runners.Output{ExitCode: code, StdoutSHA256: hex.EncodeToString(sum[:]), StdoutBytes: int64(len(s)), StdoutHead: s}
}

func TestCheck(t *testing.T) {
	fib, _ := Get("fib")
	e, err := fib.Expect(LangC, 10)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Stdout) != "55\n" {
		t.Fatalf("Expect(fib 10).Stdout = %q", e.Stdout)
	}
	long := strings.Repeat("9", 200) + "\n"
	for _, c := range []struct {
		name string
		out  *runners.Output
		want string // "" = passes; else a substring of the error
	}{
		{"right", output("55\n", 0), ""},
		{"wrong number", output("56\n", 0), `stdout "56", want "55"`},
		{"no newline", output("55", 0), `stdout "55", want "55\n"`},
		{"exit code", output("55\n", 3), "exit code 3"},
		{"no output", nil, "no output"},
		{"long output is clipped", output(long, 0), strings.Repeat("9", 80) + `..."`},
	} {
		err := e.Check(c.out)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// Outputs alike in their first 80 bytes are told apart.
	nines := strings.Repeat("9", 300)
	err = Exact(nines).Check(output(nines[1:]+"8", 0))
	if err == nil || !strings.Contains(err.Error(), "differs after its first 80 bytes") {
		t.Errorf("long mismatch: %v", err)
	}
	// A hash-only expectation says how many bytes came out and both hashes.
	img, _ := Get("image")
	ie, _ := img.Expect(LangGo, img.Param.Default)
	err = ie.Check(output("not a jpeg", 0))
	if err == nil || !strings.Contains(err.Error(), "10 bytes") || !strings.Contains(err.Error(), ie.SHA256[:12]) {
		t.Errorf("image mismatch: %v, want the byte count and the expected hash prefix", err)
	}
}
