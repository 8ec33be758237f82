package aws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// trustPolicy lets Lambda assume the role.
const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// logsPolicyName is the role's one inline policy: write the run's log
// groups, which bench creates up front. Without logs:CreateLogGroup
// (which AWSLambdaBasicExecutionRole would grant) Lambda cannot recreate
// a group after teardown deleted it.
const logsPolicyName = "bench-write-logs"

// logRetentionDays is the retention of every log group bench creates: the
// groups are deleted at teardown, and a group a killed run leaves expires
// its lines after a day.
const logRetentionDays = 1

// Resource kinds, in the order teardown deletes them.
const (
	kindFunction = "function"
	kindLogGroup = "log group"
	kindBucket   = "s3 bucket"
	kindRepo     = "ecr repository"
	kindRole     = "iam role"
)

var kindOrder = map[string]int{kindFunction: 0, kindLogGroup: 1, kindBucket: 2, kindRepo: 3, kindRole: 4}

// resource is something a run created.
type resource struct {
	kind string
	name string
	// unsure marks a resource whose create call got no answer (cancelled,
	// timed out, the connection failed): it may exist. Teardown deletes it
	// only when its tags say it is this run's.
	unsure bool
}

func (r resource) String() string { return r.kind + " " + r.name }

// deployer creates, tracks and deletes one run's resources.
type deployer struct {
	o   *Options
	c   *clients
	id  Identity
	log io.Writer

	mu      sync.Mutex
	created []resource // created (or perhaps created: unsure) and not yet deleted

	// The run's shared resources are made once, on first need, by
	// whichever function needs them first: with --parallel, several at
	// once. Each has its lock; pushImage takes pushMu, then repoMu.
	roleMu, bucketMu, repoMu, pushMu sync.Mutex

	roleARN string
	bucket  string
	repoURI string
	repoErr error
	ecrAuth authn.Authenticator
	ecrHTTP bool
	pushed  map[string]string // artifact key -> image URI
	// memCap is the account's largest memory size, once a create found
	// it (0: none found).
	memCap int
}

func newDeployer(o *Options, c *clients, id Identity) *deployer {
	return &deployer{o: o, c: c, id: id, log: o.Log, pushed: map[string]string{}}
}

// memoryCap is the account's largest memory size, once a create found it
// (0: none found).
func (d *deployer) memoryCap() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.memCap
}

// settle records what a create call left: the resource when it was
// created; nothing when the service answered with an error (it created
// nothing); an unsure resource when no answer came (it may exist).
func (d *deployer) settle(r resource, err error) {
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return
		}
		r.unsure = true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.created {
		if x.kind == r.kind && x.name == r.name {
			d.created[i].unsure = d.created[i].unsure && r.unsure
			return
		}
	}
	d.created = append(d.created, r)
}

func (d *deployer) untrack(r resource) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.created {
		if x.kind == r.kind && x.name == r.name {
			d.created = append(d.created[:i], d.created[i+1:]...)
			return
		}
	}
}

// Created lists what the run has created and not yet deleted.
func (d *deployer) Created() []resource {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]resource(nil), d.created...)
}

// partition is the ARN partition of the caller ("aws", "aws-cn", ...).
func (d *deployer) partition() string {
	if parts := strings.SplitN(d.id.ARN, ":", 3); len(parts) == 3 && parts[1] != "" {
		return parts[1]
	}
	return Partition(d.o.Region)
}

func (d *deployer) tags() map[string]string { return baseTags(d.o.RunID, d.o.Region) }

// logsPolicy lets the role write the run's log groups and nothing else.
func (d *deployer) logsPolicy() string {
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s%s%s-*:*", d.partition(), d.o.Region, d.id.Account,
			logGroupPrefix, namePrefix, d.o.RunID),
	}}}
	b, _ := json.Marshal(doc)
	return string(b)
}

