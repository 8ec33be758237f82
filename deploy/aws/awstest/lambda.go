package awstest

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/wasmbench/bench/deploy/lambdalocal"
	"github.com/wasmbench/bench/deploy/lambdareport"
)

// Lambda is the fake Lambda control plane (REST-JSON). Invoke runs the
// function's real bootstrap through deploy/lambdalocal: one host per
// execution environment, reused while warm, all retired when the
// configuration or code changes — as Lambda does.
type Lambda struct {
	URL   string
	cloud *Cloud

	// RoleNotReady makes the first N CreateFunction calls answer that the
	// role cannot be assumed yet (IAM propagation).
	RoleNotReady int
	// PendingPolls is how many GetFunction calls a function stays Pending
	// after CreateFunction (InProgress after an update).
	PendingPolls int
	// LogFormat "JSON" writes the REPORT as a platform.report event.
	LogFormat string
	// OnInvoke, when set, is called before each invocation runs.
	OnInvoke func(function string, n int)
	// HostLog receives the environments' logs.
	HostLog io.Writer
	// ConcurrencyLimit is the account's concurrency (default 1000; a new
	// account may have 10): an Invoke beyond it, counting Busy, is
	// throttled with TooManyRequestsException.
	ConcurrencyLimit int
	// MaxMemoryMB is the largest memory size the account may configure
	// (default 10240; new accounts may be held at 3008).
	MaxMemoryMB int
	// OnThrottle, when set, is called (without locks held) after an
	// Invoke was throttled.
	OnThrottle func(function string)

	mu       sync.Mutex
	dirMu    sync.Mutex // guards dir
	fns      map[string]*function
	invokes  int
	inflight int
	busy     int
	// Stats. PeakFunctions is the most functions that existed at once.
	Creates, Updates, Invokes, ColdStarts, Deletes, Throttles int
	PeakFunctions                                             int
	dir                                                       string
}

// SetBusy makes n units of the account's concurrency busy with other
// functions' invocations (0 frees them).
func (l *Lambda) SetBusy(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.busy = n
}

type envVars struct {
	Variables map[string]string `json:"Variables"`
}

type logging struct {
	LogFormat string `json:"LogFormat,omitempty"`
}

// fnConfig is FunctionConfiguration as the API returns it.
type fnConfig struct {
	FunctionName     string   `json:"FunctionName"`
	FunctionArn      string   `json:"FunctionArn"`
	Runtime          string   `json:"Runtime,omitempty"`
	Role             string   `json:"Role"`
	Handler          string   `json:"Handler,omitempty"`
	CodeSize         int64    `json:"CodeSize"`
	Description      string   `json:"Description"`
	Timeout          int32    `json:"Timeout"`
	MemorySize       int32    `json:"MemorySize"`
	LastModified     string   `json:"LastModified"`
	CodeSha256       string   `json:"CodeSha256"`
	Version          string   `json:"Version"`
	Environment      *envVars `json:"Environment,omitempty"`
	State            string   `json:"State"`
	StateReason      string   `json:"StateReason,omitempty"`
	LastUpdateStatus string   `json:"LastUpdateStatus"`
	PackageType      string   `json:"PackageType"`
	Architectures    []string `json:"Architectures"`
	RevisionID       string   `json:"RevisionId"`
	LoggingConfig    *logging `json:"LoggingConfig,omitempty"`
}

type function struct {
	cfg      fnConfig
	tags     map[string]string
	zipPath  string // unpacked by each host
	imageDir string // an image's root file system
	imageEnv map[string]string
	imageURI string
	pending  int
	gen      int
	idle     []*host
	all      map[*host]bool
}

type host struct {
	h   *lambdalocal.Host
	gen int
}

func newLambda(c *Cloud) *Lambda {
	return &Lambda{cloud: c, fns: map[string]*function{}, PendingPolls: 1, ConcurrencyLimit: 1000, MaxMemoryMB: 10240}
}

