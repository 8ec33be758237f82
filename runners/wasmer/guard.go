package wasmer

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/wasmerio/wasmer-go/wasmer"

	"github.com/wasmbench/bench/runners"
)

// The path guard: Wasmer 2.0's WASI joins a guest's path to the host
// folder of its descriptor, so an absolute path opens any host file and
// ".." leaves the folder; and it aborts the whole process (a Rust panic
// across the C boundary: "Absolute symlinks are not yet supported") when
// a path's resolution meets a symbolic link with an absolute target. The
// guard sits in front of every WASI function that takes a path: it
// refuses, with WASI's EPERM, an absolute path, a path that leaves its
// folder by "..", and a path that names a link leading to an absolute
// link; it refuses path_symlink (which Wasmer 2.0 fails anyway) so that
// a guest cannot make such a link, and refuses renaming or hard-linking
// one under a new name. What passes goes to Wasmer's own function.
//
// Wasmer-go cannot call Wasmer's WASI function from a host function: a
// WASI function reads guest memory through an environment that Wasmer
// fills only when an instance imports it, and the guest imports the
// guard instead. So a shim module imports Wasmer's path functions and the
// guest's memory, re-exports that memory as "memory" (where Wasmer's
// environment looks for it) and re-exports the functions; the guard calls
// them there. The shim is compiled once per module, instantiated once per
// instance, beside the guest; the preopened folders are walked for links
// once per module. These costs land in the instantiate phase, and only
// for a guest that imports a path function and has a preopened folder.
//
// Escapes through links that Wasmer resolves on the host (a folder link
// in a preopen, followed by mkdir, link or unlink) are not the guard's:
// the worker runs inside bubblewrap (runners/confine), where nothing of
// the host's is there to reach.

// WASI errnos the guard returns.
const (
	errnoPerm    = 63 // EPERM: the path leaves its folder
	errnoNotsup  = 58 // ENOTSUP: path_symlink
	errnoFault   = 21 // EFAULT: a path outside the guest's memory
	errnoNoMemry = 29 // EIO: no guest memory (called from a start function)
)

// pathArgs lists, for each guarded function, the (pointer, length)
// argument pairs of its paths.
var pathArgs = map[string][][2]int{
	"path_create_directory":   {{1, 2}},
	"path_filestat_get":       {{2, 3}},
	"path_filestat_set_times": {{2, 3}},
	"path_link":               {{2, 3}, {5, 6}},
	"path_open":               {{2, 3}},
	"path_readlink":           {{1, 2}},
	"path_remove_directory":   {{1, 2}},
	"path_rename":             {{1, 2}, {4, 5}},
	"path_symlink":            {{0, 1}, {3, 4}},
	"path_unlink_file":        {{1, 2}},
}

// guard is one module's path guard.
type guard struct {
	ns      string   // the WASI namespace the module imports
	names   []string // the guarded functions it imports, sorted
	types   map[string]*wasmer.FunctionType
	shim    *wasmer.Module               // compiled on first use
	funcs   map[string]wasmer.IntoExtern // the guard's functions, made once
	mu      sync.Mutex
	cur     *guardState // the instance being run
	shimErr error
	scanned map[string]map[string]bool // dangerous link names by preopened folders
}

// guardState is what the guard knows about one instance.
type guardState struct {
	mem   *wasmer.Memory
	calls map[string]*wasmer.Function // Wasmer's own functions, in the shim
	// dangerous are the names of links in the preopened folders whose
	// resolution meets a link with an absolute target.
	dangerous map[string]bool
}

// newGuard returns the guard for a module, or nil when it imports no
// path function.
func newGuard(m *wasmer.Module) *guard {
	g := &guard{types: map[string]*wasmer.FunctionType{}}
	for _, imp := range m.Imports() {
		if !wasiNamespaces[imp.Module()] {
			continue
		}
		if _, ok := pathArgs[imp.Name()]; !ok || imp.Type().Kind() != wasmer.FUNCTION {
			continue
		}
		g.ns = imp.Module()
		g.names = append(g.names, imp.Name())
		g.types[imp.Name()] = imp.Type().IntoFunctionType()
	}
	if len(g.names) == 0 {
		return nil
	}
	slices.Sort(g.names)
	return g
}

