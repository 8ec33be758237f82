package runners

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The limits a worker puts on itself around a guest's execution, and the
// temporary I/O folders it works in.

// limitFileSize lowers this process's RLIMIT_FSIZE to n bytes (the
// guest's writes past it fail with EFBIG; the Go runtime ignores the
// SIGXFSZ that comes with them) and returns the function that restores
// the previous limit. A limit already lower is left alone.
func limitFileSize(n int64) (restore func()) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil || n <= 0 {
		return func() {}
	}
	if old.Cur != rlimInfinity && old.Cur <= uint64(n) {
		return func() {}
	}
	lim := syscall.Rlimit{Cur: uint64(n), Max: old.Max}
	if old.Max != rlimInfinity && old.Max < lim.Cur {
		lim.Cur = old.Max
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return func() {}
	}
	return func() { _ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old) }
}

const rlimInfinity = ^uint64(0)

// ProcessCapHeadroom is what a process-level memory cap (MemoryCapProcess)
// allows beyond the guest's linear memory: the runtime's own allocations
// during an execution (WASI buffers, the Go heap's growth in 4 MiB steps).
// A guest may therefore grow up to this much past the cap when the runtime
// allocates nothing.
const ProcessCapHeadroom = 16 << 20

// LinearMemory is implemented by instances that can tell the size of the
// guest's linear memory; a process-level cap uses it to aim at the guest's
// memory alone.
type LinearMemory interface {
	LinearMemoryBytes() int64
}

// processCap is a memory cap applied to the whole worker process, for a
// runtime with no memory limit of its own: RLIMIT_DATA (which counts every
// private writable mapping, so a linear memory's pages count as they are
// made accessible, its reserved address space does not) is set, for the
// execution, to what the process holds plus what the guest may still grow
// by plus ProcessCapHeadroom. A memory.grow past it fails as under a
// runtime's own cap.
type processCap struct {
	cap, limit int64
	old        syscall.Rlimit
	active     bool
}

// startProcessCap applies a cap of capBytes for inst's execution.
func startProcessCap(capBytes int64, inst Instance) (*processCap, error) {
	var linear int64
	if lm, ok := inst.(LinearMemory); ok {
		linear = lm.LinearMemoryBytes()
	}
	if linear > capBytes {
		return nil, Errorf(KindMemory, "the module starts with %s of linear memory, over the %s cap", sizeText(linear), sizeText(capBytes))
	}
	data, err := vmData()
	if err != nil {
		return nil, Errorf(KindInternal, "memory cap: %v", err)
	}
	p := &processCap{cap: capBytes, limit: data - linear + capBytes + ProcessCapHeadroom}
	if err := syscall.Getrlimit(syscall.RLIMIT_DATA, &p.old); err != nil {
		return nil, Errorf(KindInternal, "memory cap: getrlimit: %v", err)
	}
	if p.old.Cur != rlimInfinity && p.old.Cur <= uint64(p.limit) {
		p.limit = int64(p.old.Cur)
		return p, nil // a tighter limit is already in force
	}
	lim := syscall.Rlimit{Cur: uint64(p.limit), Max: p.old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
		return nil, Errorf(KindInternal, "memory cap: setrlimit RLIMIT_DATA: %v", err)
	}
	p.active = true
	return p, nil
}

// stop restores the previous limit; it may be called more than once.
func (p *processCap) stop() {
	if p.active {
		p.active = false
		_ = syscall.Setrlimit(syscall.RLIMIT_DATA, &p.old)
	}
}

// exhausted guesses, after a failed execution, whether the cap was the
// cause: the guest's memory.grow then fails and it fails in its own way.
// The signs, as for the runtimes' own caps, are a linear memory within
// 1/16 of the cap, a process within 1/16 of the cap of its limit, or the
// out-of-memory message of a common guest runtime on stderr.
func (p *processCap) exhausted(inst Instance, stderr string) bool {
	if lm, ok := inst.(LinearMemory); ok && lm.LinearMemoryBytes()+p.cap/16 >= p.cap {
		return true
	}
	if data, err := vmData(); err == nil && data+p.cap/16 >= p.limit {
		return true
	}
	for _, s := range []string{"out of memory", "memory allocation of", "Cannot allocate memory"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

func (p *processCap) describe() string {
	return fmt.Sprintf("out of memory under the cap of %s, applied to the whole worker process (RLIMIT_DATA at %s: "+
		"what the worker held, plus the cap, plus %s for the runtime) since the runtime has no memory limit of its own",
		sizeText(p.cap), sizeText(p.limit), sizeText(ProcessCapHeadroom))
}

// vmData is this process's data segment (VmData: private writable
// mappings), in bytes: what RLIMIT_DATA limits.
func vmData() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmData:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmData %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmData in /proc/self/status")
}

// NewIODir makes a temporary I/O folder in parent (os.TempDir() when ""),
// named for this process (IOPrefix + pid + "-"), so that RemoveStaleIODirs
// can tell when its owner is gone.
func NewIODir(parent string) (string, error) {
	return os.MkdirTemp(parent, IOPrefix+strconv.Itoa(os.Getpid())+"-")
}

// RemoveStaleIODirs removes from dir (os.TempDir() when "") the I/O
// folders whose owner process no longer runs: those a killed bench or
// worker left behind. A folder whose owner still runs, or whose name
// carries no process ID, is left alone. It returns the folders removed.
func RemoveStaleIODirs(dir string) ([]string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), IOPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// processAlive reports whether a process with this ID exists (zombies
// included: their folders are removed once they are reaped).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
