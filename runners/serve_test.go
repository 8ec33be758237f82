package runners_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/internal/fakeworker"
)

// serve runs Serve in-process on the given input lines and returns the
// events it wrote.
func serve(t *testing.T, lines ...string) []runners.Event {
	t.Helper()
	var out, errw bytes.Buffer
	code := runners.Serve(context.Background(), fakeworker.Runner{}, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, &errw)
	if code != 0 {
		t.Fatalf("Serve returned %d; stderr: %s", code, errw.String())
	}
	var evs []runners.Event
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var ev runners.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("Serve wrote a line that is not an event: %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading Serve's events: %v", err)
	}
	if len(evs) == 0 || evs[0].Type != runners.EventHello {
		t.Fatalf("Serve's first event is not a hello: %+v", evs)
	}
	return evs[1:]
}

func jobLine(t *testing.T, job runners.Job) string {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeBadJobLineThenGoodJob(t *testing.T) {
	good := runners.Job{ID: "j1", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "ok:hi\n")}
	evs := serve(t, "{not json", jobLine(t, good))
	if len(evs) == 0 || evs[0].Type != runners.EventError || evs[0].Error.Kind != runners.KindBadJob {
		t.Fatalf("after a bad line: %+v; want a bad_job error", evs)
	}
	last := evs[len(evs)-1]
	if last.Type != runners.EventDone || last.Job != "j1" {
		t.Errorf("the job after a bad line ended with %+v; want done", last)
	}
}

func TestServeTiers(t *testing.T) {
	for _, tc := range []struct {
		tier string
		kind runners.ErrorKind
		says string
	}{
		{"nope", runners.KindBadJob, "tiers: [t gone]"},
		{"gone", runners.KindUnsupported, "no such hardware"},
	} {
		evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: tc.tier, Module: fakeworker.Module(t, "ok:")}))
		if len(evs) != 1 || evs[0].Type != runners.EventError || evs[0].Error.Kind != tc.kind || !strings.Contains(evs[0].Error.Message, tc.says) {
			t.Errorf("tier %q: %+v; want one %s error saying %q", tc.tier, evs, tc.kind, tc.says)
		}
	}
}

func TestServeColdPhasesAndOutput(t *testing.T) {
	evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "ok:hello\n")}))
	var phases []string
	var out *runners.Output
	for _, ev := range evs {
		switch ev.Type {
		case runners.EventPhase:
			phases = append(phases, ev.Phase)
			if ev.NS <= 0 {
				t.Errorf("phase %s: %v ns", ev.Phase, ev.NS)
			}
		case runners.EventOutput:
			out = ev.Output
		}
	}
	if got := strings.Join(phases, ","); got != "init,compile,instantiate,execute" {
		t.Errorf("phases %s", got)
	}
	if out == nil || out.StdoutHead != "hello\n" || out.StdoutBytes != 6 || out.ExitCode != 0 {
		t.Errorf("output %+v", out)
	}
}

func TestServeExitCodeAndBenchMarkers(t *testing.T) {
	evs := serve(t,
		jobLine(t, runners.Job{ID: "exit", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "exit:3")}),
		jobLine(t, runners.Job{ID: "bench", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "bench")}))
	var exitErr *runners.Error
	var exitOut *runners.Output
	ex, all := 0.0, 0.0
	for _, ev := range evs {
		switch {
		case ev.Job == "exit" && ev.Type == runners.EventError:
			exitErr = ev.Error
		case ev.Job == "exit" && ev.Type == runners.EventOutput:
			exitOut = ev.Output
		case ev.Job == "bench" && ev.Phase == results.PhaseExecute:
			ex = ev.NS
		case ev.Job == "bench" && ev.Phase == results.PhaseExecuteAll:
			all = ev.NS
		}
	}
	if exitErr == nil || exitErr.Kind != runners.KindExit || exitOut == nil || exitOut.ExitCode != 3 {
		t.Errorf("exit 3: error %+v, output %+v; want KindExit and an output with code 3", exitErr, exitOut)
	}
	if ex <= 0 || all <= 0 || ex > all {
		t.Errorf("bench markers: execute %v ns, execute_all %v ns; want 0 < execute <= execute_all", ex, all)
	}
}

