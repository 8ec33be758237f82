package awstest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IAM is the fake IAM (query protocol): roles, their tags and attached
// managed policies.
type IAM struct {
	URL   string
	cloud *Cloud
	mu    sync.Mutex
	roles map[string]*role
	n     int
}

type role struct {
	name, id, arn, trust, path string
	created                    time.Time
	tags                       []tag
	policies                   []string
	// inline policies by name
	inline map[string]string
}

type tag struct {
	Key   string `xml:"Key" json:"Key"`
	Value string `xml:"Value" json:"Value"`
}

// STS is the fake STS: GetCallerIdentity. Expired makes it answer as AWS
// does for expired session credentials.
type STS struct {
	URL     string
	cloud   *Cloud
	Expired bool
	Calls   int
	mu      sync.Mutex
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Tags                     []tag  `xml:"Tags>member,omitempty"`
}

func (r *role) xml() xmlRole {
	path := r.path
	if path == "" {
		path = "/"
	}
	return xmlRole{Path: path, RoleName: r.name, RoleID: r.id, Arn: r.arn,
		CreateDate: r.created.UTC().Format(time.RFC3339), AssumeRolePolicyDocument: r.trust, Tags: r.tags}
}

// Result bodies (encoding/xml needs named types).
type (
	roleResult struct {
		Role xmlRole `xml:"Role"`
	}
	emptyResult struct{}
	ap          struct {
		PolicyName string `xml:"PolicyName"`
		PolicyArn  string `xml:"PolicyArn"`
	}
	policiesResult struct {
		AttachedPolicies []ap   `xml:"AttachedPolicies>member"`
		IsTruncated      bool   `xml:"IsTruncated"`
		Marker           string `xml:"Marker,omitempty"`
	}
	inlineResult struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
		Marker      string   `xml:"Marker,omitempty"`
	}
	rolesResult struct {
		Roles       []xmlRole `xml:"Roles>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	}
	tagsResult struct {
		Tags        []tag  `xml:"Tags>member"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}
)

// queryError writes a query-protocol (IAM, STS) error.
func queryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
		code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// queryResult writes <Action>Response><Action>Result>...</...>.
