package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultOlderThan is how long a run must have been idle before a
// cleanup without a run id deletes its resources.
const DefaultOlderThan = time.Hour

// CleanupOptions configure Cleanup.
type CleanupOptions struct {
	Region string
	// RunID, when set, deletes only that run's resources, whatever their
	// age.
	RunID string
	// OlderThan guards runs still in progress when no RunID is given: a
	// run whose newest resource was created or changed (a forced cold
	// start changes a function) less than this ago is left alone. 0 means
	// DefaultOlderThan; negative, no guard.
	OlderThan time.Duration
	Client    ClientOptions
	Getenv    Env
	Log       io.Writer
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool
	// Confirm is asked, after the list is printed, whether to delete the
	// n resources on it (nil: delete without asking). An error stops the
	// cleanup with nothing deleted.
	Confirm func(n int) (bool, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// CleanupResult lists what Cleanup deleted (or would), what it left and
// why, and what it could not delete.
type CleanupResult struct {
	Deleted []string
	Skipped []string
	Failed  []error
	// Declined is set when Confirm said no.
	Declined bool
}

// candidate is one of bench's resources Cleanup found.
type candidate struct {
	kind, name string
	runID      string
	// last is when it was created or last changed (zero: unknown).
	last time.Time
	// skip says why it stays.
	skip string
}

func (c candidate) String() string { return c.kind + " " + c.name }

// Cleanup finds what bench created in a region — functions, log groups,
// ECR repositories and S3 buckets carrying the bench:run-id tag (and the
// log groups Lambda created itself for bench's functions), and the roles
// of runs in the region — lists it, asks Confirm, and deletes it: for
// runs killed before their teardown. Without a run id it leaves every run
// that was active within OlderThan, which may still be running.
func Cleanup(ctx context.Context, o CleanupOptions) (*CleanupResult, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OlderThan == 0 {
		o.OlderThan = DefaultOlderThan
	}
	if o.Region == "" {
		r, err := ResolveRegion(ctx)
		if err != nil {
			return nil, err
		}
		if r == "" {
			return nil, fmt.Errorf("%w: pass --region with --cleanup, set AWS_REGION, or set region in your profile", ErrNoRegion)
		}
		o.Region = r
	}
	if err := CheckRegion(o.Region); err != nil {
		return nil, err
	}
	if o.RunID != "" {
		if err := CheckRunID(o.RunID); err != nil {
			return nil, err
		}
	}
	cfg, err := LoadConfig(ctx, o.Region, o.Getenv, o.Client)
	if err != nil {
		return nil, err
	}
	id, err := CheckCredentials(ctx, cfg, o.Client)
	if err != nil {
		return nil, err
	}
	cl := &cleaner{o: o, c: newClients(cfg, o.Client), id: id, res: &CleanupResult{}}
	cands := cl.list(ctx)
	cl.guard(cands)
	var del []candidate
	for _, c := range cands {
		if c.skip == "" {
			del = append(del, c)
		}
	}
	cl.print(cands, len(del))
	switch {
	case len(del) == 0:
	case o.DryRun:
		for _, c := range del {
			cl.res.Deleted = append(cl.res.Deleted, c.String())
		}
	default:
		ok := true
		if o.Confirm != nil {
			if ok, err = o.Confirm(len(del)); err != nil {
				return cl.res, err
			}
		}
		if !ok {
			cl.res.Declined = true
			fmt.Fprintln(o.Log, "nothing deleted")
			return cl.res, nil
		}
		cl.delete(ctx, del)
	}
	if len(cl.res.Failed) > 0 {
		return cl.res, fmt.Errorf("%w: %d failures (see above)", ErrLeftovers, len(cl.res.Failed))
	}
	return cl.res, nil
}

type cleaner struct {
	o   CleanupOptions
	c   *clients
	id  Identity
	res *CleanupResult
}

func (cl *cleaner) listFailed(what string, err error) {
	cl.res.Failed = append(cl.res.Failed, fmt.Errorf("list %s: %w", what, err))
	fmt.Fprintf(cl.o.Log, "could not list %s: %v\n", what, err)
}

// wanted reports whether a resource of run is one to consider.
func (cl *cleaner) wanted(run string) bool {
	return run != "" && (cl.o.RunID == "" || run == cl.o.RunID)
}

// list finds bench's resources in the region, every list call paginated.
func (cl *cleaner) list(ctx context.Context) []candidate {
	var out []candidate
	c := cl.c

	fp := lambda.NewListFunctionsPaginator(c.lambda, &lambda.ListFunctionsInput{})
	for fp.HasMorePages() {
		page, err := fp.NextPage(ctx)
		if err != nil {
			cl.listFailed("functions", err)
			break
		}
		for _, fn := range page.Functions {
			name := sdk.ToString(fn.FunctionName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := c.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})
			if err != nil {
				cl.listFailed("tags of function "+name, err)
				continue
			}
			if run := tags.Tags[TagRunID]; cl.wanted(run) {
				last, _ := time.Parse("2006-01-02T15:04:05.000-0700", sdk.ToString(fn.LastModified))
				out = append(out, candidate{kind: kindFunction, name: name, runID: run, last: last})
			}
		}
	}

	lp := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: sdk.String(logGroupPrefix + namePrefix)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			cl.listFailed("log groups", err)
			break
		}
		for _, g := range page.LogGroups {
			name := sdk.ToString(g.LogGroupName)
			arn := sdk.ToString(g.LogGroupArn)
			if arn == "" {
				arn = strings.TrimSuffix(sdk.ToString(g.Arn), ":*")
			}
			tags, err := c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: sdk.String(arn)})
			if err != nil {
				cl.listFailed("tags of log group "+name, err)
				continue
			}
			run := tags.Tags[TagRunID]
			if run == "" {
				// Created by Lambda itself on a function's first log line
				// (the role may create groups): bench's by its name.
				fn := strings.TrimPrefix(name, logGroupPrefix)
				if cl.o.RunID != "" && strings.HasPrefix(fn, namePrefix+cl.o.RunID+"-") {
					run = cl.o.RunID
				} else if m := generatedRunID.FindStringSubmatch(fn); m != nil {
					run = m[1]
				}
			}
			if cl.wanted(run) {
				out = append(out, candidate{kind: kindLogGroup, name: name, runID: run, last: time.UnixMilli(sdk.ToInt64(g.CreationTime))})
			}
		}
	}

	rp := ecr.NewDescribeRepositoriesPaginator(c.ecr, &ecr.DescribeRepositoriesInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			cl.listFailed("ECR repositories", err)
			break
		}
		for _, r := range page.Repositories {
			name := sdk.ToString(r.RepositoryName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := repoTags(ctx, c.ecr, r.RepositoryArn)
			if err != nil {
				cl.listFailed("tags of repository "+name, err)
				continue
			}
			if run := tags[TagRunID]; cl.wanted(run) {
				out = append(out, candidate{kind: kindRepo, name: name, runID: run, last: sdk.ToTime(r.CreatedAt)})
			}
		}
	}

	// Buckets are global by name but live in a region: only this
	// region's.
	bp := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{Prefix: sdk.String(namePrefix), BucketRegion: sdk.String(cl.o.Region),
		MaxBuckets: sdk.Int32(1000)})
	for bp.HasMorePages() {
		page, err := bp.NextPage(ctx)
		if err != nil {
			cl.listFailed("S3 buckets", err)
			break
		}
		for _, b := range page.Buckets {
			name := sdk.ToString(b.Name)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			if r := sdk.ToString(b.BucketRegion); r != "" && r != cl.o.Region || r == "" && !strings.HasSuffix(name, "-"+cl.o.Region) {
				continue
			}
			tags, err := bucketTags(ctx, c.s3, name)
			if isCode(err, "NoSuchTagSet") {
				continue
			}
			if err != nil {
				cl.listFailed("tags of bucket "+name, err)
				continue
			}
			if run := tags[TagRunID]; cl.wanted(run) {
				out = append(out, candidate{kind: kindBucket, name: name, runID: run, last: sdk.ToTime(b.CreationDate)})
			}
		}
	}

	// Roles are global: each belongs to the region of its run.
	op := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{})
	for op.HasMorePages() {
		page, err := op.NextPage(ctx)
		if err != nil {
			cl.listFailed("IAM roles", err)
			break
		}
		for _, r := range page.Roles {
			name := sdk.ToString(r.RoleName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := roleTags(ctx, c.iam, name)
			if err != nil {
				cl.listFailed("tags of role "+name, err)
				continue
			}
			run := tags[TagRunID]
			if !cl.wanted(run) {
				continue
			}
			c := candidate{kind: kindRole, name: name, runID: run, last: sdk.ToTime(r.CreateDate)}
			if reg := tags[TagRegion]; reg != "" && reg != cl.o.Region {
				c.skip = fmt.Sprintf("its run is in %s (IAM is global): bench deploy aws --cleanup --region %s", reg, reg)
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].runID != out[j].runID {
			return out[i].runID < out[j].runID
		}
		return kindOrder[out[i].kind] < kindOrder[out[j].kind]
	})
	return out
}

