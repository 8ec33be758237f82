package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/results"
	"github.com/wasmbench/bench/runners"
)

// Target is AWS Lambda as a target of the orchestrator (internal/run):
// each cell at a memory size, architecture and package type is one Lambda
// function, built from the task's worker and job (as lambda-local builds
// its package) and created on its first task. A cold task forces a new
// environment (a configuration update) and invokes it once; a warm task
// forces one and invokes it Warmup+Iterations times; a soak task invokes
// one new environment Iterations times; a burst (Burst) fires n invokes at
// one at once. Available checks the credentials and the account's limits
// before anything is built; Close tears down everything the run created.
type Target struct {
	o Options

	once     sync.Once
	availErr error
	id       Identity
	limits   AccountLimits
	c        *clients
	d        *deployer

	bmu sync.Mutex // the builder is not safe for concurrent use
	b   *builder

	mu  sync.Mutex
	fns map[string]*liveFunction // by function name
}

// liveFunction is one function of the run, created on its first task.
type liveFunction struct {
	*Function
	env map[string]string

	once      sync.Once
	createErr error
	// packageNoted is set once a task has reported the package's size.
	packageNoted bool
}

var (
	_ deploy.Target     = (*Target)(nil)
	_ deploy.Sized      = (*Target)(nil)
	_ deploy.Varied     = (*Target)(nil)
	_ deploy.Concurrent = (*Target)(nil)
	_ deploy.Preparer   = (*Target)(nil)
	_ deploy.Burster    = (*Target)(nil)
	_ deploy.Closer     = (*Target)(nil)
)

// DefaultMemoryMB is the memory size of a run that names none, as
// lambda-local's: an optimizing compiler compiling a 2-4 MB module does
// not fit Lambda's own default of 128 MB.
const DefaultMemoryMB = 1024

// NewTarget returns the AWS Lambda target. Nothing is sent to AWS until
// Available.
func NewTarget(o Options) (*Target, error) {
	o.defaults()
	o.Log = &syncWriter{w: o.Log} // functions measured at once log at once
	if err := o.absPaths(); err != nil {
		return nil, err
	}
	return &Target{o: o, fns: map[string]*liveFunction{}}, nil
}

// Name implements deploy.Target.
func (t *Target) Name() string { return TargetName }

// DefaultMemoryMB implements deploy.Sized.
func (t *Target) DefaultMemoryMB() int { return DefaultMemoryMB }

// Arches implements deploy.Varied: x86_64 first, the default.
func (t *Target) Arches() []string { return []string{ArchX86, ArchARM} }

// Packages implements deploy.Varied: zip first, the default.
func (t *Target) Packages() []string { return []string{PackageZip, PackageImage} }

// Concurrency implements deploy.Concurrent: the functions measured at once
// (--parallel, or the default the account's concurrency allows, known
// once Available has run).
func (t *Target) Concurrency() int { return max(t.o.Parallel, 1) }

// Options are the target's settled options (region, prices, run ID, the
// fan-out once Available has run).
func (t *Target) Options() Options { return t.o }

// Available implements deploy.Target. It settles the region, options and
// prices, then checks the credentials (STS GetCallerIdentity) and reads
// the account's limits: a run the account cannot take is refused before
// anything is built or created. It runs once; later calls return its
// answer.
func (t *Target) Available(ctx context.Context) error {
	t.once.Do(func() { t.availErr = t.available(ctx) })
	return t.availErr
}

func (t *Target) available(ctx context.Context) error {
	if err := t.o.Resolve(ctx); err != nil {
		return err
	}
	cfg, err := LoadConfig(ctx, t.o.Region, t.o.Getenv, t.o.Client)
	if err != nil {
		return err
	}
	if t.id, err = CheckCredentials(ctx, cfg, t.o.Client); err != nil {
		return err
	}
	fmt.Fprintf(t.o.Log, "AWS account %s as %s, region %s, run %s\n", t.id.Account, t.id.ARN, t.o.Region, t.o.RunID)
	t.c = newClients(cfg, t.o.Client)
	if t.limits, err = readAccountLimits(ctx, t.c, &t.o); err != nil {
		return err
	}
	t.limits.setParallel(&t.o)
	fmt.Fprintf(t.o.Log, "Lambda limits in %s: %s; %d functions at a time\n", t.o.Region, t.limits, t.o.Parallel)
	if err := t.limits.check(&t.o); err != nil {
		return err
	}
	t.d = newDeployer(&t.o, t.c, t.id)
	t.b = newBuilder(&t.o)
	return nil
}

