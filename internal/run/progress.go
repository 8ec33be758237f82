package run

import (
	"fmt"
	"io"
	"time"
)

// progress shows where a run is: one redrawn line with an ETA on a
// terminal, a plain line per finished cell otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	states   []*cellState
	o        Options
	started  time.Time
	done     int
}

func newProgress(w io.Writer, terminal bool, states []*cellState, o Options) *progress {
	p := &progress{w: w, terminal: terminal, states: states, o: o, started: time.Now()}
	for _, s := range states {
		if s.done {
			p.done++
		}
	}
	if w != nil {
		fmt.Fprintf(w, "bench: %d cells (%d already done), budget %v per cell\n", len(states), p.done, o.Budget)
	}
	return p
}

// eta estimates the time left from the workload cells finished so far
// (call-cost cells take milliseconds and would drag the estimate down);
// before any has finished, a cell is assumed to take its budget.
func (p *progress) eta() time.Duration {
	var spent, left time.Duration
	finished := 0
	for _, s := range p.states {
		if s.done && !s.callCost {
			spent += s.elapsed
			finished++
		}
	}
	per := p.o.Budget
	if finished > 0 {
		per = spent / time.Duration(finished)
	}
	for _, s := range p.states {
		switch {
		case s.done:
		case s.callCost:
			left += 200 * time.Millisecond
		case s.elapsed < per:
			left += per - s.elapsed
		}
	}
	return left.Round(time.Second)
}

func (p *progress) start(s *cellState, kind string) {
	if p.w == nil || !p.terminal {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d cells] %s %s #%d · %s elapsed · ETA %s", p.done, len(p.states), s.Key(), kind,
		s.cold+s.warm+1, time.Since(p.started).Round(time.Second), p.eta())
}

func (p *progress) cellDone(s *cellState) {
	p.done++
	if p.w == nil {
		return
	}
	status := "ok"
	if s.failed {
		status = "FAILED (see results)"
	}
	line := fmt.Sprintf("[%d/%d] %s: %d cold, %d warm, %s, %s", p.done, len(p.states), s.Key(), s.cold, s.warm,
		s.elapsed.Round(time.Millisecond), status)
	if s.callCost {
		line = fmt.Sprintf("[%d/%d] %s: call cost, %s", p.done, len(p.states), s.Key(), status)
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s\n", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p.w != nil && p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
