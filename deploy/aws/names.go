package aws

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wasmbench/bench/deploy/pricing"
)

// Architectures, as Lambda names them.
const (
	ArchX86 = pricing.X86_64
	ArchARM = pricing.ARM64
)

// Packages.
const (
	PackageZip   = "zip"
	PackageImage = "image"
)

// Tag keys bench puts on everything it creates; Cleanup finds resources
// by TagRunID, and leaves a role (IAM is global) to the cleanup of the
// region in its TagRegion.
const (
	TagRunID   = "bench:run-id"
	TagCreator = "bench:created-by"
	TagConfig  = "bench:configuration"
	TagRegion  = "bench:region"
	creatorVal = "bench deploy aws"
	namePrefix = "bench-"
)

// logGroupPrefix is where Lambda writes a function's logs.
const logGroupPrefix = "/aws/lambda/"

// TargetName is the results target of every record of AWS Lambda.
const TargetName = "aws-lambda"

// NewRunID returns a short, sortable, lowercase id: the UTC time to the
// second and 3 random hex digits, e.g. "260910-120304-f3a". It is valid in
// function, role, repository and bucket names.
func NewRunID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("060102-150405") + "-" + hex.EncodeToString(b[:])[:3]
}

var runIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,30}$`)

// CheckRunID rejects a run id that cannot name every kind of resource.
func CheckRunID(id string) error {
	if !runIDRe.MatchString(id) {
		return fmt.Errorf("run id %q: want 3-31 lowercase letters, digits and dashes", id)
	}
	return nil
}

// Lambda function names: at most 64 of [A-Za-z0-9_-].
const maxFunctionName = 64

// functionName is "bench-<run>-<runtime>-<tier>-<workload>-<lang>-<param>-<arch>-<mem>-<pkg>"
// (empty parts left out), shortened with a hash of the whole when it does
// not fit.
func functionName(runID string, parts ...string) string {
	var clean []string
	for _, p := range parts {
		if c := sanitize(p); c != "" { // a custom module has no parameter
			clean = append(clean, c)
		}
	}
	full := namePrefix + runID + "-" + strings.Join(clean, "-")
	if len(full) <= maxFunctionName {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	h := hex.EncodeToString(sum[:])[:8]
	keep := maxFunctionName - len(h) - 1
	return strings.TrimRight(full[:keep], "-") + "-" + h
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		case r == '_':
			return '-'
		}
		return -1
	}, s)
}

// roleName is the execution role bench creates for a run.
func roleName(runID string) string { return namePrefix + runID + "-lambda" }

// repoName is the run's ECR repository.
func repoName(runID string) string { return namePrefix + runID }

// bucketName is the run's own bucket for large zips, named with the run
// id, account and region (bucket names are global), shortened with a hash
// when it would pass S3's 63 characters. No other run uses it, so the
// run's teardown may delete it.
func bucketName(runID, account, region string) string {
	full := namePrefix + runID + "-" + account + "-" + region
	if len(full) <= 63 {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	return strings.TrimRight(full[:63-9], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

// logGroupName is a function's log group.
func logGroupName(function string) string { return logGroupPrefix + function }

// baseTags are on every resource of a run.
func baseTags(runID, region string) map[string]string {
	return map[string]string{TagRunID: runID, TagCreator: creatorVal, TagRegion: region}
}

// generatedRunID matches the run ids NewRunID makes, at the start of a
// resource name after "bench-": how Cleanup recognises a log group Lambda
// created itself (untagged) for one of bench's functions.
var generatedRunID = regexp.MustCompile(`^bench-(\d{6}-\d{6}-[0-9a-f]{3})-`)

// runIDTime is when a run id made by NewRunID was made.
func runIDTime(id string) (time.Time, bool) {
	if len(id) < 13 {
		return time.Time{}, false
	}
	t, err := time.Parse("060102-150405", id[:13])
	return t, err == nil
}
