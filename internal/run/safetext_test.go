package run

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

func TestSafeText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		max      int
		tail     bool
	}{
		{"plain\ttext\nnext line", "plain\ttext\nnext line", 100, false},
		{"esc \x1b[31mred\x1b[0m bell\a nul\x00", `esc \x1b[31mred\x1b[0m bell\x07 nul\x00`, 100, false},
		{"bad utf8 \xff\xfe ok", `bad utf8 \xff\xfe ok`, 100, false},
		{"bidi \u202eevil", `bidi \u202eevil`, 100, false},
		{"héllo wörld", "héllo wörld", 100, false},
		{"0123456789", "01234 [5 more bytes left out]", 5, false},
		{"0123456789", "[5 earlier bytes left out]\n56789", 5, true},
		{"ééé", "é [4 more bytes left out]", 3, false}, // no half character
		{"ééé", "[4 earlier bytes left out]\né", 3, true},
	} {
		if got := safeText(tc.in, tc.max, tc.tail); got != tc.want {
			t.Errorf("safeText(%q, %d, %v) = %q, want %q", tc.in, tc.max, tc.tail, got, tc.want)
		}
	}
}

// TestFailureRecordIsSafe: a failure's message and stderr, which a guest
// controls (its stderr; its output quoted in a diff), reach results.jsonl
// capped and with control bytes escaped.
func TestFailureRecordIsSafe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{w: w}
	s := &cellState{Cell: &Cell{Runtime: &Runtime{RuntimeSpec: RuntimeSpec{Name: "wazero"}}}}
	big := strings.Repeat("root:x:0:0:root:/root:/bin/bash\x1b]0;owned\x07\n", 4096) // ~180 KiB
	if err := r.fail(s, "t1", &runners.Error{Kind: runners.KindExit, Message: "exited: " + big, Stderr: big}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	all, _, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The failure is written with its task line (the journal's commit).
	var recs []results.Record
	for _, r := range all {
		if r.Kind == results.KindFailure {
			recs = append(recs, r)
		}
	}
	if len(recs) != 1 {
		t.Fatalf("%d failure records in %d records", len(recs), len(all))
	}
	for what, v := range map[string]string{"error": recs[0].Error, "stderr": recs[0].Stderr} {
		if len(v) > 5<<10 {
			t.Errorf("%s: %d bytes kept of the guest's text, want at most ~4 KiB", what, len(v))
		}
		if strings.ContainsAny(v, "\x1b\x07") || !utf8.ValidString(v) {
			t.Errorf("%s keeps raw control bytes: %q", what, v[:min(len(v), 200)])
		}
		if !strings.Contains(v, "left out") {
			t.Errorf("%s does not say what it left out", what)
		}
	}
}
