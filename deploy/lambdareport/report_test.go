package lambdareport

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	textCold = "START RequestId: 8f5e1c6a-1c1b-4b7e-9d57-0a8e2b6e7f10 Version: $LATEST\n" +
		"END RequestId: 8f5e1c6a-1c1b-4b7e-9d57-0a8e2b6e7f10\n" +
		"REPORT RequestId: 8f5e1c6a-1c1b-4b7e-9d57-0a8e2b6e7f10\tDuration: 12.34 ms\tBilled Duration: 62 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 49.41 ms\t\n"
	textWarm = "REPORT RequestId: 1d2c\tDuration: 1.79 ms\tBilled Duration: 2 ms\tMemory Size: 1769 MB\tMax Memory Used: 46 MB\t\n"
	// A line whose tabs a log viewer turned into spaces, with X-Ray fields.
	textSpaces  = "REPORT RequestId: bf5f58db-ef7d-4cb2-b3c6-266eba1bbedb Duration: 395.99 ms Billed Duration: 662 ms Memory Size: 512 MB Max Memory Used: 301 MB Init Duration: 265.72 ms XRAY TraceId: 1-5e1b-abc SegmentId: 0a1b Sampled: true"
	textTimeout = "REPORT RequestId: 77aa\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout"
	jsonCold    = `{"time":"2026-08-01T12:04:21.000Z","type":"platform.start","record":{"requestId":"6d68ca91","version":"$LATEST"}}` + "\n" +
		`{"time":"2026-08-01T12:04:21.100Z","type":"platform.report","record":{"requestId":"6d68ca91","metrics":{"durationMs":2.05,"billedDurationMs":128,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":125.6},"status":"success"}}` + "\n"
	jsonWarm = `{"time":"2026-08-01T12:04:22.000Z","type":"platform.report","record":{"requestId":"aa","metrics":{"durationMs":0.9,"billedDurationMs":1,"memorySizeMB":512,"maxMemoryUsedMB":70},"status":"success"}}`
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		log  string
		want Report
	}{
		{"text cold", textCold, Report{RequestID: "8f5e1c6a-1c1b-4b7e-9d57-0a8e2b6e7f10", Duration: 12340 * time.Microsecond, BilledDuration: 62 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 20 << 20, InitDuration: 49410 * time.Microsecond, Cold: true, Format: "text"}},
		{"text warm", textWarm, Report{RequestID: "1d2c", Duration: 1790 * time.Microsecond, BilledDuration: 2 * time.Millisecond, MemorySizeMB: 1769, MaxMemoryUsed: 46 << 20, Format: "text"}},
		{"text spaces", textSpaces, Report{RequestID: "bf5f58db-ef7d-4cb2-b3c6-266eba1bbedb", Duration: 395990 * time.Microsecond, BilledDuration: 662 * time.Millisecond, MemorySizeMB: 512, MaxMemoryUsed: 301 << 20, InitDuration: 265720 * time.Microsecond, Cold: true, Format: "text"}},
		{"text timeout", textTimeout, Report{RequestID: "77aa", Duration: 3000 * time.Millisecond, BilledDuration: 3000 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 30 << 20, Status: "timeout", Format: "text"}},
		{"json cold", jsonCold, Report{RequestID: "6d68ca91", Duration: 2050 * time.Microsecond, BilledDuration: 128 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 68 << 20, InitDuration: 125600 * time.Microsecond, Cold: true, Status: "success", Format: "json"}},
		{"json warm", jsonWarm, Report{RequestID: "aa", Duration: 900 * time.Microsecond, BilledDuration: 1 * time.Millisecond, MemorySizeMB: 512, MaxMemoryUsed: 70 << 20, Status: "success", Format: "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.log)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			// The same through the base64 LogResult of an Invoke.
			got2, err := ParseLogResult(base64.StdEncoding.EncodeToString([]byte(tc.log)))
			if err != nil || got2 != got {
				t.Errorf("ParseLogResult = %+v, %v", got2, err)
			}
		})
	}
}

