package chart

import (
	"image/color"
	"math"
	"sort"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wasmbench/bench/runners/registry"
)

// Runtime colours: the Okabe-Ito palette, which colour-blind readers can
// tell apart, one fixed colour per known runtime (the registry's) so a
// runtime looks the same in every chart of every report; the rest of the
// palette for runtimes the registry gives no colour.
var (
	known = registry.Colours()
	extra = []color.RGBA{
		{0xcc, 0x79, 0xa7, 0xff}, {0x56, 0xb4, 0xe9, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
		{0x94, 0x67, 0xbd, 0xff}, {0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
	}
)

// Palette assigns colours to runtimes and shades or line styles to their
// tiers, the same in every chart it draws.
type Palette struct {
	runtime map[string]color.RGBA
	tiers   map[string][]string // runtime -> its tiers, in display order
}

// NewPalette builds the palette for a report's runtimes and tiers
// (pairs of runtime, tier). Known runtimes keep their fixed colours;
// others take the extra colours in name order.
func NewPalette(pairs [][2]string, tierOrder []string) *Palette {
	p := &Palette{runtime: map[string]color.RGBA{}, tiers: map[string][]string{}}
	var unknown []string
	seen := map[[2]string]bool{}
	for _, rt := range pairs {
		if seen[rt] {
			continue
		}
		seen[rt] = true
		if _, ok := p.runtime[rt[0]]; !ok {
			if c, ok := known[rt[0]]; ok {
				p.runtime[rt[0]] = c
			} else {
				p.runtime[rt[0]] = color.RGBA{}
				unknown = append(unknown, rt[0])
			}
		}
		p.tiers[rt[0]] = append(p.tiers[rt[0]], rt[1])
	}
	sort.Strings(unknown)
	for i, n := range unknown {
		p.runtime[n] = extra[i%len(extra)]
	}
	rank := func(t string) int {
		for i, o := range tierOrder {
			if o == t {
				return i
			}
		}
		return len(tierOrder)
	}
	for _, ts := range p.tiers {
		sort.SliceStable(ts, func(i, j int) bool {
			if rank(ts[i]) != rank(ts[j]) {
				return rank(ts[i]) < rank(ts[j])
			}
			return ts[i] < ts[j]
		})
	}
	return p
}

// Runtime is a runtime's colour.
func (p *Palette) Runtime(runtime string) color.RGBA {
	if c, ok := p.runtime[runtime]; ok {
		return c
	}
	return color.RGBA{0x99, 0x99, 0x99, 0xff}
}

// Tier is the runtime's colour, lightened a step for each tier after the
// runtime's first, so tiers of one runtime read as one family.
func (p *Palette) Tier(runtime, tier string) color.RGBA {
	ts := p.tiers[runtime]
	i := 0
	for j, t := range ts {
		if t == tier {
			i = j
		}
	}
	if len(ts) <= 1 {
		return p.Runtime(runtime)
	}
	return Lighten(p.Runtime(runtime), 0.55*float64(i)/float64(len(ts)-1))
}

// Runtimes lists the palette's runtimes in the order given by order.
func (p *Palette) Runtimes(order func(a, b string) bool) []string {
	var r []string
	for n := range p.runtime {
		r = append(r, n)
	}
	sort.Slice(r, func(i, j int) bool { return order(r[i], r[j]) })
	return r
}

// Lighten mixes c with white: f=0 is c, f=1 is white.
func Lighten(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + (255-float64(v))*f)) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// Darken mixes c with black.
func Darken(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) * (1 - f))) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// Line styles per tier, from the registry's TierStyles: dashes and glyphs
// tell tiers apart where colour already tells runtimes apart.
var (
	tierDashes  = map[string][]vg.Length{}
	tierGlyph   = map[string]draw.GlyphDrawer{}
	otherGlyphs = []draw.GlyphDrawer{draw.BoxGlyph{}, draw.PlusGlyph{}, draw.CircleGlyph{}}
	glyphs      = map[registry.Glyph]draw.GlyphDrawer{
		registry.GlyphCross:    draw.CrossGlyph{},
		registry.GlyphCircle:   draw.CircleGlyph{},
		registry.GlyphTriangle: draw.TriangleGlyph{},
		registry.GlyphSquare:   draw.SquareGlyph{},
		registry.GlyphRing:     draw.RingGlyph{},
		registry.GlyphPyramid:  draw.PyramidGlyph{},
	}
)

func init() {
	for _, s := range registry.TierStyles {
		g, ok := glyphs[s.Glyph]
		if !ok {
			panic("chart: the registry's tier " + s.Name + " has glyph " + string(s.Glyph) + ", which chart cannot draw")
		}
		tierGlyph[s.Name] = g
		for _, d := range s.Dash {
			tierDashes[s.Name] = append(tierDashes[s.Name], vg.Points(d))
		}
	}
}

// Dashes is a tier's line dash pattern (nil: solid).
func Dashes(tier string) []vg.Length { return tierDashes[tier] }

// Glyph is a tier's point shape.
func Glyph(tier string) draw.GlyphDrawer {
	if g, ok := tierGlyph[tier]; ok {
		return g
	}
	h := 0
	for _, c := range tier {
		h += int(c)
	}
	return otherGlyphs[h%len(otherGlyphs)]
}

// Fonts.
var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
	ink      = color.RGBA{0x22, 0x22, 0x22, 0xff}
	soft     = color.RGBA{0x66, 0x66, 0x66, 0xff}
	gridC    = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)