func queryResult(w http.ResponseWriter, action string, result any) {
	body, err := xml.Marshal(result)
	if err != nil {
		queryError(w, 500, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`,
		action, action, inner(body), action, action)
}

// inner strips the outer element xml.Marshal puts around a struct.
func inner(b []byte) string {
	s := string(b)
	start := 0
	for i := range s {
		if s[i] == '>' {
			start = i + 1
			break
		}
	}
	end := len(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '<' {
			end = i
			break
		}
	}
	if start > end {
		return ""
	}
	return s[start:end]
}

func (s *IAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		queryError(w, 400, "MalformedInput", err.Error())
		return
	}
	action := r.Form.Get("Action")
	if f := s.cloud.Faults.check("iam", action); f != nil {
		queryError(w, f.Status, f.Code, f.Message)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.Form.Get("RoleName")
	ro := s.roles[name]
	if action != "CreateRole" && action != "ListRoles" && ro == nil {
		queryError(w, 404, "NoSuchEntity", "The role with name "+name+" cannot be found.")
		return
	}
	marker, size := r.Form.Get("Marker"), s.cloud.pageSize(atoi(r.Form.Get("MaxItems")), 100)
	switch action {
	case "CreateRole":
		if ro != nil {
			queryError(w, 409, "EntityAlreadyExists", "Role with name "+name+" already exists.")
			return
		}
		s.n++
		path := r.Form.Get("Path")
		if path == "" {
			path = "/"
		}
		ro = &role{name: name, id: fmt.Sprintf("AROAFAKE%08d", s.n), arn: "arn:aws:iam::" + Account + ":role" + path + name, path: path,
			trust: r.Form.Get("AssumeRolePolicyDocument"), created: s.cloud.Now(), tags: formTags(r, "Tags.member."), inline: map[string]string{}}
		s.roles[name] = ro
		queryResult(w, action, roleResult{Role: ro.xml()})
	case "GetRole":
		queryResult(w, action, roleResult{Role: ro.xml()})
	case "AttachRolePolicy":
		ro.policies = append(ro.policies, r.Form.Get("PolicyArn"))
		queryResult(w, action, emptyResult{})
	case "DetachRolePolicy":
		p := r.Form.Get("PolicyArn")
		for i, x := range ro.policies {
			if x == p {
				ro.policies = append(ro.policies[:i], ro.policies[i+1:]...)
				queryResult(w, action, emptyResult{})
				return
			}
		}
		queryError(w, 404, "NoSuchEntity", "Policy "+p+" was not found.")
	case "ListAttachedRolePolicies":
		sorted := append([]string(nil), ro.policies...)
		sort.Strings(sorted)
		pg, next := page(sorted, marker, size)
		var list []ap
		for _, p := range pg {
			list = append(list, ap{PolicyName: arnName(p), PolicyArn: p})
		}
		queryResult(w, action, policiesResult{AttachedPolicies: list, IsTruncated: next != "", Marker: next})
	case "PutRolePolicy":
		pn, doc := r.Form.Get("PolicyName"), r.Form.Get("PolicyDocument")
		if pn == "" || doc == "" {
			queryError(w, 400, "ValidationError", "PolicyName and PolicyDocument are required")
			return
		}
		ro.inline[pn] = doc
		queryResult(w, action, emptyResult{})
	case "DeleteRolePolicy":
		pn := r.Form.Get("PolicyName")
		if _, ok := ro.inline[pn]; !ok {
			queryError(w, 404, "NoSuchEntity", "The role policy with name "+pn+" cannot be found.")
			return
		}
		delete(ro.inline, pn)
		queryResult(w, action, emptyResult{})
	case "ListRolePolicies":
		var names []string
		for n := range ro.inline {
			names = append(names, n)
		}
		sort.Strings(names)
		pg, next := page(names, marker, size)
		queryResult(w, action, inlineResult{PolicyNames: pg, IsTruncated: next != "", Marker: next})
	case "DeleteRole":
		if len(ro.policies) > 0 || len(ro.inline) > 0 {
			queryError(w, 409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
			return
		}
		delete(s.roles, name)
		queryResult(w, action, emptyResult{})
	case "ListRoles":
		var names []string
		prefix := r.Form.Get("PathPrefix")
		for _, n := range s.sortedNames() {
			if strings.HasPrefix(s.roles[n].xml().Path, prefix) {
				names = append(names, n)
			}
		}
		pg, next := page(names, marker, size)
		var list []xmlRole
		for _, n := range pg {
			x := s.roles[n].xml()
			x.Tags = nil // ListRoles does not return tags
			list = append(list, x)
		}
		queryResult(w, action, rolesResult{Roles: list, IsTruncated: next != "", Marker: next})
	case "ListRoleTags":
		keys := map[string]string{}
		var names []string
		for _, t := range ro.tags {
			keys[t.Key] = t.Value
			names = append(names, t.Key)
		}
		sort.Strings(names)
		pg, next := page(names, marker, size)
		var list []tag
		for _, k := range pg {
			list = append(list, tag{k, keys[k]})
		}
		queryResult(w, action, tagsResult{Tags: list, IsTruncated: next != "", Marker: next})
	default:
		queryError(w, 400, "InvalidAction", "awstest IAM does not implement "+action)
	}
}

func formTags(r *http.Request, prefix string) []tag {
	var out []tag
	for i := 1; ; i++ {
		k := r.Form.Get(prefix + strconv.Itoa(i) + ".Key")
		if k == "" {
			return out
		}
		out = append(out, tag{Key: k, Value: r.Form.Get(prefix + strconv.Itoa(i) + ".Value")})
	}
}

func (s *IAM) sortedNames() []string {
	var n []string
	for k := range s.roles {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// mayCreateLogGroup reports whether a role lets Lambda create a
// function's log group: AWSLambdaBasicExecutionRole attached, or an
// inline policy allowing logs:CreateLogGroup.
func (s *IAM) mayCreateLogGroup(arn string) bool {
	ro := s.roleByARN(arn)
	if ro == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ro.policies {
		if strings.HasSuffix(p, "/AWSLambdaBasicExecutionRole") {
			return true
		}
	}
	for _, doc := range ro.inline {
		if strings.Contains(doc, `"logs:CreateLogGroup"`) || strings.Contains(doc, `"logs:*"`) {
			return true
		}
	}
	return false
}

// InlinePolicies returns a role's inline policy documents by name.
func (s *IAM) InlinePolicies(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro := s.roles[name]
	if ro == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range ro.inline {
		out[k] = v
	}
	return out
}

// Role reports whether a role exists and its attached policies.
func (s *IAM) Role(name string) (exists bool, policies []string, tags map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro := s.roles[name]
	if ro == nil {
		return false, nil, nil
	}
	tags = map[string]string{}
	for _, t := range ro.tags {
		tags[t.Key] = t.Value
	}
	return true, append([]string(nil), ro.policies...), tags
}

// PutRole creates a role directly (a user's own, for --role tests).
func (s *IAM) PutRole(name string, tags map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ro := &role{name: name, id: "AROAUSER", arn: "arn:aws:iam::" + Account + ":role/" + name, created: s.cloud.Now(), inline: map[string]string{}}
	for k, v := range tags {
		ro.tags = append(ro.tags, tag{k, v})
	}
	s.roles[name] = ro
	return ro.arn
}

// Attach attaches a managed policy to a role directly.
func (s *IAM) Attach(name, policyARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ro := s.roles[name]; ro != nil {
		ro.policies = append(ro.policies, policyARN)
	}
}

func (s *IAM) roleByARN(arn string) *role {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.roles {
		if r.arn == arn {
			return r
		}
	}
	return nil
}

func (s *IAM) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.sortedNames() {
		out = append(out, "iam role "+n)
	}
	return out
}

func (s *STS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		queryError(w, 400, "MalformedInput", err.Error())
		return
	}
	action := r.Form.Get("Action")
	s.mu.Lock()
	s.Calls++
	expired := s.Expired
	s.mu.Unlock()
	if f := s.cloud.Faults.check("sts", action); f != nil {
		queryError(w, f.Status, f.Code, f.Message)
		return
	}
	if action != "GetCallerIdentity" {
		queryError(w, 400, "InvalidAction", "awstest STS does not implement "+action)
		return
	}
	if expired {
		queryError(w, 403, "ExpiredToken", "The security token included in the request is expired")
		return
	}
	if r.Header.Get("Authorization") == "" {
		queryError(w, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/bench-test</Arn><UserId>AIDAFAKEUSER</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
		Account, Account)
}
