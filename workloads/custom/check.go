package custom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// How a custom module's outputs are checked
//
// With <name>.stdout.expected (or --expect-stdout) and
// <name>.stderr.expected, every execution's stdout and stderr must equal
// them; the first difference is reported as a line diff and the cell
// fails. Without an expected stdout the runtimes must agree with each
// other: the first output of the run (exit code 0) becomes the module's
// reference, saved as modules/<name>.reference.json, and a cell whose
// stdout differs from it fails, naming the reference's cell. Stderr is
// compared only with an expected file: programs often log timings there.

// keepStdoutMax bounds the expected stdout for which the first cold sample
// asks the worker for the whole stdout (a line diff past the 256-byte
// head); larger outputs are compared by hash only.
const keepStdoutMax = 1 << 20

// Reference is the output every runtime must reproduce when the user gave
// no expected stdout: the first one the run saw.
type Reference struct {
	Cell   results.Cell `json:"cell"`
	SHA256 string       `json:"stdout_sha256"`
	Bytes  int64        `json:"stdout_bytes"`
	// Stdout is the whole stdout when the worker returned it, else its head.
	Stdout   []byte `json:"stdout"`
	Complete bool   `json:"complete"`
}

// Checker checks one module's outputs by the rules above, within one run
// or deployment: it reads the module's expected files once, and the
// module's features once a failure needs them. The reference output (when
// there is no expected stdout) is the caller's to keep. A Checker is not
// safe for concurrent use; a Verifier is.
type Checker struct {
	m         *Module
	loaded    bool
	loadErr   error
	hasStdout bool
	stdout    []byte // expected stdout
	stdoutSum string
	stderr    []byte // expected stderr
	hasStderr bool
	features  []string // post-MVP features the module uses, once known
	featErr   error
	featDone  bool
}

// NewChecker returns a checker of m's outputs; it reads nothing yet.
func NewChecker(m *Module) *Checker { return &Checker{m: m} }

// Load reads the module's expected files, once: later calls return the
// first one's error.
func (c *Checker) Load() error {
	if c.loaded {
		return c.loadErr
	}
	c.loaded = true
	m := c.m
	if m.ExpectStdout != "" {
		b, err := os.ReadFile(m.ExpectStdout)
		if err != nil {
			c.loadErr = fmt.Errorf("expected stdout of %s: %w", m.Name, err)
			return c.loadErr
		}
		c.stdout, c.hasStdout = b, true
		sum := sha256.Sum256(b)
		c.stdoutSum = hex.EncodeToString(sum[:])
	}
	if m.ExpectStderr != "" {
		b, err := os.ReadFile(m.ExpectStderr)
		if err != nil {
			c.loadErr = fmt.Errorf("expected stderr of %s: %w", m.Name, err)
			return c.loadErr
		}
		c.stderr, c.hasStderr = b, true
	}
	return nil
}

// HasExpectedStdout says whether, once loaded, the module's stdout is
// checked against an expected file rather than a reference output.
func (c *Checker) HasExpectedStdout() bool { return c.hasStdout }

// KeepStdout says whether an execution should return its whole stdout
// (runners.Job.KeepStdout), so that a mismatch is reported as a line diff
// past the 256-byte head: when an expected stdout of at most 1 MiB is
// given.
func (c *Checker) KeepStdout() bool {
	return c.hasStdout && len(c.stdout) <= keepStdoutMax
}

// Check verifies one output against the expected files or, when there is
// no expected stdout, against the reference ref returns (which makes this
// output the reference when there is none yet). It loads the expected
// files first.
func (c *Checker) Check(out *runners.Output, ref func(got []byte, complete bool) (*Reference, error)) error {
	if err := c.Load(); err != nil {
		return err
	}
	if out == nil {
		return fmt.Errorf("no output was reported")
	}
	if out.ExitCode != 0 {
		return fmt.Errorf("exit code %d", out.ExitCode)
	}
	got, complete, err := keptStdout(out)
	if err != nil {
		return err
	}
	switch {
	case c.hasStdout:
		if out.StdoutSHA256 != c.stdoutSum {
			return fmt.Errorf("stdout differs from %s: %s", filepath.Base(c.m.ExpectStdout),
				lineDiff(c.stdout, true, got, complete, out.StdoutBytes))
		}
	default:
		ref, err := ref(got, complete)
		if err != nil {
			return err
		}
		if out.StdoutSHA256 != ref.SHA256 {
			return fmt.Errorf("stdout disagrees with that of %s/%s (%s), the reference for %s since no expected stdout was given: %s",
				ref.Cell.Runtime, ref.Cell.Tier, ref.Cell.Target, c.m.Name,
				lineDiff(ref.Stdout, ref.Complete, got, complete, out.StdoutBytes))
		}
	}
	if c.hasStderr {
		if d := stderrDiff(c.stderr, out.Stderr); d != "" {
			return fmt.Errorf("stderr differs from %s: %s", filepath.Base(c.m.ExpectStderr), d)
		}
	}
	return nil
}

