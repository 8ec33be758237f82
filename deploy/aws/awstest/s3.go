package awstest

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is github.com/johannesboyne/gofakes3 (path-style, in memory) plus
// the bucket tagging it lacks.
type S3 struct {
	URL     string
	cloud   *Cloud
	backend *s3mem.Backend
	fake    http.Handler
	mu      sync.Mutex
	tags    map[string][]tag
	// created are the buckets' creation times on the cloud's clock
	// (gofakes3 keeps its own, which must stay the real time: it checks
	// request signatures against it).
	created map[string]time.Time
	// Puts counts objects uploaded.
	Puts int
}

func newS3(c *Cloud) *S3 {
	b := s3mem.New()
	return &S3{cloud: c, backend: b, fake: gofakes3.New(b).Server(), tags: map[string][]tag{}, created: map[string]time.Time{}}
}

// listBuckets is ListBuckets with its pagination (max-buckets,
// continuation-token) and prefix, which gofakes3 lacks.
func (s *S3) listBuckets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all, err := s.backend.ListBuckets()
	if err != nil {
		w.WriteHeader(500)
		return
	}
	dates := map[string]time.Time{}
	var names []string
	for _, b := range all {
		if strings.HasPrefix(b.Name, q.Get("prefix")) {
			names = append(names, b.Name)
			dates[b.Name] = b.CreationDate.Time
			s.mu.Lock()
			if t, ok := s.created[b.Name]; ok {
				dates[b.Name] = t
			}
			s.mu.Unlock()
		}
	}
	sort.Strings(names)
	// AWS pages only when max-buckets is given.
	size := len(names) + 1
	if n := atoi(q.Get("max-buckets")); n > 0 {
		size = n
	}
	size = s.cloud.pageSize(size, size)
	pg, next := page(names, q.Get("continuation-token"), size)
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	type result struct {
		XMLName           xml.Name `xml:"ListAllMyBucketsResult"`
		Xmlns             string   `xml:"xmlns,attr"`
		Buckets           []bucket `xml:"Buckets>Bucket"`
		OwnerID           string   `xml:"Owner>ID"`
		ContinuationToken string   `xml:"ContinuationToken,omitempty"`
		Prefix            string   `xml:"Prefix,omitempty"`
	}
	out := result{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", OwnerID: Account, ContinuationToken: next, Prefix: q.Get("prefix")}
	for _, n := range pg {
		out.Buckets = append(out.Buckets, bucket{Name: n, CreationDate: dates[n].UTC().Format("2006-01-02T15:04:05.000Z"), BucketRegion: Region})
	}
	w.Header().Set("Content-Type", "application/xml")
	_ = xml.NewEncoder(w).Encode(out)
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	bucket, object, _ := strings.Cut(path, "/")
	op := r.Method + " " + map[bool]string{true: "object", false: "bucket"}[object != ""]
	if f := s.cloud.Faults.check("s3", op); f != nil {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(f.Status)
		io.WriteString(w, "<Error><Code>"+f.Code+"</Code><Message>"+f.Message+"</Message></Error>")
		return
	}
	if bucket == "" && r.Method == http.MethodGet {
		s.listBuckets(w, r)
		return
	}
	if q := r.URL.Query(); bucket != "" && object == "" && r.Method == http.MethodGet && q.Get("list-type") == "2" {
		// Pages no larger than the cloud's page size.
		q.Set("max-keys", strconv.Itoa(s.cloud.pageSize(atoi(q.Get("max-keys")), 1000)))
		r.URL.RawQuery = q.Encode()
	}
	if _, ok := r.URL.Query()["tagging"]; ok && object == "" && bucket != "" {
		s.bucketTagging(w, r, bucket)
		return
	}
	if r.Method == http.MethodPut && object != "" {
		s.mu.Lock()
		s.Puts++
		s.mu.Unlock()
	}
	if r.Method == http.MethodDelete && object == "" {
		s.mu.Lock()
		delete(s.tags, bucket)
		s.mu.Unlock()
	}
	if r.Method == http.MethodPut && object == "" && len(r.URL.Query()) == 0 {
		if ok, _ := s.backend.BucketExists(bucket); !ok {
			s.mu.Lock()
			s.created[bucket] = s.cloud.Now()
			s.mu.Unlock()
		}
	}
	s.fake.ServeHTTP(w, r)
}

func (s *S3) bucketTagging(w http.ResponseWriter, r *http.Request, bucket string) {
	if ok, _ := s.backend.BucketExists(bucket); !ok {
		w.WriteHeader(404)
		io.WriteString(w, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		var t tagging
		if err := xml.NewDecoder(r.Body).Decode(&t); err != nil {
			w.WriteHeader(400)
			io.WriteString(w, "<Error><Code>MalformedXML</Code><Message>"+err.Error()+"</Message></Error>")
			return
		}
		s.tags[bucket] = t.TagSet
		w.WriteHeader(204)
	case http.MethodGet:
		t, ok := s.tags[bucket]
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, "<Error><Code>NoSuchTagSet</Code><Message>The TagSet does not exist</Message></Error>")
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_ = xml.NewEncoder(w).Encode(tagging{TagSet: t})
	case http.MethodDelete:
		delete(s.tags, bucket)
		w.WriteHeader(204)
	default:
		w.WriteHeader(405)
	}
}

// Object returns an object's bytes (Lambda reading a zip from S3).
func (s *S3) Object(bucket, key string) ([]byte, error) {
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, err
	}
	defer obj.Contents.Close()
	return io.ReadAll(obj.Contents)
}

// CreateBucket makes a bucket directly (one left by an earlier run).
func (s *S3) CreateBucket(name string, tags map[string]string) error {
	if err := s.backend.CreateBucket(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created[name] = s.cloud.Now()
	for k, v := range tags {
		s.tags[name] = append(s.tags[name], tag{k, v})
	}
	return nil
}

// PutObject stores an object directly.
func (s *S3) PutObject(bucket, key string, data []byte) error {
	_, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

func (s *S3) names() []string {
	var out []string
	buckets, _ := s.backend.ListBuckets()
	for _, b := range buckets {
		out = append(out, "s3 bucket "+b.Name)
		list, err := s.backend.ListBucket(b.Name, nil, gofakes3.ListBucketPage{})
		if err != nil {
			continue
		}
		for _, c := range list.Contents {
			out = append(out, "s3 object "+b.Name+"/"+c.Key)
		}
	}
	sort.Strings(out)
	return out
}