// role returns the execution role: --role, or a new one that may only
// write the run's logs.
func (d *deployer) role(ctx context.Context) (string, error) {
	d.roleMu.Lock()
	defer d.roleMu.Unlock()
	if d.roleARN != "" {
		return d.roleARN, nil
	}
	if d.o.RoleARN != "" {
		d.roleARN = d.o.RoleARN
		return d.roleARN, nil
	}
	rn := roleName(d.o.RunID)
	out, err := d.c.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 sdk.String(rn),
		AssumeRolePolicyDocument: sdk.String(trustPolicy),
		Description:              sdk.String("bench deploy aws run " + d.o.RunID + ": writes the run's Lambda logs, nothing else"),
		Tags:                     iamTags(d.tags()),
	})
	if isCode(err, "EntityAlreadyExists") {
		// A retried create whose first answer was lost: ours if tagged so.
		got, gerr := d.c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(rn)})
		if gerr == nil && hasTag(got.Role.Tags, TagRunID, d.o.RunID) {
			out, err = &iam.CreateRoleOutput{Role: got.Role}, nil
		}
	}
	d.settle(resource{kind: kindRole, name: rn}, err)
	if err != nil {
		return "", fmt.Errorf("create execution role %s: %w (or pass --role ARN)", rn, err)
	}
	if _, err := d.c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdk.String(rn),
		PolicyName: sdk.String(logsPolicyName), PolicyDocument: sdk.String(d.logsPolicy())}); err != nil {
		return "", fmt.Errorf("give role %s its policy %s: %w", rn, logsPolicyName, err)
	}
	w := iam.NewRoleExistsWaiter(d.c.iam, func(wo *iam.RoleExistsWaiterOptions) {
		wo.MinDelay, wo.MaxDelay = d.o.WaitDelay, 10*d.o.WaitDelay
	})
	if err := w.Wait(ctx, &iam.GetRoleInput{RoleName: sdk.String(rn)}, 2*time.Minute); err != nil {
		return "", fmt.Errorf("wait for role %s: %w", rn, err)
	}
	d.roleARN = sdk.ToString(out.Role.Arn)
	fmt.Fprintf(d.log, "created role %s\n", d.roleARN)
	return d.roleARN, nil
}

func hasTag(tags []iamtypes.Tag, k, v string) bool {
	for _, t := range tags {
		if sdk.ToString(t.Key) == k && sdk.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}

// ensureBucket creates the run's own bucket, tagged.
func (d *deployer) ensureBucket(ctx context.Context) (string, error) {
	d.bucketMu.Lock()
	defer d.bucketMu.Unlock()
	if d.bucket != "" {
		return d.bucket, nil
	}
	b := bucketName(d.o.RunID, d.id.Account, d.o.Region)
	in := &s3.CreateBucketInput{Bucket: sdk.String(b)}
	if d.o.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(d.o.Region)}
	}
	_, err := d.c.s3.CreateBucket(ctx, in)
	if isCode(err, "BucketAlreadyOwnedByYou") {
		// A retried create whose first answer was lost: the account owns
		// it and its name carries the run id.
		err = nil
	}
	d.settle(resource{kind: kindBucket, name: b}, err)
	if err != nil {
		return "", fmt.Errorf("create bucket %s: %w", b, err)
	}
	var tags []s3types.Tag
	for _, k := range sortedKeys(d.tags()) {
		tags = append(tags, s3types.Tag{Key: sdk.String(k), Value: sdk.String(d.tags()[k])})
	}
	if _, err := d.c.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: sdk.String(b), Tagging: &s3types.Tagging{TagSet: tags}}); err != nil {
		return "", fmt.Errorf("tag bucket %s: %w", b, err)
	}
	fmt.Fprintf(d.log, "created bucket %s\n", b)
	d.bucket = b
	return b, nil
}

func bucketTags(ctx context.Context, c *s3.Client, bucket string) (map[string]string, error) {
	out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: sdk.String(bucket)})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, t := range out.TagSet {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m, nil
}

// uploadZip puts a large zip into the run's bucket, under the run id.
func (d *deployer) uploadZip(ctx context.Context, a *Artifact) (bucket, key string, err error) {
	bucket, err = d.ensureBucket(ctx)
	if err != nil {
		return "", "", err
	}
	key = d.o.RunID + "/" + a.Key + ".zip"
	_, err = d.c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdk.String(bucket), Key: sdk.String(key),
		Body: bytes.NewReader(a.Zip), ContentLength: sdk.Int64(int64(len(a.Zip)))})
	if err != nil {
		return "", "", fmt.Errorf("upload %s to s3://%s: %w", key, bucket, err)
	}
	return bucket, key, nil
}

