package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// ErrAccountLimit means the run asks for more than the account allows in
// the region: a burst above its unreserved concurrency, or a memory size
// above its maximum.
var ErrAccountLimit = errors.New("beyond this account's Lambda limits")

// capFreeMemoryMB is the largest memory size every account may configure:
// AWS holds new accounts at 3008 MB (10240 MB is the service's maximum).
const capFreeMemoryMB = 3008

// concurrencyQuota is the Service Quotas code of Lambda's concurrent
// executions, to name in messages.
const concurrencyQuota = "L-B99A9384"

// AccountLimits are the account's Lambda limits in the run's region.
type AccountLimits struct {
	// Concurrency is the account's concurrent executions; Unreserved what
	// functions without reserved concurrency (bench's) share.
	Concurrency, Unreserved int
	// MaxMemoryMB is the largest memory size the account may configure,
	// when the probe found a cap (0: none found).
	MaxMemoryMB int
}

// readAccountLimits asks GetAccountSettings for the concurrency, and, when
// the run wants more than 3008 MB, probes the account's memory maximum:
// GetAccountSettings does not report it, but Lambda checks MemorySize
// against it before looking the function up, so an update of a function
// that does not exist answers ResourceNotFoundException when the size is
// allowed and names the maximum when it is not. The probe changes nothing.
func readAccountLimits(ctx context.Context, c *clients, o *Options) (AccountLimits, error) {
	out, err := c.lambda.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return AccountLimits{}, fmt.Errorf("read the account's Lambda limits (GetAccountSettings): %w", err)
	}
	var l AccountLimits
	if al := out.AccountLimit; al != nil {
		l.Concurrency = int(al.ConcurrentExecutions)
		l.Unreserved = l.Concurrency
		if al.UnreservedConcurrentExecutions != nil {
			l.Unreserved = int(*al.UnreservedConcurrentExecutions)
		}
	}
	if len(o.MemoryMB) == 0 || slices.Max(o.MemoryMB) <= capFreeMemoryMB {
		return l, nil
	}
	_, err = c.lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: sdk.String(namePrefix + o.RunID + "-memory-probe"),
		MemorySize:   sdk.Int32(int32(slices.Max(o.MemoryMB))),
	})
	if limit, ok := memoryCap(err); ok {
		l.MaxMemoryMB = limit
	} else if err != nil && !isNotFound(err) {
		// Not what the probe expects: the first create will tell.
		fmt.Fprintf(o.Log, "could not probe the account's memory maximum: %v\n", err)
	}
	return l, nil
}

// DefaultParallel is how many functions a run measures at once unless
// told: few enough to leave most of a new account's concurrency (10) to
// its other functions.
const DefaultParallel = 4

// perFunction is the most concurrent executions one function of the run
// uses: one, or its burst.
func perFunction(o *Options) int { return max(1, o.Burst) }

// setParallel picks the fan-out when --parallel was not given: at most
// DefaultParallel, and at most half the account's unreserved concurrency
// divided by what each function uses, at least one.
func (l AccountLimits) setParallel(o *Options) {
	if o.Parallel > 0 {
		return
	}
	o.Parallel = DefaultParallel
	if l.Concurrency > 0 {
		o.Parallel = max(1, min(DefaultParallel, l.Unreserved/2/perFunction(o)))
	}
}

// check refuses a run the account cannot take, before anything is
// created.
func (l AccountLimits) check(o *Options) error {
	if need := o.Parallel * perFunction(o); o.Parallel > 1 && l.Concurrency > 0 && need > l.Unreserved {
		fit := max(1, l.Unreserved/perFunction(o))
		return fmt.Errorf("%w: --parallel %d with %d concurrent executions per function (--burst %d) needs %d, above the account's "+
			"unreserved concurrency in %s, %d (of %d): invokes beyond it would be throttled, not measured; use --parallel %d or less, "+
			"or ask for more concurrency (Service Quotas, Lambda, %s)",
			ErrAccountLimit, o.Parallel, perFunction(o), o.Burst, need, o.Region, l.Unreserved, l.Concurrency, fit, concurrencyQuota)
	}
	if o.Burst > 0 && l.Concurrency > 0 && o.Burst > l.Unreserved {
		return fmt.Errorf("%w: --burst %d is above the account's unreserved concurrency in %s, %d (of %d): "+
			"the invokes beyond it would be throttled, not measured; use --burst %d or less, "+
			"or ask for more concurrency (Service Quotas, Lambda, %s)",
			ErrAccountLimit, o.Burst, o.Region, l.Unreserved, l.Concurrency, l.Unreserved, concurrencyQuota)
	}
	if l.MaxMemoryMB > 0 {
		for _, m := range o.MemoryMB {
			if m > l.MaxMemoryMB {
				return memoryCapError(m, l.MaxMemoryMB, o.Region)
			}
		}
	}
	return nil
}

func (l AccountLimits) String() string {
	s := fmt.Sprintf("concurrency %d (unreserved %d)", l.Concurrency, l.Unreserved)
	if l.MaxMemoryMB > 0 {
		s += fmt.Sprintf(", memory at most %d MB", l.MaxMemoryMB)
	}
	return s
}
