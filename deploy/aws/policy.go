package aws

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// PolicyOptions fill the ARNs of the policy a run needs; empty fields
// become "*".
type PolicyOptions struct {
	Partition, Region, Account string
	// RoleARN is --role: the run passes that role instead of its own.
	RoleARN string
}

// policyDoc is an IAM policy document (fields in IAM's order).
type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// operationActions maps every AWS operation bench calls ("<service ID>.
// <operation>", as the SDK names them) to the IAM actions it needs,
// including those AWS checks besides the operation's own: tags given on a
// create need the service's TagResource, a function's role needs
// iam:PassRole, its code in S3 or ECR needs read access to it, and Lambda
// sets the repository policy that lets it pull an image. "ECR
// registry.Push" is the image push through the registry API. Policy
// grants each of them; TestPolicyCoversEveryCall fails on a call missing
// here.
var operationActions = map[string][]string{
	"STS.GetCallerIdentity": {"sts:GetCallerIdentity"},

	"Lambda.GetAccountSettings": {"lambda:GetAccountSettings"},
	"Lambda.ListFunctions":      {"lambda:ListFunctions"},
	"Lambda.CreateFunction": {"lambda:CreateFunction", "lambda:TagResource", "iam:PassRole", "s3:GetObject",
		"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"},
	"Lambda.GetFunction":                 {"lambda:GetFunction"},
	"Lambda.UpdateFunctionConfiguration": {"lambda:UpdateFunctionConfiguration"},
	"Lambda.Invoke":                      {"lambda:InvokeFunction"},
	"Lambda.DeleteFunction":              {"lambda:DeleteFunction"},
	"Lambda.ListTags":                    {"lambda:ListTags"},

	"IAM.CreateRole":               {"iam:CreateRole", "iam:TagRole"},
	"IAM.GetRole":                  {"iam:GetRole"},
	"IAM.PutRolePolicy":            {"iam:PutRolePolicy"},
	"IAM.ListRolePolicies":         {"iam:ListRolePolicies"},
	"IAM.DeleteRolePolicy":         {"iam:DeleteRolePolicy"},
	"IAM.ListAttachedRolePolicies": {"iam:ListAttachedRolePolicies"},
	"IAM.DetachRolePolicy":         {"iam:DetachRolePolicy"},
	"IAM.DeleteRole":               {"iam:DeleteRole"},
	"IAM.ListRoles":                {"iam:ListRoles"},
	"IAM.ListRoleTags":             {"iam:ListRoleTags"},

	"ECR.CreateRepository":      {"ecr:CreateRepository", "ecr:TagResource"},
	"ECR.DescribeRepositories":  {"ecr:DescribeRepositories"},
	"ECR.ListTagsForResource":   {"ecr:ListTagsForResource"},
	"ECR.GetAuthorizationToken": {"ecr:GetAuthorizationToken"},
	"ECR.DeleteRepository":      {"ecr:DeleteRepository"},
	"ECR registry.Push": {"ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
		"ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage"},

	"S3.CreateBucket":     {"s3:CreateBucket"},
	"S3.PutBucketTagging": {"s3:PutBucketTagging"},
	"S3.GetBucketTagging": {"s3:GetBucketTagging"},
	"S3.HeadBucket":       {"s3:ListBucket"},
	"S3.PutObject":        {"s3:PutObject"},
	"S3.ListObjectsV2":    {"s3:ListBucket"},
	"S3.DeleteObjects":    {"s3:DeleteObject"},
	"S3.DeleteBucket":     {"s3:DeleteBucket"},
	"S3.ListBuckets":      {"s3:ListAllMyBuckets"},

	"CloudWatch Logs.CreateLogGroup":      {"logs:CreateLogGroup", "logs:TagResource"},
	"CloudWatch Logs.PutRetentionPolicy":  {"logs:PutRetentionPolicy"},
	"CloudWatch Logs.ListTagsForResource": {"logs:ListTagsForResource"},
	"CloudWatch Logs.DescribeLogGroups":   {"logs:DescribeLogGroups"},
	"CloudWatch Logs.DeleteLogGroup":      {"logs:DeleteLogGroup"},
}

