package custom

import (
	"fmt"
	"strconv"
	"strings"
)

// lineDiff describes the first line where got differs from want. Either
// may be only a prefix of the real output (complete false), in which case
// a difference past it is reported as such; gotBytes is got's full size.
func lineDiff(want []byte, wantComplete bool, got []byte, gotComplete bool, gotBytes int64) string {
	wl := strings.SplitAfter(string(want), "\n")
	gl := strings.SplitAfter(string(got), "\n")
	// A trailing "" after the final newline is not a line.
	if wl[len(wl)-1] == "" {
		wl = wl[:len(wl)-1]
	}
	if gl[len(gl)-1] == "" {
		gl = gl[:len(gl)-1]
	}
	for i := 0; ; i++ {
		wOK, gOK := i < len(wl), i < len(gl)
		// The last line of a prefix may be cut short: it proves nothing.
		wCut := wOK && !wantComplete && i == len(wl)-1 && !strings.HasSuffix(wl[i], "\n")
		gCut := gOK && !gotComplete && i == len(gl)-1 && !strings.HasSuffix(gl[i], "\n")
		if (!wOK && !wantComplete) || (!gOK && !gotComplete) || wCut || gCut {
			return fmt.Sprintf("the first %d lines agree; the difference is past the part kept for messages (got %d bytes, expected %d)",
				i, gotBytes, len(want))
		}
		switch {
		case !wOK && !gOK:
			return fmt.Sprintf("the outputs differ but no line does (got %d bytes, expected %d)", gotBytes, len(want))
		case !gOK:
			return fmt.Sprintf("line %d: expected %s, got the end of the output (%d lines)", i+1, quoteLine(wl[i]), len(gl))
		case !wOK:
			return fmt.Sprintf("line %d: expected the end of the output (%d lines), got %s", i+1, len(wl), quoteLine(gl[i]))
		case wl[i] == gl[i]:
			continue
		case strings.TrimSuffix(wl[i], "\n") == strings.TrimSuffix(gl[i], "\n"):
			if strings.HasSuffix(wl[i], "\n") {
				return fmt.Sprintf("line %d: expected a newline at the end of %s", i+1, quoteLine(gl[i]))
			}
			return fmt.Sprintf("line %d: expected no newline at the end of %s", i+1, quoteLine(wl[i]))
		default:
			return fmt.Sprintf("line %d: expected %s, got %s", i+1, quoteLine(wl[i]), quoteLine(gl[i]))
		}
	}
}

// stderrDiff compares the expected stderr with the tail the worker
// returned (its last 4 KiB): "" when they agree.
func stderrDiff(want []byte, got string) string {
	const tailMax = 4096
	switch {
	case len(got) < tailMax:
		if string(want) == got {
			return ""
		}
		return lineDiff(want, true, []byte(got), true, int64(len(got)))
	case len(want) < tailMax:
		return fmt.Sprintf("got at least %d bytes (the worker keeps the last %d), expected %d", len(got), tailMax, len(want))
	}
	// Both are at least 4 KiB: only the tails can be compared.
	w := want[len(want)-len(got):]
	if string(w) == got {
		return ""
	}
	return "in the last 4 KiB: " + lineDiff(w, true, []byte(got), true, int64(len(got)))
}

// quoteLine shows one line of a guest's output in a diff: at most its
// first 80 bytes (not cutting a character in two), quoted with every
// non-printable byte or character escaped, so that a diff never carries
// more than a line's start of what a guest printed, nor a control
// sequence.
func quoteLine(l string) string {
	l = strings.TrimSuffix(l, "\n")
	if len(l) <= 80 {
		return strconv.Quote(l)
	}
	cut := 80
	for cut > 0 && l[cut]&0xc0 == 0x80 { // not in a character's middle
		cut--
	}
	return strconv.Quote(l[:cut]) + "..."
}