// Notes are what the results must say about the whole run on this
// target: its region, run ID and prices.
func (t *Target) Notes() []string {
	return []string{fmt.Sprintf("aws-lambda region %s, run %s; every price_usd is priced with %s", t.o.Region, t.o.RunID, t.o.Prices)}
}

// Prepare implements deploy.Preparer: an ahead-of-time artifact compiled
// for the task's architecture (see builder.prepare), written to the job's
// artifact folder.
func (t *Target) Prepare(ctx context.Context, task deploy.Task) (deploy.Outcome, error) {
	if t.b == nil {
		return deploy.Outcome{}, errors.New("aws-lambda: Prepare before Available")
	}
	s, err := newSpec(task)
	if err != nil {
		return deploy.Outcome{Err: runners.Errorf(runners.KindBadJob, "%v", err)}, nil
	}
	t.bmu.Lock()
	p := t.b.prepare(ctx, s, task.Arch, task.Job.ArtifactDir)
	t.bmu.Unlock()
	if p.err != nil {
		if ctx.Err() != nil {
			return deploy.Outcome{}, ctx.Err()
		}
		kind := errKind(p.err)
		if kind == "" {
			kind = runners.KindNotPrepared
		}
		return deploy.Outcome{Err: &runners.Error{Kind: kind, Message: p.err.Error()}}, nil
	}
	return deploy.Outcome{Events: []runners.Event{{Type: runners.EventArtifact, ArtifactBytes: p.bytes}}}, nil
}

// function builds the task's package (once per artifact) and creates its
// function (once per cell, memory size, architecture and package type). A
// package that cannot be built, or a function Lambda refuses, is the
// task's failure (a *runners.Error); other errors are the target's.
func (t *Target) function(ctx context.Context, task deploy.Task) (*liveFunction, error) {
	if t.d == nil {
		return nil, errors.New("aws-lambda: Run before Available")
	}
	s, err := newSpec(task)
	if err != nil {
		return nil, runners.Errorf(runners.KindBadJob, "%v", err)
	}
	arch, kind := task.Arch, task.Package
	if arch == "" {
		arch = ArchX86
	}
	if kind == "" {
		kind = PackageZip
	}
	mem := task.MemoryMB
	if mem == 0 {
		mem = DefaultMemoryMB
	}
	cell := task.Cell
	name := functionName(t.o.RunID, cell.Runtime, cell.Tier, cell.Workload, cell.Lang, cell.Param, archShort(arch), strconv.Itoa(mem), kind)
	t.mu.Lock()
	fn, ok := t.fns[name]
	if !ok {
		fn = &liveFunction{Function: &Function{Cell: cell, Arch: arch, MemoryMB: mem, Package: kind, Name: name}}
		t.fns[name] = fn
	}
	t.mu.Unlock()
	fn.once.Do(func() {
		t.bmu.Lock()
		a := t.b.artifact(ctx, s, arch, kind)
		t.bmu.Unlock()
		fn.Artifact = a
		if ctx.Err() != nil {
			fn.createErr = ctx.Err()
			return
		}
		if a.Unavailable != "" {
			fn.createErr = runners.Errorf(runners.KindUnsupported, "%s on %s as %s: %s", cell.Runtime, arch, kind, a.Unavailable)
			return
		}
		if memCap := t.d.memoryCap(); memCap > 0 && mem > memCap {
			fn.createErr = runners.Errorf(runners.KindUnsupported, "%v", memoryCapError(mem, memCap, t.o.Region))
			return
		}
		fn.env = map[string]string{}
		for k, v := range a.Env {
			fn.env[k] = v
		}
		fn.env[envColdKey] = "created"
		fmt.Fprintf(t.o.Log, "deploying %s (%s, %s)\n", name, kind, fmtBytes(a.Bytes))
		if err := t.d.createFunction(ctx, fn.Function, fn.env, t.timeout(task)); err != nil {
			if ctx.Err() != nil {
				fn.createErr = ctx.Err()
				return
			}
			kind := runners.KindInternal
			if errors.Is(err, ErrAccountLimit) {
				// A memory size the account refuses, as memoryCap refuses
				// the sizes after it.
				kind = runners.KindUnsupported
			}
			fn.createErr = runners.Errorf(kind, "%v", err)
		}
	})
	if fn.createErr != nil && errors.Is(fn.createErr, context.Canceled) && ctx.Err() == nil {
		// Interrupted before: a resumed task tries again.
		t.mu.Lock()
		delete(t.fns, name)
		t.mu.Unlock()
		return t.function(ctx, task)
	}
	return fn, fn.createErr
}

