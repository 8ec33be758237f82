package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/wasmbench/bench/runners"
)

// bigoutSHA256 is the SHA-256 of what bigout writes for kib KiB.
func bigoutSHA256(kib int) string {
	line := append(bytes.Repeat([]byte("x"), 63), '\n')
	h := sha256.New()
	for i := 0; i < kib*16; i++ {
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// testOutput checks bounded output: a guest's large stdout is verified
// without the worker holding it (its peak resident set grows by much less
// than the output), and one past Job.MaxOutputBytes, on stdout or stderr,
// is a KindOutputLimit failure.
func (s *suite) testOutput(t *testing.T, tier runners.TierInfo) {
	mod := s.ref(modBigout)
	const bigKiB = 64 << 10
	rss := map[int]int64{}
	for _, kib := range []int{1, bigKiB} {
		job := s.job(t, tier, runners.OpCold, mod)
		job.Args = []string{fmt.Sprint(kib)}
		cl := s.start(t)
		r := s.do(t, cl, job)
		peak, _ := cl.Close()
		r.wantOK(t, fmt.Sprintf("%d KiB of output", kib))
		outs := r.events(runners.EventOutput)
		if len(outs) != 1 || outs[0].Output == nil {
			t.Fatalf("%d KiB of output: %d output events, want 1", kib, len(outs))
		}
		o := outs[0].Output
		if o.StdoutBytes != int64(kib)<<10 || o.StdoutSHA256 != bigoutSHA256(kib) {
			t.Errorf("%d KiB of output: the worker says %d bytes, SHA-256 %.12s; want %d, %.12s",
				kib, o.StdoutBytes, o.StdoutSHA256, kib<<10, bigoutSHA256(kib))
		}
		if len(o.StdoutHead) > runners.HeadMax || o.Stdout != nil {
			t.Errorf("%d KiB of output: the event carries %d bytes of head and %d of stdout; want at most %d and none",
				kib, len(o.StdoutHead), len(o.Stdout), runners.HeadMax)
		}
		rss[kib] = peak
	}
	if rss[1] > 0 && rss[bigKiB] > 0 {
		grew := rss[bigKiB] - rss[1]
		t.Logf("worker peak RSS: %d MiB with 1 KiB of output, %d MiB with %d MiB", rss[1]>>20, rss[bigKiB]>>20, bigKiB>>10)
		if grew > bigKiB<<10/2 {
			t.Errorf("the worker's peak RSS grew by %d MiB for %d MiB of output: it holds the output in memory", grew>>20, bigKiB>>10)
		}
	}

	const limit = 1 << 20
	for _, stream := range []string{"stdout", "stderr"} {
		job := s.job(t, tier, runners.OpCold, mod)
		job.Args = []string{"8192", strings.TrimPrefix(stream, "std")} // "out" or "err"
		job.MaxOutputBytes = limit
		r := s.run(t, job)
		r.wantKind(t, "8 MiB to "+stream+" under a 1 MiB output limit", runners.KindOutputLimit)
		for _, want := range []string{"1 MiB", stream, "--max-output"} {
			if !strings.Contains(r.err.Message, want) {
				t.Errorf("%s: the message does not say %q: %q", stream, want, r.err.Message)
			}
		}
	}
}
