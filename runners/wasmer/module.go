package wasmer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/wasmerio/wasmer-go/wasmer"

	"github.com/wasmbench/bench/runners"
)

// WASI namespaces Wasmer 2.x provides.
var wasiNamespaces = map[string]bool{"wasi_snapshot_preview1": true, "wasi_unstable": true}

// benchNamespace holds the Sightglass-style region markers start and end.
const benchNamespace = "bench"

// module is a compiled module and what instantiating it needs.
type module struct {
	e     *engine
	name  string
	m     *wasmer.Module
	wasi  bool // imports a WASI namespace
	bench map[string]bool
	// importErr names the imports nothing here provides (see checkImports).
	importErr error
	closed    bool

	// hooks are the bench.start/bench.end callbacks of the instance being
	// instantiated or run. The host functions are made once per module:
	// wasmer-go never frees a host function's registry slot, and scans
	// the registry for a free slot on every NewFunction, so one pair per
	// instance would make instantiation slower the longer a worker runs.
	hooksMu sync.Mutex
	hooks   *runners.IO
	funcs   map[string]wasmer.IntoExtern

	// guard stands in front of Wasmer's WASI path functions when the
	// guest has a preopened folder (guard.go); nil when the module
	// imports none.
	guard *guard
}

func newModule(e *engine, name string, m *wasmer.Module) *module {
	mod := &module{e: e, name: name, m: m, bench: map[string]bool{}}
	for _, imp := range m.Imports() {
		switch {
		case wasiNamespaces[imp.Module()]:
			mod.wasi = true
		case imp.Module() == benchNamespace:
			mod.bench[imp.Name()] = true
		}
	}
	mod.importErr = mod.checkImports()
	mod.guard = newGuard(m)
	return mod
}

func (m *module) Close(context.Context) error {
	if !m.closed {
		m.closed = true
		m.m.Close()
	}
	return nil
}

// checkImports names every import neither WASI nor bench.start/bench.end
// can satisfy. (An unknown name inside a WASI namespace is caught by
// wasmer-go before instantiation, as "Missing import".)
func (m *module) checkImports() error {
	var missing []string
	for _, imp := range m.m.Imports() {
		ns, name := imp.Module(), imp.Name()
		if wasiNamespaces[ns] {
			continue
		}
		if ns == benchNamespace && (name == "start" || name == "end") {
			continue
		}
		missing = append(missing, fmt.Sprintf("%s.%s (%s)", ns, name, imp.Type().Kind()))
	}
	if len(missing) > 0 {
		return runners.Errorf(runners.KindUnsupported, "%s imports what wasmer's WASI host does not provide: %s",
			m.name, strings.Join(missing, ", "))
	}
	return nil
}

// benchFuncs returns the bench.* host functions the module imports.
func (m *module) benchFuncs() map[string]wasmer.IntoExtern {
	if m.funcs != nil {
		return m.funcs
	}
	m.funcs = map[string]wasmer.IntoExtern{}
	ty := wasmer.NewFunctionType(wasmer.NewValueTypes(), wasmer.NewValueTypes())
	for name := range m.bench {
		m.funcs[name] = wasmer.NewFunction(m.e.store, ty, func([]wasmer.Value) ([]wasmer.Value, error) {
			m.hooksMu.Lock()
			io := m.hooks
			m.hooksMu.Unlock()
			if io != nil {
				f := io.BenchStart
				if name == "end" {
					f = io.BenchEnd
				}
				if f != nil {
					f()
				}
			}
			return nil, nil
		})
	}
	return m.funcs
}

