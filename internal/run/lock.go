package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile, inside a run folder, is locked (flock) by the one bench
// process writing the folder, and holds its PID.
const lockFile = "bench.lock"

// ErrLocked is returned when another bench process writes the run folder.
var ErrLocked = errors.New("the run folder is in use")

// folderLock is a run folder's lock, held while a run or a resume writes it.
type folderLock struct{ f *os.File }

// lockRun takes dir's lock for this process. It fails, naming the holder's
// PID, when another process holds it: two writers in one results file
// would record tasks twice. A lock file left by a process that died (the
// kernel released its lock) is taken over, and note says so.
func lockRun(dir string) (l *folderLock, note string, err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := lockPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another bench process"
			if pid > 0 {
				holder = fmt.Sprintf("bench (PID %d%s)", pid, commandOf(pid))
			}
			return nil, "", fmt.Errorf("%w: %s is being written by %s; two writers would record samples twice: "+
				"wait for it to finish, or stop it and continue with --resume %s", ErrLocked, dir, holder, dir)
		}
		return nil, "", fmt.Errorf("lock %s: %w", path, err)
	}
	if prev := lockPID(f); prev > 0 && prev != os.Getpid() {
		state := "which no longer runs"
		if syscall.Kill(prev, 0) == nil {
			state = "which runs but no longer holds it"
		}
		note = fmt.Sprintf("took over the lock of %s from PID %d, %s (a run that was killed)", dir, prev, state)
	}
	// The PID is for the messages of the processes refused; the lock
	// itself is the flock.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("lock %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("lock %s: %w", path, err)
	}
	return &folderLock{f: f}, note, nil
}

// release empties the lock file (a later run then has nothing to take
// over) and unlocks it.
func (l *folderLock) release() {
	_ = l.f.Truncate(0)
	_ = l.f.Close()
}

// lockPID is the PID a lock file holds, or 0.
func lockPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// commandOf is ": <command line>" of a process, or "".
func commandOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return ""
	}
	cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	if len(cmd) > 120 {
		cmd = cmd[:120] + "..."
	}
	return ": " + cmd
}
