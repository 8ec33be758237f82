package aws

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wasmbench/bench/deploy/pricing"
	"github.com/wasmbench/bench/results"
)

func TestCheckRegion(t *testing.T) {
	for _, r := range []string{"us-east-1", "ap-east-1", "eu-south-2", "cn-north-1", "us-gov-west-1"} {
		if err := CheckRegion(r); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for r, hint := range map[string]string{"us-east-9": "did you mean us-east-1?", "euwest1": "did you mean eu-west-1?", "mars-north-1": ""} {
		err := CheckRegion(r)
		if !errors.Is(err, ErrUnknownRegion) || hint != "" && !strings.Contains(err.Error(), hint) || hint == "" && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%s: %v (want hint %q)", r, err, hint)
		}
	}
	if Partition("cn-northwest-1") != "aws-cn" || Partition("us-gov-east-1") != "aws-us-gov" || Partition("eu-west-1") != "aws" {
		t.Errorf("partitions")
	}
}

// TestRegionsMatchSDK compares the region list with the partition data of
// the SDK this module uses (read from the module cache): a newer SDK that
// knows a new region makes this fail until regions.go has it.
func TestRegionsMatchSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Skipf("go list the SDK module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Skipf("the SDK's partition data: %v", err)
	}
	var data struct {
		Partitions []struct {
			ID      string                     `json:"id"`
			Regions map[string]json.RawMessage `json:"regions"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	for _, p := range data.Partitions {
		var sdkRegions []string
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") {
				sdkRegions = append(sdkRegions, r)
			}
		}
		sort.Strings(sdkRegions)
		var ours []string
		for _, q := range partitions {
			if q.id == p.ID {
				ours = append([]string(nil), q.regions...)
			}
		}
		sort.Strings(ours)
		if strings.Join(ours, " ") != strings.Join(sdkRegions, " ") {
			t.Errorf("partition %s: the SDK has %v, regions.go %v", p.ID, sdkRegions, ours)
		}
	}
}

// TestRegionNotEnabled: eu-south-1 is an opt-in region the fake account
// has not enabled, and refuses the credentials; us-east-1 takes them. The
// run says the region is not enabled and how to enable it, not that the
// credentials were refused, and sends nothing else.
func TestRegionNotEnabled(t *testing.T) {
	e := newTestEnv(t)
	e.o.Region = "eu-south-1"
	e.cloud.DisableRegion("eu-south-1")
	_, err := e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrRegionNotEnabled) || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("Run: err = %v, want ErrRegionNotEnabled", err)
	}
	for _, want := range []string{"eu-south-1 refused the credentials (InvalidClientTokenId", "us-east-1 accepts for account 123456789012",
		"not enabled", "aws account enable-region --region-name eu-south-1", "v2Token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	// The refused call never reaches STS's handler; the second does.
	if e.cloud.STS.Calls != 1 || e.cloud.Requests.Load() != 2 {
		t.Errorf("%d STS calls answered, %d requests; want the two STS calls only", e.cloud.STS.Calls, e.cloud.Requests.Load())
	}
	// A default region refusing the same way is a credentials problem.
	e = newTestEnv(t)
	e.cloud.DisableRegion("us-east-1")
	_, err = e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrRegionNotEnabled) {
		t.Errorf("us-east-1 refusing: %v, want ErrBadCredentials", err)
	}
}

// TestRegionFromProfile: without a region, the run takes the profile's,
// as the SDK does, and prices with that region's prices.
func TestRegionFromProfile(t *testing.T) {
	e := newTestEnv(t)
	e.o.Region = ""
	e.o.Cold, e.o.Warm = 1, 1
	cfgFile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfgFile, []byte("[profile bench]\nregion = af-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_PROFILE", "bench")
	if r, err := ResolveRegion(context.Background()); err != nil || r != "af-south-1" {
		t.Fatalf("ResolveRegion: %q, %v", r, err)
	}
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	e.assertNothingLeft(t)
	if !strings.Contains(e.log.String(), "region af-south-1 (from the AWS configuration") {
		t.Errorf("the log does not say where the region came from:\n%s", e.log)
	}
	if n := s.tg.Notes(); len(n) != 1 || !strings.Contains(n[0], "af-south-1 prices") {
		t.Errorf("notes: %q", n)
	}
	p, _ := pricing.ForRegion("af-south-1")
	checkPrices(t, s, p)

	// AWS_REGION wins over the profile.
	t.Setenv("AWS_REGION", "eu-west-1")
	if r, _ := ResolveRegion(context.Background()); r != "eu-west-1" {
		t.Errorf("AWS_REGION: %q", r)
	}
	// None anywhere: a run refuses, a dry run prices with us-east-1's.
	os.Unsetenv("AWS_REGION")
	os.Unsetenv("AWS_PROFILE")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	if _, err := e.run(context.Background(), e.plan(t, fib)); !errors.Is(err, ErrNoRegion) || !strings.Contains(err.Error(), "--region") {
		t.Errorf("no region: %v", err)
	}
}

// checkPrices: every price sample is its billed duration at the region's
// prices.
func checkPrices(t *testing.T, s *session, p pricing.Prices) {
	t.Helper()
	n := 0
	for _, d := range s.done {
		billed := map[int]float64{} // by invocation
		for _, r := range samples(d.out.Extra, results.PhaseBilledDuration) {
			billed[r.Iteration] = r.Value / 1e6
		}
		for _, r := range samples(d.out.Extra, results.PhasePrice) {
			want, _ := p.Invocation(r.Arch, r.MemoryMB, billed[r.Iteration])
			if math.Abs(r.Value-want) > 1e-15 || want == 0 {
				t.Errorf("%s invocation %d: price %g, want %g at %s", d.Job.ID, r.Iteration, r.Value, want, p)
			}
			n++
		}
	}
	if n == 0 {
		t.Errorf("no price samples")
	}
}

// TestPricesByRegion: a run in ap-east-1 prices at Hong Kong's prices
// (x86_64 GB-seconds 38% above us-east-1's) and says so; a region the
// table lacks is refused before anything is sent, unless --price-* give
// every figure.
func TestPricesByRegion(t *testing.T) {
	e := newTestEnv(t)
	e.o.Region = "ap-east-1"
	e.o.Cold, e.o.Warm = 1, 1
	s, err := e.run(context.Background(), e.plan(t, fib))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, e.log)
	}
	hk, _ := pricing.ForRegion("ap-east-1")
	checkPrices(t, s, hk)
	if n := s.tg.Notes(); len(n) != 1 || !strings.Contains(n[0], "priced with ap-east-1 prices: USD 0.0000229200/GB-s x86_64") {
		t.Errorf("no note names the region's prices: %q", n)
	}

	e = newTestEnv(t)
	e.o.Region = "ap-southeast-5"
	_, err = e.run(context.Background(), e.plan(t, fib))
	if !errors.Is(err, pricing.ErrNoPrices) || !strings.Contains(err.Error(), "--price-gbs-x86_64, --price-requests") {
		t.Fatalf("a region without prices: %v", err)
	}
	if e.cloud.Requests.Load() != 0 {
		t.Errorf("%d requests sent before refusing", e.cloud.Requests.Load())
	}
	req := 0.25
	e.o.PriceOverrides = pricing.Overrides{GBSecond: map[string]float64{pricing.X86_64: 0.00002}, PerMillionRequests: &req}
	e.o.Cold, e.o.Warm = 1, 0
	if s, err = e.run(context.Background(), e.plan(t, fib)); err != nil {
		t.Fatalf("run with --price-*: %v\n%s", err, e.log)
	}
	if n := s.tg.Notes(); len(n) != 1 || !strings.Contains(n[0], "ap-southeast-5 prices: USD 0.0000200000/GB-s x86_64") || !strings.Contains(n[0], "given by flags") {
		t.Errorf("notes: %q", n)
	}
}
