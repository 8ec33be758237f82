// Command bench-wasmtime39 is the bench worker for wasmtime 39 (Pulley
// interpreter included): it reads jobs as JSON lines on stdin and answers
// with timed events on stdout.
package main

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/wasmtime/wasmtime39"
)

func main() { os.Exit(runners.Main(wasmtime39.New())) }
