package chart

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Line is one series of points joined by a line.
type Line struct {
	Label  string
	Color  color.Color
	Dashes []vg.Length
	Glyph  draw.GlyphDrawer
	// Points draws glyphs at the points (for measured values, not for
	// model curves).
	Points bool
	X, Y   []float64
}

// Mark is an annotated point (a crossing, say).
type Mark struct {
	X, Y  float64
	Text  string
	Color color.Color
}

// Lines is a line chart.
type Lines struct {
	Title, Note  string
	XAxis, YAxis string
	XUnit, YUnit Unit
	Lines        []Line
	Marks        []Mark
	Legend       []Entry
	// LogX forces a logarithmic X axis (otherwise by the 10x rule);
	// XTicks, when set, are the only X ticks (a parameter sweep).
	LogX   bool
	XTicks []float64
	// Right are lines against a second value axis on the right (cost
	// beside time, say), named RightAxis in RightUnit; each axis is
	// logarithmic when its own values span more than ten times.
	Right     []Line
	RightAxis string
	RightUnit Unit
}

// Figure lays the chart out.
func (l Lines) Figure() *Figure {
	var xs, ys, rs []float64
	for _, ln := range l.Lines {
		for i := range ln.X {
			xs = append(xs, ln.X[i]/l.XUnit.Factor)
			ys = append(ys, ln.Y[i]/l.YUnit.Factor)
		}
	}
	for _, ln := range l.Right {
		for i := range ln.X {
			xs = append(xs, ln.X[i]/l.XUnit.Factor)
			rs = append(rs, ln.Y[i]/l.RightUnit.Factor)
		}
	}
	logX := l.LogX || spansDecade(xs)
	logY := spansDecade(ys)
	p := newPlot(l.Title)
	valueAxis(&p.X, xs, logX, 0)
	valueAxis(&p.Y, ys, logY, 0.05)
	xlo, xhi := minMax(xs)
	points := false
	for _, ln := range append(l.Lines, l.Right...) {
		points = points || ln.Points
	}
	switch {
	case logX && points:
		// Room for the glyphs at both ends.
		p.X.Min, p.X.Max = xlo/1.12, xhi*1.12
	case logX:
		p.X.Min, p.X.Max = xlo, xhi
	default:
		pad := (xhi - xlo) * 0.05
		p.X.Min, p.X.Max = xlo-pad, xhi+pad
	}
	ylo, yhi := minMax(ys)
	if logY {
		p.Y.Min, p.Y.Max = ylo/1.5, yhi*1.5
	} else {
		p.Y.Min, p.Y.Max = 0, yhi*1.08
	}
	if len(l.XTicks) > 0 {
		var t plot.ConstantTicks
		for _, x := range l.XTicks {
			t = append(t, plot.Tick{Value: x / l.XUnit.Factor, Label: num(x / l.XUnit.Factor)})
		}
		p.X.Tick.Marker = t
	}
	xlabel := l.XAxis + scaleUnit(l.XUnit.Name, logX)
	ylabel := l.YAxis + scaleUnit(l.YUnit.Name, logY)
	// The right axis's lines are drawn in the left axis's coordinates:
	// each value at the same fraction of the height as on its own axis.
	var right *sideAxis
	lines := l.Lines
	if len(l.Right) > 0 {
		logR := spansDecade(rs)
		rlo, rhi := minMax(rs)
		rm := axisMap{min: 0, max: rhi * 1.08, log: logR}
		if logR {
			rm.min, rm.max = rlo/1.5, rhi*1.5
		}
		if !(rm.max > rm.min) {
			rm.max = rm.min + 1
		}
		lm := axisMap{min: p.Y.Min, max: p.Y.Max, log: logY}
		right = &sideAxis{Label: l.RightAxis + scaleUnit(l.RightUnit.Name, logR), Ticks: sideTicks(rm)}
		lines = append([]Line(nil), l.Lines...)
		for _, ln := range l.Right {
			m := ln
			m.Y = make([]float64, len(ln.Y))
			for i, v := range ln.Y {
				m.Y[i] = lm.at(rm.frac(v/l.RightUnit.Factor)) * l.YUnit.Factor
			}
			lines = append(lines, m)
		}
	}
	p.Add(grid(p, true), grid(p, false))
	p.Add(funcPlotter(func(c draw.Canvas, plt *plot.Plot) {
		trX, trY := plt.Transforms(&c)
		for _, ln := range lines {
			pts := make([]vg.Point, len(ln.X))
			for i := range ln.X {
				pts[i] = vg.Point{X: trX(ln.X[i] / l.XUnit.Factor), Y: trY(ln.Y[i] / l.YUnit.Factor)}
			}
			ls := draw.LineStyle{Color: ln.Color, Width: 1.6, Dashes: ln.Dashes}
			c.StrokeLines(ls, c.ClipLinesXY(pts)...)
			if ln.Points && ln.Glyph != nil {
				for _, pt := range pts {
					if c.Contains(pt) {
						c.DrawGlyph(draw.GlyphStyle{Color: ln.Color, Radius: 3, Shape: ln.Glyph}, pt)
					}
				}
			}
		}
		txt := textStyle(8, ink)
		txt.YAlign = draw.YBottom
		for _, m := range l.Marks {
			pt := vg.Point{X: trX(m.X / l.XUnit.Factor), Y: trY(m.Y / l.YUnit.Factor)}
			if !c.Contains(pt) {
				continue
			}
			col := m.Color
			if col == nil {
				col = ink
			}
			c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: 4, Shape: draw.RingGlyph{}}, pt)
			if m.Text != "" {
				c.FillText(txt, vg.Point{X: pt.X + 5, Y: pt.Y + 4}, m.Text)
			}
		}
	}))
	return &Figure{XLabel: xlabel, YLabel: ylabel, Title: l.Title, Note: l.Note, Legend: l.Legend, Width: Width, Height: vg.Inch*4.6 + noteRoom(l.Note), plot: p, right: right}
}
