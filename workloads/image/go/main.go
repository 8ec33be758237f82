// image: reads a JPEG on stdin, resizes it to fit 1920x1080 keeping
// its aspect ratio (3000x2000 -> 1620x1080) with a Catmull-Rom filter, and
// writes it to stdout as a JPEG of quality 85. A WASI command; the same
// source is the native build, and the two must write the same bytes.
//
// Built (from this folder) by `make workloads` and `make native`:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false -o image.wasm .
//	go build -trimpath -buildvcs=false -o ../../../bin/native/image-go .

package main

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"os"

	"golang.org/x/image/draw"
)

// The box the output must fit in, and the output's JPEG quality.
const (
	maxW    = 1920
	maxH    = 1080
	quality = 85
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run() error {
	src, err := jpeg.Decode(bufio.NewReaderSize(os.Stdin, 1<<16))
	if err != nil {
		return fmt.Errorf("decode stdin: %w", err)
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := fit(sw, sh)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	if err := jpeg.Encode(w, dst, &jpeg.Options{Quality: quality}); err != nil {
		return fmt.Errorf("encode stdout: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

// fit scales w x h to the largest size that fits maxW x maxH with the same
// aspect ratio (rounded to the nearest pixel, at least 1); an image that
// already fits keeps its size. The C version computes it the same way.
func fit(w, h int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Compare w/h with maxW/maxH without floating point.
	if w*maxH >= h*maxW { // width-limited
		return maxW, max(1, (h*maxW+w/2)/w)
	}
	return max(1, (w*maxH+h/2)/h), maxH
}
