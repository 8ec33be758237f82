package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/node"
)

// RuntimeSpec says how the orchestrator starts one runtime's worker.
type RuntimeSpec struct {
	Name string
	// Binary is the worker's file name in the bin folder ("" for node).
	Binary string
	// Native runtimes run native executables, not wasm.
	Native bool
	// Files are what the runtime's worker needs beside its binary
	// (relative to the bin folder), counted in its size.
	Files []string
	// Hint says how to make the runtime available.
	Hint string
	// Confine is set for a runtime whose WASI cannot keep a guest inside
	// its preopened folders by itself (Node.js's node:wasi, Wasmer 2.0's;
	// the sandbox suite shows how they fail): on the local target a job
	// with a preopened folder runs inside bubblewrap (runners/confine).
	Confine bool
}

// Specs is the one list of runtimes bench knows, in display order.
var Specs = []RuntimeSpec{
	{Name: "native", Binary: "bench-native", Native: true, Hint: "make build (needs clang, go and /usr/bin/rustc for the native builds)"},
	{Name: "wazero", Binary: "bench-wazero", Hint: "make build"},
	{Name: "wasmtime", Binary: "bench-wasmtime", Hint: "make build (cgo: needs gcc)"},
	{Name: "wasmtime39", Binary: "bench-wasmtime39", Hint: "make build (cgo: needs gcc)"},
	{Name: "wasmer", Binary: "bench-wasmer", Files: []string{"lib/libwasmer.so"}, Hint: "make build (cgo: needs gcc)", Confine: true},
	{Name: "node", Binary: "bench-node.mjs", Hint: "install Node.js >= 18 (Debian: apt-get install nodejs) and make build", Confine: true},
}

// SpecNames lists the runtimes' names.
func SpecNames() []string {
	var n []string
	for _, s := range Specs {
		n = append(n, s.Name)
	}
	return n
}

// Runtime is a runtime as found on this machine.
type Runtime struct {
	RuntimeSpec
	BinDir  string
	Version string
	Tiers   []runners.TierInfo
	// Unavailable says why the runtime cannot run here.
	Unavailable string
}

// Command is the worker command for a tier.
func (r *Runtime) Command(tier string) (client.Command, error) {
	path := filepath.Join(r.BinDir, r.Binary)
	if r.Name == "node" {
		return nodeCommand(path, tier)
	}
	return client.Command{Path: path}, nil
}

// Tier finds a tier by name.
func (r *Runtime) Tier(name string) (runners.TierInfo, bool) {
	for _, t := range r.Tiers {
		if t.Name == name {
			return t, true
		}
	}
	return runners.TierInfo{}, false
}

// TierNames lists the runtime's tiers.
func (r *Runtime) TierNames() []string {
	var n []string
	for _, t := range r.Tiers {
		n = append(n, t.Name)
	}
	return n
}

// WorkerBytes is the size of the worker binary and the files it needs.
func (r *Runtime) WorkerBytes() int64 {
	var total int64
	for _, f := range append([]string{r.Binary}, r.Files...) {
		if st, err := os.Stat(filepath.Join(r.BinDir, f)); err == nil {
			total += st.Size()
		}
	}
	return total
}

// Discover finds every runtime's worker in binDir and asks each for its
// hello (version and tiers). Runtimes that cannot run say why.
func Discover(ctx context.Context, binDir string) []*Runtime {
	out := make([]*Runtime, len(Specs))
	var wg sync.WaitGroup
	for i, s := range Specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = discover(ctx, binDir, s)
		}()
	}
	wg.Wait()
	return out
}

func discover(ctx context.Context, binDir string, s RuntimeSpec) *Runtime {
	r := &Runtime{RuntimeSpec: s, BinDir: binDir}
	path := filepath.Join(binDir, s.Binary)
	if _, err := os.Stat(path); err != nil {
		r.Unavailable = fmt.Sprintf("worker %s not found in %s: %s", s.Binary, binDir, s.Hint)
		return r
	}
	cmd, err := r.Command("")
	if err != nil {
		r.Unavailable = err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	hello, err := client.Info(ctx, cmd)
	if err != nil {
		r.Unavailable = fmt.Sprintf("worker %s does not start: %v", s.Binary, err)
		if re, ok := err.(*runners.Error); ok && re.Stderr != "" {
			r.Unavailable += ": " + firstLine(re.Stderr)
		}
		return r
	}
	r.Version = hello.Version
	r.Tiers = hello.Tiers
	return r
}

// nodeCommand starts node with the worker script and the V8 flags of a
// tier (V8 flags are per process); the script checks that its flags match
// each job's tier.
func nodeCommand(script, tier string) (client.Command, error) {
	path, err := node.Find()
	if err != nil {
		return client.Command{}, err
	}
	return node.Command(path, script, tier)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
