package aws

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// basicExecutionPolicy is the only policy the role bench creates gets:
// permission to write the function's logs.
const basicExecutionPolicy = "policy/service-role/AWSLambdaBasicExecutionRole"

// trustPolicy lets Lambda assume the role.
const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// Resource kinds, in the order teardown deletes them.
const (
	kindFunction = "function"
	kindObject   = "s3 object"
	kindBucket   = "s3 bucket"
	kindRepo     = "ecr repository"
	kindRole     = "iam role"
)

// resource is something a run created.
type resource struct {
	kind string
	name string
	// bucket for objects
	bucket string
}

func (r resource) String() string {
	if r.kind == kindObject {
		return fmt.Sprintf("%s s3://%s/%s", r.kind, r.bucket, r.name)
	}
	return r.kind + " " + r.name
}

// deployer creates, tracks and deletes one run's resources.
type deployer struct {
	o   *Options
	c   *clients
	id  Identity
	log io.Writer

	mu      sync.Mutex
	created []resource // what exists (or may: a create whose answer was lost)

	roleARN string
	bucket  string
	repoURI string
	repoErr error
	ecrAuth authn.Authenticator
	ecrHTTP bool
	pushed  map[string]string // artifact key -> image URI
}

func newDeployer(o *Options, c *clients, id Identity) *deployer {
	return &deployer{o: o, c: c, id: id, log: o.Log, pushed: map[string]string{}}
}

func (d *deployer) track(r resource) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, x := range d.created {
		if x == r {
			return
		}
	}
	d.created = append(d.created, r)
}

func (d *deployer) untrack(r resource) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.created {
		if x == r {
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
	return "aws"
}

// role returns the execution role: --role, or a new minimal one.
func (d *deployer) role(ctx context.Context) (string, error) {
	if d.roleARN != "" {
		return d.roleARN, nil
	}
	if d.o.RoleARN != "" {
		d.roleARN = d.o.RoleARN
		return d.roleARN, nil
	}
	rn := roleName(d.o.RunID)
	d.track(resource{kind: kindRole, name: rn})
	out, err := d.c.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 sdk.String(rn),
		AssumeRolePolicyDocument: sdk.String(trustPolicy),
		Description:              sdk.String("bench deploy aws run " + d.o.RunID + ": Lambda basic execution only"),
		Tags:                     iamTags(baseTags(d.o.RunID)),
	})
	if isCode(err, "EntityAlreadyExists") {
		// A retried create whose first answer was lost: ours if tagged so.
		got, gerr := d.c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(rn)})
		if gerr == nil && hasTag(got.Role.Tags, TagRunID, d.o.RunID) {
			out, err = &iam.CreateRoleOutput{Role: got.Role}, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("create execution role %s: %w (or pass --role ARN)", rn, err)
	}
	policy := "arn:" + d.partition() + ":iam::aws:" + basicExecutionPolicy
	if _, err := d.c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: sdk.String(rn), PolicyArn: sdk.String(policy)}); err != nil {
		return "", fmt.Errorf("attach %s to role %s: %w", policy, rn, err)
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

// ensureBucket finds the account's bench bucket in the region or creates
// it, tagged.
func (d *deployer) ensureBucket(ctx context.Context) (string, error) {
	if d.bucket != "" {
		return d.bucket, nil
	}
	b := bucketName(d.id.Account, d.o.Region)
	_, err := d.c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(b), ExpectedBucketOwner: sdk.String(d.id.Account)})
	if err == nil {
		fmt.Fprintf(d.log, "reusing bucket %s\n", b)
		d.bucket = b
		return b, nil
	}
	if !isNotFound(err) {
		return "", fmt.Errorf("look for bucket %s: %w", b, err)
	}
	in := &s3.CreateBucketInput{Bucket: sdk.String(b)}
	if d.o.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(d.o.Region)}
	}
	d.track(resource{kind: kindBucket, name: b})
	if _, err := d.c.s3.CreateBucket(ctx, in); err != nil {
		return "", fmt.Errorf("create bucket %s: %w", b, err)
	}
	var tags []s3types.Tag
	for _, k := range sortedKeys(baseTags(d.o.RunID)) {
		tags = append(tags, s3types.Tag{Key: sdk.String(k), Value: sdk.String(baseTags(d.o.RunID)[k])})
	}
	if _, err := d.c.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: sdk.String(b), Tagging: &s3types.Tagging{TagSet: tags}}); err != nil {
		return "", fmt.Errorf("tag bucket %s: %w", b, err)
	}
	fmt.Fprintf(d.log, "created bucket %s\n", b)
	d.bucket = b
	return b, nil
}

