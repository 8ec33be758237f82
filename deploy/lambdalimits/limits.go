package lambdalimits

import "time"

// Package sizes, in bytes (MB here is MiB, as Lambda's quotas mean it).
const (
	// DirectUploadZipBytes is the largest zip CreateFunction takes inline;
	// larger ones go through S3.
	DirectUploadZipBytes = 50 << 20
	// UnzippedBytes is the largest a function's unpacked zip (with its
	// layers) may be.
	UnzippedBytes = 250 << 20
	// ImageBytes is the largest container image Lambda runs
	// (uncompressed).
	ImageBytes = 10 << 30
	// EdgeViewerZipBytes and EdgeOriginZipBytes are Lambda@Edge's limits
	// on a zipped package: 1 MB for viewer triggers, 50 MB for origin
	// triggers.
	EdgeViewerZipBytes = 1 << 20
	EdgeOriginZipBytes = 50 << 20
)

// Memory sizes a function may have, in MB.
const (
	MinMemoryMB     = 128
	MaxMemoryMB     = 10240
	DefaultMemoryMB = 128 // Lambda's default when a function names none
)

// Time limits.
const (
	// InitTimeout is the on-demand INIT phase's limit; an INIT that runs
	// over is retried inside the first invocation, under the function
	// timeout.
	InitTimeout = 10 * time.Second
	// DefaultTimeout is a function's timeout when it names none;
	// MaxTimeout the largest it may set (900 s).
	DefaultTimeout = 3 * time.Second
	MaxTimeout     = 15 * time.Minute
)

// Applies says which figure of a package a limit bounds.
type Applies string

const (
	// Zip: the zipped package as uploaded.
	Zip Applies = "zip"
	// Unzipped: the package unpacked. A zip's own size is a lower bound
	// of it: a zip over the limit is over it unpacked too.
	Unzipped Applies = "unzipped"
	// Image: a container image.
	Image Applies = "image"
)

// Limit is one package size limit.
type Limit struct {
	// Name is short, for a chart's label or a table's column.
	Name  string
	Bytes int64
	// Applies says to which packages and which of their sizes.
	Applies Applies
	// What says in a few words where the limit applies.
	What string
}

// Packages lists the package size limits, smallest first within a kind:
// what a report iterates to set a package against them.
var Packages = []Limit{
	{Name: "Lambda@Edge viewer", Bytes: EdgeViewerZipBytes, Applies: Zip, What: "zipped package of a viewer-trigger Lambda@Edge function"},
	{Name: "direct upload", Bytes: DirectUploadZipBytes, Applies: Zip, What: "zip uploaded inline with CreateFunction (larger ones go through S3)"},
	{Name: "Lambda@Edge origin", Bytes: EdgeOriginZipBytes, Applies: Zip, What: "zipped package of an origin-trigger Lambda@Edge function"},
	{Name: "unzipped", Bytes: UnzippedBytes, Applies: Unzipped, What: "a zip function's package unpacked, layers included"},
	{Name: "image", Bytes: ImageBytes, Applies: Image, What: "a container image function's image, uncompressed"},
}

// For lists the limits that bound a package of kind ("zip" or "image"):
// a zip's own limits and the unzipped one (which its zipped size can
// only show it exceeds), or an image's.
func For(kind string) []Limit {
	var out []Limit
	for _, l := range Packages {
		switch {
		case kind == "image" && l.Applies == Image,
			kind != "image" && l.Applies != Image:
			out = append(out, l)
		}
	}
	return out
}
