package pkg

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/wasmbench/bench/runners/client"
)

// Names inside a function package that the bootstraps rely on.
const (
	// ModuleDir holds the function's wasm module (and NativeName's native
	// executable) inside the task root.
	ModuleDir = "task"
	// ArtifactDir holds an ahead-of-time tier's prepared artifact.
	ArtifactDir = "task/artifact"
	// NodeHandler is the Node.js function's handler file (lambda.mjs): the
	// managed Node.js runtime calls its export "handler" (_HANDLER
	// "lambda.handler"); the bootstrap script runs its own Runtime API loop.
	NodeHandler = "lambda.mjs"
)

// nodeBootstrap is the custom-runtime bootstrap of the Node.js function
// (and how the local host runs it, where no managed Node.js runtime
// exists): node from PATH (an image puts it in /usr/bin) with the worker
// command's flags, which select the V8 tier, running lambda.mjs.
func nodeBootstrap(flags []string) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# bench: the Node.js-hosted wasm function, custom-runtime bootstrap.\nexec node")
	for _, f := range flags {
		b.WriteString(" '" + strings.ReplaceAll(f, "'", `'\''`) + "'")
	}
	b.WriteString(` "${LAMBDA_TASK_ROOT:-/var/task}/` + NodeHandler + "\"\n")
	return []byte(b.String())
}

// nodeHandlerNames are the names lambda.mjs has beside the worker script:
// in the source tree (runners/node) and in bin/ (make build).
var nodeHandlerNames = []string{NodeHandler, "bench-node-lambda.mjs"}

// NodeWorker is the worker script's name in a Node.js function package:
// lambda.mjs imports it as ./worker.mjs.
const NodeWorker = "worker.mjs"

// IsNode reports whether the worker command runs the Node.js worker script.
func IsNode(worker client.Command) bool {
	return nodeScript(worker) != ""
}

func nodeScript(worker client.Command) string {
	for _, a := range worker.Args {
		if strings.HasSuffix(a, ".mjs") || strings.HasSuffix(a, ".js") {
			return a
		}
	}
	return ""
}

// Files lists what a runtime's function package holds: for a Go worker,
// the worker binary as "bootstrap" plus the libraries its $ORIGIN/lib
// run path finds beside it (libwasmer.so for wasmer); for the Node.js
// worker, a bootstrap shell script running node with the worker command's
// flags, lambda.mjs (found beside the worker script) and the worker script
// as worker.mjs (the managed Node.js runtime provides node; an image needs
// NodeFiles); then the module as task/<its base name>, then extra (an
// artifact directory from Dir, say).
func Files(worker client.Command, module string, extra ...File) ([]File, error) {
	var files []File
	if script := nodeScript(worker); script != "" {
		handler := ""
		for _, n := range nodeHandlerNames {
			p := filepath.Join(filepath.Dir(script), n)
			if _, err := os.Stat(p); err == nil {
				handler = p
				break
			}
		}
		if handler == "" {
			return nil, fmt.Errorf("package: node function: no %s beside the worker script %s",
				strings.Join(nodeHandlerNames, " or "), script)
		}
		var flags []string
		for _, a := range worker.Args {
			if a != script {
				flags = append(flags, a)
			}
		}
		files = append(files,
			File{Name: "bootstrap", Data: nodeBootstrap(flags), Mode: 0o755},
			File{Name: NodeHandler, Src: handler},
			File{Name: NodeWorker, Src: script})
	} else {
		if worker.Path == "" {
			return nil, errors.New("package: no worker binary")
		}
		files = append(files, File{Name: "bootstrap", Src: worker.Path, Mode: 0o755})
		libs, err := originLibs(worker.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, libs...)
	}
	if module != "" {
		files = append(files, File{Name: path.Join(ModuleDir, filepath.Base(module)), Src: module})
	}
	return append(files, extra...), nil
}

// originLibs finds the shared libraries an executable loads from
// $ORIGIN/lib (its DT_NEEDED entries present there) as "lib/<name>".
func originLibs(exe string) ([]File, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, fmt.Errorf("package: worker %s: %w", exe, err)
	}
	defer f.Close()
	var runpath []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			runpath = append(runpath, strings.Split(v, ":")...)
		}
	}
	origin := false
	for _, p := range runpath {
		if p == "$ORIGIN/lib" || p == "${ORIGIN}/lib" {
			origin = true
		}
	}
	if !origin {
		return nil, nil
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("package: worker %s: %w", exe, err)
	}
	var out []File
	for _, n := range needed {
		src := filepath.Join(filepath.Dir(exe), "lib", n)
		if _, err := os.Stat(src); err == nil {
			out = append(out, File{Name: "lib/" + n, Src: src, Mode: 0o755})
		}
	}
	return out, nil
}

