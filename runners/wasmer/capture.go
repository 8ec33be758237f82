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
	"fmt"
	"runtime"
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

// readCaptured drains a captured stdout (or stderr) of env.
func readCaptured(env *wasmer.WasiEnvironment, stderr bool) ([]byte, error) {
	which := C.int(0)
	name := "stdout"
	if stderr {
		which, name = 1, "stderr"
	}
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n := C.bench_wasi_read(wasiEnvPointer(env), which, (*C.char)(unsafe.Pointer(&buf[0])), C.uintptr_t(len(buf)))
		if n < 0 {
			return out, fmt.Errorf("read captured %s: libwasmer says it is not captured", name)
		}
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	runtime.KeepAlive(env)
	return out, nil
}