// guard leaves the runs that may still be running: without a run id, a
// run whose newest resource in the region was created or changed within
// OlderThan.
func (cl *cleaner) guard(cands []candidate) {
	if cl.o.RunID != "" || cl.o.OlderThan < 0 {
		return
	}
	last := map[string]time.Time{}
	for _, c := range cands {
		if c.skip != "" {
			continue
		}
		t := c.last
		if t.IsZero() {
			t, _ = runIDTime(c.runID)
		}
		if t.After(last[c.runID]) {
			last[c.runID] = t
		}
	}
	now := cl.o.Now()
	for i, c := range cands {
		if c.skip != "" {
			continue
		}
		if age := now.Sub(last[c.runID]); age < cl.o.OlderThan {
			cands[i].skip = fmt.Sprintf("run %s was active %s ago, within --older-than %s: it may still be running (name it with --run-id to delete it anyway)",
				c.runID, age.Round(time.Second), cl.o.OlderThan)
		}
	}
}

// print lists what will be deleted and what stays, run by run.
func (cl *cleaner) print(cands []candidate, n int) {
	w := cl.o.Log
	if len(cands) == 0 {
		return
	}
	verb := "will delete"
	if cl.o.DryRun {
		verb = "would delete"
	}
	fmt.Fprintf(w, "bench's resources in %s (account %s):\n", cl.o.Region, cl.id.Account)
	run := ""
	for _, c := range cands {
		if c.runID != run {
			run = c.runID
			fmt.Fprintf(w, "  run %s:\n", run)
		}
		if c.skip != "" {
			fmt.Fprintf(w, "    leave  %s: %s\n", c, c.skip)
			cl.res.Skipped = append(cl.res.Skipped, c.String()+": "+c.skip)
			continue
		}
		fmt.Fprintf(w, "    delete %s\n", c)
	}
	fmt.Fprintf(w, "%s %d resources, leave %d\n", verb, n, len(cands)-n)
}

