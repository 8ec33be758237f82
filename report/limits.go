package report

import (
	"fmt"
	"strings"

	"github.com/wasmbench/bench/deploy/lambdalimits"
	"github.com/wasmbench/bench/report/chart"
	"github.com/wasmbench/bench/results"
)

// PackageFit is one deployment package set against Lambda's package
// limits (lambdalimits.Packages).
type PackageFit struct {
	results.Cell
	// Variant is the package's deployment variant without the memory
	// size (a package is the same at every size).
	Variant string
	Kind    string // zip | image
	Bytes   float64
	// Exceeds and Fits are the limits that bound a package of its kind
	// which it is over and under. A zip under the unzipped limit is in
	// neither: its unpacked size is not recorded, and only its zipped
	// size, a lower bound, is.
	Exceeds, Fits []lambdalimits.Limit
}

// PackageFits lists every package a run recorded (package_bytes), once
// per cell and variant, with the limits it exceeds and fits.
func (d *Data) PackageFits() []PackageFit {
	var out []PackageFit
	seen := map[string]bool{}
	for _, s := range d.Series {
		if s.Phase != results.PhasePackageBytes || len(s.Values) == 0 {
			continue
		}
		v, _ := withoutMemory(s.Variant)
		f := PackageFit{Cell: s.Cell, Variant: v, Kind: variantValue(s.Variant, "pkg"), Bytes: s.Summary.Median}
		if f.Kind == "" {
			f.Kind = "zip"
		}
		k := s.Cell.Key() + "|" + v + "|" + FormatBytes(f.Bytes)
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, l := range lambdalimits.For(f.Kind) {
			switch {
			case f.Bytes > float64(l.Bytes):
				f.Exceeds = append(f.Exceeds, l)
			case l.Applies != lambdalimits.Unzipped:
				f.Fits = append(f.Fits, l)
			}
		}
		out = append(out, f)
	}
	return out
}

// limitLabel names a limit with its size: "Lambda@Edge viewer 1 MB".
func limitLabel(l lambdalimits.Limit) string {
	return l.Name + " " + limitSize(l.Bytes)
}

// limitSize writes a limit as Lambda's documentation does (MB and GB
// mean MiB and GiB there).
func limitSize(b int64) string {
	if b >= 1<<30 && b%(1<<30) == 0 {
		return fmt.Sprintf("%d GB", b>>30)
	}
	return fmt.Sprintf("%d MB", b>>20)
}

func limitNames(ls []lambdalimits.Limit) string {
	var n []string
	for _, l := range ls {
		n = append(n, limitLabel(l))
	}
	if len(n) == 0 {
		return "-"
	}
	return strings.Join(n, ", ")
}

// limitRefs are the reference lines of the package sizes chart: the
// limits of the package kinds present, those of one size merged into
// one labelled line.
func limitRefs(kinds map[string]bool) []chart.Ref {
	var out []chart.Ref
	var names [][]string
	at := map[int64]int{}
	for _, l := range lambdalimits.Packages {
		if !(kinds["image"] && l.Applies == lambdalimits.Image || kinds["zip"] && l.Applies != lambdalimits.Image) {
			continue
		}
		name := l.Name
		if l.Applies == lambdalimits.Unzipped {
			name = "unzipped (the zip is its lower bound)"
		}
		if i, ok := at[l.Bytes]; ok {
			names[i] = append(names[i], name)
			continue
		}
		at[l.Bytes] = len(out)
		out = append(out, chart.Ref{Value: float64(l.Bytes)})
		names = append(names, []string{name})
	}
	for i := range out {
		out[i].Label = limitSize(int64(out[i].Value)) + ": " + strings.Join(names[i], ", ")
	}
	return out
}

// PackageLimitNote says how to read the unzipped limit.
const PackageLimitNote = "A zip's unpacked size is not recorded: the 250 MB unzipped limit is checked against the zipped size, a lower bound, " +
	"so a zip under it may still be over it unpacked (bench deploy aws --dry-run checks the unpacked size)."

// variantValue is key's value in a variant ("mem=128MB pkg=zip").
func variantValue(v, key string) string {
	for _, kv := range strings.Fields(v) {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			return val
		}
	}
	return ""
}

// variantWithout is a variant without key.
func variantWithout(v, key string) string {
	var keep []string
	for _, kv := range strings.Fields(v) {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, " ")
}

// withoutMemory splits a variant into the rest and its memory size in MB
// (0 when it has none).
func withoutMemory(v string) (rest string, mb int) {
	var keep []string
	for _, kv := range strings.Fields(v) {
		if k, val, ok := strings.Cut(kv, "="); ok && k == "mem" {
			fmt.Sscanf(strings.TrimSuffix(val, "MB"), "%d", &mb)
			continue
		}
		keep = append(keep, kv)
	}
	return strings.Join(keep, " "), mb
}