// uploadZip puts a large zip into the bucket.
func (d *deployer) uploadZip(ctx context.Context, a *Artifact) (bucket, key string, err error) {
	bucket, err = d.ensureBucket(ctx)
	if err != nil {
		return "", "", err
	}
	key = d.o.RunID + "/" + a.Key + ".zip"
	obj := resource{kind: kindObject, bucket: bucket, name: key}
	d.track(obj)
	_, err = d.c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdk.String(bucket), Key: sdk.String(key),
		Body: bytes.NewReader(a.Zip), ContentLength: sdk.Int64(int64(len(a.Zip)))})
	if err != nil {
		return "", "", fmt.Errorf("upload %s to s3://%s: %w", key, bucket, err)
	}
	return bucket, key, nil
}

// ensureRepo creates the run's ECR repository and logs in to it.
func (d *deployer) ensureRepo(ctx context.Context) error {
	if d.repoURI != "" || d.repoErr != nil {
		return d.repoErr
	}
	d.repoErr = d.createRepo(ctx)
	return d.repoErr
}

func (d *deployer) createRepo(ctx context.Context) error {
	rn := repoName(d.o.RunID)
	d.track(resource{kind: kindRepo, name: rn})
	var tags []ecrtypes.Tag
	for _, k := range sortedKeys(baseTags(d.o.RunID)) {
		tags = append(tags, ecrtypes.Tag{Key: sdk.String(k), Value: sdk.String(baseTags(d.o.RunID)[k])})
	}
	out, err := d.c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: sdk.String(rn), Tags: tags,
		ImageTagMutability: ecrtypes.ImageTagMutabilityMutable})
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

// pushImage pushes an artifact's image (once) and returns its URI by
// digest, as CreateFunction wants it.
func (d *deployer) pushImage(ctx context.Context, a *Artifact) (string, error) {
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

// createFunction deploys one configuration and waits until it is active.
func (d *deployer) createFunction(ctx context.Context, f *Function, env map[string]string) error {
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
		Timeout:       sdk.Int32(int32(d.o.Timeout / time.Second)),
		Environment:   &ltypes.Environment{Variables: env},
		Description:   sdk.String("bench " + f.Key()),
		Tags:          functionTags(d.o.RunID, f),
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
	fn := resource{kind: kindFunction, name: f.Name}
	d.track(fn)
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
	if err != nil {
		if isCode(err, "ResourceConflictException") {
			// A retried create whose first answer was lost: ours if tagged so.
			if tags, terr := d.functionTags(ctx, f.Name); terr == nil && tags[TagRunID] == d.o.RunID {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("create function %s: %w", f.Name, err)
		}
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

func functionTags(runID string, f *Function) map[string]string {
	t := baseTags(runID)
	t[TagConfig] = f.Key()
	return t
}

// deleteFunction removes one function now (not waiting for teardown).
func (d *deployer) deleteFunction(ctx context.Context, fn string) error {
	_, err := d.c.lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: sdk.String(fn)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete function %s: %w", fn, err)
	}
	d.untrack(resource{kind: kindFunction, name: fn})
	fmt.Fprintf(d.log, "deleted function %s\n", fn)
	return nil
}

// teardown deletes everything the run created, functions first and the
// role last, on a context of its own so that Ctrl-C does not stop it. It
// returns what it could not delete.
func (d *deployer) teardown(ctx context.Context) []error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	order := map[string]int{kindFunction: 0, kindObject: 1, kindBucket: 2, kindRepo: 3, kindRole: 4}
	res := d.Created()
	sort.SliceStable(res, func(i, j int) bool { return order[res[i].kind] < order[res[j].kind] })
	var errs []error
	for _, r := range res {
		var err error
		switch r.kind {
		case kindFunction:
			err = d.deleteFunction(ctx, r.name)
		case kindObject:
			_, err = d.c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdk.String(r.bucket), Key: sdk.String(r.name)})
		case kindBucket:
			_, err = d.c.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: sdk.String(r.name), ExpectedBucketOwner: sdk.String(d.id.Account)})
		case kindRepo:
			_, err = d.c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: sdk.String(r.name), Force: true})
		case kindRole:
			err = deleteRole(ctx, d.c.iam, r.name)
		}
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
			continue
		}
		d.untrack(r)
		if r.kind != kindFunction {
			fmt.Fprintf(d.log, "deleted %s\n", r)
		}
	}
	return errs
}

// deleteRole detaches the role's managed policies, then deletes it.
func deleteRole(ctx context.Context, c *iam.Client, rn string) error {
	pols, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(rn)})
	if err != nil {
		return err
	}
	for _, p := range pols.AttachedPolicies {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: sdk.String(rn), PolicyArn: p.PolicyArn}); err != nil && !isNotFound(err) {
			return err
		}
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: sdk.String(rn)})
	return err
}
