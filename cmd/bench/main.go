// Command bench plans, runs, reports and deploys wasm benchmarks.
package main

import (
	"os"

	"github.com/wasmbench/bench/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
