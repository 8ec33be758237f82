package run

import (
	"fmt"
	"io"
	"time"

	"github.com/wasmbench/bench/report/stats"
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
		target := "no precision target"
		if o.Precision > 0 {
			target = "precision ±" + percent(o.Precision)
		}
		fmt.Fprintf(w, "bench: %d cells (%d already done), %s, budget %v per cell (up to %v for a cell short of the target)\n",
			len(states), p.done, target, o.Budget, o.Budget*HardCapFactor)
	}
	return p
}

// eta estimates the time left: each running cell's remaining budget, or
// the remaining minimum processes when they take longer, or its next task
// when it runs past its budget on the run's spare time.
func (p *progress) eta() time.Duration {
	var left time.Duration
	for _, s := range p.states {
		switch {
		case s.done:
		case s.callCost:
			left += 200 * time.Millisecond // call-cost cells take milliseconds
		default:
			left += s.timeLeft(p.o)
		}
	}
	return left.Round(time.Second)
}

// timeLeft estimates a running cell's remaining time.
func (s *cellState) timeLeft(o Options) time.Duration {
	left := o.Budget - s.elapsed
	if s.cold > 0 {
		mins := time.Duration(max(o.MinCold-s.cold, 0)) * s.cost(taskCold, o)
		if s.warmFits(o) {
			mins += time.Duration(max(o.MinWarm-s.warm, 0)) * s.cost(taskWarm, o)
		}
		left = max(left, mins)
	}
	if left <= 0 {
		left = 0
		if st := s.plan(o); st.borrow {
			left = st.cost
		}
	}
	return left
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
	cs, ws := s.summaries()
	line := fmt.Sprintf("[%d/%d] %s: %s, %s, %s, %s", p.done, len(p.states), s.Key(), processText(s.cold, "cold", "total", cs),
		processText(s.warm, "warm", "execute", ws), s.elapsed.Round(time.Millisecond), status)
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

// processText is "3 cold (total ±2.1%)": a kind's processes and the
// precision of its key figure.
func processText(n int, kind, figure string, p stats.ProcessSummary) string {
	switch {
	case n == 0:
		return "0 " + kind
	case !p.HasCI:
		return fmt.Sprintf("%d %s (%s: no interval)", n, kind, figure)
	}
	return fmt.Sprintf("%d %s (%s ±%s)", n, kind, figure, percent(p.HalfWidth()))
}
