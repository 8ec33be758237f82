package pricing

import (
	"math"
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
