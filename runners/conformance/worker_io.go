package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
)

// result is what one job produced.
type result struct {
	all     []runners.Event
	err     *runners.Error // the job's failure, nil when it finished
	elapsed time.Duration  // from sending the job to its end
}

func (r result) events(typ runners.EventType) []runners.Event {
	var out []runners.Event
	for _, ev := range r.all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// phases are the phase events of one name.
func (r result) phases(name string) []runners.Event {
	var out []runners.Event
	for _, ev := range r.events(runners.EventPhase) {
		if ev.Phase == name {
			out = append(out, ev)
		}
	}
	return out
}

func (r result) wantOK(t *testing.T, what string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %s: %s\nstderr:\n%s", what, r.err.Kind, r.err.Message, r.err.Stderr)
	}
}

// wantKind fails unless the job failed with one of kinds, with a message.
func (r result) wantKind(t *testing.T, what string, kinds ...runners.ErrorKind) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("%s: the job succeeded (outputs %s); want a failure of kind %v", what, describeOutputs(r), kinds)
	}
	if !slices.Contains(kinds, r.err.Kind) {
		t.Fatalf("%s: failed with kind %s (%s); want %v\nstderr:\n%s", what, r.err.Kind, r.err.Message, kinds, r.err.Stderr)
	}
	if strings.TrimSpace(r.err.Message) == "" {
		t.Errorf("%s: the %s error has no message", what, r.err.Kind)
	}
	t.Logf("%s: %s: %s", what, r.err.Kind, firstLine(r.err.Message))
}

func describeOutputs(r result) string {
	var parts []string
	for _, ev := range r.events(runners.EventOutput) {
		if ev.Output != nil {
			parts = append(parts, fmt.Sprintf("exit %d, stdout %q", ev.Output.ExitCode, ev.Output.StdoutHead))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// run does one job in a fresh worker, as a cold sample does.
func (s *suite) run(t *testing.T, job runners.Job) result {
	t.Helper()
	cl := s.start(t)
	r := s.do(t, cl, job)
	if _, err := cl.Close(); err != nil && r.err == nil {
		t.Errorf("worker did not exit cleanly after job %s: %v", job.ID, err)
	}
	return r
}

func (s *suite) start(t *testing.T) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cl, err := client.Start(ctx, s.c.Command)
	if err != nil {
		t.Fatalf("start worker %s: %v", s.c.Command.Path, err)
	}
	t.Cleanup(func() { cl.Kill() })
	return cl
}

// do sends one job to a live worker and collects its events.
func (s *suite) do(t *testing.T, cl *client.Client, job runners.Job) result {
	t.Helper()
	return s.doWithin(t, cl, job, s.c.JobTimeout)
}

// doWithin is do with its own bound on the job's duration.
func (s *suite) doWithin(t *testing.T, cl *client.Client, job runners.Job, limit time.Duration) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	var r result
	t0 := time.Now()
	err := cl.Do(ctx, job, func(ev runners.Event) {
		if ev.Job != "" && ev.Job != job.ID {
			t.Errorf("event for job %q while running job %q: %+v", ev.Job, job.ID, ev)
		}
		r.all = append(r.all, ev)
	})
	r.elapsed = time.Since(t0)
	if err == nil {
		return r
	}
	var e *runners.Error
	if !errors.As(err, &e) {
		t.Fatalf("job %s (%s %s on %s) did not end within %v: %v\nworker stderr:\n%s",
			job.ID, job.Op, job.Module.Name, job.Tier, limit, err, cl.Stderr())
	}
	r.err = e
	return r
}

// rawWorker is a worker process driven line by line, to send it what the
// client never would.
type rawWorker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr *syncBuffer
	ctx    context.Context
}

func startRaw(ctx context.Context, c client.Command) (*rawWorker, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	w := &rawWorker{cmd: cmd, stderr: &syncBuffer{}, ctx: ctx}
	cmd.Stderr = w.stderr
	var err error
	if w.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w.lines = bufio.NewScanner(out)
	w.lines.Buffer(make([]byte, 1<<20), 64<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", c.Path, err)
	}
	return w, nil
}

// read returns the next event, or an error when none comes before ctx ends.
func (w *rawWorker) read() (runners.Event, error) {
	type res struct {
		ev  runners.Event
		err error
	}
	ch := make(chan res, 1)
	go func() {
		if !w.lines.Scan() {
			err := w.lines.Err()
			if err == nil {
				err = io.EOF
			}
			ch <- res{err: fmt.Errorf("worker closed its output: %w", err)}
			return
		}
		var ev runners.Event
		if err := json.Unmarshal(w.lines.Bytes(), &ev); err != nil {
			ch <- res{err: fmt.Errorf("line %q is not an event: %w", w.lines.Text(), err)}
			return
		}
		ch <- res{ev: ev}
	}()
	select {
	case r := <-ch:
		return r.ev, r.err
	case <-w.ctx.Done():
		w.kill()
		return runners.Event{}, fmt.Errorf("no event: %w", w.ctx.Err())
	}
}

func (w *rawWorker) write(line string) error {
	_, err := io.WriteString(w.stdin, line)
	return err
}

func (w *rawWorker) writeJob(job runners.Job) error {
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return w.write(string(b) + "\n")
}

// closeAndWait sends EOF and waits for the worker to exit, which must be
// with status 0.
func (w *rawWorker) closeAndWait() error {
	_ = w.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-w.ctx.Done():
		w.kill()
		return fmt.Errorf("worker did not exit at EOF: %w", w.ctx.Err())
	}
}

func (w *rawWorker) kill() {
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill() // after Wait it only returns os.ErrProcessDone
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
