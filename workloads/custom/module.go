package custom

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmbench/bench/runners"
)

// Module is a user's own WASI command module (bench run --wasm).
type Module struct {
	// Name is the module's name in results (its file name without .wasm).
	Name string   `json:"name"`
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"`
	// StdinPath is fed to the guest's stdin.
	StdinPath string            `json:"stdin_path,omitempty"`
	Dirs      []runners.Preopen `json:"dirs,omitempty"`
	// ExpectStdout and ExpectStderr are files holding the expected output;
	// without ExpectStdout the runtimes must agree with each other.
	ExpectStdout string `json:"expect_stdout,omitempty"`
	ExpectStderr string `json:"expect_stderr,omitempty"`
	// Sightglass is set for modules from a Sightglass benchmark folder.
	Sightglass bool `json:"sightglass,omitempty"`
}

// Load turns --wasm flags into modules: a .wasm file, or a Sightglass
// benchmark folder (every *.wasm in it, with <name>.stdout.expected
// beside it, the folder preopened as ".").
func Load(paths, args []string, stdin string, dirs []string, expect string) ([]Module, error) {
	var pre []runners.Preopen
	for _, d := range dirs {
		host, guest, ok := strings.Cut(d, ":")
		if !ok {
			guest = host
		}
		abs, err := filepath.Abs(host)
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--dir %s: not a folder", d)
		}
		pre = append(pre, runners.Preopen{Host: abs, Guest: guest})
	}
	abs := func(flag, p string) (string, error) {
		if p == "" {
			return "", nil
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(a); err != nil {
			return "", fmt.Errorf("%s %s: %w", flag, p, err)
		}
		return a, nil
	}
	stdinAbs, err := abs("--stdin", stdin)
	if err != nil {
		return nil, err
	}
	expectAbs, err := abs("--expect-stdout", expect)
	if err != nil {
		return nil, err
	}
	var out []Module
	seen := map[string]string{}
	add := func(m Module) error {
		if prev, ok := seen[m.Name]; ok {
			return fmt.Errorf("--wasm %s and %s have the same name %q: rename one", prev, m.Path, m.Name)
		}
		seen[m.Name] = m.Path
		out = append(out, m)
		return nil
	}
	for _, p := range paths {
		a, err := abs("--wasm", p)
		if err != nil {
			return nil, err
		}
		st, _ := os.Stat(a)
		if !st.IsDir() {
			if err := checkWasmHeader(a); err != nil {
				return nil, err
			}
			m := Module{Name: strings.TrimSuffix(filepath.Base(a), ".wasm"), Path: a, Args: args,
				StdinPath: stdinAbs, Dirs: pre, ExpectStdout: expectAbs}
			if err := add(m); err != nil {
				return nil, err
			}
			continue
		}
		mods, err := filepath.Glob(filepath.Join(a, "*.wasm"))
		if err != nil || len(mods) == 0 {
			return nil, fmt.Errorf("--wasm %s: a folder must hold *.wasm files (Sightglass layout: <name>.wasm, <name>.stdout.expected)", p)
		}
		for _, mp := range mods {
			if err := checkWasmHeader(mp); err != nil {
				return nil, err
			}
			name := strings.TrimSuffix(filepath.Base(mp), ".wasm")
			m := Module{Name: name, Path: mp, Args: args, StdinPath: stdinAbs, Sightglass: true,
				Dirs: append([]runners.Preopen{{Host: a, Guest: "."}}, pre...), ExpectStdout: expectAbs}
			if m.ExpectStdout == "" {
				if f := sightglassExpected(a, name, "stdout"); f != "" {
					m.ExpectStdout = f
				}
			}
			m.ExpectStderr = sightglassExpected(a, name, "stderr")
			if err := add(m); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// sightglassExpected finds <name>.<stream>.expected, or the folder-wide
// <stream>.expected Sightglass also uses.
func sightglassExpected(dir, name, stream string) string {
	for _, f := range []string{name + "." + stream + ".expected", "default." + stream + ".expected", stream + ".expected"} {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func checkWasmHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--wasm %s: %w", path, err)
	}
	defer f.Close()
	var hdr [8]byte
	if n, _ := f.Read(hdr[:]); n < 8 || string(hdr[:4]) != "\x00asm" {
		return fmt.Errorf("--wasm %s: not a WebAssembly binary (no \\0asm header)", path)
	}
	return nil
}
