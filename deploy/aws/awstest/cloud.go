package awstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Account is the fake account's id; Region its region.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Cloud is every fake service, each on its own 127.0.0.1 server.
type Cloud struct {
	Lambda *Lambda
	IAM    *IAM
	STS    *STS
	ECR    *ECR
	S3     *S3
	Logs   *Logs

	Faults *Faults

	// PageSize, when set, caps every list call's page (ListFunctions,
	// ListRoles, DescribeRepositories, DescribeLogGroups, ListBuckets,
	// ListObjectsV2, ...) below AWS's own defaults, so that tests see
	// their pagination.
	PageSize int

	mu sync.Mutex
	// offset shifts the fake's clock (SetClockOffset).
	offset time.Duration
	// disabled are opt-in regions the account has not enabled: every
	// request signed for one is refused as AWS refuses it.
	disabled map[string]bool

	servers []*httptest.Server
	// Requests counts every request any service received.
	Requests atomic.Int64
}

// Endpoints are the services' base URLs.
type Endpoints struct {
	Lambda, IAM, STS, S3, ECR, Logs string
}

// protocol is how a service writes its errors.
type protocol int

const (
	protoJSON  protocol = iota // Lambda, ECR, CloudWatch Logs
	protoQuery                 // IAM, STS
	protoXML                   // S3
	protoNone                  // the registry (basic authentication, no region)
)

// New starts a cloud. Close it when done.
func New() *Cloud {
	c := &Cloud{Faults: &Faults{}, disabled: map[string]bool{}}
	c.IAM = &IAM{cloud: c, roles: map[string]*role{}}
	c.STS = &STS{cloud: c}
	c.S3 = newS3(c)
	c.ECR = newECR(c)
	c.Logs = newLogs(c)
	c.Lambda = newLambda(c)
	for _, h := range []struct {
		url   *string
		h     http.Handler
		proto protocol
	}{
		{&c.Lambda.URL, c.Lambda, protoJSON}, {&c.IAM.URL, c.IAM, protoQuery}, {&c.STS.URL, c.STS, protoQuery},
		{&c.ECR.URL, c.ECR, protoJSON}, {&c.ECR.RegistryURL, c.ECR.registry, protoNone}, {&c.S3.URL, c.S3, protoXML},
		{&c.Logs.URL, c.Logs, protoJSON},
	} {
		s := httptest.NewServer(c.serve(h.h, h.proto))
		*h.url = s.URL
		c.servers = append(c.servers, s)
	}
	return c
}

// SetClockOffset shifts the time the fake stamps on what it creates and
// changes from now on (creation dates, LastModified), so a test can leave
// resources that look hours old.
func (c *Cloud) SetClockOffset(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = d
}

// Now is the fake's clock.
func (c *Cloud) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// DisableRegion makes region an opt-in region the account has not
// enabled: every request signed for it is refused with the error AWS
// gives then (STS InvalidClientTokenId, Lambda, ECR and Logs
// UnrecognizedClientException: "The security token included in the
// request is invalid").
func (c *Cloud) DisableRegion(region string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disabled[region] = true
}

func (c *Cloud) serve(h http.Handler, proto protocol) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Requests.Add(1)
		region := SigningRegion(r)
		c.mu.Lock()
		refused := c.disabled[region]
		c.mu.Unlock()
		if refused && proto != protoNone {
			_, _ = io.Copy(io.Discard, r.Body)
			const msg = "The security token included in the request is invalid."
			switch proto {
			case protoQuery:
				queryError(w, 403, "InvalidClientTokenId", msg)
			case protoXML:
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(403)
				io.WriteString(w, "<Error><Code>InvalidToken</Code><Message>"+msg+"</Message></Error>")
			default:
				jsonError(w, 403, "UnrecognizedClientException", msg)
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// SigningRegion is the region a SigV4 request was signed for (the
// credential scope of its Authorization header), "" if unsigned.
func SigningRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[2]
}

// Endpoints are the base URLs to give the SDK.
func (c *Cloud) Endpoints() Endpoints {
	return Endpoints{Lambda: c.Lambda.URL, IAM: c.IAM.URL, STS: c.STS.URL, S3: c.S3.URL, ECR: c.ECR.URL, Logs: c.Logs.URL}
}

// pageSize is a list call's page: what the caller asked for (or the API's
// default), at most PageSize.
func (c *Cloud) pageSize(asked, def int) int {
	n := def
	if asked > 0 && asked < n {
		n = asked
	}
	if c.PageSize > 0 && c.PageSize < n {
		n = c.PageSize
	}
	return n
}

// page cuts a sorted list of names at the token (the first name of the
// page, "" for the first page; an item deleted since is skipped over) and
// returns the page and the next token ("" at the end).
func page(names []string, token string, size int) (out []string, next string) {
	start := 0
	if token != "" {
		start = sort.SearchStrings(names, token)
	}
	end := min(start+max(size, 1), len(names))
	if end < len(names) {
		next = names[end]
	}
	return names[start:end], next
}

// atoi is a query parameter's integer, 0 if absent or bad.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Close stops every server and every execution environment.
func (c *Cloud) Close() {
	c.Lambda.closeAll()
	for _, s := range c.servers {
		s.Close()
	}
}

// Leftovers lists every resource that exists: functions, roles,
// repositories, buckets, objects and log groups.
func (c *Cloud) Leftovers() []string {
	var out []string
	out = append(out, c.Lambda.names()...)
	out = append(out, c.IAM.names()...)
	out = append(out, c.ECR.names()...)
	out = append(out, c.S3.names()...)
	out = append(out, c.Logs.names()...)
	sort.Strings(out)
	return out
}

// Faults injects errors: each rule fails matching calls after skipping
// Skip of them, Times times.
type Faults struct {
	mu    sync.Mutex
	rules []*Rule
	// OnCall, when set, hears of every API call (service, operation)
	// before it is answered: a test may cancel its context there, and the
	// call still takes effect, as when an answer is lost.
	OnCall func(service, op string)
}

// Rule is one injected failure: service ("lambda", "iam", "sts", "ecr",
// "s3", "logs"), operation (e.g. "Invoke", "UpdateFunctionConfiguration",
// "CreateRole"; "" matches all), how many matching calls pass first, how
// many then fail, and the error.
type Rule struct {
	Service, Op string
	Skip, Times int
	Status      int
	Code        string
	Message     string
	// Hit counts the calls the rule failed.
	Hit  int
	seen int
}

// Add installs a rule and returns it (to read Hit).
func (f *Faults) Add(r Rule) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	rr := r
	f.rules = append(f.rules, &rr)
	return &rr
}

// check returns the rule failing this call, if any.
func (f *Faults) check(service, op string) *Rule {
	if f.OnCall != nil {
		f.OnCall(service, op)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.Service != service || (r.Op != "" && r.Op != op) {
			continue
		}
		r.seen++
		if r.seen > r.Skip && r.Hit < r.Times {
			r.Hit++
			return r
		}
	}
	return nil
}

// jsonError writes a JSON-protocol error (Lambda's REST-JSON, ECR's
// JSON 1.1).
func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	if code == "TooManyRequestsException" {
		w.Header().Set("Retry-After", "0")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Type": "User", "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func arnName(s string) string {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.Split(s, ":")
		return parts[len(parts)-1]
	}
	return s
}
