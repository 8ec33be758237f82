package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Ref is a labelled reference line across the value axis: a limit, say.
type Ref struct {
	Value float64 // in the chart's recorded unit
	Label string
}

var refColour = color.RGBA{0xb3, 0x26, 0x1e, 0xff}

// refLabelSize is the size of a reference's label.
const refLabelSize = vg.Length(7.5)

// refsHeight is the least figure height at which every reference's
// label, written up along its line inside the data area, fits in it: the
// longest label and the figure's title and value axis (0 without
// labels). One row of dots is otherwise too short for them.
func refsHeight(refs []Ref) vg.Length {
	st := textStyle(refLabelSize, refColour)
	var longest vg.Length
	for _, r := range refs {
		longest = max(longest, st.Width(r.Label))
	}
	if longest == 0 {
		return 0
	}
	return longest + 80
}

// drawRefs draws each reference line inside the data area, dashed, with
// its label written up along it.
func drawRefs(c draw.Canvas, trX func(float64) vg.Length, refs []Ref, factor float64, min, max float64) {
	st := textStyle(refLabelSize, refColour)
	st.Rotation = math.Pi / 2
	st.XAlign, st.YAlign = draw.XRight, draw.YBottom
	for _, r := range refs {
		v := r.Value / factor
		if v < min || v > max {
			continue
		}
		x := trX(v)
		c.StrokeLine2(draw.LineStyle{Color: refColour, Width: 1, Dashes: []vg.Length{5, 3}}, x, c.Min.Y, x, c.Max.Y)
		if r.Label != "" {
			c.FillText(st, vg.Point{X: x - 2, Y: c.Max.Y - 3}, r.Label)
		}
	}
}

// refValues are the references' values in display units.
func refValues(refs []Ref, factor float64) []float64 {
	var v []float64
	for _, r := range refs {
		v = append(v, r.Value/factor)
	}
	return v
}

// sideAxis is a second value axis, drawn by the figure on the right of
// the data area: ticks at fractions (0 bottom, 1 top) of its height.
type sideAxis struct {
	Label string
	Ticks []sideTick
}

type sideTick struct {
	At    float64 // 0..1 of the data area's height
	Label string
}

// sideAxisWidth is the room a right axis takes: tick labels and its
// label.
const sideAxisWidth = vg.Length(58)

// drawSide draws a right axis along the data area da.
func (a *sideAxis) draw(dc draw.Canvas, da draw.Canvas) {
	ls := draw.LineStyle{Color: soft, Width: 0.5}
	x := da.Max.X
	dc.StrokeLine2(ls, x, da.Min.Y, x, da.Max.Y)
	st := textStyle(9, ink)
	st.YAlign = draw.YCenter
	for _, t := range a.Ticks {
		y := da.Min.Y + vg.Length(t.At)*(da.Max.Y-da.Min.Y)
		if t.Label == "" {
			dc.StrokeLine2(ls, x, y, x+2, y)
			continue
		}
		dc.StrokeLine2(ls, x, y, x+4, y)
		dc.FillText(st, vg.Point{X: x + 6, Y: y}, t.Label)
	}
	lst := textStyle(10, ink)
	lst.XAlign, lst.YAlign, lst.Rotation = draw.XCenter, draw.YTop, -math.Pi/2
	dc.FillText(lst, vg.Point{X: x + sideAxisWidth - 2, Y: da.Center().Y}, a.Label)
}

// axisMap maps values between two axes' ranges, on a linear or a
// logarithmic scale: the fraction of the way up an axis a value sits.
type axisMap struct {
	min, max float64
	log      bool
}

func (m axisMap) frac(v float64) float64 {
	if m.log {
		return (math.Log(v) - math.Log(m.min)) / (math.Log(m.max) - math.Log(m.min))
	}
	return (v - m.min) / (m.max - m.min)
}

func (m axisMap) at(f float64) float64 {
	if m.log {
		return math.Exp(math.Log(m.min) + f*(math.Log(m.max)-math.Log(m.min)))
	}
	return m.min + f*(m.max-m.min)
}

// sideTicks are a right axis's ticks over m, from the same tick rules as
// the main axes.
func sideTicks(m axisMap) []sideTick {
	var marker plot.Ticker = linTicks{}
	if m.log {
		marker = logTicks{}
	}
	var out []sideTick
	for _, t := range marker.Ticks(m.min, m.max) {
		if t.Value < m.min || t.Value > m.max {
			continue
		}
		out = append(out, sideTick{At: m.frac(t.Value), Label: t.Label})
	}
	return out
}
