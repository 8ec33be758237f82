package conformance

import (
	"embed"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// The test modules: WAT sources with their committed .wasm, and the native
// runner's shell-script twins.
//
//go:embed testdata/*.wasm testdata/native/*.sh
var testdata embed.FS

// Names of the test modules (testdata/<name>.wasm, testdata/native/<name>.sh).
const (
	modHello     = "hello"     // writes "hello\n"
	modTrap      = "trap"      // unreachable in _start
	modExit3     = "exit3"     // proc_exit(3)
	modLoop      = "loop"      // never returns
	modMemhog    = "memhog"    // grows memory 1 MiB at a time up to 64 MiB
	modMissing   = "missing"   // imports bench_conformance.no_such_function
	modBenchmark = "benchmark" // calls bench.start and bench.end, writes "ok\n"
	modBigout    = "bigout"    // writes argv[1] KiB of 64-byte lines to stdout (stderr when argv[2] is "e...")
	modSoakCount = "soakcount" // export handle grows memory a page a call and traps at the fourth call
)

// nativeTwins are the modules that have a native (shell script) twin.
var nativeTwins = map[string]bool{modHello: true, modTrap: true, modExit3: true, modLoop: true, modBigout: true, modMemhog: true}

// writeModules writes the test modules for a wasm runner, or their native
// twins, into dir and returns their paths by name.
func writeModules(dir string, native bool) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range []string{modHello, modTrap, modExit3, modLoop, modMemhog, modMissing, modBenchmark, modBigout, modSoakCount} {
		src, file, mode := "testdata/"+name+".wasm", name+".wasm", os.FileMode(0o644)
		if native {
			if !nativeTwins[name] {
				continue
			}
			src, file, mode = "testdata/native/"+name+".sh", name+".sh", 0o755
		}
		b, err := testdata.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("embedded test module: %w", err)
		}
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, b, mode); err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// corruptModules are modules no runtime may accept: random bytes, and a
// header cut short. For the native runner: random bytes and a truncated
// ELF header, both executable.
func corruptModules(native bool) map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	random[0] = 0xff // neither "\0asm" nor "\x7fELF" nor "#!"
	if native {
		return map[string][]byte{"random.bin": random, "truncated.bin": []byte("\x7fELF\x02\x01")}
	}
	return map[string][]byte{"random.wasm": random, "truncated.wasm": []byte("\x00asm\x01\x00")}
}
