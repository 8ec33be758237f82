package workloads

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/runners"
)

// The committed artifacts: <workload>/<lang>/<workload>.wasm beside their
// sources, the image workload's input, and the image outputs' hashes.
//
//go:embed */*/*.wasm image/input.jpg image/expected/*.sha256
var files embed.FS

// Languages a workload can be written in.
const (
	LangC    = "c"
	LangGo   = "go"
	LangRust = "rust"
)

// Param is a workload's one integer parameter, named after the workload
// (--param fib=30). A Fixed parameter cannot be changed.
type Param struct {
	Default int64
	Quick   int64 // for --quick
	Min     int64
	Max     int64
	Fixed   bool
	Meaning string // "n", "upper bound", ...
}

// Workload is one built-in benchmark program.
type Workload struct {
	Name        string
	Description string
	Param       Param
	Langs       []string
	// HasStdin is true when the workload reads Stdin() as its input.
	HasStdin bool
	// expect computes the expected stdout for a language and parameter.
	expect func(lang string, n int64) (Expectation, error)
}

var all = []*Workload{
	{
		Name:        "fib",
		Description: "recursive fibonacci(n), printed in decimal",
		Param:       Param{Default: 42, Quick: 32, Min: 1, Max: 50, Meaning: "n"},
		Langs:       []string{LangC, LangGo, LangRust},
		expect: func(_ string, n int64) (Expectation, error) {
			return Exact(strconv.FormatUint(Fib(n), 10) + "\n"), nil
		},
	},
	{
		Name:        "primes",
		Description: "count of primes up to N by trial division",
		Param:       Param{Default: PrimesDefault, Quick: PrimesDefault / 8, Min: 2, Max: 100_000_000, Meaning: "upper bound N"},
		Langs:       []string{LangC, LangGo, LangRust},
		expect: func(_ string, n int64) (Expectation, error) {
			return Exact(strconv.FormatInt(PrimeCount(n), 10) + "\n"), nil
		},
	},
	{
		Name:        "image",
		Description: "decode a 3000x2000 JPEG, resize to fit 1920x1080, encode JPEG quality 85",
		Param:       Param{Default: 1920, Quick: 1920, Min: 1920, Max: 1920, Fixed: true, Meaning: "output width"},
		Langs:       []string{LangC, LangGo, LangRust},
		HasStdin:    true,
		expect: func(lang string, _ int64) (Expectation, error) {
			b, err := files.ReadFile("image/expected/" + lang + ".sha256")
			if err != nil {
				return Expectation{}, fmt.Errorf("image: no expected output for %s: %w", lang, err)
			}
			return Expectation{SHA256: strings.TrimSpace(strings.Fields(string(b))[0])}, nil
		},
	},
}

// All returns every built-in workload.
func All() []*Workload { return all }

// Names lists the built-in workloads' names.
func Names() []string {
	var n []string
	for _, w := range all {
		n = append(n, w.Name)
	}
	return n
}

// Get finds a workload by name.
func Get(name string) (*Workload, error) {
	for _, w := range all {
		if w.Name == name {
			return w, nil
		}
	}
	return nil, fmt.Errorf("unknown workload %q (workloads: %s)", name, strings.Join(Names(), ", "))
}