// TestServeKeepsContextOfClassifiedErrors: a runner's own *Error keeps its
// kind and gains what the worker was doing.
func TestServeKeepsContextOfClassifiedErrors(t *testing.T) {
	evs := serve(t,
		jobLine(t, runners.Job{ID: "u", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "unsupported")}),
		jobLine(t, runners.Job{ID: "trap", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, "trap")}))
	want := map[string]struct {
		kind   runners.ErrorKind
		prefix string
	}{
		"u":    {runners.KindUnsupported, "fake: compile m.wasm: uses a feature"},
		"trap": {runners.KindTrap, "fake: run m.wasm: fake trap"},
	}
	for _, ev := range evs {
		if ev.Type != runners.EventError {
			continue
		}
		w := want[ev.Job]
		if ev.Error.Kind != w.kind || !strings.HasPrefix(ev.Error.Message, w.prefix) {
			t.Errorf("job %s: %s %q; want %s starting %q", ev.Job, ev.Error.Kind, ev.Error.Message, w.kind, w.prefix)
		}
		delete(want, ev.Job)
	}
	if len(want) > 0 {
		t.Errorf("no error for jobs %v", want)
	}
}

// outputOf returns the job's output event, its error event, and the
// other events.
func outputOf(evs []runners.Event, id string) (out *runners.Output, jobErr *runners.Error) {
	for _, ev := range evs {
		if ev.Job != id {
			continue
		}
		switch ev.Type {
		case runners.EventOutput:
			out = ev.Output
		case runners.EventError:
			jobErr = ev.Error
		}
	}
	return out, jobErr
}

// TestServeOutputInIODir: the guest's output is written into the job's
// I/O folder; a kept stdout stays there as a file the event names (not
// inline), anything else is removed when the execution ends.
func TestServeOutputInIODir(t *testing.T) {
	io := t.TempDir()
	const n = 3 << 20 // larger than KeepStdoutMax: it used to travel base64 in the event
	evs := serve(t,
		jobLine(t, runners.Job{ID: "keep", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, fmt.Sprintf("big:%d", n)), IODir: io, KeepStdout: true}),
		jobLine(t, runners.Job{ID: "drop", Op: runners.OpWarm, Tier: "t", Module: fakeworker.Module(t, "ok:hello\n"), IODir: io, Iterations: 2}))
	out, jobErr := outputOf(evs, "keep")
	if jobErr != nil || out == nil {
		t.Fatalf("keep: error %v, output %+v", jobErr, out)
	}
	if out.Stdout != nil {
		t.Errorf("keep: %d bytes of stdout inline in the event; want a file", len(out.Stdout))
	}
	if filepath.Dir(out.StdoutPath) != io {
		t.Fatalf("keep: stdout path %q, want a file in %s", out.StdoutPath, io)
	}
	b, err := os.ReadFile(out.StdoutPath)
	if err != nil || len(b) != n || out.StdoutBytes != n || len(out.StdoutHead) != runners.HeadMax {
		t.Errorf("keep: file %d bytes (%v), event says %d bytes, head %d bytes", len(b), err, out.StdoutBytes, len(out.StdoutHead))
	}
	sum := sha256.Sum256(b)
	if out.StdoutSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("keep: sha256 %s, want %x", out.StdoutSHA256, sum)
	}
	if _, e := outputOf(evs, "drop"); e != nil {
		t.Fatalf("drop: %v", e)
	}
	ents, _ := os.ReadDir(io)
	if len(ents) != 1 || filepath.Join(io, ents[0].Name()) != out.StdoutPath {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the I/O folder holds %v; want only the kept stdout %s", names, filepath.Base(out.StdoutPath))
	}
}

