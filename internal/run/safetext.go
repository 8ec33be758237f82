package run

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on what a failure record keeps of text a guest controls: its
// stderr tail, and a message that may quote its output.
const (
	maxFailureStderr  = 4 << 10
	maxFailureMessage = 4 << 10
)

// safeText makes text a guest controls fit for results.jsonl, the
// summary and a terminal: at most max bytes of it (the end when tail is
// set, as for a stderr tail, else the start), with every byte that is not
// printable UTF-8 but a newline or a tab written as an escape (\x1b,
// \u202e), so that no control sequence reaches a terminal and no binary
// reaches the results.
func safeText(s string, max int, tail bool) string {
	cut, n := 0, len(s)
	if n > max {
		if tail {
			s = s[n-max:]
			for len(s) > 0 && !utf8.RuneStart(s[0]) {
				s = s[1:]
			}
		} else {
			s = s[:max]
			// Drop a last character cut in its middle.
			i := len(s) - 1
			for i > 0 && !utf8.RuneStart(s[i]) {
				i--
			}
			if i >= 0 && !utf8.FullRuneInString(s[i:]) {
				s = s[:i]
			}
		}
		cut = n - len(s)
	}
	var b strings.Builder
	if cut > 0 && tail {
		fmt.Fprintf(&b, "[%d earlier bytes left out]\n", cut)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x80 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	if cut > 0 && !tail {
		fmt.Fprintf(&b, " [%d more bytes left out]", cut)
	}
	return b.String()
}
