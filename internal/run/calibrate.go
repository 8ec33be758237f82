package run

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
)

// Calibration: a run starts and ends with a few short native processes
// that do the same work every time (native C fib(CalibrationN), ~75 ms on
// a 2-core x86_64 here), so a report can tell the machine's own noise, and
// a drift between the start and the end, from a runtime's. Each process
// is one cold sample of phase execute in the cell CalibrationCell(when).
const (
	CalibrationWorkload  = "calibration"
	CalibrationN         = 38
	CalibrationProcesses = 8
)

// CalibrationCell is the cell of the calibration samples taken at "start"
// or "end" of a run (a resumed run takes both again, as new processes of
// the same cells).
func CalibrationCell(when string) results.Cell {
	return results.Cell{Runtime: "native", Tier: "native", Workload: CalibrationWorkload, Lang: workloads.LangC,
		Param: when, Target: "local"}
}

// calibrate runs the calibration processes for when ("start" or "end").
// A missing native build, or a calibration process that fails, is noted
// and the run goes on; only an interruption is returned.
func (r *runner) calibrate(ctx context.Context, when string, rts []*Runtime, prior []results.Record) error {
	cell := CalibrationCell(when)
	skip := func(why string) error {
		return r.write(results.Record{Kind: results.KindNote, Cell: cell, Note: "calibration skipped: " + why})
	}
	var native *Runtime
	for _, rt := range rts {
		if rt.Native {
			native = rt
		}
	}
	if native == nil || native.Unavailable != "" {
		why := "the native runtime is unavailable"
		if native != nil {
			why += ": " + native.Unavailable
		}
		return skip(why)
	}
	fib, err := workloads.Get("fib")
	if err != nil {
		return skip(err.Error())
	}
	c := &Cell{Cell: cell, Runtime: native, Workload: fib, N: CalibrationN}
	_, exe := r.modulePath(c)
	if _, err := os.Stat(exe); err != nil {
		return skip("no native build " + exe + ": run make build")
	}
	want, err := fib.Expect(cell.Lang, CalibrationN)
	if err != nil {
		return skip(err.Error())
	}
	worker, err := native.Command(cell.Tier)
	if err != nil {
		return skip(err.Error())
	}
	tg := r.cfg.Targets["local"]
	if tg == nil {
		tg = local.Local{}
	}
	// Process indices continue after those of earlier (resumed) runs.
	proc := 0
	for _, rec := range prior {
		if rec.Cell == cell && rec.Process >= proc {
			proc = rec.Process + 1
		}
	}
	for i := 0; i < CalibrationProcesses; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		job := r.job(c, runners.OpCold)
		id := taskID(c, taskCold, proc)
		// An I/O folder of the run's own, removed whatever happens (a
		// worker killed at Ctrl-C cannot remove one it made itself).
		release, err := r.attachIO(&job)
		if err != nil {
			return skip(err.Error())
		}
		t0 := time.Now()
		out, err := tg.Run(ctx, deploy.Task{Cell: cell, Worker: worker, Job: job, Process: proc})
		wall := time.Since(t0)
		release()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return skip(fmt.Sprintf("process %d: %v", proc, err))
		}
		if out.Err != nil {
			return skip(fmt.Sprintf("process %d: %s: %s", proc, out.Err.Kind, strings.TrimSpace(out.Err.Message)))
		}
		var ns float64
		var verr error = fmt.Errorf("no output")
		for _, ev := range out.Events {
			switch {
			case ev.Type == runners.EventPhase && ev.Phase == results.PhaseExecute:
				ns = ev.NS
			case ev.Type == runners.EventOutput:
				verr = want.Check(ev.Output)
			}
		}
		if verr != nil || ns <= 0 {
			if verr == nil {
				verr = fmt.Errorf("no execute time")
			}
			return skip(fmt.Sprintf("process %d not verified: %v", proc, verr))
		}
		if err := r.write(
			results.Record{Kind: results.KindSample, Cell: cell, RuntimeVersion: out.RuntimeVersion, Phase: results.PhaseExecute,
				Cold: true, Value: ns, Unit: results.UnitNS, Verified: true, Process: proc, Task: id},
			results.Record{Kind: results.KindTask, Cell: cell, Task: id, WallNS: wall.Nanoseconds(),
				RuntimeVersion: out.RuntimeVersion, Process: proc},
		); err != nil {
			return err
		}
		proc++
	}
	return nil
}
