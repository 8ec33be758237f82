package main

import (
	"bytes"
	"image"
	"os"
	"testing"
)

// TestReproducesInput: the committed input.jpg is what gen writes, byte for
// byte, so the image workload's input is reproducible from source.
func TestReproducesInput(t *testing.T) {
	want, err := os.ReadFile("../input.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Generate(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		os.WriteFile("input.jpg.got", got.Bytes(), 0o644)
		t.Fatalf("gen wrote %d bytes that differ from the committed ../input.jpg (%d bytes); see gen/input.jpg.got. "+
			"If the change is intended: go run . -o ../input.jpg, then rebuild ../expected (see ../expected/README)", got.Len(), len(want))
	}
}

// TestPhotoLike: the picture is not flat — it has many colours, both large
// brightness differences (sky against ground) and fine pixel-to-pixel
// detail, so the JPEG codec does realistic work.
func TestPhotoLike(t *testing.T) {
	img := Picture()
	if img.Bounds() != image.Rect(0, 0, Width, Height) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	colours := map[[3]uint8]bool{}
	var lo, hi, detail int
	lo = 255
	for y := 0; y < Height; y += 7 {
		for x := 0; x < Width-1; x += 5 {
			o := img.PixOffset(x, y)
			p := img.Pix[o : o+3]
			colours[[3]uint8{p[0], p[1], p[2]}] = true
			l := (int(p[0]) + int(p[1]) + int(p[2])) / 3
			lo, hi = min(lo, l), max(hi, l)
			if d := l - (int(img.Pix[o+4])+int(img.Pix[o+5])+int(img.Pix[o+6]))/3; d > 3 || d < -3 {
				detail++
			}
		}
	}
	samples := (Height / 7) * (Width / 5)
	if len(colours) < 20000 {
		t.Errorf("%d distinct colours in %d samples: too flat", len(colours), samples)
	}
	if hi-lo < 120 {
		t.Errorf("brightness spans only %d..%d", lo, hi)
	}
	if detail < samples/10 {
		t.Errorf("only %d of %d samples differ from their right neighbour: no texture", detail, samples)
	}
}
