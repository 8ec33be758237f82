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
	"github.com/wasmbench/bench/runners/registry"
)

// RuntimeSpec says how the orchestrator starts one runtime's worker: its
// entry in the runtime registry.
type RuntimeSpec = registry.Runtime

// Specs is the one list of runtimes bench knows, in display order: the
// registry's table.
var Specs = registry.Runtimes

// SpecNames lists the runtimes' names.
func SpecNames() []string { return registry.Names() }

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
	if r.Host == "" {
		return client.Command{Path: path}, nil
	}
	host, ok := hosts[r.Host]
	if !ok {
		return client.Command{}, fmt.Errorf("%s: no way to start a worker hosted by %q", r.Name, r.Host)
	}
	return host(path, tier)
}

// hosts start a worker script for a tier, by the registry's Host names.
var hosts = map[string]func(script, tier string) (client.Command, error){
	registry.HostNode: nodeCommand,
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

// TierNames lists the runtime's tiers, as its worker's hello gave them.
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
