package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/wasmbench/bench/results"
	"io"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/wasmbench/bench/runners"
)

// Command says how to start a worker process.
type Command struct {
	Path string
	Args []string
	Env  []string // added to the orchestrator's environment
	Dir  string
}

// clientMargin is how much longer than the worker's own watchdog
// (runners.WatchdogGrace) the client waits, during an execution limited by
// Job.TimeoutNS, for the worker's next event before it kills the worker.
const clientMargin = 5 * time.Second

// Client is the orchestrator's end of one worker process. It never blocks
// without end on the worker: a cancelled context, or a worker silent past
// an execution's time limit, kills the worker's process group.
type Client struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan lineResult
	quit   chan struct{}
	stderr *tailBuffer
	// Hello is the worker's first event.
	Hello runners.Event
	// Started is the orchestrator's wall clock just before exec.
	Started time.Time
	// HelloAt is when the hello line was read.
	HelloAt  time.Time
	waitErr  error
	waitOnce sync.Once
	quitOnce sync.Once
	// broken is set once the event stream failed: every later read fails.
	broken error
	// maxRSS is the peak resident set the worker last reported.
	maxRSS int64
	// limits maps the ID of a job sent to its execution time limit.
	limits map[string]time.Duration
}

// Start execs a worker, writes the jobs in first to its stdin at once (so
// a cold sample does not wait a pipe round trip for the hello), and reads
// its hello. Collect the events of a job sent this way with Await.
func Start(ctx context.Context, c Command, first ...runners.Job) (*Client, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	// Its own process group, so that Kill ends the worker and its children
	// at once; and killed with the orchestrator, so that a bench killed
	// by SIGKILL leaves no worker running on (or writing into its I/O
	// folder). The death signal fires when the thread that started the
	// worker ends: Start runs on a locked thread, which Go ends only when
	// a goroutine exits locked to it, and this one unlocks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A process that outlives the worker and holds its stderr must not
	// keep Wait waiting.
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cl := &Client{cmd: cmd, stdin: stdin, stderr: &tailBuffer{max: 8192}, lines: make(chan lineResult),
		quit: make(chan struct{}), limits: map[string]time.Duration{}}
	cmd.Stderr = cl.stderr
	runtime.LockOSThread()
	cl.Started = time.Now()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("start worker %s: %w", c.Path, err)
	}
	go cl.read(stdout)
	for _, job := range first {
		if err := cl.send(job); err != nil {
			cl.Kill()
			return nil, err
		}
	}
	ev, err := cl.next(ctx, 0, 0)
	if err != nil {
		cl.Kill()
		return nil, err
	}
	if ev.Type != runners.EventHello {
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
	ev  runners.Event
	err error
}

// read decodes the worker's event lines, one at a time, until the stream
// ends or breaks; it stops when the client quits.
func (c *Client) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	send := func(lr lineResult) bool {
		select {
		case c.lines <- lr:
			return true
		case <-c.quit:
			return false
		}
	}
	for {
		line, err := readLine(br, runners.MaxEventLine)
		if err != nil {
			send(lineResult{err: err})
			return
		}
		var lr lineResult
		if err := json.Unmarshal(line, &lr.ev); err != nil {
			lr.err = fmt.Errorf("worker wrote a line that is not an event: %q: %w", truncate(string(line), 200), err)
		}
		if !send(lr) || lr.err != nil {
			return
		}
	}
}

// readLine reads one line of at most max bytes, without its newline.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(line)+len(part) > max+1 {
			return nil, fmt.Errorf("worker wrote an event line longer than %s: not a bench worker, or a broken one", runners.SizeText(int64(max)))
		}
		line = append(line, part...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, fmt.Errorf("worker output ends inside an event line: %q", truncate(string(line), 200))
		default:
			return nil, err
		}
	}
}

// next reads one event. It kills the worker when ctx ends, and when
// silence is positive and no event came within it (exec is then the
// execution's time limit, for the message).
func (c *Client) next(ctx context.Context, silence, exec time.Duration) (runners.Event, error) {
	if c.broken != nil {
		return runners.Event{}, c.broken
	}
	var expire <-chan time.Time
	if silence > 0 {
		t := time.NewTimer(silence)
		defer t.Stop()
		expire = t.C
	}
	select {
	case r := <-c.lines:
		if r.err != nil {
			c.broken = c.crashed(r.err)
			return runners.Event{}, c.broken
		}
		return r.ev, nil
	case <-c.quit:
		c.broken = c.crashed(errors.New("the worker was killed"))
		return runners.Event{}, c.broken
	case <-ctx.Done():
		c.Kill()
		c.broken = ctx.Err()
		return runners.Event{}, ctx.Err()
	case <-expire:
		c.Kill()
		c.broken = &runners.Error{Kind: runners.KindTimeout, Message: fmt.Sprintf("execution exceeded %v and the worker sent nothing for %v "+
			"(its own watchdog reports a timeout after %v): killed it", exec, silence.Round(time.Millisecond),
			(exec + runners.WatchdogGrace(exec)).Round(time.Millisecond)), Stderr: c.stderr.String()}
		return runners.Event{}, c.broken
	}
}