// ensureRepo creates the run's ECR repository and logs in to it.
func (d *deployer) ensureRepo(ctx context.Context) error {
	d.repoMu.Lock()
	defer d.repoMu.Unlock()
	if d.repoURI != "" || d.repoErr != nil {
		return d.repoErr
	}
	d.repoErr = d.createRepo(ctx)
	return d.repoErr
}

func (d *deployer) createRepo(ctx context.Context) error {
	rn := repoName(d.o.RunID)
	var tags []ecrtypes.Tag
	for _, k := range sortedKeys(d.tags()) {
		tags = append(tags, ecrtypes.Tag{Key: sdk.String(k), Value: sdk.String(d.tags()[k])})
	}
	out, err := d.c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: sdk.String(rn), Tags: tags,
		ImageTagMutability: ecrtypes.ImageTagMutabilityMutable})
	if isCode(err, "RepositoryAlreadyExistsException") {
		// A retried create whose first answer was lost: ours if tagged so.
		got, gerr := d.c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{rn}})
		if gerr == nil && len(got.Repositories) == 1 {
			if t, terr := repoTags(ctx, d.c.ecr, got.Repositories[0].RepositoryArn); terr == nil && t[TagRunID] == d.o.RunID {
				out, err = &ecr.CreateRepositoryOutput{Repository: &got.Repositories[0]}, nil
			}
		}
	}
	d.settle(resource{kind: kindRepo, name: rn}, err)
	if err != nil {
		return fmt.Errorf("create ECR repository %s: %w", rn, err)
	}
	tok, err := d.c.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return fmt.Errorf("ECR authorization token: %w", err)
	}
	if len(tok.AuthorizationData) == 0 {
		return errors.New("ECR authorization token: no authorization data")
	}
	ad := tok.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(sdk.ToString(ad.AuthorizationToken))
	if err != nil {
		return fmt.Errorf("ECR authorization token is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return errors.New("ECR authorization token is not user:password")
	}
	d.ecrAuth = authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})
	if u, err := url.Parse(sdk.ToString(ad.ProxyEndpoint)); err == nil && u.Scheme == "http" {
		d.ecrHTTP = true // a local registry (tests); ECR itself is https
	}
	d.repoURI = sdk.ToString(out.Repository.RepositoryUri)
	fmt.Fprintf(d.log, "created repository %s\n", d.repoURI)
	return nil
}

// roleTags reads all of a role's tags, page by page.
func roleTags(ctx context.Context, c *iam.Client, role string) (map[string]string, error) {
	tags := map[string]string{}
	p := iam.NewListRoleTagsPaginator(c, &iam.ListRoleTagsInput{RoleName: sdk.String(role)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
		}
	}
	return tags, nil
}

func repoTags(ctx context.Context, c *ecr.Client, arn *string) (map[string]string, error) {
	out, err := c.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, t := range out.Tags {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m, nil
}

// pushImage pushes an artifact's image (once) and returns its URI by
// digest, as CreateFunction wants it.
func (d *deployer) pushImage(ctx context.Context, a *Artifact) (string, error) {
	d.pushMu.Lock()
	defer d.pushMu.Unlock()
	if uri, ok := d.pushed[a.Key]; ok {
		return uri, nil
	}
	if err := d.ensureRepo(ctx); err != nil {
		return "", err
	}
	var opts []name.Option
	if d.ecrHTTP {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.NewTag(d.repoURI+":"+sanitize(a.Key), opts...)
	if err != nil {
		return "", fmt.Errorf("image reference for %s: %w", a.Key, err)
	}
	t0 := time.Now()
	opts2 := []remote.Option{remote.WithAuth(d.ecrAuth), remote.WithContext(ctx)}
	if d.o.Client.HTTPClient != nil && d.o.Client.HTTPClient.Transport != nil {
		opts2 = append(opts2, remote.WithTransport(d.o.Client.HTTPClient.Transport))
	}
	if err := remote.Write(ref, a.Image, opts2...); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	uri := d.repoURI + "@" + a.ImageDigest
	fmt.Fprintf(d.log, "pushed %s (%d MB) in %s\n", ref, a.Bytes>>20, time.Since(t0).Round(time.Millisecond))
	d.pushed[a.Key] = uri
	return uri, nil
}

// logGroupARN is a log group's ARN as ListTagsForResource takes it.
func (d *deployer) logGroupARN(group string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", d.partition(), d.o.Region, d.id.Account, group)
}

// createLogGroup makes a function's log group before the function, tagged
// and with a retention of a day, as lambda-perf does: so that teardown
// knows it, and a group a killed run leaves does not keep its lines.
func (d *deployer) createLogGroup(ctx context.Context, fn string) error {
	g := logGroupName(fn)
	_, err := d.c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: sdk.String(g), Tags: d.tags()})
	if isCode(err, "ResourceAlreadyExistsException") {
		// Ours if tagged so (a retried create whose first answer was
		// lost); otherwise not ours to delete, and the function logs to it.
		out, terr := d.c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: sdk.String(d.logGroupARN(g))})
		if terr != nil || out.Tags[TagRunID] != d.o.RunID {
			fmt.Fprintf(d.log, "log group %s exists and is not this run's: left alone\n", g)
			return nil
		}
		err = nil
	}
	d.settle(resource{kind: kindLogGroup, name: g}, err)
	if err != nil {
		return fmt.Errorf("create log group %s: %w", g, err)
	}
	if _, err := d.c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: sdk.String(g),
		RetentionInDays: sdk.Int32(logRetentionDays)}); err != nil {
		return fmt.Errorf("set the retention of log group %s: %w", g, err)
	}
	return nil
}

