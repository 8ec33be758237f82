package node

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// Script is worker.mjs, the worker that `make build` copies to
// bin/bench-node.mjs.
//
//go:embed worker.mjs
var Script []byte

// ScriptName is the worker script's file name beside the other workers.
const ScriptName = "bench-node.mjs"

// MinMajor is the oldest Node.js major version the worker runs on.
const MinMajor = 18

// Tier names.
const (
	TierBaseline = "baseline"
	TierJIT      = "jit"
	TierTiered   = "tiered"
	TierAOT      = "aot"
)

// tierFlags are the V8 flags that select each tier. worker.mjs keeps the
// same table (TIERS) and checks its own flags against it.
var tierFlags = map[string][]string{
	TierBaseline: {"--liftoff-only"},
	TierJIT:      {"--no-liftoff"},
	TierTiered:   nil,
}

// Tiers lists the tiers a worker can be started for, in display order.
// aot is not among them: Node.js cannot save compiled wasm code.
func Tiers() []string { return []string{TierBaseline, TierJIT, TierTiered} }

// Command is the command line that runs the worker script with node for
// a tier. The empty tier is V8's default (tiered), which is enough to read
// the hello. For aot, which Node.js cannot offer, it is the default
// command too, so that the worker itself answers the job with
// KindUnsupported and the reason.
func Command(nodePath, script, tier string) (client.Command, error) {
	if tier == "" || tier == TierAOT {
		tier = TierTiered
	}
	flags, ok := tierFlags[tier]
	if !ok {
		return client.Command{}, runners.Errorf(runners.KindBadJob, "node has no tier %q (tiers: %s, %s)",
			tier, strings.Join(Tiers(), ", "), TierAOT)
	}
	args := append([]string{"--no-warnings"}, flags...)
	// NODE_EXTRA_CA_CERTS, set on some machines for their TLS proxies,
	// makes every node start parse a certificate bundle: about 0.25 s of
	// a cold start here that no Lambda function pays. The worker makes
	// no TLS connection, so it starts without it (empty means unset).
	return client.Command{Path: nodePath, Args: append(args, script), Env: []string{"NODE_EXTRA_CA_CERTS="}}, nil
}

// WriteScript writes the embedded worker script into dir as ScriptName
// and returns its path.
func WriteScript(dir string) (string, error) {
	p := filepath.Join(dir, ScriptName)
	if err := os.WriteFile(p, Script, 0o644); err != nil {
		return "", fmt.Errorf("node: write worker script: %w", err)
	}
	return p, nil
}

// ErrNotFound is wrapped by Find and Available when node is not on PATH.
var ErrNotFound = errors.New("node: Node.js not found on PATH: install Node.js " +
	strconv.Itoa(MinMajor) + " or newer (Debian: apt-get install nodejs)")

// Find returns the path of the node on PATH, checking that it is recent
// enough to run the worker.
func Find() (string, error) {
	path, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("node: %s --version: %w", path, err)
	}
	v := strings.TrimSpace(string(out))
	major, err := parseMajor(v)
	if err != nil {
		return "", fmt.Errorf("node: %s --version: %w", path, err)
	}
	if major < MinMajor {
		return "", fmt.Errorf("node: %s is Node.js %s; the worker needs %d or newer (node:wasi preview1): "+
			"install a newer Node.js (Debian: apt-get install nodejs)", path, v, MinMajor)
	}
	return path, nil
}

// Available reports whether a recent enough node is on PATH, and if not,
// what to install.
func Available() error {
	_, err := Find()
	return err
}

// Version is the version of the node on PATH as the worker reports it:
// "v20.20.2 (V8 11.3.244.8-node.38)".
func Version() (string, error) {
	path, err := Find()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(path, "-p", `process.version + " (V8 " + process.versions.v8 + ")"`).Output()
	if err != nil {
		return "", fmt.Errorf("node: read version: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

var versionRE = regexp.MustCompile(`^v(\d+)\.\d+\.\d+`)

// parseMajor reads the major version from `node --version` output.
func parseMajor(v string) (int, error) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("unexpected version %q", v)
	}
	return strconv.Atoi(m[1])
}