// crashed turns a broken event stream into a KindCrash error with the
// worker's exit status and stderr. A worker that is still running (it
// wrote something that is not an event) is killed first: nothing reads
// its output any more, and it could block writing it.
func (c *Client) crashed(cause error) error {
	msg := "worker closed its output"
	if !errors.Is(cause, io.EOF) {
		msg = cause.Error() + ": killed it"
		c.Kill()
	}
	state := c.waitOrKill(5 * time.Second)
	if state != "" {
		msg += " (" + state + ")"
	}
	return &runners.Error{Kind: runners.KindCrash, Message: msg, Stderr: c.stderr.String()}
}

func (c *Client) wait() string {
	// Once: crashed (from Do) and Close may both get here.
	c.waitOnce.Do(func() {
		c.waitErr = c.cmd.Wait()
		c.quitOnce.Do(func() { close(c.quit) })
	})
	if c.cmd.ProcessState == nil {
		return ""
	}
	return c.cmd.ProcessState.String()
}

// waitOrKill waits for the worker to exit, killing it after d.
func (c *Client) waitOrKill(d time.Duration) string {
	done := make(chan string, 1)
	go func() { done <- c.wait() }()
	select {
	case s := <-done:
		return s
	case <-time.After(d):
		c.Kill()
		return <-done
	}
}

// Do sends a job and passes each of its events to on, up to and excluding
// the final done or error. It returns the job's *Error, a KindCrash *Error
// when the worker died, a KindTimeout *Error when it went silent past the
// job's time limit (after killing it), or ctx's error (after killing it).
func (c *Client) Do(ctx context.Context, job runners.Job, on func(runners.Event)) error {
	if err := c.send(job); err != nil {
		return err
	}
	return c.Await(ctx, job.ID, on)
}

func (c *Client) send(job runners.Job) error {
	if c.broken != nil {
		return c.broken
	}
	b, err := json.Marshal(job)
	if err != nil {
		return err
	}
	if job.TimeoutNS > 0 {
		c.limits[job.ID] = time.Duration(job.TimeoutNS)
	}
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		c.Kill()
		c.broken = c.crashed(fmt.Errorf("send job: %w", err))
		return c.broken
	}
	return nil
}

// Await collects the events of a job already sent (see Do). Once the job
// has compiled its module, the worker must send an event at least once
// per execution: when the job has a time limit and nothing comes within
// the limit, plus the worker's watchdog grace, plus a margin, the worker
// is killed and the job is a KindTimeout failure.
func (c *Client) Await(ctx context.Context, id string, on func(runners.Event)) error {
	limit := c.limits[id]
	defer delete(c.limits, id)
	var silence time.Duration // 0 until the job reaches its executions
	for {
		ev, err := c.next(ctx, silence, limit)
		if err != nil {
			return err
		}
		if ev.Job != id && ev.Job != "" {
			continue
		}
		if ev.MaxRSS > c.maxRSS {
			c.maxRSS = ev.MaxRSS
		}
		if limit > 0 && (ev.Type == runners.EventOutput || ev.Phase == results.PhaseCompile || ev.Phase == results.PhaseLoad) {
			silence = limit + runners.WatchdogGrace(limit) + clientMargin
		}
		switch ev.Type {
		case runners.EventDone:
			return nil
		case runners.EventError:
			if ev.Error == nil {
				ev.Error = runners.Errorf(runners.KindInternal, "worker reported an error without detail")
			}
			if (ev.Error.Kind == runners.KindTimeout || ev.Error.Kind == runners.KindCrash) && ev.Error.Stderr == "" {
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
	c.waitOrKill(10 * time.Second)
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
	c.quitOnce.Do(func() { close(c.quit) })
}

// Pid is the worker's process ID (also its process group's).
func (c *Client) Pid() int {
	if c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Stderr is what the worker wrote to stderr so far (its last 8 KiB).
func (c *Client) Stderr() string { return c.stderr.String() }

// Info starts a worker only to read its hello.
func Info(ctx context.Context, c Command) (runners.Event, error) {
	cl, err := Start(ctx, c)
	if err != nil {
		return runners.Event{}, err
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
