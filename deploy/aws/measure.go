package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/internal/run"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/workloads"
	"github.com/wasmbench/bench/workloads/custom"
)

// envColdKey is the environment variable changed to force a cold start.
const envColdKey = "BENCH_COLD_START"

// throttledTask ends the task kind of an invocation that Lambda throttled
// (TooManyRequestsException) and the SDK retried: "<key>/burst-throttled/3".
// Its samples are recorded, but it did not run when it was meant to (a
// burst invoke ran after the others), so it is no clean sample of its kind.
const throttledTask = "-throttled"

// invocation is one Invoke and what came back.
type invocation struct {
	kind      string // cold, warm, burst
	process   int
	iteration int
	client    time.Duration
	attempts  int
	// throttled counts the attempts Lambda refused with
	// TooManyRequestsException before one ran.
	throttled int
	report    lambdareport.Report
	resp      runners.LambdaResponse
	err       error  // the invocation failed at the AWS level
	funcError string // X-Amz-Function-Error and payload
	// funcErr is the function error's errorType and errorMessage when
	// the payload has them (a bench bootstrap's "Bench.<kind>").
	funcErrType, funcErrMsg string
	version                 string
}

// checker verifies one output of a function: a built-in workload's
// oracle, or a --wasm module's custom.Verifier. note, when not "", is for the
// results (a custom module's output became the reference).
type checker interface {
	check(cell results.Cell, out *runners.Output) (note string, err error)
	// keepStdout says whether the first cold invocation should return the
	// whole stdout, for a line diff.
	keepStdout() bool
	// explain names what a runtime lacks when it refuses the module.
	explain(e *runners.Error) *runners.Error
}

// oracle checks a built-in workload's output.
type oracle struct{ exp workloads.Expectation }

func (o oracle) check(_ results.Cell, out *runners.Output) (string, error) {
	return "", o.exp.Check(out)
}
func (oracle) keepStdout() bool                        { return false }
func (oracle) explain(e *runners.Error) *runners.Error { return e }

// verifier checks a --wasm module's output: one custom.Verifier per module
// for the whole deployment, so that without an expected stdout every
// configuration must agree with the first output.
type verifier struct{ v *custom.Verifier }

func (v verifier) check(c results.Cell, out *runners.Output) (string, error) {
	return v.v.Check(c, out)
}
func (v verifier) keepStdout() bool                        { return v.v.KeepStdout() }
func (v verifier) explain(e *runners.Error) *runners.Error { return v.v.Explain(e) }

// measurer measures one deployed function.
type measurer struct {
	o   *Options
	c   *clients
	f   *Function
	env map[string]string
	chk checker
	out func(...results.Record) error
}

// run forces Cold cold starts, then Warm warm invokes, then one burst of
// Burst concurrent invokes, writing records as it goes. It returns the
// first error that stops the function's measurement (ctx's included).
func (m *measurer) run(ctx context.Context) error {
	for i := 0; i < m.o.Cold; i++ {
		if err := m.forceCold(ctx, fmt.Sprintf("cold-%d", i)); err != nil {
			return err
		}
		inv := m.invoke(ctx, "cold", i, 0)
		if ctx.Err() != nil {
			return ctx.Err() // an interrupted invocation is no sample
		}
		if err := m.record(inv); err != nil {
			return err
		}
	}
	for j := 0; j < m.o.Warm; j++ {
		inv := m.invoke(ctx, "warm", m.o.Cold, j)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := m.record(inv); err != nil {
			return err
		}
	}
	if m.o.Soak > 0 {
		if err := m.soak(ctx); err != nil {
			return err
		}
	}
	if m.o.Burst > 0 {
		if err := m.forceCold(ctx, "burst"); err != nil {
			return err
		}
		invs := make([]invocation, m.o.Burst)
		var wg sync.WaitGroup
		for k := range invs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				invs[k] = m.invoke(ctx, "burst", m.o.Cold+1+k, 0)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		colds, throttled := 0, 0
		for _, inv := range invs {
			if err := m.record(inv); err != nil {
				return err
			}
			switch {
			case inv.throttled > 0:
				throttled++
			case inv.err == nil && inv.report.Cold:
				colds++
			}
		}
		rec := m.base("burst", m.o.Cold+1, 0)
		rec.Phase, rec.Value, rec.Unit, rec.Cold, rec.Verified = results.PhaseBurstColdStarts, float64(colds), results.UnitCount, true, true
		rec.Note = fmt.Sprintf("%d concurrent invokes after a forced cold start: %d started a new environment", m.o.Burst, colds)
		if throttled > 0 {
			rec.Note += fmt.Sprintf("; %d were throttled (TooManyRequestsException) and retried, and are not counted", throttled)
		}
		if err := m.out(rec); err != nil {
			return err
		}
	}
	return nil
}

