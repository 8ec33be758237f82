// Command bench-wazero is the wazero worker: it reads jobs as JSON lines on
// stdin and runs them on wazero (see runners/wazero).
package main

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/wazero"
)

func main() { os.Exit(runners.Main(wazero.New())) }