// timeout is a function's timeout: the task's (bench run
// --function-timeout), else the target's.
func (t *Target) timeout(task deploy.Task) time.Duration {
	if task.FunctionTimeout > 0 {
		return task.FunctionTimeout
	}
	return t.o.Timeout
}

// failed turns function's error into the task's outcome.
func failed(err error) (deploy.Outcome, error) {
	var re *runners.Error
	if errors.As(err, &re) {
		return deploy.Outcome{Err: re}, nil
	}
	return deploy.Outcome{}, err
}

// Run implements deploy.Target.
func (t *Target) Run(ctx context.Context, task deploy.Task) (deploy.Outcome, error) {
	switch task.Job.Op {
	case runners.OpPrepare:
		return t.Prepare(ctx, task)
	case runners.OpCold, runners.OpWarm, runners.OpSoak:
	default:
		return deploy.Outcome{Err: runners.Errorf(runners.KindUnsupported,
			"aws-lambda runs cold, warm and soak jobs only, not %q", task.Job.Op)}, nil
	}
	fn, err := t.function(ctx, task)
	if err != nil {
		return failed(err)
	}
	m := &measurer{o: &t.o, c: t.c, f: fn.Function, env: fn.env}
	if err := m.forceCold(ctx, string(task.Job.Op)); err != nil {
		if ctx.Err() != nil {
			return deploy.Outcome{}, ctx.Err()
		}
		return deploy.Outcome{Err: runners.Errorf(runners.KindInternal, "%v", err)}, nil
	}
	var out deploy.Outcome
	t.mu.Lock()
	if !fn.packageNoted {
		fn.packageNoted = true
		rec := m.extra(results.PhasePackageBytes, float64(fn.Artifact.Bytes), results.UnitBytes, task.Job.Op == runners.OpCold, 0, task.Job.Op == runners.OpWarm)
		if fn.Artifact.AOTTarget != "" {
			rec.Note = "AOT artifact compiled for " + fn.Artifact.AOTTarget
		}
		out.Extra = append(out.Extra, rec)
	}
	t.mu.Unlock()
	n := task.Job.Invocations()
	if n <= 0 {
		out.Err = runners.Errorf(runners.KindBadJob, "%s job with no iterations", task.Job.Op)
		return out, nil
	}
	for i := range n {
		req := m.request(task.Job, i)
		req.Warmup = task.Job.Op == runners.OpWarm && i < task.Job.Warmup
		inv := m.invokeRequest(ctx, i, req)
		if ctx.Err() != nil {
			return out, ctx.Err() // an interrupted invocation is no sample
		}
		if stop := m.outcome(&out, task.Job, i, inv); stop {
			return out, nil
		}
	}
	return out, nil
}