// Instantiate links WASI and bench.start/bench.end and creates an instance
// without running _start.
func (m *module) Instantiate(ctx context.Context, io runners.IO) (runners.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.importErr != nil {
		return nil, m.importErr
	}
	inst := &instance{m: m, io: io}
	imports := wasmer.NewImportObject()
	if m.wasi {
		env, err := wasiEnv(io)
		if err != nil {
			return nil, err
		}
		imports, err = env.GenerateImportObject(m.e.store, m.m)
		if err != nil {
			return nil, fmt.Errorf("WASI imports: %w", err)
		}
		inst.wasi = env
	}
	if len(m.bench) > 0 {
		imports.Register(benchNamespace, m.benchFuncs())
	}
	guarded := m.guard != nil && inst.wasi != nil && len(io.Dirs) > 0
	if guarded {
		m.guard.register(m.e.store, imports)
	}
	m.setHooks(&inst.io)
	in, err := wasmer.NewInstance(m.m, imports)
	if err == nil && guarded {
		if inst.shim, err = m.guard.attach(m.e.store, inst.wasi, in, io.Dirs); err != nil {
			in.Close()
			return nil, err
		}
	}
	if err != nil {
		var trap *wasmer.TrapError
		if errors.As(err, &trap) {
			return nil, runners.Errorf(runners.KindTrap, "start function trapped: %s", trap.Error())
		}
		if strings.HasPrefix(err.Error(), "Missing import") {
			return nil, runners.Errorf(runners.KindUnsupported, "%s: %s is not provided by wasmer's WASI host", m.name, err.Error())
		}
		return nil, fmt.Errorf("link: %w", err)
	}
	inst.in = in
	return inst, nil
}

func (m *module) setHooks(io *runners.IO) {
	m.hooksMu.Lock()
	m.hooks = io
	m.hooksMu.Unlock()
}

// wasiEnv builds the WASI environment of one instance. Stdin and stdout
// are inherited, and pointed at the job's files while the guest runs (see
// withStdio); stderr is captured, and drained into its file (capture.go).
func wasiEnv(io runners.IO) (*wasmer.WasiEnvironment, error) {
	prog := "main.wasm"
	args := io.Args
	if len(args) > 0 {
		prog, args = args[0], args[1:]
	}
	b := wasmer.NewWasiStateBuilder(prog)
	for _, a := range args {
		b.Argument(a)
	}
	keys := make([]string, 0, len(io.Env))
	for k := range io.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.Environment(k, io.Env[k])
	}
	for _, d := range io.Dirs {
		st, err := os.Stat(d.Host)
		if err != nil {
			return nil, runners.Errorf(runners.KindBadJob, "preopen %s: %v", d.Host, err)
		}
		if !st.IsDir() {
			return nil, runners.Errorf(runners.KindBadJob, "preopen %s: not a directory", d.Host)
		}
		guest := d.Guest
		if guest == "" {
			guest = d.Host
		}
		b.MapDirectory(guest, d.Host)
	}
	b.InheritStdout().CaptureStderr()
	env, err := b.Finalize()
	if err != nil {
		return nil, fmt.Errorf("WASI environment: %w", err)
	}
	return env, nil
}

// instance is one instance of a module.
type instance struct {
	m      *module
	io     runners.IO
	in     *wasmer.Instance
	wasi   *wasmer.WasiEnvironment
	shim   *wasmer.Instance // the path guard's shim, when guarded
	closed bool
}

// exitRE matches how Wasmer reports proc_exit.
var exitRE = regexp.MustCompile(`^WASI exited with code: (\d+)$`)

// exitCode reports whether a trap is a WASI exit and with which code.
func exitCode(err error) (int, bool) {
	var trap *wasmer.TrapError
	if !errors.As(err, &trap) {
		return 0, false
	}
	sm := exitRE.FindStringSubmatch(strings.TrimSpace(trap.Error()))
	if sm == nil {
		return 0, false
	}
	code, err := strconv.Atoi(sm[1])
	if err != nil {
		return 0, false
	}
	return code, true
}

// Run calls _start with file descriptors 0 and 1 pointed at IO.StdinPath
// and IO.StdoutPath, while a drain moves the captured stderr into
// IO.StderrPath. It cannot stop a running guest: ctx is only checked
// before the call.
func (i *instance) Run(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start, err := i.in.Exports.GetRawFunction("_start")
	if err != nil || start == nil {
		return 0, runners.Errorf(runners.KindUnsupported, "%s exports no _start function: not a WASI command", i.m.name)
	}
	i.m.setHooks(&i.io)
	var d *drain
	if i.wasi != nil {
		var err error
		if d, err = startDrain(i.wasi, i.io.StderrPath, i.io.MaxOutputBytes); err != nil {
			return 0, err
		}
	}
	var runErr error
	err = withStdio(i.io.StdinPath, i.io.StdoutPath, func() { _, runErr = start.Call() })
	if d != nil {
		if derr := d.finish(); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		return 0, err
	}
	if runErr == nil {
		return 0, nil
	}
	if code, ok := exitCode(runErr); ok {
		return code, nil
	}
	if c := i.m.e.maxMem; c > 0 && i.LinearMemoryBytes()+c/16 >= c {
		// memory.grow returns -1 at the cap, and the guest fails in its
		// own way: a linear memory within 1/16 of the cap is the sign, as
		// in the wasmtime runner.
		return 0, runners.Errorf(runners.KindMemory, "out of memory under the cap of %d bytes (the module's memory maximum): trap: %v", c, runErr)
	}
	return 0, fmt.Errorf("trap: %w", runErr)
}

