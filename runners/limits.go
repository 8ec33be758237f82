package runners

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The output limit a worker puts on itself around a guest's execution,
// and the temporary I/O folders it works in.

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
