package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Dot is one estimate with its interval (Lo = Hi = 0: none).
type Dot struct {
	Value, Lo, Hi float64
	Color         color.Color
	Glyph         draw.GlyphDrawer
	// Faded draws the dot pale, for an estimate the chart does not claim
	// (not significant); Text is written after it.
	Faded bool
	Text  string
}

// DotRow is one labelled row of estimates, drawn one under the other.
type DotRow struct {
	Label string
	Dots  []Dot
	Sep   bool
}

// Dots is a horizontal dot plot with interval bars and an optional
// reference line (1 for ratios).
type Dots struct {
	Title, Note string
	Axis        string
	Unit        Unit
	Rows        []DotRow
	Legend      []Entry
	Ref         float64
	// Refs are labelled reference lines (limits), drawn dashed.
	Refs []Ref
	// Log forces a logarithmic value axis (ratios); otherwise it is
	// logarithmic when values span more than ten times.
	Log bool
}

// Figure lays the chart out.
func (d Dots) Figure() *Figure {
	var all []float64
	k := 1
	for _, r := range d.Rows {
		k = max(k, len(r.Dots))
		for _, dot := range r.Dots {
			all = append(all, dot.Value/d.Unit.Factor)
			if dot.Hi > 0 {
				all = append(all, dot.Lo/d.Unit.Factor, dot.Hi/d.Unit.Factor)
			}
		}
	}
	if d.Ref > 0 {
		all = append(all, d.Ref)
	}
	all = append(all, refValues(d.Refs, d.Unit.Factor)...)
	log := d.Log || spansDecade(all)
	hasText := false
	for _, r := range d.Rows {
		for _, dot := range r.Dots {
			hasText = hasText || dot.Text != ""
		}
	}
	reserve := 0.05
	if hasText {
		reserve = 0.14
	}
	p := newPlot(d.Title)
	labels := make([]string, len(d.Rows))
	for i, r := range d.Rows {
		labels[i] = r.Label
	}
	rowAxis(p, labels)
	valueAxis(&p.X, all, log, reserve)
	lo, hi := minMax(all)
	if log {
		p.X.Min, p.X.Max = lo/1.15, hi*math.Pow(hi/lo*1.3, reserve/(1-reserve))*1.15
		if d.Ref > 0 {
			p.X.Min = math.Min(p.X.Min, d.Ref/1.05)
		}
	} else {
		pad := (hi - lo) * 0.08
		p.X.Min, p.X.Max = math.Max(0, lo-pad), hi+pad
	}
	xlabel := d.Axis + scaleUnit(d.Unit.Name, log)
	n := len(d.Rows)
	p.Add(grid(p, true))
	p.Add(funcPlotter(func(c draw.Canvas, plt *plot.Plot) {
		trX, trY := plt.Transforms(&c)
		if d.Ref > 0 {
			x := trX(d.Ref)
			c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0x55, 0x55, 0x55, 0xff}, Width: 1, Dashes: []vg.Length{4, 3}}, x, c.Min.Y, x, c.Max.Y)
		}
		drawRefs(c, trX, d.Refs, d.Unit.Factor, plt.X.Min, plt.X.Max)
		for i, r := range d.Rows {
			yc := float64(n - 1 - i)
			if r.Sep && i > 0 {
				y := trY(yc + 0.5)
				c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0xbb, 0xbb, 0xbb, 0xff}, Width: 0.6}, c.Min.X, y, c.Max.X, y)
			}
			m := len(r.Dots)
			for j, dot := range r.Dots {
				off := 0.0
				if m > 1 {
					off = 0.36 - 0.72*float64(j)/float64(m-1)
				}
				y := trY(yc + off)
				col := toRGBA(dot.Color)
				if dot.Faded {
					col = Lighten(col, 0.6)
				}
				end := trX(dot.Value / d.Unit.Factor)
				if dot.Hi > 0 {
					ls := draw.LineStyle{Color: col, Width: 1.3}
					c.StrokeLine2(ls, trX(dot.Lo/d.Unit.Factor), y, trX(dot.Hi/d.Unit.Factor), y)
					end = trX(dot.Hi / d.Unit.Factor)
				}
				g := dot.Glyph
				if g == nil {
					g = draw.CircleGlyph{}
				}
				c.DrawGlyph(draw.GlyphStyle{Color: Darken(col, 0.1), Radius: 3, Shape: g}, vg.Point{X: trX(dot.Value / d.Unit.Factor), Y: y})
				if dot.Text != "" {
					st := textStyle(8, soft)
					st.YAlign = -0.5
					c.FillText(st, vg.Point{X: end + 5, Y: y}, dot.Text)
				}
			}
		}
	}))
	rowPt := math.Max(20, 6*float64(k)+8)
	return &Figure{XLabel: xlabel, Title: d.Title, Note: d.Note, Legend: d.Legend, Width: Width, Height: max(rowsHeight(n, rowPt), refsHeight(d.Refs)) + noteRoom(d.Note), Refs: d.Refs, plot: p}
}

func scaleUnit(unit string, log bool) string {
	switch {
	case unit == "" && log:
		return " (log scale)"
	case unit == "":
		return ""
	}
	return " (" + unit + scaleWord(log) + ")"
}
