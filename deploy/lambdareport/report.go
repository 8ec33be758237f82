package lambdareport

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is what Lambda's REPORT line says about one invocation: built by
// lambda-local's host from its own measurements, or parsed from a log.
// Durations and memory are held exactly; the text format prints them as
// Lambda does (durations to 10 µs, memory in whole MB rounded up), so a
// parsed line is as precise as its text.
type Report struct {
	RequestID string
	// Duration is from handing the event to the runtime (its /next call
	// returning) to its response or error, or to the timeout.
	Duration time.Duration
	// BilledDuration is Duration, plus InitDuration on a cold invocation
	// (Lambda has billed the INIT phase since 2025-08-01), rounded up to
	// the millisecond (see Billed).
	BilledDuration time.Duration
	MemorySizeMB   int
	// MaxMemoryUsed is the environment's peak memory so far, bytes (a
	// multiple of 1 MiB when parsed).
	MaxMemoryUsed int64
	// InitDuration is from launching the environment to the runtime's
	// first /next call; zero on a warm invocation (Cold false), and after
	// a suppressed INIT.
	InitDuration time.Duration
	// Cold is true when the invocation started a new execution
	// environment: a parsed line has an Init Duration.
	Cold bool
	// SuppressedInit is true when the INIT ran past its limit and was
	// re-run inside this (cold) invocation: Duration then runs from the
	// re-run's launch, and the line has no Init Duration, as Lambda's.
	// (A parser cannot tell such a line from a warm one, nor can a reader
	// of Lambda's logs but by the INIT_REPORT line before it.)
	SuppressedInit bool
	// Status is "" or "success" on success, else "timeout" or "error"
	// (the platform ended the environment); ErrorType then says why:
	// Runtime.ExitError, Runtime.OutOfMemory, Runtime.InitError. Parsed
	// text lines of older runtimes have none; the JSON format says
	// "success".
	Status    string
	ErrorType string
	// Format is "text" or "json": the log format the line was found in;
	// empty for a report that was not parsed.
	Format string
}

// DurationMS is Duration in Lambda's milliseconds.
func (r Report) DurationMS() float64 { return ms(r.Duration) }

// BilledDurationMS is BilledDuration in Lambda's milliseconds.
func (r Report) BilledDurationMS() float64 { return ms(r.BilledDuration) }

// InitDurationMS is InitDuration in Lambda's milliseconds.
func (r Report) InitDurationMS() float64 { return ms(r.InitDuration) }

// MaxMemoryUsedMB is MaxMemoryUsed in Lambda's megabytes (MiB), rounded
// up, as the REPORT line says it.
func (r Report) MaxMemoryUsedMB() int64 { return mb(r.MaxMemoryUsed) }

// Billed rounds a duration up to the millisecond, as Lambda bills.
func Billed(d time.Duration) time.Duration {
	n := math.Ceil(float64(d) / float64(time.Millisecond))
	return time.Duration(n) * time.Millisecond
}

// MS formats a duration as Lambda prints milliseconds: two decimals.
func MS(d time.Duration) string {
	return strconv.FormatFloat(ms(d), 'f', 2, 64)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// mb is bytes in Lambda's megabytes (MiB), rounded up.
func mb(b int64) int64 { return (b + 1<<20 - 1) >> 20 }

// Limits of what a parser accepts: far beyond any Lambda invocation
// (15 min) or memory size (10 GB), small enough that a duration in ns
// and a size in bytes survive a round trip through the JSON format's
// float milliseconds and megabytes.
const (
	maxMS = 1e8     // 27 hours
	maxMB = 1 << 30 // 1 PiB
)

// ErrNoReport means the log tail holds no REPORT line (the tail is only
// the last 4 KB of the log, or the log format is unknown).
var ErrNoReport = errors.New("no REPORT line in the log tail")

// ParseLogResult decodes an Invoke response's LogResult (base64) and
// parses the last REPORT line in it.
func ParseLogResult(logResult string) (Report, error) {
	if logResult == "" {
		return Report{}, fmt.Errorf("lambda report: empty log result (was the function invoked with LogType Tail?): %w", ErrNoReport)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(logResult))
	if err != nil {
		return Report{}, fmt.Errorf("lambda report: log result is not base64: %w", err)
	}
	return Parse(string(b))
}

// Parse finds the last REPORT line (text format) or platform.report event
// (JSON format) in a log and parses it.
func Parse(log string) (Report, error) {
	var last Report
	var lastErr error
	found := false
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		var r Report
		var err error
		switch {
		case strings.HasPrefix(line, "REPORT "):
			r, err = ParseText(line)
		case strings.HasPrefix(line, "{") && strings.Contains(line, "platform.report"):
			r, err = ParseJSON([]byte(line))
		default:
			continue
		}
		found = true
		last, lastErr = r, err
	}
	if !found {
		return Report{}, fmt.Errorf("lambda report: %w", ErrNoReport)
	}
	return last, lastErr
}

