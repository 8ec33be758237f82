package report

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
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
		{"text cold", textCold, Report{RequestID: "8f5e1c6a-1c1b-4b7e-9d57-0a8e2b6e7f10", DurationMS: 12.34, BilledDurationMS: 62, MemorySizeMB: 128, MaxMemoryUsedMB: 20, InitDurationMS: 49.41, HasInit: true, Format: "text"}},
		{"text warm", textWarm, Report{RequestID: "1d2c", DurationMS: 1.79, BilledDurationMS: 2, MemorySizeMB: 1769, MaxMemoryUsedMB: 46, Format: "text"}},
		{"text spaces", textSpaces, Report{RequestID: "bf5f58db-ef7d-4cb2-b3c6-266eba1bbedb", DurationMS: 395.99, BilledDurationMS: 662, MemorySizeMB: 512, MaxMemoryUsedMB: 301, InitDurationMS: 265.72, HasInit: true, Format: "text"}},
		{"text timeout", textTimeout, Report{RequestID: "77aa", DurationMS: 3000, BilledDurationMS: 3000, MemorySizeMB: 128, MaxMemoryUsedMB: 30, Status: "timeout", Format: "text"}},
		{"json cold", jsonCold, Report{RequestID: "6d68ca91", DurationMS: 2.05, BilledDurationMS: 128, MemorySizeMB: 128, MaxMemoryUsedMB: 68, InitDurationMS: 125.6, HasInit: true, Status: "success", Format: "json"}},
		{"json warm", jsonWarm, Report{RequestID: "aa", DurationMS: 0.9, BilledDurationMS: 1, MemorySizeMB: 512, MaxMemoryUsedMB: 70, Status: "success", Format: "json"}},
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
	if got.RequestID != "1d2c" || got.Cold() {
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
		{RequestID: "a-b", DurationMS: 12.34, BilledDurationMS: 62, MemorySizeMB: 128, MaxMemoryUsedMB: 20, InitDurationMS: 49.41, HasInit: true},
		{RequestID: "c", DurationMS: 3000, BilledDurationMS: 3000, MemorySizeMB: 128, MaxMemoryUsedMB: 30, Status: "error", ErrorType: "Runtime.OutOfMemory"},
	} {
		got, err := Parse(r.Text())
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