// ActionsFor returns the IAM actions an operation ("<service ID>.<name>")
// needs, and false for an operation bench is not known to call.
func ActionsFor(op string) ([]string, bool) {
	a, ok := operationActions[op]
	return a, ok
}

// Policy is the least-privilege IAM policy a run and a cleanup need:
// Lambda, IAM role management and PassRole, ECR, S3, CloudWatch Logs and
// STS, each limited to the resources bench names "bench-..." where IAM
// allows it.
func Policy(o PolicyOptions) ([]byte, error) {
	star := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	p, r, a := star(o.Partition), star(o.Region), star(o.Account)
	if o.Partition == "" && o.Region != "" {
		p = Partition(o.Region)
	}
	fn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s*", p, r, a, namePrefix)
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s*", p, a, namePrefix)
	repo := fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s*", p, r, a, namePrefix)
	bucket := fmt.Sprintf("arn:%s:s3:::%s*", p, namePrefix)
	group := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s%s*", p, r, a, logGroupPrefix, namePrefix)
	passed := []string{role}
	if o.RoleARN != "" {
		passed = append(passed, o.RoleARN)
	}
	doc := policyDoc{Version: "2012-10-17", Statement: []policyStatement{
		{Sid: "WhoAmI", Action: []string{"sts:GetCallerIdentity"}, Resource: []string{"*"}},
		{Sid: "LambdaAccount", Action: []string{"lambda:GetAccountSettings", "lambda:ListFunctions"}, Resource: []string{"*"}},
		{Sid: "BenchFunctions", Action: []string{"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction",
			"lambda:InvokeFunction", "lambda:ListTags", "lambda:TagResource", "lambda:UpdateFunctionConfiguration"},
			Resource: []string{fn}},
		{Sid: "PassRoleToLambda", Action: []string{"iam:PassRole"}, Resource: passed,
			Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
		{Sid: "BenchRoles", Action: []string{"iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
			"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags", "iam:PutRolePolicy", "iam:TagRole"},
			Resource: []string{role}},
		{Sid: "ListRoles", Action: []string{"iam:ListRoles"}, Resource: []string{"*"}},
		{Sid: "BenchRepositories", Action: []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
			"ecr:CreateRepository", "ecr:DeleteRepository", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
			"ecr:InitiateLayerUpload", "ecr:ListTagsForResource", "ecr:PutImage", "ecr:SetRepositoryPolicy", "ecr:TagResource",
			"ecr:UploadLayerPart"}, Resource: []string{repo}},
		{Sid: "ECRAccount", Action: []string{"ecr:DescribeRepositories", "ecr:GetAuthorizationToken"}, Resource: []string{"*"}},
		{Sid: "BenchBuckets", Action: []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucketTagging", "s3:ListBucket",
			"s3:PutBucketTagging"}, Resource: []string{bucket}},
		{Sid: "BenchObjects", Action: []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, Resource: []string{bucket + "/*"}},
		{Sid: "ListBuckets", Action: []string{"s3:ListAllMyBuckets"}, Resource: []string{"*"}},
		{Sid: "BenchLogGroups", Action: []string{"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:ListTagsForResource",
			"logs:PutRetentionPolicy", "logs:TagResource"}, Resource: []string{group}},
		{Sid: "ListLogGroups", Action: []string{"logs:DescribeLogGroups"}, Resource: []string{"*"}},
	}}
	for i := range doc.Statement {
		doc.Statement[i].Effect = "Allow"
	}
	return json.MarshalIndent(doc, "", "  ")
}

// PolicyActions lists the actions a policy document allows (for tests and
// checks).
func PolicyActions(doc []byte) (map[string][]string, error) {
	var d policyDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("not an IAM policy document: %w", err)
	}
	out := map[string][]string{}
	for _, s := range d.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			out[strings.ToLower(a)] = append(out[strings.ToLower(a)], s.Resource...)
		}
	}
	return out, nil
}

// policyOperations lists operationActions' keys, sorted.
func policyOperations() []string {
	var ops []string
	for k := range operationActions {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	return ops
}