// delete deletes the candidates, functions first and roles last.
func (cl *cleaner) delete(ctx context.Context, del []candidate) {
	sort.SliceStable(del, func(i, j int) bool { return kindOrder[del[i].kind] < kindOrder[del[j].kind] })
	c := cl.c
	for _, d := range del {
		var err error
		switch d.kind {
		case kindFunction:
			_, err = c.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: sdk.String(d.name)})
		case kindLogGroup:
			_, err = c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: sdk.String(d.name)})
		case kindRepo:
			_, err = c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: sdk.String(d.name), Force: true})
		case kindBucket:
			// Only the run's objects: a bucket that still holds others
			// (another run's, in a bucket from before runs had their
			// own) stays.
			err = emptyAndDeleteBucket(ctx, c.s3, d.name, d.runID+"/", cl.id.Account, func(key string) {
				fmt.Fprintf(cl.o.Log, "deleted s3://%s/%s\n", d.name, key)
			})
			if isCode(err, "BucketNotEmpty") {
				msg := fmt.Sprintf("%s: holds objects of other runs, left", d)
				fmt.Fprintln(cl.o.Log, msg)
				cl.res.Skipped = append(cl.res.Skipped, msg)
				continue
			}
		case kindRole:
			err = deleteRole(ctx, c.iam, d.name)
		}
		if err != nil && !isNotFound(err) {
			cl.res.Failed = append(cl.res.Failed, fmt.Errorf("%s: %w", d, err))
			fmt.Fprintf(cl.o.Log, "could not delete %s: %v\n", d, err)
			continue
		}
		cl.res.Deleted = append(cl.res.Deleted, d.String())
		fmt.Fprintf(cl.o.Log, "deleted %s\n", d)
	}
}

// ErrNotConfirmed means a cleanup could not be confirmed (Confirm's
// error wraps it) and deleted nothing.
var ErrNotConfirmed = errors.New("cleanup not confirmed")
