package awstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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

	Faults *Faults

	servers []*httptest.Server
	// Requests counts every request any service received.
	Requests atomic.Int64
}

// Endpoints are the services' base URLs.
type Endpoints struct {
	Lambda, IAM, STS, S3, ECR string
}

// New starts a cloud. Close it when done.
func New() *Cloud {
	c := &Cloud{Faults: &Faults{}}
	c.IAM = &IAM{cloud: c, roles: map[string]*role{}}
	c.STS = &STS{cloud: c}
	c.S3 = newS3(c)
	c.ECR = newECR(c)
	c.Lambda = newLambda(c)
	for _, h := range []struct {
		url *string
		h   http.Handler
	}{
		{&c.Lambda.URL, c.Lambda}, {&c.IAM.URL, c.IAM}, {&c.STS.URL, c.STS}, {&c.ECR.URL, c.ECR},
		{&c.ECR.RegistryURL, c.ECR.registry}, {&c.S3.URL, c.S3},
	} {
		s := httptest.NewServer(c.count(h.h))
		*h.url = s.URL
		c.servers = append(c.servers, s)
	}
	return c
}

func (c *Cloud) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Requests.Add(1)
		h.ServeHTTP(w, r)
	})
}

// Endpoints are the base URLs to give the SDK.
func (c *Cloud) Endpoints() Endpoints {
	return Endpoints{Lambda: c.Lambda.URL, IAM: c.IAM.URL, STS: c.STS.URL, S3: c.S3.URL, ECR: c.ECR.URL}
}

// Close stops every server and every execution environment.
func (c *Cloud) Close() {
	c.Lambda.closeAll()
	for _, s := range c.servers {
		s.Close()
	}
}

// Leftovers lists every resource that exists: functions, roles,
// repositories, buckets and objects.
func (c *Cloud) Leftovers() []string {
	var out []string
	out = append(out, c.Lambda.names()...)
	out = append(out, c.IAM.names()...)
	out = append(out, c.ECR.names()...)
	out = append(out, c.S3.names()...)
	sort.Strings(out)
	return out
}

// Faults injects errors: each rule fails matching calls after skipping
// Skip of them, Times times.
type Faults struct {
	mu    sync.Mutex
	rules []*Rule
}

// Rule is one injected failure: service ("lambda", "iam", "sts", "ecr",
// "s3"), operation (e.g. "Invoke", "UpdateFunctionConfiguration",
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
