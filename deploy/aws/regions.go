package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// partitionInfo is one AWS partition: its regions, and a region every
// account has enabled (where a second opinion on credentials is asked).
type partitionInfo struct {
	id            string
	defaultRegion string
	regions       []string
}

// partitions are the regions of each partition, as the SDK's partition
// data (aws-sdk-go-v2 v1.47.7, internal/endpoints/awsrulesfn/
// partitions.json) lists them, less its "-global" pseudo-regions. The SDK
// keeps that data internal, so it is copied here; TestRegionsMatchSDK
// fails when a newer SDK knows a region this list lacks.
var partitions = []partitionInfo{
	{"aws", "us-east-1", []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
		"us-west-1", "us-west-2"}},
	{"aws-cn", "cn-north-1", []string{"cn-north-1", "cn-northwest-1"}},
	{"aws-us-gov", "us-gov-west-1", []string{"us-gov-east-1", "us-gov-west-1"}},
	{"aws-eusc", "eusc-de-east-1", []string{"eusc-de-east-1"}},
	{"aws-iso", "us-iso-east-1", []string{"us-iso-east-1", "us-iso-west-1"}},
	{"aws-iso-b", "us-isob-east-1", []string{"us-isob-east-1", "us-isob-west-1"}},
	{"aws-iso-e", "eu-isoe-west-1", []string{"eu-isoe-west-1"}},
	{"aws-iso-f", "us-isof-south-1", []string{"us-isof-east-1", "us-isof-south-1"}},
}

// optInRegions are the regions an account must enable before using them
// (every commercial region launched after 20 March 2019). Until then their
// endpoints refuse its credentials as if they were invalid.
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true, "ap-southeast-3": true,
	"ap-southeast-4": true, "ap-southeast-5": true, "ap-southeast-6": true, "ap-southeast-7": true,
	"ca-west-1": true, "eu-central-2": true, "eu-south-1": true, "eu-south-2": true, "il-central-1": true,
	"me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

// ErrUnknownRegion means --region names no region of any partition.
var ErrUnknownRegion = errors.New("unknown AWS region")

// ErrRegionNotEnabled means an opt-in region refused credentials that a
// region every account has accepts.
var ErrRegionNotEnabled = errors.New("AWS region not enabled")

func partitionOf(region string) (partitionInfo, bool) {
	for _, p := range partitions {
		for _, r := range p.regions {
			if r == region {
				return p, true
			}
		}
	}
	return partitionInfo{}, false
}

// Partition is a region's partition ("aws", "aws-cn", "aws-us-gov", ...).
func Partition(region string) string {
	if p, ok := partitionOf(region); ok {
		return p.id
	}
	return "aws"
}

// CheckRegion refuses a region no partition has, suggesting the nearest
// names.
func CheckRegion(region string) error {
	if _, ok := partitionOf(region); ok {
		return nil
	}
	var all []string
	for _, p := range partitions {
		all = append(all, p.regions...)
	}
	sort.Slice(all, func(i, j int) bool {
		di, dj := editDistance(region, all[i]), editDistance(region, all[j])
		return di < dj || di == dj && all[i] < all[j]
	})
	hint := ""
	if len(all) > 0 && editDistance(region, all[0]) <= 3 {
		hint = fmt.Sprintf(" (did you mean %s?)", all[0])
	}
	return fmt.Errorf("%w %q%s: bench knows the regions of the SDK's partition data (%d in %q alone); a region AWS opened since is missing from deploy/aws/regions.go",
		ErrUnknownRegion, region, hint, len(partitions[0].regions), partitions[0].id)
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ResolveRegion finds the region as the SDK does when --region is not
// given: AWS_REGION or AWS_DEFAULT_REGION, then the region of the profile
// (AWS_PROFILE, else default) in the shared config file. It reads only
// the environment and those files: no network, no credentials. "" means
// none is set anywhere.
func ResolveRegion(ctx context.Context) (string, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return "", fmt.Errorf("read the AWS configuration for a region: %w", err)
	}
	return cfg.Region, nil
}