// memCapRe finds the account's memory maximum in the error Lambda gives
// for a larger MemorySize.
var memCapRe = regexp.MustCompile(`(?i)memorysize.*less than or equal to (\d+)`)

// memoryCap is the account's largest memory size when err is Lambda
// refusing a larger one.
func memoryCap(err error) (int, bool) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return 0, false
	}
	m := memCapRe.FindStringSubmatch(ae.ErrorMessage())
	if m == nil {
		return 0, false
	}
	n, cerr := strconv.Atoi(m[1])
	return n, cerr == nil
}

// memoryCapError says what a memory size above the account's maximum
// means and what to do.
func memoryCapError(mem, limit int, region string) error {
	return fmt.Errorf("%w: %d MB is above this account's maximum function memory in %s, %d MB "+
		"(AWS holds new accounts there until their usage grows): use --memory %d or less, or ask AWS Support to lift it",
		ErrAccountLimit, mem, region, limit, limit)
}

// createFunction deploys one configuration and waits until it is active.
func (d *deployer) createFunction(ctx context.Context, f *Function, env map[string]string, timeout time.Duration) error {
	a := f.Artifact
	role, err := d.role(ctx)
	if err != nil {
		return err
	}
	in := &lambda.CreateFunctionInput{
		FunctionName:  sdk.String(f.Name),
		Role:          sdk.String(role),
		Architectures: []ltypes.Architecture{ltypes.Architecture(f.Arch)},
		MemorySize:    sdk.Int32(int32(f.MemoryMB)),
		Timeout:       sdk.Int32(int32(timeout / time.Second)),
		Environment:   &ltypes.Environment{Variables: env},
		Description:   sdk.String("bench " + f.Key()),
		Tags:          functionTags(d.o.RunID, d.o.Region, f),
	}
	switch f.Package {
	case PackageZip:
		in.PackageType = ltypes.PackageTypeZip
		in.Runtime = ltypes.Runtime(a.LambdaRuntime)
		in.Handler = sdk.String(a.Handler)
		if int64(len(a.Zip)) < d.o.DirectUploadLimit {
			in.Code = &ltypes.FunctionCode{ZipFile: a.Zip}
		} else {
			bucket, key, err := d.uploadZip(ctx, a)
			if err != nil {
				return err
			}
			in.Code = &ltypes.FunctionCode{S3Bucket: sdk.String(bucket), S3Key: sdk.String(key)}
		}
	case PackageImage:
		uri, err := d.pushImage(ctx, a)
		if err != nil {
			return err
		}
		in.PackageType = ltypes.PackageTypeImage
		in.Code = &ltypes.FunctionCode{ImageUri: sdk.String(uri)}
	}
	if err := d.createLogGroup(ctx, f.Name); err != nil {
		return err
	}
	deadline := time.Now().Add(d.o.RoleWait)
	delay := d.o.WaitDelay
	for {
		_, err = d.c.lambda.CreateFunction(ctx, in)
		if err == nil || !isRoleNotReady(err) || time.Now().After(deadline) {
			break
		}
		// A new role takes a few seconds to propagate through IAM.
		fmt.Fprintf(d.log, "%s: role not assumable yet, retrying in %s\n", f.Name, delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*d.o.WaitDelay)
	}
	if isCode(err, "ResourceConflictException") {
		// A retried create whose first answer was lost: ours if tagged so.
		if tags, terr := d.functionTags(ctx, f.Name); terr == nil && tags[TagRunID] == d.o.RunID {
			err = nil
		}
	}
	d.settle(resource{kind: kindFunction, name: f.Name}, err)
	if err != nil {
		if limit, ok := memoryCap(err); ok {
			d.mu.Lock()
			d.memCap = limit
			d.mu.Unlock()
			return fmt.Errorf("create function %s: %w", f.Name, memoryCapError(f.MemoryMB, limit, d.o.Region))
		}
		return fmt.Errorf("create function %s: %w", f.Name, err)
	}
	w := lambda.NewFunctionActiveV2Waiter(d.c.lambda, func(wo *lambda.FunctionActiveV2WaiterOptions) {
		wo.MinDelay, wo.MaxDelay = d.o.WaitDelay, 10*d.o.WaitDelay
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: sdk.String(f.Name)}, 10*time.Minute); err != nil {
		return fmt.Errorf("function %s did not become active: %w%s", f.Name, err, d.stateReason(ctx, f.Name))
	}
	return nil
}

