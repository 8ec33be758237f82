package pricing

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestPrices(t *testing.T) {
	p := Default
	// 1000 ms at 1024 MB on x86_64 is one GB-second plus a request.
	got, err := p.Invocation(X86_64, 1024, 1000)
	if err != nil || math.Abs(got-(0.0000166667+0.0000002)) > 1e-12 {
		t.Errorf("x86_64 1 GB-s = %v, %v", got, err)
	}
	arm, _ := p.Invocation(ARM64, 1024, 1000)
	if r := (arm - 2e-7) / (got - 2e-7); math.Abs(r-0.8) > 0.001 {
		t.Errorf("arm64/x86_64 GB-s price ratio %.4f, want 0.8", r)
	}
	if _, err := p.Invocation("mips", 128, 1); err == nil {
		t.Errorf("unknown arch priced")
	}
	// INIT billing: a new-style REPORT already includes it, an old-style
	// one gets it added.
	if b := BilledMS(12.3, 62, 49.4); b != 62 {
		t.Errorf("new-style billed %v, want 62", b)
	}
	if b := BilledMS(12.3, 13, 49.4); b != 63 {
		t.Errorf("old-style billed %v, want 13+50", b)
	}
	if b := BilledMS(1.2, 2, 0); b != 2 {
		t.Errorf("warm billed %v, want 2", b)
	}
}

// TestRegionTable: the regions the issue names cost more than us-east-1
// on x86_64 (Hong Kong about 38% more), every entry keeps arm64 cheaper
// than x86_64, and the string says which region's prices they are.
func TestRegionTable(t *testing.T) {
	base := Default.GBSecond[X86_64]
	for region, atLeast := range map[string]float64{"ap-east-1": 1.37, "af-south-1": 1.3, "me-south-1": 1.2,
		"eu-south-1": 1.15, "ap-northeast-3": 1.25} {
		p, ok := ForRegion(region)
		if !ok {
			t.Errorf("%s is not in the table", region)
			continue
		}
		if r := p.GBSecond[X86_64] / base; r < atLeast || r > 1.4 {
			t.Errorf("%s x86_64 GB-s is %.3f times us-east-1's, want %.2f-1.4", region, r, atLeast)
		}
		if !strings.Contains(p.String(), region+" prices") || !strings.Contains(p.String(), TableAsOf) {
			t.Errorf("%s: %q does not name the region and the date", region, p)
		}
	}
	for _, region := range Regions() {
		p, _ := ForRegion(region)
		x, a := p.GBSecond[X86_64], p.GBSecond[ARM64]
		if x <= 0 || a <= 0 || a >= x || p.PerMillionRequests <= 0 {
			t.Errorf("%s: x86_64 %v, arm64 %v, requests %v", region, x, a, p.PerMillionRequests)
		}
	}
	p, _ := ForRegion("eu-west-1")
	if p.GBSecond[X86_64] != base {
		t.Errorf("eu-west-1 should cost what us-east-1 does")
	}
}

func TestResolve(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	// A region of the table, nothing given.
	p, err := Resolve("ap-east-1", Overrides{}, []string{X86_64})
	if err != nil || p.GBSecond[X86_64] != 0.00002292 || p.Region != "ap-east-1" || strings.Contains(p.Source, "flags") {
		t.Errorf("ap-east-1: %+v, %v", p, err)
	}
	// One price given: the rest is the table's, and the source says so.
	p, err = Resolve("eu-west-1", Overrides{GBSecond: map[string]float64{ARM64: 0.00001}}, []string{ARM64})
	if err != nil || p.GBSecond[ARM64] != 0.00001 || p.GBSecond[X86_64] != stdX86 || !strings.Contains(p.Source, FlagARM+" given by flags") {
		t.Errorf("override: %+v, %v", p, err)
	}
	if Default.GBSecond[ARM64] != stdARM {
		t.Errorf("an override changed the table")
	}
	// A region the table lacks: refused, naming the flags to pass.
	_, err = Resolve("ap-southeast-5", Overrides{GBSecond: map[string]float64{X86_64: 1e-5}}, []string{X86_64, ARM64})
	if !errors.Is(err, ErrNoPrices) || !strings.Contains(err.Error(), FlagARM) || !strings.Contains(err.Error(), FlagRequests) ||
		strings.Contains(err.Error(), FlagX86+",") || !strings.Contains(err.Error(), `"ap-southeast-5"`) {
		t.Errorf("unknown region: %v", err)
	}
	// ... and priced when the flags give everything the run needs.
	p, err = Resolve("ap-southeast-5", Overrides{GBSecond: map[string]float64{X86_64: 1e-5}, PerMillionRequests: f(0.3)}, []string{X86_64})
	if err != nil || p.GBSecond[X86_64] != 1e-5 || p.PerMillionRequests != 0.3 || p.Source != "given by flags" {
		t.Errorf("unknown region with flags: %+v, %v", p, err)
	}
	if _, err := Resolve("us-east-1", Overrides{PerMillionRequests: f(-1)}, nil); err == nil || !strings.Contains(err.Error(), FlagRequests) {
		t.Errorf("negative price: %v", err)
	}
}
