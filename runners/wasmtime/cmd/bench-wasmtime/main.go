// Command bench-wasmtime is the bench worker for wasmtime: it reads jobs as
// JSON lines on stdin and answers with timed events on stdout.
package main

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/wasmtime"
)

func main() { os.Exit(runners.Main(wasmtime.New())) }
