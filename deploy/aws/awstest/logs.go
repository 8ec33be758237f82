package awstest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Logs is the fake CloudWatch Logs (JSON 1.1): log groups with their
// tags and retention. Lambda's fake writes each invocation's log lines to
// /aws/lambda/<function>, creating the group on the first one when it
// does not exist and the function's role may create it, as Lambda does —
// so a group nobody deletes outlives its function.
type Logs struct {
	URL   string
	cloud *Cloud
	mu    sync.Mutex
	// groups by name.
	groups map[string]*logGroup
	// AutoCreated counts groups Lambda created on an invocation.
	AutoCreated int
}

type logGroup struct {
	name      string
	created   time.Time
	retention int
	tags      map[string]string
	bytes     int64
}

func newLogs(c *Cloud) *Logs { return &Logs{cloud: c, groups: map[string]*logGroup{}} }

func groupARN(name string) string {
	return "arn:aws:logs:" + Region + ":" + Account + ":log-group:" + name
}

func (l *Logs) groupJSON(g *logGroup) map[string]any {
	m := map[string]any{"logGroupName": g.name, "creationTime": g.created.UnixMilli(), "arn": groupARN(g.name) + ":*",
		"logGroupArn": groupARN(g.name), "storedBytes": g.bytes, "metricFilterCount": 0, "logGroupClass": "STANDARD"}
	if g.retention > 0 {
		m["retentionInDays"] = g.retention
	}
	return m
}

// retentionDays are the values PutRetentionPolicy takes.
var retentionDays = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true,
	150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true,
	2922: true, 3288: true, 3653: true}

func (l *Logs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	if f := l.cloud.Faults.check("logs", op); f != nil {
		jsonError(w, f.Status, f.Code, f.Message)
		return
	}
	var in struct {
		LogGroupName       string            `json:"logGroupName"`
		LogGroupNamePrefix string            `json:"logGroupNamePrefix"`
		ResourceARN        string            `json:"resourceArn"`
		RetentionInDays    int               `json:"retentionInDays"`
		Tags               map[string]string `json:"tags"`
		NextToken          string            `json:"nextToken"`
		Limit              int               `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, 400, "InvalidParameterException", err.Error())
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	notFound := func() {
		jsonError(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
	}
	byARN := func(arn string) *logGroup {
		name, ok := strings.CutPrefix(strings.TrimSuffix(arn, ":*"), groupARN(""))
		if !ok {
			return nil
		}
		return l.groups[name]
	}
	switch op {
	case "CreateLogGroup":
		if in.LogGroupName == "" || len(in.LogGroupName) > 512 {
			jsonError(w, 400, "InvalidParameterException", "invalid log group name "+in.LogGroupName)
			return
		}
		if l.groups[in.LogGroupName] != nil {
			jsonError(w, 400, "ResourceAlreadyExistsException", "The specified log group already exists")
			return
		}
		g := &logGroup{name: in.LogGroupName, created: l.cloud.Now(), tags: map[string]string{}}
		for k, v := range in.Tags {
			g.tags[k] = v
		}
		l.groups[g.name] = g
		writeJSON(w, 200, map[string]any{})
	case "PutRetentionPolicy":
		g := l.groups[in.LogGroupName]
		if g == nil {
			notFound()
			return
		}
		if !retentionDays[in.RetentionInDays] {
			jsonError(w, 400, "InvalidParameterException", "1 validation error detected: Value at 'retentionInDays' failed to satisfy constraint")
			return
		}
		g.retention = in.RetentionInDays
		writeJSON(w, 200, map[string]any{})
	case "DeleteLogGroup":
		if l.groups[in.LogGroupName] == nil {
			notFound()
			return
		}
		delete(l.groups, in.LogGroupName)
		writeJSON(w, 200, map[string]any{})
	case "DescribeLogGroups":
		var names []string
		for n := range l.groups {
			if strings.HasPrefix(n, in.LogGroupNamePrefix) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		pg, next := page(names, in.NextToken, l.cloud.pageSize(in.Limit, 50))
		list := []map[string]any{}
		for _, n := range pg {
			list = append(list, l.groupJSON(l.groups[n]))
		}
		out := map[string]any{"logGroups": list}
		if next != "" {
			out["nextToken"] = next
		}
		writeJSON(w, 200, out)
	case "ListTagsForResource":
		g := byARN(in.ResourceARN)
		if g == nil {
			notFound()
			return
		}
		writeJSON(w, 200, map[string]any{"tags": g.tags})
	case "TagResource":
		g := byARN(in.ResourceARN)
		if g == nil {
			notFound()
			return
		}
		for k, v := range in.Tags {
			g.tags[k] = v
		}
		writeJSON(w, 200, map[string]any{})
	default:
		jsonError(w, 400, "UnknownOperationException", "awstest Logs does not implement "+op)
	}
}

// write appends an invocation's log lines to a function's group,
// creating it first when it is missing and create is allowed (the role
// may logs:CreateLogGroup); without a group and that permission the lines
// are lost, as on Lambda.
func (l *Logs) write(group string, n int, create bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[group]
	if g == nil {
		if !create {
			return
		}
		g = &logGroup{name: group, created: l.cloud.Now(), tags: map[string]string{}}
		l.groups[group] = g
		l.AutoCreated++
	}
	g.bytes += int64(n)
}

// Group reports whether a log group exists, its retention in days and
// its tags.
func (l *Logs) Group(name string) (exists bool, retention int, tags map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[name]
	if g == nil {
		return false, 0, nil
	}
	tags = map[string]string{}
	for k, v := range g.tags {
		tags[k] = v
	}
	return true, g.retention, tags
}

// PutGroup creates a log group directly (one left by an earlier run, or
// someone else's), created at the given time.
func (l *Logs) PutGroup(name string, created time.Time, tags map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := &logGroup{name: name, created: created, tags: map[string]string{}}
	for k, v := range tags {
		g.tags[k] = v
	}
	l.groups[name] = g
}

func (l *Logs) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for n := range l.groups {
		out = append(out, "log group "+n)
	}
	sort.Strings(out)
	return out
}