// ParseText parses a text-format line:
//
//	REPORT RequestId: 8f5...	Duration: 12.34 ms	Billed Duration: 13 ms	Memory Size: 128 MB	Max Memory Used: 20 MB	Init Duration: 3.45 ms
//
// Fields are separated by tabs (or runs of spaces when a log viewer has
// eaten the tabs); unknown fields (XRAY TraceId, Restore Duration, ...)
// are ignored.
func ParseText(line string) (Report, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "REPORT ")
	if !ok {
		return Report{}, fmt.Errorf("lambda report: line does not start with REPORT: %q", clip(line))
	}
	r := Report{Format: "text"}
	fields := splitFields(rest)
	seen := map[string]bool{}
	for _, f := range fields {
		key, val, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var unit string
		var set func(float64) error
		switch key {
		case "RequestId":
			r.RequestID = strings.ToValidUTF8(val, "\uFFFD")
			continue
		case "Status":
			r.Status = strings.ToValidUTF8(val, "\uFFFD")
			continue
		case "Error Type":
			r.ErrorType = strings.ToValidUTF8(val, "\uFFFD")
			continue
		case "Duration":
			unit, set = "ms", func(v float64) (err error) { r.Duration, err = duration(v); return err }
		case "Billed Duration":
			unit, set = "ms", func(v float64) (err error) { r.BilledDuration, err = duration(v); return err }
		case "Init Duration":
			unit, set = "ms", func(v float64) (err error) { r.InitDuration, err = duration(v); return err }
			r.Cold = true
		case "Memory Size":
			unit, set = "MB", func(v float64) error { n, err := megabytes(v); r.MemorySizeMB = int(n); return err }
		case "Max Memory Used":
			unit, set = "MB", func(v float64) error { n, err := megabytes(v); r.MaxMemoryUsed = n << 20; return err }
		default:
			continue
		}
		v, err := number(val, unit)
		if err == nil {
			err = set(v)
		}
		if err != nil {
			return Report{}, fmt.Errorf("lambda report: %s: %w in %q", key, err, clip(line))
		}
		seen[key] = true
	}
	for _, k := range []string{"Duration", "Billed Duration", "Memory Size", "Max Memory Used"} {
		if !seen[k] {
			return Report{}, fmt.Errorf("lambda report: no %q in %q", k, clip(line))
		}
	}
	return r, nil
}

// splitFields splits the part after "REPORT " into "Key: value unit"
// fields. Lambda separates them with tabs; when the tabs are gone, a new
// field starts at a known key.
func splitFields(s string) []string {
	if strings.Contains(s, "\t") {
		return strings.Split(s, "\t")
	}
	keys := []string{"RequestId:", "Duration:", "Billed Duration:", "Memory Size:", "Max Memory Used:",
		"Init Duration:", "Status:", "Error Type:", "XRAY TraceId:", "SegmentId:", "Sampled:",
		"Restore Duration:", "Billed Restore Duration:"}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i-1] != ' ' {
			continue
		}
		for _, k := range keys {
			if strings.HasPrefix(s[i:], k) {
				// "Billed Duration:" contains "Duration:": only a key at
				// a word start after a value counts.
				if i > start {
					out = append(out, s[start:i])
				}
				start = i
				i += len(k) - 1
				break
			}
		}
	}
	return append(out, s[start:])
}

func number(val, unit string) (float64, error) {
	num, u, _ := strings.Cut(val, " ")
	if u = strings.TrimSpace(u); u != "" && u != unit {
		return 0, fmt.Errorf("unit %q, want %q", u, unit)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number %q", num)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("not a duration or size: %q", num)
	}
	return v, nil
}

// duration is v milliseconds, to the nanosecond.
func duration(v float64) (time.Duration, error) {
	if v > maxMS {
		return 0, fmt.Errorf("duration out of range: %v ms", v)
	}
	return time.Duration(math.Round(v * float64(time.Millisecond))), nil
}

// megabytes is v, a whole number of megabytes, as Lambda prints them.
func megabytes(v float64) (int64, error) {
	if v > maxMB || v != math.Trunc(v) {
		return 0, fmt.Errorf("not a whole number of MB: %v", v)
	}
	return int64(v), nil
}

