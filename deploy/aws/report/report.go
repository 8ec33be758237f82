package report

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Report is one invocation's REPORT line. Durations are milliseconds and
// memory is megabytes, as Lambda writes them.
type Report struct {
	RequestID        string
	DurationMS       float64
	BilledDurationMS float64
	MemorySizeMB     float64
	MaxMemoryUsedMB  float64
	// InitDurationMS is set (HasInit) only when the invocation started a
	// new execution environment: a cold start.
	InitDurationMS float64
	HasInit        bool
	// Status is "success", "error" or "timeout" when the line says
	// (newer runtimes and the JSON format); empty otherwise.
	Status    string
	ErrorType string
	// Format is "text" or "json": the log format the line was found in.
	Format string
}

// Cold reports whether the invocation started a new environment.
func (r Report) Cold() bool { return r.HasInit }

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
		var dst *float64
		unit := ""
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
			dst, unit = &r.DurationMS, "ms"
		case "Billed Duration":
			dst, unit = &r.BilledDurationMS, "ms"
		case "Memory Size":
			dst, unit = &r.MemorySizeMB, "MB"
		case "Max Memory Used":
			dst, unit = &r.MaxMemoryUsedMB, "MB"
		case "Init Duration":
			dst, unit = &r.InitDurationMS, "ms"
			r.HasInit = true
		default:
			continue
		}
		v, err := number(val, unit)
		if err != nil {
			return Report{}, fmt.Errorf("lambda report: %s: %w in %q", key, err, clip(line))
		}
		*dst = v
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
	for _, f := range []struct {
		name string
		src  *float64
		dst  *float64
	}{
		{"durationMs", m.DurationMS, &r.DurationMS},
		{"billedDurationMs", m.BilledDurationMS, &r.BilledDurationMS},
		{"memorySizeMB", m.MemorySizeMB, &r.MemorySizeMB},
		{"maxMemoryUsedMB", m.MaxMemoryUsedMB, &r.MaxMemoryUsedMB},
	} {
		if f.src == nil {
			return Report{}, fmt.Errorf("lambda report: platform.report without metrics.%s", f.name)
		}
		if *f.src < 0 {
			return Report{}, fmt.Errorf("lambda report: metrics.%s is negative (%v)", f.name, *f.src)
		}
		*f.dst = *f.src
	}
	if m.InitDurationMS != nil {
		if *m.InitDurationMS < 0 {
			return Report{}, fmt.Errorf("lambda report: metrics.initDurationMs is negative (%v)", *m.InitDurationMS)
		}
		r.InitDurationMS, r.HasInit = *m.InitDurationMS, true
	}
	return r, nil
}

// Text formats r as Lambda's text REPORT line (tab-separated).
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %s ms\tMemory Size: %s MB\tMax Memory Used: %s MB",
		r.RequestID, r.DurationMS, fmtNum(r.BilledDurationMS), fmtNum(r.MemorySizeMB), fmtNum(r.MaxMemoryUsedMB))
	if r.HasInit {
		fmt.Fprintf(&b, "\tInit Duration: %.2f ms", r.InitDurationMS)
	}
	if r.Status != "" && r.Status != "success" {
		fmt.Fprintf(&b, "\tStatus: %s", r.Status)
		if r.ErrorType != "" {
			fmt.Fprintf(&b, "\tError Type: %s", r.ErrorType)
		}
	}
	return b.String()
}

// JSON formats r as a JSON log format platform.report event.
func (r Report) JSON(time string) []byte {
	j := map[string]any{"time": time, "type": "platform.report"}
	metrics := map[string]any{"durationMs": r.DurationMS, "billedDurationMs": r.BilledDurationMS,
		"memorySizeMB": r.MemorySizeMB, "maxMemoryUsedMB": r.MaxMemoryUsedMB}
	if r.HasInit {
		metrics["initDurationMs"] = r.InitDurationMS
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

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "..."
	}
	return s
}