// HasLang reports whether the workload exists in lang.
func (w *Workload) HasLang(lang string) bool {
	for _, l := range w.Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Wasm is the committed module for a language.
func (w *Workload) Wasm(lang string) ([]byte, error) {
	if !w.HasLang(lang) {
		return nil, fmt.Errorf("workload %s has no %s version (languages: %s)", w.Name, lang, strings.Join(w.Langs, ", "))
	}
	return files.ReadFile(w.Name + "/" + lang + "/" + w.Name + ".wasm")
}

// ModuleName is the module's human name: "fib.c.wasm".
func (w *Workload) ModuleName(lang string) string { return w.Name + "." + lang + ".wasm" }

// NativeName is the file name of the native build: "fib-c".
func (w *Workload) NativeName(lang string) string { return w.Name + "-" + lang }

// Stdin is the workload's input, or nil.
func (w *Workload) Stdin() []byte {
	if !w.HasStdin {
		return nil
	}
	b, _ := files.ReadFile(w.Name + "/input.jpg")
	return b
}

// CheckParam validates a parameter value.
func (w *Workload) CheckParam(n int64) error {
	p := w.Param
	if p.Fixed && n != p.Default {
		return fmt.Errorf("workload %s has a fixed parameter (%s %d); it cannot be set", w.Name, p.Meaning, p.Default)
	}
	if n < p.Min || n > p.Max {
		return fmt.Errorf("parameter %s=%d is out of range: %s must be from %d to %d", w.Name, n, p.Meaning, p.Min, p.Max)
	}
	return nil
}

// Args are the guest's argv[1:] for a parameter.
func (w *Workload) Args(n int64) []string {
	if w.Param.Fixed {
		return nil
	}
	return []string{strconv.FormatInt(n, 10)}
}

// Expect is the expected output for a language and parameter.
func (w *Workload) Expect(lang string, n int64) (Expectation, error) {
	if err := w.CheckParam(n); err != nil {
		return Expectation{}, err
	}
	return w.expect(lang, n)
}

// Expectation is what a verified execution prints: exact bytes, or (for
// large outputs) their SHA-256.
type Expectation struct {
	Stdout []byte
	SHA256 string
}

// Exact expects exactly s on stdout.
func Exact(s string) Expectation {
	sum := sha256.Sum256([]byte(s))
	return Expectation{Stdout: []byte(s), SHA256: hex.EncodeToString(sum[:])}
}

// Check compares an execution's output with the expectation and says how
// it differs.
func (e Expectation) Check(out *runners.Output) error {
	if out == nil {
		return fmt.Errorf("no output was reported")
	}
	if out.ExitCode != 0 {
		return fmt.Errorf("exit code %d", out.ExitCode)
	}
	if out.StdoutSHA256 == e.SHA256 {
		return nil
	}
	if e.Stdout != nil {
		got := []byte(out.StdoutHead)
		if out.Stdout != nil {
			got = out.Stdout
		}
		if g, w := clip(got), clip(e.Stdout); g != w {
			return fmt.Errorf("stdout %q, want %q", g, w)
		}
		// The clipped forms look alike: the difference is in trailing
		// newlines or past the clip.
		if len(got) <= 200 && len(e.Stdout) <= 200 {
			return fmt.Errorf("stdout %q, want %q", got, e.Stdout)
		}
		return fmt.Errorf("stdout (%d bytes, starting %q) differs after its first 80 bytes from the expected (%d bytes)", out.StdoutBytes, clip(got), len(e.Stdout))
	}
	return fmt.Errorf("stdout (%d bytes) has SHA-256 %.12s, want %.12s (first 12 hex digits)", out.StdoutBytes, out.StdoutSHA256, e.SHA256)
}

func clip(b []byte) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// Fib is fibonacci(n) computed iteratively: the oracle for the fib workload.
func Fib(n int64) uint64 {
	var a, b uint64 = 0, 1
	for i := int64(0); i < n; i++ {
		a, b = b, a+b
	}
	return a
}

// PrimeCount counts the primes <= n with a sieve: the oracle for primes.
func PrimeCount(n int64) int64 {
	if n < 2 {
		return 0
	}
	composite := make([]uint64, n/64+1)
	var count int64
	for i := int64(2); i <= n; i++ {
		if composite[i/64]&(1<<(uint(i)%64)) != 0 {
			continue
		}
		count++
		for j := i * i; j <= n; j += i {
			composite[j/64] |= 1 << (uint(j) % 64)
		}
	}
	return count
}

// Langs is every language any workload has, sorted.
func Langs() []string {
	seen := map[string]bool{}
	for _, w := range all {
		for _, l := range w.Langs {
			seen[l] = true
		}
	}
	var out []string
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}
