package synth

import (
	"bytes"
	"testing"

	"github.com/wasmbench/bench/results"
)

func TestDeterministic(t *testing.T) {
	a := Encode(Run(Options{Seed: 7}), false)
	b := Encode(Run(Options{Seed: 7}), false)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	if c := Encode(Run(Options{Seed: 8}), false); bytes.Equal(a, c) {
		t.Fatal("two seeds give the same run")
	}
}

func TestShape(t *testing.T) {
	recs := Run(Options{Seed: 1})
	if recs[0].Kind != results.KindEnv || recs[0].Env == nil {
		t.Fatal("first record is not the env line")
	}
	kinds := map[results.Kind]int{}
	targets := map[string]bool{}
	priced, warmups, unverified, calibration, sampling := 0, 0, 0, 0, 0
	procs := map[string]map[int]bool{}
	for _, r := range recs {
		kinds[r.Kind]++
		if r.Kind == results.KindNote && r.Workload != "" {
			sampling++
		}
		if r.Workload == "calibration" && r.Kind == results.KindSample {
			calibration++
		}
		if r.Kind == results.KindSample && !r.Cold && r.Phase == "execute" {
			if procs[r.Cell.Key()] == nil {
				procs[r.Cell.Key()] = map[int]bool{}
			}
			procs[r.Cell.Key()][r.Process] = true
		}
		if r.Kind == results.KindSample {
			targets[r.Target] = true
			if r.Unit == results.UnitUSD {
				priced++
			}
			if r.Warmup {
				warmups++
			}
			if !r.Verified {
				unverified++
			}
		}
	}
	// Notes: node's, the run's end, and one per local cell on how it
	// stopped sampling.
	if kinds[results.KindFailure] != 1 || kinds[results.KindNote] != 2+sampling || sampling == 0 || kinds[results.KindTask] == 0 {
		t.Errorf("kinds = %v (%d sampling notes), want one failure, two notes and sampling notes, some tasks", kinds, sampling)
	}
	if calibration != 16 || recs[0].Env.LoadAvg == nil {
		t.Errorf("%d calibration samples, load %v; want 8 at the start and 8 at the end, and a load average", calibration, recs[0].Env.LoadAvg)
	}
	for cell, p := range procs {
		if len(p) != 5 {
			t.Errorf("%s: %d warm processes, want 5", cell, len(p))
		}
	}
	for _, tg := range []string{"local", "lambda-local", "container-local", "aws-lambda"} {
		if !targets[tg] {
			t.Errorf("no samples for target %s", tg)
		}
	}
	if priced == 0 || warmups == 0 || unverified != 1 {
		t.Errorf("priced=%d warmups=%d unverified=%d, want >0, >0, 1", priced, warmups, unverified)
	}
	b := Encode(recs, true)
	if b[len(b)-1] == '\n' {
		t.Error("a truncated encoding ends with a full line")
	}
}