// stateReason fetches why a function is not active, for an error message.
func (d *deployer) stateReason(ctx context.Context, fn string) string {
	out, err := d.c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: sdk.String(fn)})
	if err != nil || out.Configuration == nil {
		return ""
	}
	c := out.Configuration
	for _, s := range []*string{c.StateReason, c.LastUpdateStatusReason} {
		if sdk.ToString(s) != "" {
			return " (" + sdk.ToString(s) + ")"
		}
	}
	return ""
}

func (d *deployer) functionTags(ctx context.Context, fn string) (map[string]string, error) {
	out, err := d.c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: sdk.String(fn)})
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

func functionTags(runID, region string, f *Function) map[string]string {
	t := baseTags(runID, region)
	t[TagConfig] = f.Key()
	return t
}

// ours reports whether an unsure resource exists, and whether it is this
// run's (by its tags).
func (d *deployer) ours(ctx context.Context, r resource) (exists, ours bool, err error) {
	var tags map[string]string
	switch r.kind {
	case kindFunction:
		tags, err = d.functionTags(ctx, r.name)
	case kindLogGroup:
		var out *cloudwatchlogs.ListTagsForResourceOutput
		out, err = d.c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: sdk.String(d.logGroupARN(r.name))})
		if err == nil {
			tags = out.Tags
		}
	case kindBucket:
		// Tagged only after it is created: the account owning a bucket
		// whose name carries the run id is enough.
		_, err = d.c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(r.name), ExpectedBucketOwner: sdk.String(d.id.Account)})
		if err == nil {
			return true, true, nil
		}
	case kindRepo:
		arn := fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", d.partition(), d.o.Region, d.id.Account, r.name)
		tags, err = repoTags(ctx, d.c.ecr, &arn)
	case kindRole:
		tags, err = roleTags(ctx, d.c.iam, r.name)
	}
	if isNotFound(err) || isCode(err, "RepositoryNotFoundException") {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, tags[TagRunID] == d.o.RunID, nil
}

// unsureChecks is how many times teardown looks for a resource whose
// create got no answer before it concludes the create never took effect:
// a request the client gave up on may still be carried out a moment
// later. The waits double from WaitDelay (1+2+4+8+16 s by default).
const unsureChecks = 6

// oursEventually is ours, looked for again while the resource does not
// exist yet.
func (d *deployer) oursEventually(ctx context.Context, r resource) (bool, error) {
	delay := d.o.WaitDelay
	for i := 0; ; i++ {
		exists, ok, err := d.ours(ctx, r)
		if exists || err != nil || i == unsureChecks-1 {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// delete deletes one resource of the run (an unsure one only if it is
// ours) and stops tracking it.
func (d *deployer) delete(ctx context.Context, r resource) error {
	if r.unsure {
		ok, err := d.oursEventually(ctx, r)
		if err != nil {
			return fmt.Errorf("%s (its create call got no answer): check its tags: %w", r, err)
		}
		if !ok {
			d.untrack(r)
			return nil
		}
	}
	var err error
	switch r.kind {
	case kindFunction:
		_, err = d.c.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: sdk.String(r.name)})
	case kindLogGroup:
		_, err = d.c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: sdk.String(r.name)})
	case kindBucket:
		err = emptyAndDeleteBucket(ctx, d.c.s3, r.name, d.o.RunID+"/", d.id.Account, nil)
	case kindRepo:
		_, err = d.c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: sdk.String(r.name), Force: true})
	case kindRole:
		err = deleteRole(ctx, d.c.iam, r.name)
	}
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", r, err)
	}
	d.untrack(r)
	fmt.Fprintf(d.log, "deleted %s\n", r)
	return nil
}

