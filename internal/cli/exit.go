package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	awsdeploy "github.com/wasmbench/bench/deploy/aws"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/internal/run"
)

// Exit codes of every bench command: this is the one list (README.md,
// "Exit codes", repeats it).
const (
	// ExitOK: the command did what it was asked; every cell verified.
	ExitOK = 0
	// ExitFailure: the command could not do its job (an I/O error, a
	// target that is unavailable, a run folder in use, resources left
	// behind).
	ExitFailure = 1
	// ExitUsage: bad flags or arguments; nothing was run.
	ExitUsage = 2
	// ExitCredentials: AWS credentials are missing or were refused.
	ExitCredentials = 3
	// ExitCellsFailed: the command finished, but some cells failed (bench
	// run, bench deploy aws), or regressed (bench compare
	// --fail-on-regression); the rest are results.
	ExitCellsFailed = 4
	// ExitNothingVerified: nothing came out that counts: every cell
	// failed, or no sample was verified, or (bench compare) no cell is in
	// both runs.
	ExitNothingVerified = 5
	// ExitInterrupted: stopped by Ctrl-C or SIGTERM (128 + SIGINT); what
	// was measured is kept, and bench run --resume continues.
	ExitInterrupted = 130
)

// ExitError carries a command's exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad arguments: ExitUsage.
func usageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// exitCode is the exit code for a command's error.
func exitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, run.ErrBadOption):
		return ExitUsage
	case errors.Is(err, awsdeploy.ErrNoCredentials), errors.Is(err, awsdeploy.ErrBadCredentials),
		errors.Is(err, awsdeploy.ErrRegionNotEnabled):
		return ExitCredentials
	case errors.Is(err, awsdeploy.ErrNoRegion), errors.Is(err, awsdeploy.ErrUnknownRegion), errors.Is(err, pricing.ErrNoPrices),
		errors.Is(err, awsdeploy.ErrAccountLimit), errors.Is(err, awsdeploy.ErrNotConfirmed):
		// What the flags or the account's limits rule out, --cleanup
		// without --yes and no terminal included.
		return ExitUsage
	}
	return ExitFailure
}

// cellsError is the error of a command whose cells (or configurations)
// did not all succeed, or nil when they did: ExitNothingVerified when
// none did, ExitCellsFailed otherwise.
func cellsError(failed, total int, what, where string) error {
	switch {
	case failed == 0:
		return nil
	case failed >= total:
		return &ExitError{Code: ExitNothingVerified, Err: fmt.Errorf("all %d %s failed: nothing was verified; their errors are in %s", total, what, where)}
	}
	return &ExitError{Code: ExitCellsFailed, Err: fmt.Errorf("%d of %d %s failed: their errors are in the summary and in %s", failed, total, what, where)}
}

// setFlags is the set of flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// intRange is a numeric flag's value and range, for intIn.
type intRange struct {
	name      string
	v, lo, hi int64
	what      string
}

// intIn checks a numeric flag against its range; what says what it counts.
func intIn(name string, v, lo, hi int64, what string) error {
	if v < lo || v > hi {
		return usageError("--%s %d: out of range: %s, from %d to %d", name, v, what, lo, hi)
	}
	return nil
}

// durationIn checks a duration flag against its range.
func durationIn(name string, v, lo, hi time.Duration, what string) error {
	if v < lo || v > hi {
		return usageError("--%s %v: out of range: %s, from %v to %v", name, v, what, lo, hi)
	}
	return nil
}

// bytesIn parses a size flag and checks it against its range.
func bytesIn(name, v string, lo, hi int64, what string) (int64, error) {
	n, err := parseBytes(v)
	if err != nil {
		return 0, usageError("--%s: %v", name, err)
	}
	if n < lo || n > hi {
		return 0, usageError("--%s %s: out of range: %s, from %s to %s", name, v, what, sizeName(lo), sizeName(hi))
	}
	return n, nil
}

// sizeName is "64 KiB", "4 GiB" or "100 bytes" for a round size.
func sizeName(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
