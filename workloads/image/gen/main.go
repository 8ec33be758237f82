// gen: writes the image workload's input: a deterministic,
// photo-like 3000x2000 JPEG (sky with clouds, a hilly horizon, textured
// ground, sensor noise), so the codec in the guest does realistic work.
//
// Regenerate the committed input (from this folder):
//
//	go run . -o ../input.jpg
//
// Everything is integer arithmetic (no floating point, no math package), so
// the pixels are the same on every architecture; the bytes then depend only
// on Go's image/jpeg encoder. gen_test.go checks that the committed file is
// reproduced byte for byte.

package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
)

// The picture's size, seed and JPEG quality. Changing any of them changes
// input.jpg and therefore the expected outputs in ../expected.
const (
	Width   = 3000
	Height  = 2000
	Seed    = 0x5eed_2026
	Quality = 90
)

func main() {
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	if path == "-" {
		w := bufio.NewWriter(os.Stdout)
		if err := Generate(w); err != nil {
			return err
		}
		return w.Flush()
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	if err := Generate(w); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// Generate encodes the picture as a JPEG to w.
func Generate(w io.Writer) error {
	return jpeg.Encode(w, Picture(), &jpeg.Options{Quality: Quality})
}

// Picture draws the picture.
func Picture() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	horizon := make([]int, Width)
	for x := range horizon {
		// Hills: a base line 56% down, moved by two octaves of 1-D noise.
		h := Height*56/100 + (noise(x, 0, 700, Seed+1)-32768)*Height/5/65536 +
			(noise(x, 0, 90, Seed+2)-32768)*Height/40/65536
		horizon[x] = h
	}
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			var r, g, b int
			hz := horizon[x]
			if y < hz {
				r, g, b = sky(x, y, hz)
			} else {
				r, g, b = ground(x, y, hz)
			}
			// Sensor noise: a triangular distribution of about +-8 levels,
			// the same on all three channels plus a little chroma noise.
			h := hash(x, y, Seed+3)
			lum := int(h&15) + int(h>>4&15) - 15
			r += lum + int(h>>8&3) - 1
			g += lum + int(h>>10&3) - 1
			b += lum + int(h>>12&3) - 1
			o := img.PixOffset(x, y)
			img.Pix[o+0] = clamp8(r)
			img.Pix[o+1] = clamp8(g)
			img.Pix[o+2] = clamp8(b)
			img.Pix[o+3] = 255
		}
	}
	return img
}

// sky: a blue gradient lightening toward the horizon, a sun glow, and
// clouds from fractal noise.
func sky(x, y, hz int) (r, g, b int) {
	t := y * 256 / hz // 0 at the top, 256 at the horizon
	r = 40 + 150*t/256
	g = 90 + 120*t/256
	b = 170 + 70*t/256
	// Sun glow: falls off with the squared distance from (72%, 18%).
	dx, dy := x-Width*72/100, y-Height*18/100
	d2 := dx*dx + dy*dy
	glow := 120 * 90000 / (90000 + d2) // 120 at the centre
	r += glow
	g += glow * 9 / 10
	b += glow * 6 / 10
	// Clouds: fractal noise above a threshold blends toward white-grey.
	c := fbm(x*2, y*5, 512, 6, Seed+4) // wider than tall
	if c > 30000 {
		a := (c - 30000) * 256 / 20000
		if a > 230 {
			a = 230
		}
		shade := 200 + (fbm(x, y, 64, 3, Seed+5)-32768)*60/65536
		r = (r*(256-a) + shade*a) / 256
		g = (g*(256-a) + shade*a) / 256
		b = (b*(256-a) + (shade+15)*a) / 256
	}
	return r, g, b
}

// ground: fields of green and ochre from low-frequency noise, darker toward
// the bottom, with grass-like texture and haze near the horizon.
func ground(x, y, hz int) (r, g, b int) {
	depth := (y - hz) * 256 / (Height - hz + 1) // 0 at the horizon, 256 at the bottom
	field := noise(x, y*3, 500, Seed+6)         // which crop
	r = 70 + field*90/65536
	g = 110 + (65536-field)*50/65536
	b = 40 + field*20/65536
	// Texture: finer strokes closer to the viewer.
	tex := fbm(x, y*2, 48, 4, Seed+7) - 32768
	amp := 20 + depth*40/256
	r += tex * amp / 32768
	g += tex * amp / 32768
	b += tex * amp / 65536
	// Darker toward the bottom.
	shade := 256 - depth*90/256
	r, g, b = r*shade/256, g*shade/256, b*shade/256
	// Haze: blend toward the sky's horizon colour near the horizon.
	if depth < 40 {
		a := (40 - depth) * 160 / 40
		r = (r*(256-a) + 185*a) / 256
		g = (g*(256-a) + 205*a) / 256
		b = (b*(256-a) + 235*a) / 256
	}
	return r, g, b
}

// fbm sums octaves of value noise, each half the cell size and half the
// weight of the one before; the result is in [0, 65535].
func fbm(x, y, cell, octaves int, seed uint32) int {
	sum, weight, total := 0, 256, 0
	for i := 0; i < octaves && cell >= 2; i++ {
		sum += noise(x, y, cell, seed+uint32(i)*7919) * weight
		total += weight
		weight /= 2
		cell /= 2
	}
	return sum / total
}

// noise is value noise: random values on a lattice of the given cell size,
// interpolated with a fixed-point smoothstep; the result is in [0, 65535].
func noise(x, y, cell int, seed uint32) int {
	cx, cy := x/cell, y/cell
	fx := (x - cx*cell) * 65536 / cell // 16.16 fractions
	fy := (y - cy*cell) * 65536 / cell
	sx, sy := smooth(fx), smooth(fy)
	v00 := int(hash(cx, cy, seed) >> 16)
	v10 := int(hash(cx+1, cy, seed) >> 16)
	v01 := int(hash(cx, cy+1, seed) >> 16)
	v11 := int(hash(cx+1, cy+1, seed) >> 16)
	top := v00 + (v10-v00)*sx/65536
	bot := v01 + (v11-v01)*sx/65536
	return top + (bot-top)*sy/65536
}

// smooth is 3t^2 - 2t^3 for t in 16.16 fixed point.
func smooth(t int) int {
	t2 := t * t / 65536
	return (3*t2*65536 - 2*t2*t) / 65536
}

// hash mixes a lattice point and a seed into 32 well-spread bits.
func hash(x, y int, seed uint32) uint32 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return h
}

func clamp8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
