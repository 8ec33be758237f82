// Command bench-wasmer is the bench worker for Wasmer: it reads jobs as JSON
// lines on stdin (see package runners). It needs lib/libwasmer.so beside it.
package main

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/wasmer"
)

func main() { os.Exit(runners.Main(wasmer.Runner{})) }