func TestParseLastReportWins(t *testing.T) {
	got, err := Parse(textCold + textWarm)
	if err != nil {
		t.Fatal(err)
	}
	if got.RequestID != "1d2c" || got.Cold {
		t.Errorf("got %+v, want the last (warm) report", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, log, want string }{
		{"empty", "", "no REPORT line"},
		{"no report", "START RequestId: x\nEND RequestId: x\n", "no REPORT line"},
		{"missing field", "REPORT RequestId: x\tDuration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB", `no "Billed Duration"`},
		{"bad number", "REPORT RequestId: x\tDuration: fast ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB", "not a number"},
		{"wrong unit", "REPORT RequestId: x\tDuration: 1 s\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB", `unit "s"`},
		{"negative", "REPORT RequestId: x\tDuration: -1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB", "not a duration"},
		{"json missing metric", `{"type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":1}}}`, "billedDurationMs"},
		{"json broken", `{"type":"platform.report","record":`, "JSON log line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.log)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := ParseLogResult(""); !errors.Is(err, ErrNoReport) {
		t.Errorf("empty LogResult: err = %v, want ErrNoReport", err)
	}
	if _, err := ParseLogResult("%%%"); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Errorf("bad base64: err = %v", err)
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, r := range []Report{
		{RequestID: "a-b", Duration: 12340 * time.Microsecond, BilledDuration: 62 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 20 << 20,
			InitDuration: 49410 * time.Microsecond, Cold: true},
		{RequestID: "c", Duration: 3000 * time.Millisecond, BilledDuration: 3000 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 30 << 20,
			Status: "error", ErrorType: "Runtime.OutOfMemory"},
	} {
		got, err := Parse(r.String())
		if err != nil {
			t.Fatal(err)
		}
		want := r
		want.Format = "text"
		if got != want {
			t.Errorf("text round trip: got %+v, want %+v", got, want)
		}
		got, err = Parse(string(r.JSON("2026-08-01T00:00:00Z")))
		if err != nil {
			t.Fatal(err)
		}
		want.Format = "json"
		if want.Status == "" {
			want.Status = "success"
		}
		if got != want {
			t.Errorf("json round trip: got %+v, want %+v", got, want)
		}
	}
}

// TestReportLine is lambda-local's REPORT line: byte for byte what Lambda
// writes, and read back the same way as Lambda's own.
func TestReportLine(t *testing.T) {
	r := Report{RequestID: "3604209a-e9a3-11e6-939a-754dd98c7be3", Duration: 12345678 * time.Nanosecond,
		BilledDuration: 16 * time.Millisecond, MemorySizeMB: 128, MaxMemoryUsed: 19<<20 + 1,
		InitDuration: 3454321 * time.Nanosecond, Cold: true}
	want := "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.35 ms\tBilled Duration: 16 ms\t" +
		"Memory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 3.45 ms\t"
	if got := r.String(); got != want {
		t.Fatalf("REPORT line\n got %q\nwant %q", got, want)
	}
	back, err := ParseText(r.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.RequestID != r.RequestID || back.Duration != 12350*time.Microsecond || back.BilledDuration != r.BilledDuration ||
		back.MemorySizeMB != 128 || back.MaxMemoryUsed != 20<<20 || back.InitDuration != 3450*time.Microsecond || !back.Cold {
		t.Errorf("parsed back %+v", back)
	}
	if back.DurationMS() != 12.35 || back.BilledDurationMS() != 16 || back.MaxMemoryUsedMB() != 20 || back.InitDurationMS() != 3.45 {
		t.Errorf("in Lambda's units: %v ms, billed %v ms, %v MB, init %v ms",
			back.DurationMS(), back.BilledDurationMS(), back.MaxMemoryUsedMB(), back.InitDurationMS())
	}

	warm := Report{RequestID: "x", Duration: time.Millisecond, BilledDuration: time.Millisecond, MemorySizeMB: 64,
		Status: "timeout"}
	if s := warm.String(); strings.Contains(s, "Init Duration") || !strings.HasSuffix(s, "Status: timeout\t") {
		t.Errorf("warm timeout line %q", s)
	}
	suppressed := Report{RequestID: "s", Duration: time.Millisecond, Cold: true, SuppressedInit: true}
	if s := suppressed.String(); strings.Contains(s, "Init Duration") {
		t.Errorf("a suppressed INIT's line has an Init Duration: %q", s)
	}
	oom := Report{RequestID: "y", MemorySizeMB: 64, Status: "error", ErrorType: "Runtime.OutOfMemory"}
	back, err = ParseText(oom.String())
	if err != nil || back.Status != "error" || back.ErrorType != "Runtime.OutOfMemory" {
		t.Errorf("status fields: %+v %v", back, err)
	}
	for _, bad := range []string{"", "START RequestId: x", "REPORT RequestId: x\tDuration: 1 ms",
		"REPORT RequestId: x\tDuration: -1 ms\tBilled Duration: 1 ms\tMemory Size: 1 MB\tMax Memory Used: 1 MB",
		"REPORT RequestId: x\tDuration: 1 s\tBilled Duration: 1 ms\tMemory Size: 1 MB\tMax Memory Used: 1 MB",
		"REPORT RequestId: x\tDuration: 1e300 ms\tBilled Duration: 1 ms\tMemory Size: 1 MB\tMax Memory Used: 1 MB",
		"REPORT RequestId: x\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 1.5 MB\tMax Memory Used: 1 MB"} {
		if _, err := ParseText(bad); err == nil {
			t.Errorf("ParseText(%q) accepted it", bad)
		}
	}
}

func TestBilled(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, 0}, {1, time.Millisecond}, {time.Millisecond, time.Millisecond}, {1500 * time.Microsecond, 2 * time.Millisecond},
	} {
		if got := Billed(c.in); got != c.want {
			t.Errorf("Billed(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestMSIsTheParsedFloat: what the aws target records from a parsed line
// (DurationMS()*1e6) is what it recorded when the report held the parsed
// float itself, for every value Lambda prints (two decimals).
func TestMSIsTheParsedFloat(t *testing.T) {
	for i := int64(0); i < 2_000_000; i += 7 {
		for _, c := range []int64{i, i * 1009} { // up to about 6 h
			s := strconv.FormatFloat(float64(c)/100, 'f', 2, 64)
			want, _ := strconv.ParseFloat(s, 64)
			d, err := duration(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := (Report{Duration: d}).DurationMS(); got != want {
				t.Fatalf("%s ms: DurationMS() = %v", s, got)
			}
		}
	}
}
