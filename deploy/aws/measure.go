package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/wasmbench/bench/deploy/lambdareport"
	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/runners"
)

// envColdKey is the environment variable changed to force a cold start.
const envColdKey = "BENCH_COLD_START"

// invocation is one Invoke and what came back.
type invocation struct {
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

// measurer invokes one deployed function.
type measurer struct {
	o   *Options
	c   *clients
	f   *Function
	env map[string]string
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

// invokeRequest invokes the function once with req.
func (m *measurer) invokeRequest(ctx context.Context, iteration int, req runners.LambdaRequest) invocation {
	inv := invocation{iteration: iteration}
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

// billedMS is an invocation's billed duration: the REPORT's, or what
// Lambda bills for it when the line has none.
func billedMS(rep lambdareport.Report) float64 {
	return pricing.BilledMS(rep.DurationMS(), rep.BilledDurationMS(), rep.InitDurationMS())
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