// memoryError is Lambda's answer to a memory size above the account's
// maximum: the constraint check comes before anything else, so even an
// update of a function that does not exist gets it.
func (l *Lambda) memoryError(w http.ResponseWriter, mem int32) bool {
	l.mu.Lock()
	limit := l.MaxMemoryMB
	l.mu.Unlock()
	if int(mem) <= limit {
		return false
	}
	jsonError(w, 400, "ValidationException", fmt.Sprintf("1 validation error detected: 'MemorySize' value failed to satisfy constraint: "+
		"Member must have value less than or equal to %d", limit))
	return true
}

func (l *Lambda) tmp() (string, error) {
	l.dirMu.Lock() // creates run at once (bench deploy aws --parallel)
	defer l.dirMu.Unlock()
	if l.dir == "" {
		d, err := os.MkdirTemp("", "awstest-lambda-")
		if err != nil {
			return "", err
		}
		l.dir = d
	}
	return l.dir, nil
}

func (l *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var op, fn string
	switch {
	case strings.TrimSuffix(p, "/") == "/2016-08-19/account-settings" && r.Method == "GET":
		op = "GetAccountSettings"
	case strings.HasPrefix(p, "/2017-03-31/tags/"):
		fn = arnName(strings.TrimPrefix(p, "/2017-03-31/tags/"))
		op = map[string]string{"GET": "ListTags", "POST": "TagResource", "DELETE": "UntagResource"}[r.Method]
	case p == "/2015-03-31/functions" || p == "/2015-03-31/functions/":
		op = map[string]string{"GET": "ListFunctions", "POST": "CreateFunction"}[r.Method]
	case strings.HasPrefix(p, "/2015-03-31/functions/"):
		rest := strings.TrimPrefix(p, "/2015-03-31/functions/")
		fn, rest, _ = strings.Cut(rest, "/")
		fn = arnName(fn)
		switch {
		case rest == "" && r.Method == "GET":
			op = "GetFunction"
		case rest == "" && r.Method == "DELETE":
			op = "DeleteFunction"
		case rest == "configuration" && r.Method == "GET":
			op = "GetFunctionConfiguration"
		case rest == "configuration" && r.Method == "PUT":
			op = "UpdateFunctionConfiguration"
		case rest == "code" && r.Method == "PUT":
			op = "UpdateFunctionCode"
		case rest == "invocations" && r.Method == "POST":
			op = "Invoke"
		}
	}
	if op == "" {
		jsonError(w, 404, "UnknownOperationException", "awstest Lambda: no operation "+r.Method+" "+p)
		return
	}
	if f := l.cloud.Faults.check("lambda", op); f != nil {
		jsonError(w, f.Status, f.Code, f.Message)
		return
	}
	if op == "Invoke" {
		l.invoke(w, r, fn)
		return
	}
	if op == "CreateFunction" {
		l.create(w, r)
		return
	}
	if op == "UpdateFunctionConfiguration" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			jsonError(w, 400, "InvalidRequestContentException", err.Error())
			return
		}
		var m struct {
			MemorySize int32 `json:"MemorySize"`
		}
		if json.Unmarshal(body, &m) == nil && l.memoryError(w, m.MemorySize) {
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch op {
	case "ListFunctions":
		q := r.URL.Query()
		names, next := page(l.sortedNames(), q.Get("Marker"), l.cloud.pageSize(atoi(q.Get("MaxItems")), 50))
		list := []fnConfig{}
		for _, n := range names {
			list = append(list, l.fns[n].cfg)
		}
		out := map[string]any{"Functions": list}
		if next != "" {
			out["NextMarker"] = next
		}
		writeJSON(w, 200, out)
		return
	case "GetAccountSettings":
		var code int64
		for _, f := range l.fns {
			code += f.cfg.CodeSize
		}
		writeJSON(w, 200, map[string]any{
			"AccountLimit": map[string]any{"ConcurrentExecutions": l.ConcurrencyLimit, "UnreservedConcurrentExecutions": l.ConcurrencyLimit,
				"CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800, "TotalCodeSize": 80530636800},
			"AccountUsage": map[string]any{"FunctionCount": len(l.fns), "TotalCodeSize": code},
		})
		return
	}
	f := l.fns[fn]
	if f == nil {
		jsonError(w, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:"+Region+":"+Account+":function:"+fn)
		return
	}
	switch op {
	case "GetFunction", "GetFunctionConfiguration":
		f.poll()
		if op == "GetFunctionConfiguration" {
			writeJSON(w, 200, f.cfg)
			return
		}
		code := map[string]any{"RepositoryType": "S3", "Location": "https://awstest.invalid/" + fn}
		if f.imageURI != "" {
			code = map[string]any{"RepositoryType": "ECR", "ImageUri": f.imageURI, "ResolvedImageUri": f.imageURI}
		}
		writeJSON(w, 200, map[string]any{"Configuration": f.cfg, "Code": code, "Tags": f.tags})
	case "DeleteFunction":
		f.closeHosts(true)
		delete(l.fns, fn)
		l.Deletes++
		w.WriteHeader(204)
	case "UpdateFunctionConfiguration":
		if f.cfg.LastUpdateStatus == "InProgress" || f.cfg.State == "Pending" {
			jsonError(w, 409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: "+f.cfg.FunctionArn)
			return
		}
		var in struct {
			Environment *envVars `json:"Environment"`
			MemorySize  int32    `json:"MemorySize"`
			Timeout     int32    `json:"Timeout"`
			Description *string  `json:"Description"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, 400, "InvalidRequestContentException", err.Error())
			return
		}
		if in.Environment != nil {
			f.cfg.Environment = in.Environment
		}
		if in.MemorySize != 0 {
			f.cfg.MemorySize = in.MemorySize
		}
		if in.Timeout != 0 {
			f.cfg.Timeout = in.Timeout
		}
		if in.Description != nil {
			f.cfg.Description = *in.Description
		}
		l.Updates++
		f.changed(l.PendingPolls, l.cloud.Now())
		writeJSON(w, 200, f.cfg)
	case "UpdateFunctionCode":
		jsonError(w, 400, "InvalidParameterValueException", "awstest: UpdateFunctionCode: deploy a new function instead")
	case "ListTags":
		writeJSON(w, 200, map[string]any{"Tags": f.tags})
	case "TagResource":
		var in struct {
			Tags map[string]string `json:"Tags"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, 400, "InvalidRequestContentException", err.Error())
			return
		}
		for k, v := range in.Tags {
			f.tags[k] = v
		}
		w.WriteHeader(204)
	default:
		jsonError(w, 400, "UnknownOperationException", "awstest Lambda does not implement "+op)
	}
}

// poll advances a pending create or update by one GetFunction.
func (f *function) poll() {
	if f.pending > 0 {
		f.pending--
		return
	}
	if f.cfg.State == "Pending" {
		f.cfg.State = "Active"
	}
	if f.cfg.LastUpdateStatus == "InProgress" {
		f.cfg.LastUpdateStatus = "Successful"
	}
}

// changed starts an update: every environment is retired.
func (f *function) changed(polls int, now time.Time) {
	f.gen++
	f.cfg.LastUpdateStatus = "InProgress"
	f.pending = polls
	f.cfg.LastModified = now.UTC().Format("2006-01-02T15:04:05.000+0000")
	f.cfg.RevisionID = fmt.Sprintf("rev-%d", f.gen)
	f.closeHosts(false)
}

func (f *function) closeHosts(all bool) {
	for _, h := range f.idle {
		_ = h.h.Close()
		delete(f.all, h)
	}
	f.idle = nil
	if all {
		for h := range f.all {
			_ = h.h.Close()
		}
		f.all = map[*host]bool{}
	}
}

func (l *Lambda) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FunctionName  string            `json:"FunctionName"`
		Role          string            `json:"Role"`
		Runtime       string            `json:"Runtime"`
		Handler       string            `json:"Handler"`
		Description   string            `json:"Description"`
		PackageType   string            `json:"PackageType"`
		Timeout       int32             `json:"Timeout"`
		MemorySize    int32             `json:"MemorySize"`
		Environment   *envVars          `json:"Environment"`
		Architectures []string          `json:"Architectures"`
		Tags          map[string]string `json:"Tags"`
		LoggingConfig *logging          `json:"LoggingConfig"`
		Code          struct {
			ZipFile  []byte `json:"ZipFile"`
			S3Bucket string `json:"S3Bucket"`
			S3Key    string `json:"S3Key"`
			ImageURI string `json:"ImageUri"`
		} `json:"Code"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, 400, "InvalidRequestContentException", err.Error())
		return
	}
	invalid := func(msg string) { jsonError(w, 400, "InvalidParameterValueException", msg) }
	if l.memoryError(w, in.MemorySize) {
		return
	}
	if in.FunctionName == "" || len(in.FunctionName) > 64 {
		invalid("invalid function name " + in.FunctionName)
		return
	}
	if l.cloud.IAM.roleByARN(in.Role) == nil {
		invalid("The role defined for the function cannot be assumed by Lambda.")
		return
	}
	l.mu.Lock()
	if l.RoleNotReady > 0 {
		l.RoleNotReady--
		l.mu.Unlock()
		invalid("The role defined for the function cannot be assumed by Lambda.")
		return
	}
	if _, ok := l.fns[in.FunctionName]; ok {
		l.mu.Unlock()
		jsonError(w, 409, "ResourceConflictException", "Function already exist: "+in.FunctionName)
		return
	}
	l.mu.Unlock()
	if in.PackageType == "" {
		in.PackageType = "Zip"
	}
	if len(in.Architectures) == 0 {
		in.Architectures = []string{"x86_64"}
	}
	if in.MemorySize == 0 {
		in.MemorySize = 128
	}
	if in.Timeout == 0 {
		in.Timeout = 3
	}
	f := &function{tags: in.Tags, all: map[*host]bool{}, pending: l.PendingPolls}
	if f.tags == nil {
		f.tags = map[string]string{}
	}
	dir, err := l.tmp()
	if err != nil {
		jsonError(w, 500, "ServiceException", err.Error())
		return
	}
	var code []byte
	switch in.PackageType {
	case "Zip":
		if in.Runtime == "" || in.Handler == "" {
			invalid("Runtime and Handler are required for a Zip function")
			return
		}
		code = in.Code.ZipFile
		if code == nil && in.Code.S3Bucket != "" {
			code, err = l.cloud.S3.Object(in.Code.S3Bucket, in.Code.S3Key)
			if err != nil {
				invalid(fmt.Sprintf("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: %v", err))
				return
			}
		}
		if code == nil {
			invalid("no code: ZipFile or S3Bucket/S3Key")
			return
		}
		f.zipPath = filepath.Join(dir, in.FunctionName+".zip")
		if err := os.WriteFile(f.zipPath, code, 0o644); err != nil {
			jsonError(w, 500, "ServiceException", err.Error())
			return
		}
	case "Image":
		if in.Code.ImageURI == "" {
			invalid("ImageUri is required for an Image function")
			return
		}
		f.imageURI = in.Code.ImageURI
		f.imageDir = filepath.Join(dir, in.FunctionName+"-image")
		arch, env, err := l.cloud.ECR.unpack(r.Context(), in.Code.ImageURI, f.imageDir)
		if err != nil {
			invalid("Source image " + in.Code.ImageURI + " is not valid: " + err.Error())
			return
		}
		f.imageEnv = env
		if want := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[in.Architectures[0]]; arch != want {
			// Lambda accepts the function and fails it: the waiter sees Failed.
			f.cfg.StateReason = fmt.Sprintf("The image's architecture %s does not match the function's %s", arch, in.Architectures[0])
		}
		code = []byte(in.Code.ImageURI)
	default:
		invalid("unknown PackageType " + in.PackageType)
		return
	}
	sum := sha256.Sum256(code)
	f.cfg = fnConfig{FunctionName: in.FunctionName, FunctionArn: "arn:aws:lambda:" + Region + ":" + Account + ":function:" + in.FunctionName,
		Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, CodeSize: int64(len(code)), Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, CodeSha256: base64.StdEncoding.EncodeToString(sum[:]), Version: "$LATEST",
		Environment: in.Environment, State: "Pending", StateReason: f.cfg.StateReason, LastUpdateStatus: "InProgress",
		PackageType: in.PackageType, Architectures: in.Architectures, RevisionID: "rev-0", LoggingConfig: in.LoggingConfig,
		LastModified: l.cloud.Now().UTC().Format("2006-01-02T15:04:05.000+0000")}
	if f.cfg.StateReason != "" {
		f.cfg.State, f.cfg.LastUpdateStatus, f.pending = "Failed", "Failed", 0
	}
	l.mu.Lock()
	if _, ok := l.fns[in.FunctionName]; ok {
		l.mu.Unlock()
		jsonError(w, 409, "ResourceConflictException", "Function already exist: "+in.FunctionName)
		return
	}
	l.fns[in.FunctionName] = f
	l.Creates++
	l.PeakFunctions = max(l.PeakFunctions, len(l.fns))
	l.mu.Unlock()
	writeJSON(w, 201, f.cfg)
}

// acquire takes an idle environment or starts a new one.
func (l *Lambda) acquire(f *function) (*host, bool, error) {
	if n := len(f.idle); n > 0 {
		h := f.idle[n-1]
		f.idle = f.idle[:n-1]
		return h, false, nil
	}
	env := map[string]string{}
	for k, v := range f.imageEnv {
		env[k] = v
	}
	if f.cfg.Environment != nil {
		for k, v := range f.cfg.Environment.Variables {
			env[k] = v
		}
	}
	cfg := lambdalocal.Config{FunctionName: f.cfg.FunctionName, Handler: f.cfg.Handler, MemoryMB: int(f.cfg.MemorySize),
		Timeout: time.Duration(f.cfg.Timeout) * time.Second, Env: env, Region: Region, Log: l.HostLog}
	var lh *lambdalocal.Host
	var err error
	if f.zipPath != "" {
		lh, err = lambdalocal.FromZip(f.zipPath, cfg)
	} else {
		cfg.TaskRoot = filepath.Join(f.imageDir, "var", "task")
		lh, err = lambdalocal.NewHost(cfg)
	}
	if err != nil {
		return nil, false, err
	}
	h := &host{h: lh, gen: f.gen}
	f.all[h] = true
	return h, true, nil
}

func (l *Lambda) release(f *function, h *host) {
	if h.gen != f.gen || l.fns[f.cfg.FunctionName] != f {
		_ = h.h.Close()
		delete(f.all, h)
		return
	}
	f.idle = append(f.idle, h)
}

func (l *Lambda) invoke(w http.ResponseWriter, r *http.Request, fn string) {
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		jsonError(w, 400, "InvalidRequestContentException", err.Error())
		return
	}
	l.mu.Lock()
	f := l.fns[fn]
	if f == nil {
		l.mu.Unlock()
		jsonError(w, 404, "ResourceNotFoundException", "Function not found: "+fn)
		return
	}
	if f.cfg.State != "Active" {
		l.mu.Unlock()
		jsonError(w, 409, "ResourceConflictException", "The operation cannot be performed at this time. The function is currently in the following state: "+f.cfg.State)
		return
	}
	arch := f.cfg.Architectures[0]
	if want := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[arch]; want != runtime.GOARCH {
		l.mu.Unlock()
		jsonError(w, 500, "ServiceException", "awstest cannot run "+arch+" code on this "+runtime.GOARCH+" machine")
		return
	}
	if l.inflight+l.busy >= l.ConcurrencyLimit {
		l.Throttles++
		hook := l.OnThrottle
		l.mu.Unlock()
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
		w.WriteHeader(429)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "TooManyRequestsException", "Type": "User",
			"message": "Rate Exceeded.", "Reason": "ConcurrentInvocationLimitExceeded"})
		if hook != nil {
			hook(fn)
		}
		return
	}
	l.inflight++
	defer func() {
		l.mu.Lock()
		l.inflight--
		l.mu.Unlock()
	}()
	l.invokes++
	n := l.invokes
	l.Invokes++
	canCreateGroup := l.cloud.IAM.mayCreateLogGroup(f.cfg.Role)
	h, cold, err := l.acquire(f)
	if cold {
		l.ColdStarts++
	}
	logFormat := l.LogFormat
	if f.cfg.LoggingConfig != nil && f.cfg.LoggingConfig.LogFormat != "" {
		logFormat = f.cfg.LoggingConfig.LogFormat
	}
	hook := l.OnInvoke
	l.mu.Unlock()
	if err != nil {
		jsonError(w, 500, "ServiceException", "awstest: start environment: "+err.Error())
		return
	}
	if hook != nil {
		hook(fn, n)
	}
	resp, rep, err := h.h.Invoke(r.Context(), payload)
	l.mu.Lock()
	l.release(f, h)
	l.mu.Unlock()
	if err != nil {
		jsonError(w, 500, "ServiceException", "awstest: invoke: "+err.Error())
		return
	}
	// The invocation's lines go to the function's log group.
	l.cloud.Logs.write("/aws/lambda/"+fn, len(resp.Logs)+200, canCreateGroup)
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(logTail(resp.Logs, rep, logFormat))))
	}
	if resp.FunctionError != "" {
		w.Header().Set("X-Amz-Function-Error", resp.FunctionError)
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	_, _ = w.Write(resp.Payload)
}

// logTail is the last 4 KB of the invocation's log with its END and
// REPORT lines, in the function's log format.
func logTail(logs string, rep lambdareport.Report, format string) string {
	var b strings.Builder
	b.WriteString(logs)
	if logs != "" && !strings.HasSuffix(logs, "\n") {
		b.WriteByte('\n')
	}
	if format == "JSON" {
		b.WriteString(`{"time":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","type":"platform.runtimeDone","record":{"requestId":"` + rep.RequestID + `","status":"success"}}` + "\n")
		b.Write(rep.JSON(time.Now().UTC().Format(time.RFC3339Nano)))
		b.WriteByte('\n')
	} else {
		b.WriteString("END RequestId: " + rep.RequestID + "\n" + rep.String() + "\n")
	}
	s := b.String()
	if len(s) > 4096 {
		s = s[len(s)-4096:]
	}
	return s
}

func (l *Lambda) sortedNames() []string {
	var n []string
	for k := range l.fns {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Function returns a function's configuration and tags, if it exists.
func (l *Lambda) Function(name string) (cfg fnConfig, tags map[string]string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fns[name]
	if f == nil {
		return fnConfig{}, nil, false
	}
	return f.cfg, f.tags, true
}

func (l *Lambda) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, n := range l.sortedNames() {
		out = append(out, "function "+n)
	}
	return out
}

func (l *Lambda) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.fns {
		f.closeHosts(true)
	}
	l.dirMu.Lock()
	defer l.dirMu.Unlock()
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}

// unpack pulls an image from the registry and writes its file system
// under dir; it returns the image's architecture and environment.
func (e *ECR) unpack(ctx context.Context, uri, dir string) (arch string, env map[string]string, err error) {
	ref, err := name.ParseReference(uri, name.Insecure)
	if err != nil {
		return "", nil, err
	}
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: ecrPassword})))
	if err != nil {
		return "", nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", nil, err
	}
	env = map[string]string{}
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k != "PATH" && k != "LAMBDA_TASK_ROOT" {
			env[k] = v
		}
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		p := filepath.Join(dir, filepath.FromSlash(path.Clean("/"+h.Name)))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return "", nil, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return "", nil, err
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode).Perm()|0o200)
			if err != nil {
				return "", nil, err
			}
			_, cerr := io.Copy(f, tr)
			f.Close()
			if cerr != nil {
				return "", nil, cerr
			}
		}
	}
	return cf.Architecture, env, nil
}

// Functions is how many functions exist now.
func (l *Lambda) Functions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.fns)
}
