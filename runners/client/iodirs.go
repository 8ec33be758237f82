package client

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/wasmbench/bench/runners"
)

// The temporary I/O folders (runners.NewIODir) that killed processes
// left behind.

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
		rest, ok := strings.CutPrefix(e.Name(), runners.IOPrefix)
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
