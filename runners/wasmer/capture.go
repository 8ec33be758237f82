package wasmer

// The two libwasmer functions below are not wrapped by wasmer-go in a way
// that frees what it reads: WasiEnvironment.ReadStdout hands back C memory
// from open_memstream that is never released, which a long warm job would
// pile up in the worker's resident set. Their symbols are resolved by the
// -lwasmer that the wasmer-go package links.

/*
#include <stdint.h>

typedef struct wasi_env_t wasi_env_t;
extern intptr_t wasi_env_read_stdout(wasi_env_t *env, char *buffer, uintptr_t buffer_len);
extern intptr_t wasi_env_read_stderr(wasi_env_t *env, char *buffer, uintptr_t buffer_len);
extern const char *wasmer_version(void);

static intptr_t bench_wasi_read(void *env, int stderr_, char *buffer, uintptr_t len) {
	if (stderr_) {
		return wasi_env_read_stderr((wasi_env_t *)env, buffer, len);
	}
	return wasi_env_read_stdout((wasi_env_t *)env, buffer, len);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/wasmerio/wasmer-go/wasmer"
)

// libraryVersion is the version of the loaded libwasmer.so.
func libraryVersion() string { return C.GoString(C.wasmer_version()) }

// wasiEnvPointer is the wasi_env_t behind a WasiEnvironment. wasmer-go
// v1.0.4 declares WasiEnvironment as one field, the C pointer
// (TestWasiEnvironmentLayout guards that).
func wasiEnvPointer(env *wasmer.WasiEnvironment) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(env))
}

// readCaptured reads what the guest wrote to its captured stderr (or
// stdout) since the last read, at most len(buf) bytes.
func readCaptured(env *wasmer.WasiEnvironment, stderr bool, buf []byte) (int, error) {
	which := C.int(0)
	name := "stdout"
	if stderr {
		which, name = 1, "stderr"
	}
	n := C.bench_wasi_read(wasiEnvPointer(env), which, (*C.char)(unsafe.Pointer(&buf[0])), C.uintptr_t(len(buf)))
	runtime.KeepAlive(env)
	if n < 0 {
		return 0, fmt.Errorf("read captured %s: libwasmer says it is not captured", name)
	}
	return int(n), nil
}

// drain moves a guest's captured stderr from Wasmer's memory into its
// file while the guest runs, so that what it prints costs the worker what
// it prints between two reads, not its whole output. (Stdout does not go
// through memory: see withStdio. Stderr cannot go the same way: fd 2 is
// the worker's own stderr, where Wasmer's panics and the Go runtime write
// what the orchestrator reports when the worker dies.) libwasmer's reads
// take the WASI state's lock, as the guest's writes do, so they are safe
// from another thread. Past limit+1 bytes the stream is read and dropped:
// Serve sees the extra byte and fails the execution with KindOutputLimit,
// as the files' RLIMIT_FSIZE does for the runtimes that write files
// themselves.
type drain struct {
	env   *wasmer.WasiEnvironment
	file  *os.File
	wrote int64
	limit int64
	err   error
	stop  chan struct{}
	done  chan struct{}
}

// Polling: without pause while output flows, then after minPoll, backing
// off to maxPoll while none does (a guest printing nothing costs a wake-up
// every maxPoll).
const (
	minPoll = time.Millisecond
	maxPoll = 20 * time.Millisecond
)

// startDrain opens the stderr file and starts draining into it.
func startDrain(env *wasmer.WasiEnvironment, stderrPath string, limit int64) (*drain, error) {
	if stderrPath == "" {
		stderrPath = os.DevNull
	}
	f, err := os.OpenFile(stderrPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("guest stderr file: %w", err)
	}
	d := &drain{env: env, file: f, limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	go d.loop()
	return d, nil
}

func (d *drain) loop() {
	defer close(d.done)
	buf := make([]byte, 1<<20)
	wait := minPoll
	for {
		moved := d.once(buf)
		select {
		case <-d.stop:
			for d.once(buf) {
			}
			return
		default:
		}
		if moved {
			// The guest writes at memory speed: read on at once, so that
			// Wasmer's buffer never holds much.
			wait = minPoll
			continue
		}
		wait = min(2*wait, maxPoll)
		select {
		case <-d.stop:
		case <-time.After(wait):
		}
	}
}

// once reads what the stream holds (up to a buffer) and reports whether
// anything came.
func (d *drain) once(buf []byte) bool {
	n, err := readCaptured(d.env, true, buf)
	if err != nil {
		if d.err == nil {
			d.err = err
		}
		return false
	}
	if n == 0 {
		return false
	}
	keep := int64(n)
	if d.limit > 0 {
		keep = min(keep, max(d.limit+1-d.wrote, 0))
	}
	if keep > 0 {
		if _, err := d.file.Write(buf[:keep]); err != nil && d.err == nil && !errors.Is(err, syscall.EFBIG) {
			d.err = fmt.Errorf("write guest stderr: %w", err)
		}
		d.wrote += keep
	}
	return true
}

// finish drains what is left, closes the files and returns the first
// error met.
func (d *drain) finish() error {
	close(d.stop)
	<-d.done
	d.close()
	return d.err
}

func (d *drain) close() { d.file.Close() }
