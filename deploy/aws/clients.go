package aws

import (
	"net/http"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Endpoints overrides the services' base URLs (empty: the SDK's usual
// resolution, which also honours AWS_ENDPOINT_URL_<SERVICE>).
type Endpoints struct {
	Lambda, IAM, STS, S3, ECR, Logs string
}

// ClientOptions are how bench talks to AWS: endpoints, retries, the HTTP
// client. The zero value is right for real AWS.
type ClientOptions struct {
	Endpoints Endpoints
	// HTTPClient replaces the SDK's and the registry client's (tests
	// count requests and refuse any that would leave the machine).
	HTTPClient *http.Client
	// MaxAttempts bounds each API call's attempts on throttling, conflicts
	// and transient errors (default 10).
	MaxAttempts int
	// MaxBackoff bounds the wait between attempts (default 20s); Backoff
	// replaces the SDK's exponential jittered backoff (tests).
	MaxBackoff time.Duration
	Backoff    retry.BackoffDelayer
	// S3PathStyle addresses buckets in the path, not the host name (an
	// S3 of one's own; set whenever Endpoints.S3 is).
	S3PathStyle bool
	// APIOptions are added to every client's middleware stack (tests
	// record which operations bench calls).
	APIOptions []func(*middleware.Stack) error
}

// Error codes retried beyond the SDK's defaults (which already include
// throttling such as TooManyRequestsException): a function still being
// created or updated answers ResourceConflictException.
var retriedCodes = map[string]bool{
	"ResourceConflictException": true,
	"ResourceNotReadyException": true,
}

// retryer is the SDK's standard retryer with bench's retried codes, no
// client-side retry quota (a long run of conflicts while a function
// updates is expected, not a sign of an outage) and the configured
// attempts and backoff.
func (o ClientOptions) retryer() sdk.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 10
		if o.MaxAttempts > 0 {
			so.MaxAttempts = o.MaxAttempts
		}
		if o.MaxBackoff > 0 {
			so.MaxBackoff = o.MaxBackoff
		}
		if o.Backoff != nil {
			so.Backoff = o.Backoff
		}
		so.RateLimiter = ratelimit.None
		so.Retryables = append(so.Retryables, retry.IsErrorRetryableFunc(isRetriedConflict))
	})
}

// isRetriedConflict retries ResourceConflictException, except the one
// CreateFunction answers for a name that exists: that one never clears.
func isRetriedConflict(err error) sdk.Ternary {
	var ae smithy.APIError
	if !asAPIError(err, &ae) || !retriedCodes[ae.ErrorCode()] {
		return sdk.UnknownTernary
	}
	if strings.Contains(strings.ToLower(ae.ErrorMessage()), "already exist") {
		return sdk.FalseTernary
	}
	return sdk.TrueTernary
}

// clients are the service clients of one run.
type clients struct {
	lambda *lambda.Client
	iam    *iam.Client
	sts    *sts.Client
	s3     *s3.Client
	ecr    *ecr.Client
	logs   *cloudwatchlogs.Client
}

func newClients(cfg sdk.Config, o ClientOptions) *clients {
	cfg = cfg.Copy()
	cfg.Retryer = o.retryer
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), o.APIOptions...)
	e := o.Endpoints
	return &clients{
		lambda: lambda.NewFromConfig(cfg, func(lo *lambda.Options) { setEndpoint(&lo.BaseEndpoint, e.Lambda) }),
		iam:    iam.NewFromConfig(cfg, func(io *iam.Options) { setEndpoint(&io.BaseEndpoint, e.IAM) }),
		sts:    sts.NewFromConfig(cfg, func(so *sts.Options) { setEndpoint(&so.BaseEndpoint, e.STS) }),
		s3: s3.NewFromConfig(cfg, func(so *s3.Options) {
			setEndpoint(&so.BaseEndpoint, e.S3)
			if e.S3 != "" || o.S3PathStyle {
				so.UsePathStyle = true // a local server has no bucket host names
			}
		}),
		ecr:  ecr.NewFromConfig(cfg, func(eo *ecr.Options) { setEndpoint(&eo.BaseEndpoint, e.ECR) }),
		logs: cloudwatchlogs.NewFromConfig(cfg, func(lo *cloudwatchlogs.Options) { setEndpoint(&lo.BaseEndpoint, e.Logs) }),
	}
}

func setEndpoint(dst **string, url string) {
	if url != "" {
		*dst = sdk.String(url)
	}
}