// teardown deletes everything the run created, functions first and the
// role last, on a context of its own so that Ctrl-C does not stop it. It
// returns what it could not delete.
func (d *deployer) teardown(ctx context.Context) []error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	res := d.Created()
	sort.SliceStable(res, func(i, j int) bool { return kindOrder[res[i].kind] < kindOrder[res[j].kind] })
	var errs []error
	for _, r := range res {
		if err := d.delete(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// bucketSettle is how long teardown waits for an upload the client gave
// up on (Ctrl-C, a function measured beside it that failed the run) to
// land before it looks at a bucket that would not delete again; the
// waits double, bucketChecks times.
var bucketSettle = 250 * time.Millisecond

const bucketChecks = 5

// emptyAndDeleteBucket deletes the objects under prefix (every object
// when prefix is ""), then the bucket. An upload cancelled mid-way may
// still land after the objects were listed: while the bucket is not
// empty and the prefix holds objects again, they are deleted and the
// bucket tried again. An object outside the prefix is another run's: the
// bucket is then left, and the error says so. done, when set, hears of
// each object deleted.
func emptyAndDeleteBucket(ctx context.Context, c *s3.Client, bucket, prefix, account string, done func(key string)) error {
	wait := bucketSettle
	for i := 0; ; i++ {
		n, err := emptyPrefix(ctx, c, bucket, prefix, done)
		if err != nil {
			return err
		}
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: sdk.String(bucket), ExpectedBucketOwner: sdk.String(account)})
		if !isCode(err, "BucketNotEmpty") {
			return err
		}
		if (n == 0 && i > 0) || i == bucketChecks-1 {
			return fmt.Errorf("s3://%s holds objects outside %s, which are not this run's: the bucket is left: %w", bucket, prefix, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// emptyPrefix deletes the objects under prefix and says how many.
func emptyPrefix(ctx context.Context, c *s3.Client, bucket, prefix string, done func(key string)) (int, error) {
	deleted := 0
	in := &s3.ListObjectsV2Input{Bucket: sdk.String(bucket)}
	if prefix != "" {
		in.Prefix = sdk.String(prefix)
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return deleted, fmt.Errorf("list objects of s3://%s: %w", bucket, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, obj := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: obj.Key})
		}
		if len(ids) == 0 {
			continue
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: sdk.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: sdk.Bool(true)}})
		if err != nil {
			return deleted, fmt.Errorf("delete %d objects in s3://%s: %w", len(ids), bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return deleted, fmt.Errorf("delete s3://%s/%s: %s (%d objects not deleted)", bucket, sdk.ToString(e.Key), sdk.ToString(e.Message), len(out.Errors))
		}
		deleted += len(ids)
		if done != nil {
			for _, id := range ids {
				done(sdk.ToString(id.Key))
			}
		}
	}
	return deleted, nil
}

// deleteRole removes the role's inline and managed policies, then the
// role.
func deleteRole(ctx context.Context, c *iam.Client, rn string) error {
	ip := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: sdk.String(rn)})
	var inline []string
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return err
		}
		inline = append(inline, page.PolicyNames...)
	}
	for _, p := range inline {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: sdk.String(rn), PolicyName: sdk.String(p)}); err != nil && !isNotFound(err) {
			return err
		}
	}
	ap := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(rn)})
	var attached []*string
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, p := range page.AttachedPolicies {
			attached = append(attached, p.PolicyArn)
		}
	}
	for _, p := range attached {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: sdk.String(rn), PolicyArn: p}); err != nil && !isNotFound(err) {
			return err
		}
	}
	_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: sdk.String(rn)})
	return err
}
