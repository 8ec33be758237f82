package awstest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ECR is the fake ECR API (JSON 1.1) and, at RegistryURL, the registry
// images are pushed to: go-containerregistry's in-process registry behind
// the basic authentication the authorization token grants.
type ECR struct {
	URL         string
	RegistryURL string
	cloud       *Cloud
	registry    http.Handler
	mu          sync.Mutex
	repos       map[string]*repo
	// Pushes counts manifests pushed through the registry.
	Pushes int
}

type repo struct {
	name, arn string
	created   time.Time
	tags      []tag
}

// ecrPassword is what GetAuthorizationToken grants (user "AWS").
const ecrPassword = "fake-ecr-password"

func newECR(c *Cloud) *ECR {
	e := &ECR{cloud: c, repos: map[string]*repo{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	e.registry = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "AWS" || pass != ecrPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="awstest ecr"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"no basic auth credentials"}]}`, http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			e.mu.Lock()
			e.Pushes++
			e.mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	})
	return e
}

// Host is the registry's host:port, the start of every repository URI.
func (e *ECR) Host() string { return strings.TrimPrefix(e.RegistryURL, "http://") }

func (e *ECR) repoJSON(r *repo) map[string]any {
	return map[string]any{"repositoryArn": r.arn, "registryId": Account, "repositoryName": r.name,
		"repositoryUri": e.Host() + "/" + r.name, "createdAt": float64(r.created.Unix()), "imageTagMutability": "MUTABLE"}
}

func (e *ECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921.")
	if f := e.cloud.Faults.check("ecr", op); f != nil {
		jsonError(w, f.Status, f.Code, f.Message)
		return
	}
	var in struct {
		RepositoryName  string   `json:"repositoryName"`
		RepositoryNames []string `json:"repositoryNames"`
		ResourceArn     string   `json:"resourceArn"`
		Force           bool     `json:"force"`
		Tags            []tag    `json:"tags"`
		NextToken       string   `json:"nextToken"`
		MaxResults      int      `json:"maxResults"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, 400, "InvalidParameterException", err.Error())
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch op {
	case "CreateRepository":
		if _, ok := e.repos[in.RepositoryName]; ok {
			jsonError(w, 400, "RepositoryAlreadyExistsException", "The repository with name '"+in.RepositoryName+"' already exists")
			return
		}
		rp := &repo{name: in.RepositoryName, arn: "arn:aws:ecr:" + Region + ":" + Account + ":repository/" + in.RepositoryName,
			created: e.cloud.Now(), tags: in.Tags}
		e.repos[rp.name] = rp
		writeJSON(w, 200, map[string]any{"repository": e.repoJSON(rp)})
	case "GetAuthorizationToken":
		tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + ecrPassword))
		writeJSON(w, 200, map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": tok, "expiresAt": float64(time.Now().Add(12 * time.Hour).Unix()), "proxyEndpoint": e.RegistryURL}}})
	case "DeleteRepository":
		rp, ok := e.repos[in.RepositoryName]
		if !ok {
			jsonError(w, 400, "RepositoryNotFoundException", "The repository with name '"+in.RepositoryName+"' does not exist")
			return
		}
		delete(e.repos, in.RepositoryName)
		writeJSON(w, 200, map[string]any{"repository": e.repoJSON(rp)})
	case "DescribeRepositories":
		names := e.sortedNames()
		if len(in.RepositoryNames) > 0 {
			names = nil
			for _, n := range in.RepositoryNames {
				if e.repos[n] == nil {
					jsonError(w, 400, "RepositoryNotFoundException", "The repository with name '"+n+"' does not exist")
					return
				}
				names = append(names, n)
			}
		}
		pg, next := page(names, in.NextToken, e.cloud.pageSize(in.MaxResults, 100))
		list := []map[string]any{}
		for _, n := range pg {
			list = append(list, e.repoJSON(e.repos[n]))
		}
		out := map[string]any{"repositories": list}
		if next != "" {
			out["nextToken"] = next
		}
		writeJSON(w, 200, out)
	case "ListTagsForResource":
		for _, rp := range e.repos {
			if rp.arn == in.ResourceArn {
				writeJSON(w, 200, map[string]any{"tags": rp.tags})
				return
			}
		}
		jsonError(w, 400, "RepositoryNotFoundException", "no repository "+in.ResourceArn)
	default:
		jsonError(w, 400, "UnknownOperationException", "awstest ECR does not implement "+op)
	}
}

func (e *ECR) sortedNames() []string {
	var n []string
	for k := range e.repos {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// HasRepo reports whether a repository exists.
func (e *ECR) HasRepo(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.repos[name]
	return ok
}

func (e *ECR) names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, n := range e.sortedNames() {
		out = append(out, "ecr repository "+n)
	}
	return out
}
