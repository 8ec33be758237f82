package lambdalocal

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is what Lambda's REPORT line says about one invocation, measured
// by the host.
type Report struct {
	RequestID string
	// Duration is from handing the event to the runtime (its /next call
	// returning) to its response or error, or to the timeout.
	Duration time.Duration
	// BilledDuration is Duration, plus InitDuration on a cold invocation
	// (Lambda has billed the INIT phase since 2025-08-01), rounded up to
	// the millisecond.
	BilledDuration time.Duration
	MemorySizeMB   int
	// MaxMemoryUsed is the environment's peak memory so far, bytes.
	MaxMemoryUsed int64
	// InitDuration is from launching the environment to the runtime's
	// first /next call; zero on a warm invocation (Cold false), and after
	// a suppressed INIT.
	InitDuration time.Duration
	Cold         bool
	// SuppressedInit is true when the INIT ran past its limit and was
	// re-run inside this (cold) invocation: Duration then runs from the
	// re-run's launch, and the line has no Init Duration, as Lambda's.
	// (ParseReport cannot tell such a line from a warm one, nor can a
	// reader of Lambda's logs but by the INIT_REPORT line before it.)
	SuppressedInit bool
	// Status is "" on success, else "timeout" or "error" (the platform
	// ended the environment); ErrorType then says why: Runtime.ExitError,
	// Runtime.OutOfMemory, Runtime.InitError.
	Status    string
	ErrorType string
}

// billed rounds up to the millisecond.
func billed(d time.Duration) time.Duration {
	ms := math.Ceil(float64(d) / float64(time.Millisecond))
	return time.Duration(ms) * time.Millisecond
}

func ms2(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// mb is bytes in Lambda's megabytes (MiB), rounded up.
func mb(b int64) int64 { return (b + 1<<20 - 1) >> 20 }

// String is the REPORT line exactly as Lambda writes it (fields separated
// by tabs, a trailing tab):
//
//	REPORT RequestId: ...	Duration: 12.34 ms	Billed Duration: 13 ms	Memory Size: 128 MB	Max Memory Used: 20 MB	Init Duration: 3.45 ms
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.RequestID, ms2(r.Duration), r.BilledDuration.Milliseconds(), r.MemorySizeMB, mb(r.MaxMemoryUsed))
	if r.Cold && !r.SuppressedInit {
		fmt.Fprintf(&b, "Init Duration: %s ms\t", ms2(r.InitDuration))
	}
	if r.Status != "" {
		fmt.Fprintf(&b, "Status: %s\t", r.Status)
		if r.ErrorType != "" {
			fmt.Fprintf(&b, "Error Type: %s\t", r.ErrorType)
		}
	}
	return b.String()
}

// ParseReport reads a REPORT line back: durations to the 10 µs Lambda
// prints, memory in whole MB (MaxMemoryUsed is then a multiple of 1 MiB).
func ParseReport(line string) (Report, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "REPORT ")
	if !ok {
		return Report{}, fmt.Errorf("lambda-local: not a REPORT line: %q", line)
	}
	var r Report
	seen := map[string]bool{}
	for _, f := range strings.Split(rest, "\t") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		key, val, ok := strings.Cut(f, ": ")
		if !ok {
			return Report{}, fmt.Errorf("lambda-local: REPORT field %q has no value", f)
		}
		seen[key] = true
		var err error
		switch key {
		case "RequestId":
			r.RequestID = val
		case "Duration":
			r.Duration, err = parseMS(val)
		case "Billed Duration":
			r.BilledDuration, err = parseMS(val)
		case "Init Duration":
			r.InitDuration, err = parseMS(val)
			r.Cold = true
		case "Memory Size":
			var n int64
			n, err = parseMB(val)
			r.MemorySizeMB = int(n)
		case "Max Memory Used":
			var n int64
			n, err = parseMB(val)
			r.MaxMemoryUsed = n << 20
		case "Status":
			r.Status = val
		case "Error Type":
			r.ErrorType = val
		}
		if err != nil {
			return Report{}, fmt.Errorf("lambda-local: REPORT field %s: %w", key, err)
		}
	}
	for _, k := range []string{"RequestId", "Duration", "Billed Duration", "Memory Size", "Max Memory Used"} {
		if !seen[k] {
			return Report{}, fmt.Errorf("lambda-local: REPORT line lacks %s: %q", k, line)
		}
	}
	return r, nil
}

func parseMS(s string) (time.Duration, error) {
	v, ok := strings.CutSuffix(s, " ms")
	if !ok {
		return 0, fmt.Errorf("%q is not milliseconds", s)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not milliseconds", s)
	}
	return time.Duration(math.Round(f * float64(time.Millisecond))), nil
}

func parseMB(s string) (int64, error) {
	v, ok := strings.CutSuffix(s, " MB")
	if !ok {
		return 0, fmt.Errorf("%q is not megabytes", s)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not megabytes", s)
	}
	return n, nil
}