// TestServeInlineStdoutIsBounded: without an I/O folder (a serverless
// target), a kept stdout comes inline only up to KeepStdoutMax.
func TestServeInlineStdoutIsBounded(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	small, big := runners.KeepStdoutMax, runners.KeepStdoutMax+1
	evs := serve(t,
		jobLine(t, runners.Job{ID: "small", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, fmt.Sprintf("big:%d", small)), KeepStdout: true}),
		jobLine(t, runners.Job{ID: "big", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, fmt.Sprintf("big:%d", big)), KeepStdout: true}))
	if out, e := outputOf(evs, "small"); out == nil || len(out.Stdout) != small {
		t.Errorf("small: output %+v, error %v; want the %d bytes inline", out, e, small)
	}
	if out, e := outputOf(evs, "big"); out == nil || out.Stdout != nil || out.StdoutBytes != int64(big) || out.StdoutPath != "" {
		t.Errorf("big: output %+v, error %v; want hash and head only", out, e)
	}
	if ents, _ := os.ReadDir(os.Getenv("TMPDIR")); len(ents) != 0 {
		t.Errorf("the worker left %d entries in TMPDIR (%s...)", len(ents), ents[0].Name())
	}
}

// TestServeOutputLimit: a guest writing past Job.MaxOutputBytes, to stdout
// or stderr, fails with KindOutputLimit naming the limit and the flag,
// and the file never grows past the limit; exactly the limit is fine.
func TestServeOutputLimit(t *testing.T) {
	io := t.TempDir()
	const limit = 100 << 10
	job := func(id, m string) string {
		return jobLine(t, runners.Job{ID: id, Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, m), IODir: io,
			MaxOutputBytes: limit, KeepStdout: true})
	}
	evs := serve(t, job("at", fmt.Sprintf("big:%d", limit)), job("over", fmt.Sprintf("big:%d", 10*limit)),
		job("err", fmt.Sprintf("big:%d:err", limit+1)))
	if out, e := outputOf(evs, "at"); e != nil || out == nil || out.StdoutBytes != limit {
		t.Errorf("exactly at the limit: error %v, output %+v", e, out)
	}
	for id, stream := range map[string]string{"over": "stdout", "err": "stderr"} {
		out, e := outputOf(evs, id)
		if e == nil || e.Kind != runners.KindOutputLimit {
			t.Errorf("%s: error %v; want %s", id, e, runners.KindOutputLimit)
			continue
		}
		for _, want := range []string{"100 KiB", stream, "--max-output"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("%s: message %q does not say %q", id, e.Message, want)
			}
		}
		if out != nil {
			t.Errorf("%s: an output event for an execution over the limit: %+v", id, out)
		}
	}
	ents, _ := os.ReadDir(io)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Size() > limit+1 {
			t.Errorf("%s is %d bytes: the limit did not stop the writes", e.Name(), info.Size())
		}
	}
}

// TestServeHashesWithoutReadingWhole: hashing a 64 MiB stdout allocates a
// small fraction of it (the worker once read it whole, and sent it whole).
func TestServeHashesWithoutReadingWhole(t *testing.T) {
	const n = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	evs := serve(t, jobLine(t, runners.Job{ID: "j", Op: runners.OpCold, Tier: "t", Module: fakeworker.Module(t, fmt.Sprintf("big:%d", n)),
		IODir: t.TempDir(), MaxOutputBytes: 2 * n}))
	runtime.ReadMemStats(&after)
	out, e := outputOf(evs, "j")
	if e != nil || out == nil || out.StdoutBytes != n {
		t.Fatalf("error %v, output %+v", e, out)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > n/8 {
		t.Errorf("the worker allocated %d MiB for a %d MiB output; want it streamed", alloc>>20, n>>20)
	}
}