// forceCold changes an environment variable, which makes Lambda retire
// every environment of the function, and waits for the update: the next
// invoke starts a new environment (the public benchmarks' method).
func (m *measurer) forceCold(ctx context.Context, tag string) error {
	env := make(map[string]string, len(m.env)+1)
	for k, v := range m.env {
		env[k] = v
	}
	env[envColdKey] = tag + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	_, err := m.c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: sdk.String(m.f.Name),
		Environment:  &ltypes.Environment{Variables: env},
	})
	if err != nil {
		return fmt.Errorf("force a cold start of %s (update configuration): %w", m.f.Name, err)
	}
	w := lambda.NewFunctionUpdatedV2Waiter(m.c.lambda, func(wo *lambda.FunctionUpdatedV2WaiterOptions) {
		wo.MinDelay, wo.MaxDelay = m.o.WaitDelay, 10*m.o.WaitDelay
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: sdk.String(m.f.Name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for %s to update: %w", m.f.Name, err)
	}
	return nil
}

// request is the invocation event. The first cold invocation asks for
// the whole stdout when a line diff may need it (as bench run's first cold
// sample does): returning it is part of that invocation's Duration.
func (m *measurer) request(kind string, process, iteration int) runners.LambdaRequest {
	req := runners.LambdaRequest{Iteration: iteration, TimeoutNS: int64(m.o.Timeout),
		StdinPath: m.f.Artifact.StdinPath, Dirs: m.f.Artifact.Dirs}
	if m.f.Custom != nil {
		req.Args = m.f.Custom.Args
	} else {
		req.Args = m.f.Workload.Args(m.f.N)
	}
	req.KeepStdout = kind == "cold" && process == 0 && m.chk.keepStdout()
	return req
}

func (m *measurer) invoke(ctx context.Context, kind string, process, iteration int) invocation {
	return m.invokeRequest(ctx, kind, process, iteration, m.request(kind, process, iteration))
}

// invokeRequest invokes the function once with req.
func (m *measurer) invokeRequest(ctx context.Context, kind string, process, iteration int, req runners.LambdaRequest) invocation {
	inv := invocation{kind: kind, process: process, iteration: iteration}
	payload, err := json.Marshal(req)
	if err != nil {
		inv.err = err
		return inv
	}
	t0 := time.Now()
	out, err := m.c.lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   sdk.String(m.f.Name),
		InvocationType: ltypes.InvocationTypeRequestResponse,
		LogType:        ltypes.LogTypeTail,
		Payload:        payload,
	})
	inv.client = time.Since(t0)
	if err != nil {
		inv.err = fmt.Errorf("invoke %s: %w", m.f.Name, err)
		return inv
	}
	inv.attempts = 1
	if ar, ok := retry.GetAttemptResults(out.ResultMetadata); ok {
		inv.attempts = len(ar.Results)
		for _, a := range ar.Results {
			if a.Err != nil && isCode(a.Err, "TooManyRequestsException") {
				inv.throttled++
			}
		}
	}
	inv.version = sdk.ToString(out.ExecutedVersion)
	inv.report, err = lambdareport.ParseLogResult(sdk.ToString(out.LogResult))
	if err != nil {
		inv.err = fmt.Errorf("invoke %s: %w", m.f.Name, err)
	}
	if fe := sdk.ToString(out.FunctionError); fe != "" {
		inv.funcError = fe + ": " + clip(string(out.Payload), 600)
		var doc struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(out.Payload, &doc) == nil {
			inv.funcErrType, inv.funcErrMsg = doc.ErrorType, doc.ErrorMessage
		}
		return inv
	}
	if jerr := json.Unmarshal(out.Payload, &inv.resp); jerr != nil && inv.err == nil {
		inv.err = fmt.Errorf("invoke %s: the response is not a bench response: %v: %q", m.f.Name, jerr, clip(string(out.Payload), 200))
	}
	return inv
}

// base is a record of this function.
func (m *measurer) base(kind string, process, iteration int) results.Record {
	return results.Record{Kind: results.KindSample, Cell: m.f.Cell, Process: process, Iteration: iteration,
		Arch: m.f.Arch, MemoryMB: m.f.MemoryMB, Package: m.f.Package, WarmMode: "live-instance",
		Task: fmt.Sprintf("%s/%s/%d", m.f.Key(), kind, process)}
}

