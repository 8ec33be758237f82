package aws

import (
	"context"
	"fmt"
	"io"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CleanupOptions configure Cleanup.
type CleanupOptions struct {
	Region string
	// RunID, when set, deletes only that run's resources.
	RunID  string
	Client ClientOptions
	Getenv Env
	Log    io.Writer
	// DryRun lists what would be deleted.
	DryRun bool
}

// CleanupResult lists what Cleanup deleted (or would) and what it could
// not delete.
type CleanupResult struct {
	Deleted []string
	Failed  []error
}

// Cleanup finds everything bench created in a region — functions, roles,
// ECR repositories and S3 buckets carrying the bench:run-id tag — and
// deletes it: for runs that were killed before their teardown.
func Cleanup(ctx context.Context, o CleanupOptions) (*CleanupResult, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Region == "" {
		return nil, fmt.Errorf("--region is required with --cleanup")
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
	c := newClients(cfg, o.Client)
	res := &CleanupResult{}
	ours := func(tags map[string]string) bool {
		run, ok := tags[TagRunID]
		return ok && (o.RunID == "" || run == o.RunID)
	}
	done := func(what string, err error) {
		if err != nil && !isNotFound(err) {
			res.Failed = append(res.Failed, fmt.Errorf("%s: %w", what, err))
			fmt.Fprintf(o.Log, "could not delete %s: %v\n", what, err)
			return
		}
		res.Deleted = append(res.Deleted, what)
		verb := "deleted"
		if o.DryRun {
			verb = "would delete"
		}
		fmt.Fprintf(o.Log, "%s %s\n", verb, what)
	}
	listFailed := func(what string, err error) {
		res.Failed = append(res.Failed, fmt.Errorf("list %s: %w", what, err))
		fmt.Fprintf(o.Log, "could not list %s: %v\n", what, err)
	}

	// Functions first: they use the roles and images.
	fp := lambda.NewListFunctionsPaginator(c.lambda, &lambda.ListFunctionsInput{})
	for fp.HasMorePages() {
		page, err := fp.NextPage(ctx)
		if err != nil {
			listFailed("functions", err)
			break
		}
		for _, fn := range page.Functions {
			name := sdk.ToString(fn.FunctionName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := c.lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})
			if err != nil {
				listFailed("tags of function "+name, err)
				continue
			}
			if !ours(tags.Tags) {
				continue
			}
			if !o.DryRun {
				_, err = c.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: fn.FunctionName})
			}
			done(kindFunction+" "+name, err)
		}
	}

	rp := ecr.NewDescribeRepositoriesPaginator(c.ecr, &ecr.DescribeRepositoriesInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if err != nil {
			listFailed("ECR repositories", err)
			break
		}
		for _, r := range page.Repositories {
			name := sdk.ToString(r.RepositoryName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := c.ecr.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: r.RepositoryArn})
			if err != nil {
				listFailed("tags of repository "+name, err)
				continue
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			if !ours(m) {
				continue
			}
			if !o.DryRun {
				_, err = c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: r.RepositoryName, Force: true})
			}
			done(kindRepo+" "+name, err)
		}
	}

	// Buckets are per region by name; their objects go first.
	buckets, err := c.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		listFailed("S3 buckets", err)
	} else {
		for _, b := range buckets.Buckets {
			name := sdk.ToString(b.Name)
			if name != bucketName(id.Account, o.Region) {
				continue
			}
			tags, err := c.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b.Name})
			if err != nil {
				listFailed("tags of bucket "+name, err)
				continue
			}
			m := map[string]string{}
			for _, t := range tags.TagSet {
				m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			if _, ok := m[TagRunID]; !ok {
				continue
			}
			cleanBucket(ctx, c.s3, name, o, done, listFailed)
		}
	}

	lp := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			listFailed("IAM roles", err)
			break
		}
		for _, r := range page.Roles {
			name := sdk.ToString(r.RoleName)
			if !strings.HasPrefix(name, namePrefix) {
				continue
			}
			tags, err := c.iam.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName})
			if err != nil {
				listFailed("tags of role "+name, err)
				continue
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
			}
			if !ours(m) {
				continue
			}
			if !o.DryRun {
				err = deleteRole(ctx, c.iam, name)
			}
			done(kindRole+" "+name, err)
		}
	}
	if len(res.Failed) > 0 {
		return res, fmt.Errorf("%w: %d failures (see above)", ErrLeftovers, len(res.Failed))
	}
	return res, nil
}

// cleanBucket deletes the run's objects (every object when no run id is
// given) and then the bucket, when it is empty.
func cleanBucket(ctx context.Context, c *s3.Client, bucket string, o CleanupOptions, done func(string, error), listFailed func(string, error)) {
	in := &s3.ListObjectsV2Input{Bucket: sdk.String(bucket)}
	if o.RunID != "" {
		in.Prefix = sdk.String(o.RunID + "/")
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			listFailed("objects of bucket "+bucket, err)
			return
		}
		var ids []s3types.ObjectIdentifier
		for _, obj := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: obj.Key})
		}
		if len(ids) == 0 || o.DryRun {
			for _, id := range ids {
				done(fmt.Sprintf("%s s3://%s/%s", kindObject, bucket, sdk.ToString(id.Key)), nil)
			}
			continue
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: sdk.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: sdk.Bool(true)}})
		if err != nil {
			done(fmt.Sprintf("%d objects in s3://%s", len(ids), bucket), err)
			continue
		}
		failed := map[string]bool{}
		for _, e := range out.Errors {
			failed[sdk.ToString(e.Key)] = true
			done(fmt.Sprintf("%s s3://%s/%s", kindObject, bucket, sdk.ToString(e.Key)), fmt.Errorf("%s", sdk.ToString(e.Message)))
		}
		for _, id := range ids {
			if !failed[sdk.ToString(id.Key)] {
				done(fmt.Sprintf("%s s3://%s/%s", kindObject, bucket, sdk.ToString(id.Key)), nil)
			}
		}
	}
	if o.RunID != "" {
		return // other runs may still use the bucket
	}
	var err error
	if !o.DryRun {
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: sdk.String(bucket)})
	}
	done(kindBucket+" "+bucket, err)
}