// Dir lists every regular file under src as name/<relative path>, for an
// artifact directory.
func Dir(src, name string) ([]File, error) {
	var out []File
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out = append(out, File{Name: path.Join(name, filepath.ToSlash(rel)), Src: p})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("package: directory %s: %w", src, err)
	}
	return out, nil
}

// NodeFiles is what an image needs to run the Node.js function: this
// machine's node as /usr/bin/node, the system libraries it loads, and the
// builtins it loads from files at start (Debian's nodejs keeps some of its
// own, cjs-module-lexer, acorn and undici, under /usr/share/nodejs).
func NodeFiles() ([]File, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("package: node function image: %w", err)
	}
	node, err = filepath.EvalSymlinks(node)
	if err != nil {
		return nil, fmt.Errorf("package: node function image: %w", err)
	}
	files, err := SystemLibraries([]File{{Name: "/usr/bin/node", Src: node, Mode: 0o755}})
	if err != nil {
		return nil, err
	}
	var builtins []string
	for _, f := range files {
		b, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, fmt.Errorf("package: node function image: %w", err)
		}
		builtins = append(builtins, pathsIn(b, nodeBuiltinDir)...)
	}
	have := map[string]bool{}
	for _, p := range builtins {
		if have[p] {
			continue
		}
		have[p] = true
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("package: node function image: %s loads %s at start: %w", node, p, err)
		}
		files = append(files, File{Name: p, Src: p, Mode: 0o644})
	}
	return files, nil
}

// nodeBuiltinDir is where Debian's nodejs keeps the builtins it loads
// from files (node --shared-builtin-*-path at its build).
const nodeBuiltinDir = "/usr/share/nodejs/"

// pathsIn lists the .js file paths under dir written in a binary (the
// builtins' paths compiled into node or libnode), in order of appearance.
func pathsIn(b []byte, dir string) []string {
	var out []string
	for {
		i := bytes.Index(b, []byte(dir))
		if i < 0 {
			return out
		}
		j := i + len(dir)
		for j < len(b) && (b[j] == '/' || b[j] == '.' || b[j] == '-' || b[j] == '_' || b[j] == '@' ||
			b[j] >= 'a' && b[j] <= 'z' || b[j] >= 'A' && b[j] <= 'Z' || b[j] >= '0' && b[j] <= '9') {
			j++
		}
		if p := string(b[i:j]); strings.HasSuffix(p, ".js") {
			out = append(out, p)
		}
		b = b[j:]
	}
}

// SystemLibraries returns files plus, for each dynamically linked ELF
// executable among them, the system shared libraries and program
// interpreter it loads on this machine (found by ldd), under their
// absolute paths, for an image built from scratch. Libraries the package
// already carries (an $ORIGIN/lib next to the worker) are not repeated.
// Statically linked executables need nothing.
func SystemLibraries(files []File) ([]File, error) {
	have := map[string]bool{}
	for _, f := range files {
		have[f.Name] = true
	}
	out := append([]File(nil), files...)
	for _, f := range files {
		if f.Src == "" || f.Data != nil {
			continue
		}
		libs, err := ldd(f.Src)
		if err != nil {
			return nil, fmt.Errorf("package: libraries of %s: %w", f.Name, err)
		}
		for _, l := range libs {
			if strings.HasPrefix(l, filepath.Dir(f.Src)+"/") {
				continue // shipped beside it
			}
			if have[l] {
				continue
			}
			have[l] = true
			out = append(out, File{Name: l, Src: l, Mode: 0o755})
		}
	}
	return out, nil
}

// ldd lists the absolute paths of the shared objects a dynamically linked
// ELF file loads, interpreter included; nothing for static or non-ELF files.
func ldd(p string) ([]string, error) {
	f, err := elf.Open(p)
	if err != nil {
		return nil, nil // not ELF: a script or data
	}
	dynamic := false
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	f.Close()
	if !dynamic {
		return nil, nil
	}
	out, err := exec.Command("ldd", p).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", p, err)
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.Contains(line, "not found") {
			return nil, fmt.Errorf("ldd %s: %s", p, line)
		}
		// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
		if i := strings.Index(line, "=> "); i >= 0 {
			line = line[i+3:]
		}
		if j := strings.Index(line, " ("); j >= 0 {
			line = line[:j]
		}
		if strings.HasPrefix(line, "/") {
			libs = append(libs, line)
		}
	}
	return libs, nil
}
