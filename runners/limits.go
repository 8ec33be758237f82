package runners

import (
	"os"
	"strconv"
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
// named for this process (IOPrefix + pid + "-"), so that
// client.RemoveStaleIODirs can tell when its owner is gone.
func NewIODir(parent string) (string, error) {
	return os.MkdirTemp(parent, IOPrefix+strconv.Itoa(os.Getpid())+"-")
}
