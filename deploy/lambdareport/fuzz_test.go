package lambdareport

import (
	"testing"
)

// FuzzParse feeds arbitrary logs to the parser: it must never panic, and
// whatever it accepts must be a sane report that survives a round trip
// through the text format. The seeds (both log formats) run in every
// `go test`; `go test -fuzz FuzzParse ./deploy/lambdareport` explores.
func FuzzParse(f *testing.F) {
	for _, s := range []string{textCold, textWarm, textSpaces, textTimeout, jsonCold, jsonWarm,
		"REPORT ", "REPORT RequestId:\t", `{"type":"platform.report"}`, "REPORT Duration: 1e308 ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, log string) {
		r, err := Parse(log)
		if err != nil {
			return
		}
		for _, v := range []int64{int64(r.Duration), int64(r.BilledDuration), int64(r.MemorySizeMB), r.MaxMemoryUsed, int64(r.InitDuration)} {
			if v < 0 {
				t.Fatalf("accepted a report with value %v: %+v from %q", v, r, log)
			}
		}
		if r.Format != "text" && r.Format != "json" {
			t.Fatalf("format %q", r.Format)
		}
		if !r.Cold && r.InitDuration != 0 {
			t.Fatalf("init duration without Cold: %+v", r)
		}
		// What was accepted survives the JSON format unchanged.
		back, err := ParseJSON(r.JSON("t"))
		if err != nil {
			t.Fatalf("re-parse %+v: %v", r, err)
		}
		want := r
		want.Format = "json"
		if want.Status == "" {
			want.Status = "success"
		}
		if back != want {
			t.Fatalf("round trip: got %+v, want %+v", back, want)
		}
	})
}