// record turns an invocation into samples (or a failure) and writes them.
func (m *measurer) record(inv invocation) error {
	base := m.base(inv.kind, inv.process, inv.iteration)
	if inv.throttled > 0 {
		// Marked on every record of it, and kept out of the summary's
		// figures and the burst's count.
		base.Task = fmt.Sprintf("%s/%s%s/%d", m.f.Key(), inv.kind, throttledTask, inv.process)
		base.Note = fmt.Sprintf("throttled: Lambda refused this %s invoke %d times (TooManyRequestsException) before it ran; not a clean %s sample",
			inv.kind, inv.throttled, inv.kind)
	}
	base.RuntimeVersion = inv.resp.Version
	if m.f.Artifact.Env[runners.EnvArtifactDir] != "" {
		base.Cache = "disk"
	}
	fail := func(kind, msg, stderr string) error {
		r := base
		r.Kind, r.ErrorKind, r.Error, r.Stderr = results.KindFailure, kind, msg, stderr
		return m.out(r)
	}
	if inv.err != nil && inv.report.RequestID == "" && inv.report.Duration == 0 {
		// No REPORT (the invoke failed, or its log tail lost the line):
		// nothing to time or price.
		return fail(string(runners.KindInternal), inv.err.Error(), "")
	}
	// What the bootstrap said and whether its output is right.
	verified := false
	var verr error
	var notes []results.Record
	for _, ev := range inv.resp.Events {
		if ev.Type == runners.EventOutput {
			note, err := m.chk.check(m.where(), ev.Output)
			if note != "" {
				r := base
				r.Kind, r.Note = results.KindNote, note
				notes = append(notes, r)
			}
			if err != nil {
				verr = err
			} else {
				verified = true
			}
		}
	}
	if inv.resp.Error != nil || inv.funcError != "" || inv.err != nil || verr != nil {
		verified = false
	}
	rep := inv.report
	cold := rep.Cold
	var recs []results.Record
	sample := func(phase string, v float64, unit string) {
		r := base
		r.Phase, r.Value, r.Unit, r.Cold, r.Verified = phase, v, unit, cold, verified
		recs = append(recs, r)
	}
	if inv.err == nil {
		if rep.Cold {
			sample(results.PhaseInitDuration, rep.InitDurationMS()*1e6, results.UnitNS)
		}
		billed := pricing.BilledMS(rep.DurationMS(), rep.BilledDurationMS(), rep.InitDurationMS())
		sample(results.PhaseDuration, rep.DurationMS()*1e6, results.UnitNS)
		sample(results.PhaseBilledDuration, billed*1e6, results.UnitNS)
		sample(results.PhaseMaxMemoryUsed, float64(rep.MaxMemoryUsed), results.UnitBytes)
		if price, err := m.o.Prices.Invocation(m.f.Arch, m.f.MemoryMB, billed); err == nil {
			sample(results.PhasePrice, price, results.UnitUSD)
			recs[len(recs)-1].PriceUSD = price
		}
		if inv.attempts <= 1 {
			sample(results.PhaseTotal, float64(inv.client.Nanoseconds()), results.UnitNS)
		} else {
			// Throttled and retried by the SDK: the round trip includes
			// the backoff, so it is not a latency sample.
			r := base
			why := "conflicting"
			if inv.throttled > 0 {
				why = "throttled"
			}
			r.Kind, r.Note = results.KindNote, fmt.Sprintf("invoke retried %d times (%s): client time %s not recorded", inv.attempts-1, why, inv.client)
			recs = append(recs, r)
		}
		for _, ev := range inv.resp.Events {
			if ev.Type != runners.EventPhase {
				continue
			}
			r := base
			r.Phase, r.Value, r.Unit, r.Cold, r.Verified = ev.Phase, ev.NS, results.UnitNS, cold, verified
			recs = append(recs, r)
		}
		if inv.kind == "cold" && !rep.Cold {
			r := base
			r.Kind, r.Note = results.KindNote, "forced cold start, but the REPORT line has no Init Duration: Lambda reused an environment"
			recs = append(recs, r)
		}
	}
	if err := m.out(append(recs, notes...)...); err != nil {
		return err
	}
	switch {
	case inv.err != nil:
		return fail(string(runners.KindInternal), inv.err.Error(), "")
	case inv.funcError != "":
		e := functionError(inv, rep)
		e = m.chk.explain(e)
		return fail(string(e.Kind), e.Message, "")
	case inv.resp.Error != nil:
		e := m.chk.explain(inv.resp.Error)
		return fail(string(e.Kind), e.Message, e.Stderr)
	case verr != nil:
		// A wrong output is a failure with the diff, never a sample.
		return fail(string(runners.KindOutput), fmt.Sprintf("output not verified: %s invoke %d: %v", inv.kind, inv.iteration, verr), "")
	}
	return nil
}

// where names the function for a custom module's reference and messages:
// the cell, with the architecture, memory size and package in its target.
func (m *measurer) where() results.Cell {
	c := m.f.Cell
	c.Target = fmt.Sprintf("%s, %s, %d MB, %s", c.Target, m.f.Arch, m.f.MemoryMB, m.f.Package)
	return c
}