// shimWAT is the shim's source for the guarded functions.
func (g *guard) shimWAT() string {
	var b strings.Builder
	b.WriteString("(module\n")
	for _, name := range g.names {
		ft := g.types[name]
		fmt.Fprintf(&b, "  (import %q %q (func $%s", g.ns, name, name)
		if ps := ft.Params(); len(ps) > 0 {
			b.WriteString(" (param")
			for _, p := range ps {
				b.WriteString(" " + p.Kind().String())
			}
			b.WriteString(")")
		}
		if rs := ft.Results(); len(rs) > 0 {
			b.WriteString(" (result")
			for _, r := range rs {
				b.WriteString(" " + r.Kind().String())
			}
			b.WriteString(")")
		}
		b.WriteString("))\n")
	}
	b.WriteString("  (import \"bench_guest\" \"memory\" (memory 0))\n  (export \"memory\" (memory 0))\n")
	for _, name := range g.names {
		fmt.Fprintf(&b, "  (export %q (func $%s))\n", name, name)
	}
	b.WriteString(")\n")
	return b.String()
}

// register puts the guard's functions in place of Wasmer's in a guest's
// import object. They are made once per module: wasmer-go never frees a
// host function's registry slot (see module.benchFuncs).
func (g *guard) register(store *wasmer.Store, imports *wasmer.ImportObject) {
	if g.funcs == nil {
		g.funcs = map[string]wasmer.IntoExtern{}
		for _, name := range g.names {
			g.funcs[name] = wasmer.NewFunction(store, g.types[name], g.hostFunc(name))
		}
	}
	imports.Register(g.ns, g.funcs)
}

// attach instantiates the shim beside a guest instance, with Wasmer's own
// path functions of the guest's WASI environment, and makes the guard
// serve that instance. Close the returned shim with the instance.
func (g *guard) attach(store *wasmer.Store, env *wasmer.WasiEnvironment, in *wasmer.Instance, dirs []runners.Preopen) (*wasmer.Instance, error) {
	mem, err := in.Exports.GetMemory("memory")
	if err != nil {
		return nil, runners.Errorf(runners.KindUnsupported, "the module exports no memory named \"memory\", which WASI needs: %v", err)
	}
	if g.shim == nil && g.shimErr == nil {
		g.shim, g.shimErr = wasmer.NewModule(store, []byte(g.shimWAT()))
	}
	if g.shimErr != nil {
		return nil, fmt.Errorf("wasmer: compile the path guard's shim: %w", g.shimErr)
	}
	imports, err := env.GenerateImportObject(store, g.shim)
	if err != nil {
		return nil, fmt.Errorf("wasmer: WASI imports of the path guard's shim: %w", err)
	}
	imports.Register("bench_guest", map[string]wasmer.IntoExtern{"memory": mem})
	shim, err := wasmer.NewInstance(g.shim, imports)
	if err != nil {
		return nil, fmt.Errorf("wasmer: instantiate the path guard's shim: %w", err)
	}
	st := &guardState{mem: mem, calls: map[string]*wasmer.Function{}}
	for _, name := range g.names {
		f, err := shim.Exports.GetRawFunction(name)
		if err != nil {
			shim.Close()
			return nil, fmt.Errorf("wasmer: path guard shim: %w", err)
		}
		st.calls[name] = f
	}
	if st.dangerous, err = g.dangerousLinks(dirs); err != nil {
		shim.Close()
		return nil, err
	}
	g.mu.Lock()
	g.cur = st
	g.mu.Unlock()
	return shim, nil
}

