// Package cli implements the bench command: each subcommand is a function
// of a State (arguments, standard streams, environment) returning an
// error that carries its exit code, so every command is tested like any
// function.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/wasmbench/bench/results"
)

// State is everything a command may touch of the outside world.
type State struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// BinDir is where the worker binaries are (the bench binary's folder).
	BinDir string
	// Argv is the whole command line, recorded in results.
	Argv []string
}

type command struct {
	summary string
	run     func(s *State, args []string) error
}

// commands is the one explicit list of subcommands.
var commands = map[string]command{
	"list":      {"print the matrix: runtimes, tiers, workloads, languages, targets, and what is unavailable and why", runList},
	"run":       {"run the benchmark matrix (or your own --wasm modules) and write results, summary and report", runRun},
	"report":    {"turn a run folder into statistics, charts, report.html and report.md", runReport},
	"scenarios": {"list the seed stories as one-command runs; bench scenarios show NAME prints one", runScenarios},
	"compare":   {"compare two runs cell by cell: faster, slower, equivalent or inconclusive", runCompare},
	"deploy":    {"deploy and measure on a cloud: bench deploy aws ...", runDeploy},
	"version":   {"print bench's version", runVersion},
}

// Main runs bench with args (without the program name) and returns the
// exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, _ := os.Executable()
	binDir := ""
	if exe != "" {
		binDir = dirOf(exe)
	}
	if d := os.Getenv("BENCH_BIN_DIR"); d != "" {
		binDir = d
	}
	s := &State{Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, BinDir: binDir,
		Argv: append([]string{"bench"}, args...)}
	return Run(s, args)
}

// Run dispatches to a subcommand.
func Run(s *State, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.Stderr, "bench: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(), ", "))
		return ExitUsage
	}
	err := cmd.run(s, args[1:])
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(s.Stderr, "bench %s: %v\n", args[0], err)
	return exitCode(err)
}

func commandNames() []string {
	var n []string
	for k := range commands {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "bench: benchmark WebAssembly runtimes, tiers and serverless targets")
	fmt.Fprintln(w, "\nUsage: bench <command> [flags]\n\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'bench <command> -h' for a command's flags.")
	fmt.Fprintf(w, "\nExit codes: %d ok, %d error, %d usage, %d AWS credentials, %d some cells failed, %d nothing verified, %d interrupted.\n",
		ExitOK, ExitFailure, ExitUsage, ExitCredentials, ExitCellsFailed, ExitNothingVerified, ExitInterrupted)
}

func runVersion(s *State, _ []string) error {
	v, c := results.BuildVersion()
	fmt.Fprintf(s.Stdout, "bench %s %s\n", v, c)
	return nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}