// functionError classifies a function error (X-Amz-Function-Error): the
// kind a bench bootstrap named in its errorType ("Bench.compile", posted
// to /init/error), a timeout or out-of-memory from the REPORT, else a
// crash.
func functionError(inv invocation, rep lambdareport.Report) *runners.Error {
	kind := runners.KindCrash
	msg := "function error: " + inv.funcError
	switch {
	case strings.HasPrefix(inv.funcErrType, runners.ErrorTypePrefix):
		kind = runners.ErrorKind(strings.TrimPrefix(inv.funcErrType, runners.ErrorTypePrefix))
		msg = fmt.Sprintf("function error (%s): %s", inv.funcErrType, inv.funcErrMsg)
	case rep.Status == "timeout":
		kind = runners.KindTimeout
	case strings.Contains(inv.funcError, "OutOfMemory") || strings.Contains(rep.ErrorType, "OutOfMemory"):
		kind = runners.KindMemory
	}
	return &runners.Error{Kind: kind, Message: msg}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// soak forces a new environment and invokes it Soak times, recording
// after each invocation the environment's Max Memory Used (REPORT) and
// the bootstrap's resident set (its soak_rss event), as bench run --soak
// does on lambda-local, under the task "<function>/soak/<process>". A
// soak that fails part-way stops there with a note and keeps its series:
// where it stopped is its finding. Its records are in no summary figure.
func (m *measurer) soak(ctx context.Context) error {
	proc := m.o.Cold + 1 + m.o.Burst
	if err := m.forceCold(ctx, "soak"); err != nil {
		return err
	}
	mode := run.FreshInstance
	if m.o.SoakExport != "" {
		mode = run.LiveInstance
	}
	t0 := time.Now()
	done, stop := 0, ""
	for k := 0; k < m.o.Soak && stop == ""; k++ {
		req := m.request("soak", proc, k)
		req.Soak, req.Export = true, m.o.SoakExport
		inv := m.invokeRequest(ctx, "soak", proc, k, req)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		base := m.base("soak", proc, k)
		base.WarmMode, base.RuntimeVersion, base.Unit = mode, inv.resp.Version, results.UnitBytes
		if m.f.Artifact.Env[runners.EnvArtifactDir] != "" {
			base.Cache = "disk"
		}
		var recs []results.Record
		verified := mode == run.LiveInstance // a call returned: nothing to check
		for _, ev := range inv.resp.Events {
			if ev.Type == runners.EventOutput {
				_, err := m.chk.check(m.where(), ev.Output)
				verified = err == nil
			}
		}
		switch {
		case inv.err != nil:
			stop = inv.err.Error()
		case inv.funcError != "":
			stop = m.chk.explain(functionError(inv, inv.report)).Message
		case inv.resp.Error != nil:
			stop = string(inv.resp.Error.Kind) + ": " + m.chk.explain(inv.resp.Error).Message
		case !verified:
			stop = "output not verified"
		}
		if stop != "" {
			stop = fmt.Sprintf("stopped at invocation %d of %d: %s", k+1, m.o.Soak, clip(stop, 300))
			break
		}
		r := base
		r.Phase, r.Value, r.Verified = results.PhaseSoakMaxMemory, float64(inv.report.MaxMemoryUsed), true
		recs = append(recs, r)
		for _, ev := range inv.resp.Events {
			if ev.Type == runners.EventPhase && ev.Phase == results.PhaseSoakRSS {
				r := base
				r.Phase, r.Value, r.Verified = results.PhaseSoakRSS, float64(ev.Bytes), true
				recs = append(recs, r)
			}
		}
		if k > 0 && inv.report.Cold {
			n := base
			n.Kind, n.Unit, n.Note = results.KindNote, "", fmt.Sprintf("soak invocation %d started a new environment (Lambda retired the one before): the memory series restarts there", k+1)
			recs = append(recs, n)
		}
		if err := m.out(recs...); err != nil {
			return err
		}
		done++
	}
	note := m.base("soak", proc, 0)
	note.Kind, note.Iteration = results.KindNote, 0
	if stop != "" {
		note.Note = fmt.Sprintf("%s%s (%d completed; %s) after %v", run.SoakFailedNotePrefix, stop, done, mode, time.Since(t0).Round(time.Millisecond))
	} else {
		export := ""
		if m.o.SoakExport != "" {
			export = ", export " + m.o.SoakExport
		}
		note.Note = fmt.Sprintf("%s%d invocations in one Lambda environment (%s%s) in %v", run.SoakNotePrefix, done, mode, export,
			time.Since(t0).Round(time.Millisecond))
	}
	return m.out(note)
}