func (g *guard) detach() {
	g.mu.Lock()
	g.cur = nil
	g.mu.Unlock()
}

// hostFunc is the guard for one WASI function.
func (g *guard) hostFunc(name string) func([]wasmer.Value) ([]wasmer.Value, error) {
	pairs := pathArgs[name]
	return func(args []wasmer.Value) ([]wasmer.Value, error) {
		g.mu.Lock()
		st := g.cur
		g.mu.Unlock()
		if st == nil {
			return errno(errnoNoMemry), nil
		}
		if name == "path_symlink" {
			return errno(errnoNotsup), nil
		}
		mem := st.mem.Data()
		for _, pr := range pairs {
			p, l := uint64(uint32(args[pr[0]].I32())), uint64(uint32(args[pr[1]].I32()))
			if p+l > uint64(len(mem)) {
				return errno(errnoFault), nil
			}
			// Every path of the call is checked, so the old name of a
			// rename or a hard link cannot give a dangerous link a new
			// name the guard does not know.
			if refuse(string(mem[p:p+l]), st.dangerous) {
				return errno(errnoPerm), nil
			}
		}
		in := make([]any, len(args))
		for i := range args {
			in[i] = args[i].Unwrap()
		}
		out, err := st.calls[name].Call(in...)
		if err != nil {
			return nil, err
		}
		return []wasmer.Value{wasmer.NewI32(out)}, nil
	}
}

func errno(e int32) []wasmer.Value { return []wasmer.Value{wasmer.NewI32(e)} }

// refuse reports whether the guard refuses a guest path: absolute,
// leaving its folder by "..", or naming a dangerous link anywhere in it.
func refuse(p string, dangerous map[string]bool) bool {
	if strings.HasPrefix(p, "/") {
		return true
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return true
	}
	for _, part := range strings.Split(p, "/") {
		if dangerous[part] {
			return true
		}
	}
	return false
}

// dangerousLinks is scanLinks for a set of preopened folders, walked once
// per module: a guest cannot add a link (path_symlink is refused) nor
// give one a new name (a rename or hard link naming one is refused), so
// the names stay the same for every instance of a warm job.
func (g *guard) dangerousLinks(dirs []runners.Preopen) (map[string]bool, error) {
	var key strings.Builder
	for _, d := range dirs {
		key.WriteString(d.Host + "\x00")
	}
	if d, ok := g.scanned[key.String()]; ok {
		return d, nil
	}
	d, err := scanLinks(dirs)
	if err != nil {
		return nil, err
	}
	if g.scanned == nil {
		g.scanned = map[string]map[string]bool{}
	}
	g.scanned[key.String()] = d
	return d, nil
}

// scanLinks walks the preopened folders and returns the names of the
// links whose resolution meets a link with an absolute target: the
// absolute links themselves, and the relative links whose target names
// one of them (repeatedly, for chains). Wasmer loads a link by the name
// a path or a link's target gives it, so refusing every path that holds
// one of these names keeps Wasmer from ever loading an absolute link.
func scanLinks(dirs []runners.Preopen) (map[string]bool, error) {
	type link struct{ name, target string }
	var links []link
	for _, d := range dirs {
		err := filepath.WalkDir(d.Host, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil // an unreadable folder: Wasmer cannot load it either
			}
			if e.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			target, err := os.Readlink(p)
			if err != nil {
				return nil
			}
			links = append(links, link{e.Name(), target})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("wasmer: look for links in %s: %w", d.Host, err)
		}
	}
	dangerous := map[string]bool{}
	for _, l := range links {
		if path.IsAbs(l.target) {
			dangerous[l.name] = true
		}
	}
	for grew := len(dangerous) > 0; grew; {
		grew = false
		for _, l := range links {
			if dangerous[l.name] {
				continue
			}
			for _, part := range strings.Split(l.target, "/") {
				if dangerous[part] {
					dangerous[l.name], grew = true, true
					break
				}
			}
		}
	}
	return dangerous, nil
}