// jsonReport is the JSON log format's platform.report event.
type jsonReport struct {
	Type   string `json:"type"`
	Record struct {
		RequestID string `json:"requestId"`
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Metrics   struct {
			DurationMS       *float64 `json:"durationMs"`
			BilledDurationMS *float64 `json:"billedDurationMs"`
			MemorySizeMB     *float64 `json:"memorySizeMB"`
			MaxMemoryUsedMB  *float64 `json:"maxMemoryUsedMB"`
			InitDurationMS   *float64 `json:"initDurationMs"`
		} `json:"metrics"`
	} `json:"record"`
}

// ParseJSON parses a JSON-format platform.report event:
//
//	{"time":"...","type":"platform.report","record":{"requestId":"...","metrics":{"durationMs":2.05,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":125.6},"status":"success"}}
func ParseJSON(line []byte) (Report, error) {
	var j jsonReport
	if err := json.Unmarshal(line, &j); err != nil {
		return Report{}, fmt.Errorf("lambda report: JSON log line: %w", err)
	}
	if j.Type != "platform.report" {
		return Report{}, fmt.Errorf("lambda report: JSON event type %q, want platform.report", j.Type)
	}
	m := j.Record.Metrics
	r := Report{Format: "json", RequestID: j.Record.RequestID, Status: j.Record.Status, ErrorType: j.Record.ErrorType}
	metrics := []struct {
		name string
		v    *float64
		set  func(float64) error
	}{
		{"durationMs", m.DurationMS, func(v float64) (err error) { r.Duration, err = duration(v); return err }},
		{"billedDurationMs", m.BilledDurationMS, func(v float64) (err error) { r.BilledDuration, err = duration(v); return err }},
		{"memorySizeMB", m.MemorySizeMB, func(v float64) error { n, err := megabytes(v); r.MemorySizeMB = int(n); return err }},
		{"maxMemoryUsedMB", m.MaxMemoryUsedMB, func(v float64) error { n, err := megabytes(v); r.MaxMemoryUsed = n << 20; return err }},
	}
	if m.InitDurationMS != nil {
		r.Cold = true
		metrics = append(metrics, struct {
			name string
			v    *float64
			set  func(float64) error
		}{"initDurationMs", m.InitDurationMS, func(v float64) (err error) { r.InitDuration, err = duration(v); return err }})
	}
	for _, f := range metrics {
		if f.v == nil {
			return Report{}, fmt.Errorf("lambda report: platform.report without metrics.%s", f.name)
		}
		if *f.v < 0 {
			return Report{}, fmt.Errorf("lambda report: metrics.%s is negative (%v)", f.name, *f.v)
		}
		if err := f.set(*f.v); err != nil {
			return Report{}, fmt.Errorf("lambda report: metrics.%s: %w", f.name, err)
		}
	}
	return r, nil
}

// String is the text-format REPORT line exactly as Lambda writes it
// (fields separated by tabs, a trailing tab):
//
//	REPORT RequestId: ...	Duration: 12.34 ms	Billed Duration: 13 ms	Memory Size: 128 MB	Max Memory Used: 20 MB	Init Duration: 3.45 ms
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %s ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.RequestID, MS(r.Duration), r.BilledDuration.Milliseconds(), r.MemorySizeMB, mb(r.MaxMemoryUsed))
	if r.Cold && !r.SuppressedInit {
		fmt.Fprintf(&b, "Init Duration: %s ms\t", MS(r.InitDuration))
	}
	if r.Status != "" && r.Status != "success" {
		fmt.Fprintf(&b, "Status: %s\t", r.Status)
		if r.ErrorType != "" {
			fmt.Fprintf(&b, "Error Type: %s\t", r.ErrorType)
		}
	}
	return b.String()
}

// JSON formats r as a JSON log format platform.report event.
func (r Report) JSON(time string) []byte {
	j := map[string]any{"time": time, "type": "platform.report"}
	metrics := map[string]any{"durationMs": r.DurationMS(), "billedDurationMs": r.BilledDurationMS(),
		"memorySizeMB": r.MemorySizeMB, "maxMemoryUsedMB": r.MaxMemoryUsedMB()}
	if r.Cold {
		metrics["initDurationMs"] = r.InitDurationMS()
	}
	status := r.Status
	if status == "" {
		status = "success"
	}
	rec := map[string]any{"requestId": r.RequestID, "metrics": metrics, "status": status}
	if r.ErrorType != "" {
		rec["errorType"] = r.ErrorType
	}
	j["record"] = rec
	b, _ := json.Marshal(j)
	return b
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}
