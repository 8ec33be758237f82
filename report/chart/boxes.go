package chart

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BoxRow is one distribution: a box from the first to the third
// quartile, the median, whiskers to the furthest values that are not
// flagged outliers, every sample as a dot and flagged outliers as rings.
type BoxRow struct {
	Label  string
	Values []float64
	// Outliers are the values flagged (by the caller's rule); they are
	// drawn, not dropped.
	Outliers []float64
	Color    color.Color
	Sep      bool
}

// Boxes is a horizontal box plot chart.
type Boxes struct {
	Title, Note string
	Axis        string
	Unit        Unit
	Rows        []BoxRow
	Legend      []Entry
}

// Figure lays the chart out; the value axis is logarithmic when the
// values span more than ten times.
func (b Boxes) Figure() *Figure {
	var all []float64
	for _, r := range b.Rows {
		for _, v := range r.Values {
			all = append(all, v/b.Unit.Factor)
		}
	}
	log := spansDecade(all)
	p := newPlot(b.Title)
	labels := make([]string, len(b.Rows))
	for i, r := range b.Rows {
		labels[i] = r.Label
	}
	rowAxis(p, labels)
	valueAxis(&p.X, all, log, 0.05)
	if !log {
		// Distributions are compared by position, not from zero.
		lo, hi := minMax(all)
		pad := (hi - lo) * 0.08
		p.X.Min, p.X.Max = math.Max(0, lo-pad), hi+pad
	} else {
		lo, hi := minMax(all)
		p.X.Min, p.X.Max = lo/1.4, hi*1.4
	}
	xlabel := b.Axis + " (" + b.Unit.Name + scaleWord(log) + ")"
	n := len(b.Rows)
	p.Add(grid(p, true))
	p.Add(funcPlotter(func(c draw.Canvas, plt *plot.Plot) {
		trX, trY := plt.Transforms(&c)
		for i, r := range b.Rows {
			yc := float64(n - 1 - i)
			if r.Sep && i > 0 {
				y := trY(yc + 0.5)
				c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0xbb, 0xbb, 0xbb, 0xff}, Width: 0.6}, c.Min.X, y, c.Max.X, y)
			}
			if len(r.Values) == 0 {
				continue
			}
			xs := make([]float64, len(r.Values))
			for k, v := range r.Values {
				xs[k] = v / b.Unit.Factor
			}
			sort.Float64s(xs)
			out := map[float64]bool{}
			for _, o := range r.Outliers {
				out[o/b.Unit.Factor] = true
			}
			q1, med, q3 := quantile(xs, 0.25), quantile(xs, 0.5), quantile(xs, 0.75)
			wlo, whi := med, med
			for _, x := range xs {
				if !out[x] {
					wlo = math.Min(wlo, x)
					whi = math.Max(whi, x)
				}
			}
			col := toRGBA(r.Color)
			dark := Darken(col, 0.35)
			y0, y1 := trY(yc-0.3), trY(yc+0.3)
			ym := trY(yc)
			line := draw.LineStyle{Color: dark, Width: 0.9}
			if len(xs) < MinBoxN {
				// Too few for quartiles: the median and the samples only.
				c.StrokeLine2(draw.LineStyle{Color: dark, Width: 2}, trX(med), y0, trX(med), y1)
				b.drawDots(c, trX, xs, out, ym, y1-y0, dark)
				continue
			}
			c.StrokeLine2(line, trX(wlo), ym, trX(q1), ym)
			c.StrokeLine2(line, trX(q3), ym, trX(whi), ym)
			cap := (y1 - y0) * 0.3
			c.StrokeLine2(line, trX(wlo), ym-cap, trX(wlo), ym+cap)
			c.StrokeLine2(line, trX(whi), ym-cap, trX(whi), ym+cap)
			c.FillPolygon(Lighten(col, 0.45), rect(trX(q1), y0, trX(q3), y1))
			c.StrokeLines(line, append(rect(trX(q1), y0, trX(q3), y1), vg.Point{X: trX(q1), Y: y0}))
			c.StrokeLine2(draw.LineStyle{Color: dark, Width: 2}, trX(med), y0, trX(med), y1)
			b.drawDots(c, trX, xs, out, ym, y1-y0, dark)
		}
	}))
	return &Figure{XLabel: xlabel, Title: b.Title, Note: b.Note, Legend: b.Legend, Width: Width, Height: rowsHeight(n, 22) + noteRoom(b.Note), plot: p}
}

// MinBoxN is the smallest sample drawn as a box: below it quartiles say
// nothing the samples themselves do not.
const MinBoxN = 5

// drawDots draws every sample, spread over the row's height
// deterministically, and flagged outliers as red rings.
func (b Boxes) drawDots(c draw.Canvas, trX func(float64) vg.Length, xs []float64, out map[float64]bool, ym, h vg.Length, dark color.RGBA) {
	for k, x := range xs {
		dy := vg.Length(math.Mod(float64(k)*0.618, 1)-0.5) * h * 0.7
		pt := vg.Point{X: trX(x), Y: ym + dy}
		if out[x] {
			c.DrawGlyph(draw.GlyphStyle{Color: color.RGBA{0xc0, 0x1c, 0x28, 0xff}, Radius: 3.2, Shape: draw.RingGlyph{}}, pt)
			continue
		}
		c.DrawGlyph(draw.GlyphStyle{Color: color.NRGBA{R: dark.R, G: dark.G, B: dark.B, A: 0x90}, Radius: 1.6, Shape: draw.CircleGlyph{}}, pt)
	}
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo = math.Min(lo, x)
		hi = math.Max(hi, x)
	}
	if math.IsInf(lo, 0) {
		return 0, 1
	}
	return lo, hi
}

// quantile of sorted xs (R's type 8, as the statistics use).
func quantile(xs []float64, q float64) float64 {
	n := float64(len(xs))
	h := 1/3.0 + q*(n+1/3.0)
	k := int(math.Floor(h))
	if k <= 0 {
		return xs[0]
	}
	if k >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[k-1] + (h-float64(k))*(xs[k]-xs[k-1])
}
