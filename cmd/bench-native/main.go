// Command bench-native is the native worker: it reads jobs as JSON lines on
// stdin and runs the workloads' native executables (see runners/native).
package main

import (
	"os"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/native"
)

func main() { os.Exit(runners.Main(native.New())) }
