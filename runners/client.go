package runners

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Command says how to start a worker process.
type Command struct {
	Path string
	Args []string
	Env  []string // added to the orchestrator's environment
	Dir  string
}

// Client is the orchestrator's end of one worker process.
type Client struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events *bufio.Scanner
	stderr *tailBuffer
	// Hello is the worker's first event.
	Hello Event
	// Started is the orchestrator's wall clock just before exec.
	Started time.Time
	// HelloAt is when the hello line was read.
	HelloAt  time.Time
	waitErr  error
	waitOnce sync.Once
	// maxRSS is the peak resident set the worker last reported.
	maxRSS int64
}

// Start execs a worker, writes the jobs in first to its stdin at once (so
// a cold sample does not wait a pipe round trip for the hello), and reads
// its hello. Collect the events of a job sent this way with Await.
func Start(ctx context.Context, c Command, first ...Job) (*Client, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cl := &Client{cmd: cmd, stdin: stdin, stderr: &tailBuffer{max: 8192}}
	cmd.Stderr = cl.stderr
	cl.events = bufio.NewScanner(stdout)
	cl.events.Buffer(make([]byte, 1<<20), 256<<20)
	cl.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", c.Path, err)
	}
	for _, job := range first {
		if err := cl.send(job); err != nil {
			cl.Kill()
			return nil, err
		}
	}
	ev, err := cl.next(ctx)
	if err != nil {
		cl.Kill()
		return nil, err
	}
	if ev.Type != EventHello {
		cl.Kill()
		return nil, fmt.Errorf("worker %s: first line is %q, not hello", c.Path, ev.Type)
	}
	cl.HelloAt = time.Now()
	cl.Hello = ev
	return cl, nil
}

// Spawn is the time from exec to the worker's main, by the two clocks.
func (c *Client) Spawn() time.Duration {
	if c.Hello.StartUnixNano == 0 {
		return 0
	}
	return time.Duration(c.Hello.StartUnixNano - c.Started.UnixNano())
}

type lineResult struct {
	ev  Event
	err error
}

// next reads one event, honouring ctx by killing the worker.
func (c *Client) next(ctx context.Context) (Event, error) {
	ch := make(chan lineResult, 1)
	go func() {
		if !c.events.Scan() {
			err := c.events.Err()
			if err == nil {
				err = io.EOF
			}
			ch <- lineResult{err: err}
			return
		}
		var ev Event
		if err := json.Unmarshal(c.events.Bytes(), &ev); err != nil {
			ch <- lineResult{err: fmt.Errorf("worker wrote a line that is not an event: %q: %w", truncate(c.events.Text(), 200), err)}
			return
		}
		ch <- lineResult{ev: ev}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return Event{}, c.crashed(r.err)
		}
		return r.ev, nil
	case <-ctx.Done():
		c.Kill()
		<-ch
		return Event{}, ctx.Err()
	}
}

// crashed turns a broken event stream into a KindCrash error with the
// worker's exit status and stderr.
func (c *Client) crashed(cause error) error {
	state := c.wait()
	msg := "worker closed its output"
	if !errors.Is(cause, io.EOF) {
		msg = cause.Error()
	}
	if state != "" {
		msg += " (" + state + ")"
	}
	return &Error{Kind: KindCrash, Message: msg, Stderr: c.stderr.String()}
}

func (c *Client) wait() string {
	// Once: crashed (from Do) and Close may both get here.
	c.waitOnce.Do(func() {
		c.waitErr = c.cmd.Wait()
	})
	if c.cmd.ProcessState == nil {
		return ""
	}
	return c.cmd.ProcessState.String()
}

// Do sends a job and passes each of its events to on, up to and excluding
// the final done or error. It returns the job's *Error, a KindCrash *Error
// when the worker died, or ctx's error (after killing the worker).
func (c *Client) Do(ctx context.Context, job Job, on func(Event)) error {
	if err := c.send(job); err != nil {
		return err
	}
	return c.Await(ctx, job.ID, on)
}

func (c *Client) send(job Job) error {
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		return c.crashed(fmt.Errorf("send job: %w", err))
	}
	return nil
}

// Await collects the events of a job already sent (see Do).
func (c *Client) Await(ctx context.Context, id string, on func(Event)) error {
	for {
		ev, err := c.next(ctx)
		if err != nil {
			return err
		}
		if ev.Job != id && ev.Job != "" {
			continue
		}
		if ev.MaxRSS > c.maxRSS {
			c.maxRSS = ev.MaxRSS
		}
		switch ev.Type {
		case EventDone:
			return nil
		case EventError:
			if ev.Error == nil {
				ev.Error = Errorf(KindInternal, "worker reported an error without detail")
			}
			if (ev.Error.Kind == KindTimeout || ev.Error.Kind == KindCrash) && ev.Error.Stderr == "" {
				// Do not wait for the worker here: one whose runtime
				// cannot interrupt its guest exits after reporting the
				// timeout, but one that can lives on and serves the next
				// job. Its stderr so far goes with the error; the next Do
				// or Close sees whether it exited.
				ev.Error.Stderr = c.stderr.String()
			}
			return ev.Error
		default:
			on(ev)
		}
	}
}

// Close ends the worker (EOF on stdin) and waits for it, returning the
// peak resident set in bytes the worker reported (0 when it reported
// none: rusage would include the orchestrator's memory, see Event.MaxRSS).
func (c *Client) Close() (maxRSS int64, err error) {
	maxRSS = c.maxRSS
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { c.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Kill()
		<-done
	}
	if ps := c.cmd.ProcessState; ps != nil {
		if !ps.Success() && c.waitErr != nil {
			return maxRSS, fmt.Errorf("worker exited: %v: %s", c.waitErr, truncate(c.stderr.String(), 500))
		}
	}
	return maxRSS, nil
}

// Kill ends the worker's whole process group at once.
func (c *Client) Kill() {
	if c.cmd.Process != nil {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		_ = c.cmd.Process.Kill()
	}
}

// Stderr is what the worker wrote to stderr so far (its last 8 KiB).
func (c *Client) Stderr() string { return c.stderr.String() }

// Info starts a worker only to read its hello.
func Info(ctx context.Context, c Command) (Event, error) {
	cl, err := Start(ctx, c)
	if err != nil {
		return Event{}, err
	}
	_, _ = cl.Close()
	return cl.Hello, nil
}

type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
