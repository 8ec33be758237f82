package wasmer

/*
#include <time.h>

// bench_exec_unix_nano is when the worker's process image began running
// code: a constructor runs after the dynamic loader has mapped libwasmer
// and before the Go runtime starts.
static long long bench_exec_unix_nano;

__attribute__((constructor)) static void bench_exec_clock(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		bench_exec_unix_nano = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
}

static long long bench_exec_clock_read(void) { return bench_exec_unix_nano; }
*/
import "C"

import "github.com/wasmbench/bench/runners"

var _ runners.ExecClock = Runner{}

// ExecUnixNano implements runners.ExecClock: the wall clock when the
// worker's own code first ran, from a C constructor. In bubblewrap the
// orchestrator reports the time from its exec of bwrap to this instant as
// the sandbox phase.
func (Runner) ExecUnixNano() int64 { return int64(C.bench_exec_clock_read()) }
