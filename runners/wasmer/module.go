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

// wasiEnv builds the WASI environment of one instance. Stdout and stderr
// are captured; stdin is inherited (see withStdin).
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
	b.CaptureStdout().CaptureStderr()
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

// Run calls _start with stdin pointed at IO.StdinPath, then writes the
// captured stdout and stderr to IO.StdoutPath and IO.StderrPath. It cannot
// stop a running guest: ctx is only checked before the call.
func (i *instance) Run(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start, err := i.in.Exports.GetRawFunction("_start")
	if err != nil || start == nil {
		return 0, runners.Errorf(runners.KindUnsupported, "%s exports no _start function: not a WASI command", i.m.name)
	}
	i.m.setHooks(&i.io)
	var runErr error
	if err := withStdin(i.io.StdinPath, func() { _, runErr = start.Call() }); err != nil {
		return 0, err
	}
	if err := i.writeOutput(); err != nil {
		return 0, err
	}
	if runErr == nil {
		return 0, nil
	}
	if code, ok := exitCode(runErr); ok {
		return code, nil
	}
	return 0, fmt.Errorf("trap: %w", runErr)
}

// writeOutput moves the captured stdout and stderr into the IO files.
func (i *instance) writeOutput() error {
	if i.wasi == nil {
		return nil
	}
	for _, f := range []struct {
		stderr bool
		path   string
	}{{false, i.io.StdoutPath}, {true, i.io.StderrPath}} {
		b, err := readCaptured(i.wasi, f.stderr)
		if err != nil {
			return err
		}
		if f.path == "" {
			continue
		}
		if err := os.WriteFile(f.path, b, 0o644); err != nil {
			return fmt.Errorf("write guest output: %w", err)
		}
	}
	return nil
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

// stdinMu serialises guests' use of the worker's file descriptor 0.
var stdinMu sync.Mutex

// withStdin runs f with file descriptor 0 pointing at path (or /dev/null
// when path is ""), then restores it. Wasmer only offers inherited stdin,
// and the worker's own stdin is the job pipe.
func withStdin(path string, f func()) error {
	if path == "" {
		path = os.DevNull
	}
	in, err := os.Open(path)
	if err != nil {
		return runners.Errorf(runners.KindBadJob, "guest stdin: %v", err)
	}
	defer in.Close()
	stdinMu.Lock()
	defer stdinMu.Unlock()
	// A worker started with fd 0 closed has nothing to save: it closes
	// fd 0 again afterwards.
	saved, err := syscall.Dup(0)
	if err != nil && !errors.Is(err, syscall.EBADF) {
		return fmt.Errorf("guest stdin: save fd 0: %w", err)
	}
	if err := syscall.Dup3(int(in.Fd()), 0, 0); err != nil {
		if saved >= 0 {
			syscall.Close(saved)
		}
		return fmt.Errorf("guest stdin: redirect fd 0: %w", err)
	}
	defer func() {
		if saved < 0 {
			syscall.Close(0)
			return
		}
		// Restoring cannot reasonably fail (saved is open); if it did,
		// the next job would read the guest's file instead of the pipe.
		if err := syscall.Dup3(saved, 0, 0); err != nil {
			panic(fmt.Sprintf("wasmer: restore stdin: %v", err))
		}
		syscall.Close(saved)
	}()
	f()
	return nil
}