// Verifier checks a custom module's outputs outside a run (bench deploy
// aws) by the same rules as a run's cells (see "How a custom module's
// outputs are checked"). One Verifier serves a module's whole deployment:
// without an expected stdout, the first output it checks becomes the
// reference every other configuration must reproduce. It is safe for
// concurrent use.
type Verifier struct {
	mu  sync.Mutex
	c   *Checker
	ref *Reference
}

// NewVerifier reads the module's expected files.
func (m *Module) NewVerifier() (*Verifier, error) {
	c := NewChecker(m)
	if err := c.Load(); err != nil {
		return nil, err
	}
	return &Verifier{c: c}, nil
}

// KeepStdout says whether an execution should return its whole stdout
// (runners.Job.KeepStdout), so that a mismatch is reported as a line diff
// past the 256-byte head: when an expected stdout of at most 1 MiB is
// given. A reference made without one is the head and hash only, as on
// any serverless target.
func (v *Verifier) KeepStdout() bool {
	return v.c.KeepStdout()
}

// Check verifies one output of the module, from cell. When the module has
// no expected stdout and this is the first output with exit code 0, it
// becomes the reference and note, for the results, says so; note is ""
// otherwise.
func (v *Verifier) Check(cell results.Cell, out *runners.Output) (note string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	name := v.c.m.Name
	err = v.c.Check(out, func(got []byte, complete bool) (*Reference, error) {
		if v.ref == nil {
			v.ref = &Reference{Cell: cell, SHA256: out.StdoutSHA256, Bytes: out.StdoutBytes, Stdout: got, Complete: complete}
			note = fmt.Sprintf("%s has no expected stdout: the first output, from %s/%s (%s), %d bytes, SHA-256 %.12s, is the reference "+
				"and every other configuration must print the same; samples are verified only by that agreement, so a deployment of a "+
				"single configuration verifies nothing; give --expect-stdout (bench run --wasm on the local target saves the whole "+
				"stdout as modules/%s.stdout.reference)",
				name, cell.Runtime, cell.Tier, cell.Target, out.StdoutBytes, out.StdoutSHA256, name)
		}
		return v.ref, nil
	})
	return note, err
}

// Explain names the feature beyond WebAssembly 1.0 that a runtime lacks
// when it refuses to compile the module, as a run's failures do: the
// failure becomes KindUnsupported when the feature is identified. Other
// errors are returned as they are.
func (v *Verifier) Explain(e *runners.Error) *runners.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.c.Explain(e)
}

// keptStdout is what of an output's stdout a check can compare line by
// line: all of it when the worker kept it (a file, read only up to
// keepStdoutMax, or inline), else its head; complete says whether it is
// all of it. An output is never read whole: its hash decides.
func keptStdout(out *runners.Output) (got []byte, complete bool, err error) {
	switch {
	case out.StdoutPath != "":
		f, err := os.Open(out.StdoutPath)
		if err != nil {
			return nil, false, fmt.Errorf("the worker's stdout file: %w", err)
		}
		defer f.Close()
		got, err = io.ReadAll(io.LimitReader(f, keepStdoutMax+1))
		if err != nil {
			return nil, false, fmt.Errorf("the worker's stdout file: %w", err)
		}
		if len(got) > keepStdoutMax {
			return got[:keepStdoutMax], false, nil
		}
		return got, int64(len(got)) == out.StdoutBytes, nil
	case out.Stdout != nil:
		return out.Stdout, true, nil
	default:
		return []byte(out.StdoutHead), int64(len(out.StdoutHead)) == out.StdoutBytes, nil
	}
}