// LinearMemoryBytes is the size of the guest's exported memory.
func (i *instance) LinearMemoryBytes() int64 {
	m, err := i.in.Exports.GetMemory("memory")
	if err != nil || m == nil {
		return 0
	}
	return int64(m.DataSize())
}

// Func returns a callable for an exported function of type [] -> [].
func (i *instance) Func(name string) (func(context.Context) error, error) {
	f, err := i.in.Exports.GetRawFunction(name)
	if err != nil || f == nil {
		return nil, runners.Errorf(runners.KindUnsupported, "%s exports no function %q", i.m.name, name)
	}
	if p, r := f.ParameterArity(), f.ResultArity(); p != 0 || r != 0 {
		return nil, runners.Errorf(runners.KindUnsupported, "%s: export %q takes %d parameters and returns %d results; want none", i.m.name, name, p, r)
	}
	call := f.Native()
	return func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := call(); err != nil {
			return fmt.Errorf("trap: %w", err)
		}
		return nil
	}, nil
}

func (i *instance) Close(context.Context) error {
	if !i.closed {
		i.closed = true
		if i.shim != nil {
			i.m.guard.detach()
			i.shim.Close()
		}
		i.in.Close()
		i.m.setHooks(nil)
	}
	return nil
}

// stdioMu serialises guests' use of the worker's file descriptors 0 and 1.
var stdioMu sync.Mutex

// withStdio runs f with file descriptor 0 reading path (or /dev/null when
// path is "") and file descriptor 1 writing stdoutPath (created or
// truncated; /dev/null when ""), then restores both. Wasmer offers only
// inherited stdin and stdout besides an in-memory capture: the worker's
// stdin is the job pipe, and a capture would hold the guest's whole
// stdout in memory. The worker's events do not go through fd 1 (see
// runners.Main), and Wasmer flushes its stdout after every fd_write, so
// nothing of the guest's output is left behind for the next one. Writes
// past the job's output limit fail there (RLIMIT_FSIZE, set by Serve).
func withStdio(path, stdoutPath string, f func()) error {
	if path == "" {
		path = os.DevNull
	}
	if stdoutPath == "" {
		stdoutPath = os.DevNull
	}
	in, err := os.Open(path)
	if err != nil {
		return runners.Errorf(runners.KindBadJob, "guest stdin: %v", err)
	}
	defer in.Close()
	out, err := os.OpenFile(stdoutPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("guest stdout: %w", err)
	}
	defer out.Close()
	stdioMu.Lock()
	defer stdioMu.Unlock()
	for _, r := range []struct {
		fd   int
		file *os.File
	}{{0, in}, {1, out}} {
		restore, err := redirect(r.fd, r.file)
		if err != nil {
			return err
		}
		defer restore()
	}
	f()
	return nil
}

// redirect points file descriptor fd at file and returns the function that
// points it back.
func redirect(fd int, file *os.File) (restore func(), err error) {
	// A worker started with fd closed has nothing to save: it closes fd
	// again afterwards.
	saved, err := syscall.Dup(fd)
	if err != nil && !errors.Is(err, syscall.EBADF) {
		return nil, fmt.Errorf("guest stdio: save fd %d: %w", fd, err)
	}
	if err := syscall.Dup3(int(file.Fd()), fd, 0); err != nil {
		if saved >= 0 {
			syscall.Close(saved)
		}
		return nil, fmt.Errorf("guest stdio: redirect fd %d: %w", fd, err)
	}
	return func() {
		if saved < 0 {
			syscall.Close(fd)
			return
		}
		// Restoring cannot reasonably fail (saved is open); if it did,
		// the next job would read the guest's file instead of the pipe.
		if err := syscall.Dup3(saved, fd, 0); err != nil {
			panic(fmt.Sprintf("wasmer: restore fd %d: %v", fd, err))
		}
		syscall.Close(saved)
	}, nil
}
