package native

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// DirEnv names the folder of native executables whose toolchains Version
// reports; by default it is native/ beside the worker binary, where make
// puts them (bin/native beside bin/bench-native).
const DirEnv = "BENCH_NATIVE_DIR"

// toolchains reads, from one executable per language in dir (named
// <workload>-<lang>), the compiler that built it: "clang 14.0.6 / go1.26.8
// / rustc 1.63.0". It reads ELF sections and Go build information only, so
// it costs well under a millisecond, rather than running each compiler
// with --version (about 80 ms each here) before every worker's hello.
func toolchains(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	byLang := map[string]string{}
	for _, e := range ents {
		name := e.Name()
		i := strings.LastIndexByte(name, '-')
		if i < 0 || !e.Type().IsRegular() {
			continue
		}
		lang := name[i+1:]
		if _, ok := byLang[lang]; ok {
			continue
		}
		if v := compilerOf(filepath.Join(dir, name), lang); v != "" {
			byLang[lang] = v
		}
	}
	var out []string
	for _, v := range byLang {
		out = append(out, v)
	}
	sort.Strings(out)
	return strings.Join(out, " / ")
}

var (
	clangRe = regexp.MustCompile(`clang version (\d+(?:\.\d+)*)`)
	gccRe   = regexp.MustCompile(`GCC: \(.*\) (\d+(?:\.\d+)*)`)
	rustcRe = regexp.MustCompile(`rustc-(\d+\.\d+\.\d+)/`)
)

// compilerOf names the compiler of one executable, or "".
func compilerOf(path, lang string) string {
	if lang == "go" {
		if bi, err := buildinfo.ReadFile(path); err == nil {
			return bi.GoVersion
		}
		return ""
	}
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	section := func(name string) []byte {
		s := f.Section(name)
		if s == nil {
			return nil
		}
		b, _ := s.Data()
		return b
	}
	switch lang {
	case "c":
		c := section(".comment")
		if m := clangRe.FindSubmatch(c); m != nil {
			return "clang " + string(m[1])
		}
		if m := gccRe.FindSubmatch(c); m != nil {
			return "gcc " + string(m[1])
		}
	case "rust":
		// rustc leaves no .comment of its own; Debian's standard library
		// paths (/usr/src/rustc-1.63.0/library/...) in panic messages
		// give its version.
		if m := rustcRe.FindSubmatch(section(".rodata")); m != nil {
			return "rustc " + string(m[1])
		}
		return "rustc"
	}
	return ""
}

// version is the toolchains of the native executables, or the Go version
// this worker was built with when there are none to read.
func version() string {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		if exe, err := os.Executable(); err == nil {
			dir = filepath.Join(filepath.Dir(exe), "native")
		}
	}
	if v := toolchains(dir); v != "" {
		return v
	}
	return runtime.Version() + " (worker; no native executables found to read compilers from)"
}
