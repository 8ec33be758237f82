package report

import (
	"strings"
	"testing"

	"github.com/wasmbench/bench/results"
)

func pkgRecord(rt, kind string, bytes float64, mem int) results.Record {
	return results.Record{Kind: results.KindSample, Cell: results.Cell{Runtime: rt, Tier: "aot", Workload: "fib", Lang: "c", Param: "30", Target: "aws-lambda"},
		Phase: results.PhasePackageBytes, Value: bytes, Unit: results.UnitBytes, Verified: true, MemoryMB: mem, Package: kind, Task: rt + kind}
}

func TestPackageFits(t *testing.T) {
	recs := []results.Record{
		pkgRecord("tiny", "zip", 512<<10, 128),
		pkgRecord("tiny", "zip", 512<<10, 1024), // the same package at another size: one row
		pkgRecord("mid", "zip", 60<<20, 128),
		pkgRecord("huge", "zip", 300<<20, 128),
		pkgRecord("img", "image", 11<<30, 128),
	}
	fits := FromRecords(recs).PackageFits()
	got := map[string][2]string{}
	for _, f := range fits {
		got[f.Runtime] = [2]string{limitNames(f.Exceeds), limitNames(f.Fits)}
	}
	want := map[string][2]string{
		"tiny": {"-", "Lambda@Edge viewer 1 MB, direct upload 50 MB, Lambda@Edge origin 50 MB"},
		"mid":  {"Lambda@Edge viewer 1 MB, direct upload 50 MB, Lambda@Edge origin 50 MB", "-"},
		"huge": {"Lambda@Edge viewer 1 MB, direct upload 50 MB, Lambda@Edge origin 50 MB, unzipped 250 MB", "-"},
		"img":  {"image 10 GB", "-"},
	}
	if len(fits) != 4 {
		t.Errorf("%d packages, want 4 (one per cell, whatever the memory size)", len(fits))
	}
	for rt, w := range want {
		if got[rt] != w {
			t.Errorf("%s: exceeds %q, fits %q; want %q, %q", rt, got[rt][0], got[rt][1], w[0], w[1])
		}
	}
}

// The package sizes chart draws Lambda's limits for the kinds present:
// the zip limits (50 MB once, for direct upload and Lambda@Edge's origin)
// and the image limit.
func TestSizesChartLimitLines(t *testing.T) {
	refs := func(recs []results.Record) []string {
		charts, _ := FromRecords(recs).charts()
		for _, c := range charts {
			if c.Kind == KindSizes && strings.HasSuffix(c.Name, "sizes-package") {
				if _, err := c.Figure.SVG(); err != nil {
					t.Fatal(err)
				}
				var l []string
				for _, r := range c.Figure.Refs {
					l = append(l, r.Label)
				}
				return l
			}
		}
		t.Fatal("no package sizes chart")
		return nil
	}
	both := refs([]results.Record{pkgRecord("a", "zip", 3<<20, 128), pkgRecord("b", "image", 80<<20, 128)})
	want := []string{"1 MB: Lambda@Edge viewer", "50 MB: direct upload, Lambda@Edge origin", "250 MB: unzipped (the zip is its lower bound)", "10 GB: image"}
	if strings.Join(both, "|") != strings.Join(want, "|") {
		t.Errorf("limit lines %q, want %q", both, want)
	}
	zips := refs([]results.Record{pkgRecord("a", "zip", 3<<20, 128)})
	if len(zips) != 3 || strings.Contains(strings.Join(zips, " "), "image") {
		t.Errorf("zip-only limit lines %q: want the three zip limits, no image line", zips)
	}
}