// Burst implements deploy.Burster: a forced new environment, then n
// invokes at once; each invocation's figures (iteration k), and one
// burst_cold_starts sample, the number that started an environment.
// Throttled invokes are marked and not counted.
func (t *Target) Burst(ctx context.Context, task deploy.Task, n int) (deploy.Outcome, error) {
	fn, err := t.function(ctx, task)
	if err != nil {
		return failed(err)
	}
	m := &measurer{o: &t.o, c: t.c, f: fn.Function, env: fn.env}
	if err := m.forceCold(ctx, "burst"); err != nil {
		if ctx.Err() != nil {
			return deploy.Outcome{}, ctx.Err()
		}
		return deploy.Outcome{Err: runners.Errorf(runners.KindInternal, "%v", err)}, nil
	}
	invs := make([]invocation, n)
	var wg sync.WaitGroup
	for k := range invs {
		wg.Go(func() { invs[k] = m.invokeRequest(ctx, k, m.request(task.Job, k)) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return deploy.Outcome{}, ctx.Err()
	}
	var out deploy.Outcome
	colds, throttled := 0, 0
	for k, inv := range invs {
		switch {
		case inv.throttled > 0:
			throttled++
		case inv.err == nil && inv.report.Cold:
			colds++
		}
		var one deploy.Outcome
		m.outcome(&one, task.Job, k, inv)
		for i := range one.Extra {
			one.Extra[i].Cold = inv.report.Cold
		}
		out.Extra = append(out.Extra, one.Extra...)
		out.Events = append(out.Events, one.Events...)
		if one.RuntimeVersion != "" {
			out.RuntimeVersion = one.RuntimeVersion
		}
		if one.Err != nil && out.Err == nil {
			out.Err = one.Err
		}
	}
	rec := m.extra(results.PhaseBurstColdStarts, float64(colds), results.UnitCount, true, 0, false)
	rec.Note = fmt.Sprintf("%d concurrent invokes after a forced cold start: %d started a new environment", n, colds)
	if throttled > 0 {
		rec.Note += fmt.Sprintf("; %d were throttled (TooManyRequestsException) and retried, and are not counted", throttled)
	}
	out.Extra = append(out.Extra, rec)
	return out, nil
}

// Close implements deploy.Closer: teardown of everything the run created
// (or, with Keep, a list of it). Its error names what could not be
// deleted.
func (t *Target) Close() error {
	if t.d == nil {
		return nil
	}
	if t.o.Keep {
		var kept []string
		for _, r := range t.d.Created() {
			kept = append(kept, r.String())
		}
		if len(kept) > 0 {
			fmt.Fprintf(t.o.Log, "--keep: left in place (delete later with bench deploy aws --cleanup --region %s --run-id %s):\n  %s\n",
				t.o.Region, t.o.RunID, strings.Join(kept, "\n  "))
		}
		return nil
	}
	left := t.d.teardown(context.Background())
	if len(left) == 0 {
		return nil
	}
	var msgs []string
	for _, e := range left {
		msgs = append(msgs, e.Error())
	}
	fmt.Fprintf(t.o.Log, "could NOT delete (retry with bench deploy aws --cleanup --region %s --run-id %s):\n  %s\n",
		t.o.Region, t.o.RunID, strings.Join(msgs, "\n  "))
	return fmt.Errorf("%w: %d left in %s (run %s): %s", ErrLeftovers, len(left), t.o.Region, t.o.RunID, strings.Join(msgs, "; "))
}

// extra is a record of one of the function's invocations.
func (m *measurer) extra(phase string, v float64, unit string, cold bool, iter int, warmup bool) results.Record {
	return results.Record{Kind: results.KindSample, Phase: phase, Value: v, Unit: unit, Cold: cold, Iteration: iter,
		Warmup: warmup, Arch: m.f.Arch, MemoryMB: m.f.MemoryMB, Package: m.f.Package}
}

// request is the invocation event of a job's iteration: the job's
// arguments, with its stdin file and preopened folders as the package
// ships them.
func (m *measurer) request(job runners.Job, iteration int) runners.LambdaRequest {
	req := runners.LambdaRequest{Args: job.Args, Env: job.Env, Iteration: iteration, TimeoutNS: job.TimeoutNS,
		StdinPath: m.f.Artifact.StdinPath, Dirs: m.f.Artifact.Dirs, KeepStdout: job.KeepStdout && iteration == 0,
		MaxOutputBytes: job.MaxOutputBytes}
	if job.Op == runners.OpSoak {
		req.Soak, req.Export = true, job.Export
	}
	return req
}

// outcome adds one invocation to a task's outcome: the REPORT's figures
// and the client's round trip as samples, the bootstrap's events, and its
// failure. It reports whether the task stops there.
func (m *measurer) outcome(out *deploy.Outcome, job runners.Job, i int, inv invocation) (stop bool) {
	cold := job.Op == runners.OpCold
	warmup := job.Op == runners.OpWarm && i < job.Warmup
	if inv.err != nil && inv.report.RequestID == "" && inv.report.Duration == 0 {
		// No REPORT (the invoke failed, or its log tail lost the line).
		out.Err = runners.Errorf(runners.KindInternal, "%v", inv.err)
		return true
	}
	var note string
	if inv.throttled > 0 {
		note = fmt.Sprintf("throttled: Lambda refused this invoke %d times (TooManyRequestsException) before it ran", inv.throttled)
	}
	rep := inv.report
	first := len(out.Extra)
	add := func(phase string, v float64, unit string) *results.Record {
		r := m.extra(phase, v, unit, cold, i, warmup)
		out.Extra = append(out.Extra, r)
		return &out.Extra[len(out.Extra)-1]
	}
	if inv.err == nil {
		if rep.Cold {
			// A warm task's first invocation starts its environment: setup.
			add(results.PhaseInitDuration, rep.InitDurationMS()*1e6, results.UnitNS).Warmup = job.Op == runners.OpWarm
		}
		billed := billedMS(rep)
		add(results.PhaseDuration, rep.DurationMS()*1e6, results.UnitNS)
		add(results.PhaseBilledDuration, billed*1e6, results.UnitNS)
		if price, err := m.o.Prices.Invocation(m.f.Arch, m.f.MemoryMB, billed); err == nil {
			add(results.PhasePrice, price, results.UnitUSD).PriceUSD = price
		}
		if job.Op == runners.OpSoak {
			add(results.PhaseSoakMaxMemory, float64(rep.MaxMemoryUsed), results.UnitBytes)
		} else {
			add(results.PhaseMaxMemoryUsed, float64(rep.MaxMemoryUsed), results.UnitBytes)
		}
		if rep.MaxMemoryUsed > out.MaxRSS {
			out.MaxRSS = rep.MaxMemoryUsed
		}
		switch {
		case inv.attempts > 1:
			// Throttled or conflicting and retried by the SDK: the round
			// trip includes the backoff, so it is no latency sample.
			note = results.JoinNotes(note, fmt.Sprintf("invoke retried %d times: client time %s not recorded", inv.attempts-1, inv.client))
		case cold:
			out.Total = inv.client
		}
		if cold && !rep.Cold {
			note = results.JoinNotes(note, "forced cold start, but the REPORT line has no Init Duration: Lambda reused an environment")
		}
		if job.Op != runners.OpCold && i > 0 && rep.Cold {
			note = results.JoinNotes(note, fmt.Sprintf("invocation %d started a new environment (Lambda retired the one before)", i+1))
		}
	}
	for j := first; j < len(out.Extra); j++ {
		out.Extra[j].Note = results.JoinNotes(out.Extra[j].Note, note)
	}
	if inv.resp.Version != "" {
		out.RuntimeVersion = inv.resp.Version
	}
	for _, ev := range inv.resp.Events {
		if rep.Cold && job.Op == runners.OpWarm && results.IsSetupPhase(ev.Phase) {
			ev.Warmup = true // a warm process's setup, as runners.Serve marks it
		}
		out.Events = append(out.Events, ev)
	}
	switch {
	case inv.err != nil:
		out.Err = runners.Errorf(runners.KindInternal, "%v", inv.err)
	case inv.funcError != "":
		out.Err = functionError(inv, rep)
	case inv.resp.Error != nil:
		out.Err = inv.resp.Error
	default:
		return false
	}
	return true
}

// DryRun implements deploy.DryRunner: every task's package (and its
// ahead-of-time artifact) is built and the plan printed with its sizes,
// Lambda's limits and its cost; nothing is sent to AWS.
func (t *Target) DryRun(ctx context.Context, tasks []deploy.Task, w io.Writer) error {
	t.o.DryRun = true
	if err := t.o.Resolve(ctx); err != nil {
		return err
	}
	if t.o.Parallel == 0 {
		t.o.Parallel = DefaultParallel
	}
	b := newBuilder(&t.o)
	var fns []*Function
	byFn := map[*Function]deploy.Task{}
	for _, task := range tasks {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s, err := newSpec(task)
		if err != nil {
			return err
		}
		arch, kind, mem := task.Arch, task.Package, task.MemoryMB
		c := task.Cell
		f := &Function{Cell: c, Arch: arch, MemoryMB: mem, Package: kind,
			Name: functionName(t.o.RunID, c.Runtime, c.Tier, c.Workload, c.Lang, c.Param, archShort(arch), strconv.Itoa(mem), kind)}
		f.Artifact = b.artifact(ctx, s, arch, kind)
		fns = append(fns, f)
		byFn[f] = task
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	printPlan(w, &t.o, fns, byFn)
	return nil
}
