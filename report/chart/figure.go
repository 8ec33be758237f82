package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI of PNG output: 2x a 72 dpi layout, sharp on high-density screens.
const DPI = 144

// Width is every chart's width.
var Width = vg.Inch * 9

// Entry is one legend entry: a colour swatch, or a line (with dashes and
// a glyph) when Line is set.
type Entry struct {
	Label  string
	Color  color.Color
	Line   bool
	Dashes []vg.Length
	Glyph  draw.GlyphDrawer
	// Heading makes the entry a bold label with no thumbnail.
	Heading bool
}

// Figure is a finished chart, ready to render as PNG or SVG.
type Figure struct {
	Title string
	Note  string
	// XLabel and YLabel are drawn by the figure, centred on the data
	// area (gonum centres them on the arithmetic middle of the axis
	// range, which pushes the data aside on a log axis).
	XLabel, YLabel string
	Legend         []Entry
	Width          vg.Length
	Height         vg.Length
	// Refs are the labelled reference lines the figure draws (limits).
	Refs  []Ref
	plot  *plot.Plot
	right *sideAxis
}

// PNG renders the figure as a PNG image of Width x Height at DPI.
func (f *Figure) PNG() ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	f.draw(c)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %q: png: %w", f.Title, err)
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as SVG (text as text, fonts not embedded).
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height))
	dc := draw.New(c)
	dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: f.Width, Y: 0}, {X: f.Width, Y: f.Height}, {X: 0, Y: f.Height}})
	f.draw(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %q: svg: %w", f.Title, err)
	}
	// Liberation Sans is metric-compatible with Arial: name fallbacks so
	// the layout holds where Liberation is not installed.
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;"))
	return out, nil
}

// PixelSize is the PNG's size in pixels.
func (f *Figure) PixelSize() (w, h int) {
	// As vgimg sizes its image.
	return int(float64(f.Width)/72*DPI + 0.5), int(float64(f.Height)/72*DPI + 0.5)
}

func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

const (
	legendGap  = vg.Length(10)
	noteSize   = vg.Length(8.5)
	legendSize = vg.Length(9)
	thumbW     = vg.Length(18)
)

func (f *Figure) draw(c vg.CanvasSizer) {
	dc := draw.New(c)
	// The note, wrapped, at the bottom.
	noteH := vg.Length(0)
	if f.Note != "" {
		st := textStyle(noteSize, soft)
		lines := wrap(st, f.Note, f.Width-24)
		lh := st.FontExtents().Height * 1.15
		noteH = lh*vg.Length(len(lines)) + 10
		for i, l := range lines {
			dc.FillText(st, vg.Point{X: 12, Y: noteH - 6 - lh*vg.Length(i+1) + lh*0.25}, l)
		}
	}
	// The legend, outside the data area on the right.
	legendW := vg.Length(0)
	st := textStyle(legendSize, ink)
	for _, e := range f.Legend {
		if w := st.Width(e.Label) + thumbW + 8; w > legendW {
			legendW = w
		}
	}
	if legendW > 0 {
		legendW += legendGap * 2
	}
	labelH := vg.Length(0)
	lst := textStyle(10, ink)
	if f.XLabel != "" {
		labelH = lst.FontExtents().Height + 6
	}
	labelW := vg.Length(6)
	if f.YLabel != "" {
		labelW += lst.FontExtents().Height + 2
	}
	rightW := vg.Length(0)
	if f.right != nil {
		rightW = sideAxisWidth
	}
	pc := draw.Crop(dc, labelW, -legendW-rightW, noteH+labelH, 0)
	f.plot.Draw(pc)
	da := f.plot.DataCanvas(pc)
	if f.right != nil {
		f.right.draw(dc, da)
	}
	if f.XLabel != "" {
		st := lst
		st.XAlign = draw.XCenter
		dc.FillText(st, vg.Point{X: da.Center().X, Y: noteH + lst.FontExtents().Descent + 2}, f.XLabel)
	}
	if f.YLabel != "" {
		st := lst
		st.XAlign, st.YAlign, st.Rotation = draw.XCenter, draw.YTop, math.Pi/2
		dc.FillText(st, vg.Point{X: 6, Y: da.Center().Y}, f.YLabel)
	}
	if legendW > 0 {
		f.drawLegend(dc, dc.Max.X-legendW+legendGap, dc.Max.Y-34)
	}
}

func (f *Figure) drawLegend(dc draw.Canvas, x, top vg.Length) {
	st := textStyle(legendSize, ink)
	bold := st
	bold.Font = font.From(sansBold, legendSize)
	lh := st.FontExtents().Height * 1.45
	y := top
	for _, e := range f.Legend {
		if e.Heading {
			y -= lh * 0.3
			dc.FillText(bold, vg.Point{X: x, Y: y - lh/2 - bold.FontExtents().Ascent/2 + 1}, e.Label)
			y -= lh
			continue
		}
		mid := y - lh/2
		if e.Line {
			ls := draw.LineStyle{Color: e.Color, Width: 1.6, Dashes: e.Dashes}
			dc.StrokeLine2(ls, x, mid, x+thumbW, mid)
			if e.Glyph != nil {
				dc.DrawGlyphNoClip(draw.GlyphStyle{Color: e.Color, Radius: 2.6, Shape: e.Glyph}, vg.Point{X: x + thumbW/2, Y: mid})
			}
		} else {
			h := lh * 0.62
			dc.FillPolygon(e.Color, rect(x, mid-h/2, x+thumbW, mid+h/2))
			dc.StrokeLines(draw.LineStyle{Color: Darken(toRGBA(e.Color), 0.25), Width: 0.5}, append(rect(x, mid-h/2, x+thumbW, mid+h/2), vg.Point{X: x, Y: mid - h/2}))
		}
		dc.FillText(st, vg.Point{X: x + thumbW + 6, Y: mid - st.FontExtents().Ascent/2 + 1}, e.Label)
		y -= lh
	}
}

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// wrap breaks s into lines no wider than w.
func wrap(st text.Style, s string, w vg.Length) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := strings.TrimSpace(line + " " + word)
			if line != "" && st.Width(try) > w {
				lines = append(lines, line)
				line = word
				continue
			}
			line = try
		}
		lines = append(lines, line)
	}
	return lines
}

// newPlot is a plot with the report's fonts and colours (gonum's
// alignments kept).
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	restyle(&p.Title.TextStyle, sansBold, 13, ink)
	p.Title.Padding = 10
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		restyle(&a.Label.TextStyle, sans, 10, ink)
		restyle(&a.Tick.Label, sans, 9, ink)
		a.Color = soft
		a.Tick.Color = soft
		a.Padding = 2
	}
	restyle(&p.Legend.TextStyle, sans, legendSize, ink)
	return p
}

func restyle(st *text.Style, f font.Font, size vg.Length, c color.Color) {
	st.Font = font.From(f, size)
	st.Color = c
}

// funcPlotter draws with a function; the axes' ranges are set by the chart.
type funcPlotter func(c draw.Canvas, p *plot.Plot)

func (f funcPlotter) Plot(c draw.Canvas, p *plot.Plot) { f(c, p) }

// Unit is how values are shown on an axis: shown = value / Factor.
type Unit struct {
	Name   string
	Factor float64
}

// PickUnit chooses the display unit for values recorded in unit ("ns",
// "bytes", "usd", ...): the largest whose scaled median stays at least 1.
func PickUnit(unit string, values []float64) Unit {
	m := medianOf(values)
	choose := func(us []Unit) Unit {
		best := us[0]
		for _, u := range us {
			if m/u.Factor >= 1 {
				best = u
			}
		}
		return best
	}
	switch unit {
	case "ns", "ns/call":
		return choose([]Unit{{"ns", 1}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}})
	case "bytes":
		return choose([]Unit{{"B", 1}, {"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}})
	case "usd":
		return Unit{"USD", 1}
	}
	return Unit{unit, 1}
}

func medianOf(v []float64) float64 {
	var pos []float64
	for _, x := range v {
		if x > 0 {
			pos = append(pos, x)
		}
	}
	if len(pos) == 0 {
		return 0
	}
	s := append([]float64(nil), pos...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// spansDecade reports whether positive values span more than 10x: the
// rule for a log scale.
func spansDecade(values []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range values {
		if v > 0 {
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
	}
	return hi > 0 && hi/lo > 10
}

// valueAxis sets a value axis's scale, range and ticks for values (in
// display units). reserve is the fraction of the axis kept free beyond
// the largest value (for labels written after bar ends).
func valueAxis(a *plot.Axis, values []float64, log bool, reserve float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if log && v <= 0 {
			continue
		}
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if log {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = logTicks{}
		// A decade boundary at least a third of a decade below the
		// smallest value, so the shortest bar still shows.
		a.Min = math.Pow(10, math.Floor(math.Log10(lo)-0.3))
		l0 := math.Log10(a.Min)
		a.Max = math.Pow(10, l0+(math.Log10(hi)-l0)/(1-reserve))
		return
	}
	a.Tick.Marker = linTicks{}
	a.Min = math.Min(0, lo)
	if hi <= 0 {
		hi = 1
	}
	a.Max = a.Min + (hi-a.Min)/(1-reserve)
}

// linTicks labels a linear axis at 1, 2 or 5 times a power of ten, four
// to ten labels, written compactly (num).
type linTicks struct{}

func (linTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return nil
	}
	span := max - min
	var step float64
	for e := math.Floor(math.Log10(span)) - 1; ; e++ {
		for _, m := range []float64{1, 2, 5} {
			if st := m * math.Pow(10, e); span/st <= 10 {
				step = st
				break
			}
		}
		if step > 0 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		r := math.Round(v/step) * step
		ticks = append(ticks, plot.Tick{Value: r, Label: num(r)})
		if mid := r + step/2; mid < max {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
}

// logTicks labels a log axis with plain numbers: 1, 10, 100, ... when
// that gives at least four labels, else 1, 2, 5, 10, ..., else finer
// steps (1.1, 1.2, 1.5, ...) for ratios that span less than a decade.
type logTicks struct{}

var logLabelSets = [][]float64{
	{1},
	{1, 2, 5},
	{1, 1.5, 2, 3, 5, 7},
	{1, 1.1, 1.2, 1.3, 1.5, 1.7, 2, 2.5, 3, 4, 5, 6, 7, 8, 9},
}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	lo := int(math.Floor(math.Log10(min)))
	hi := int(math.Ceil(math.Log10(max)))
	in := func(v float64) bool { return v >= min*(1-1e-9) && v <= max*(1+1e-9) }
	majors := logLabelSets[len(logLabelSets)-1]
	for _, set := range logLabelSets {
		n := 0
		for e := lo; e <= hi; e++ {
			for _, m := range set {
				if in(m * math.Pow(10, float64(e))) {
					n++
				}
			}
		}
		if n >= 4 {
			majors = set
			break
		}
	}
	steps := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, m := range majors {
		if m != math.Trunc(m) {
			steps = append(steps, m)
		}
	}
	sort.Float64s(steps)
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, float64(e))
		for _, m := range steps {
			v := base * m
			if !in(v) {
				continue
			}
			label := ""
			for _, mj := range majors {
				if m == mj {
					label = num(v)
				}
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// num formats an axis number compactly: 0.001, 0.5, 20, 1000, 100k, 1M.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e11:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', -1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e5:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	case a != 0 && a < 1e-3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// rowTicks labels rows on a nominal axis (row i at n-1-i, top to bottom).
type rowTicks []string

func (r rowTicks) Ticks(min, max float64) []plot.Tick {
	t := make([]plot.Tick, len(r))
	for i, l := range r {
		t[i] = plot.Tick{Value: float64(len(r) - 1 - i), Label: l}
	}
	return t
}

// rowAxis makes p's Y axis a list of rows, top to bottom.
func rowAxis(p *plot.Plot, labels []string) {
	p.Y.Tick.Marker = rowTicks(labels)
	p.Y.Min = -0.6
	p.Y.Max = float64(len(labels)) - 0.4
	p.Y.Tick.Length = 0
	p.Y.Color = color.Transparent
	p.Y.Padding = 0
}

// rowsHeight is a good figure height for n rows of a horizontal chart.
func rowsHeight(n int, rowPt float64) vg.Length {
	return vg.Length(120 + float64(n)*rowPt)
}

// grid draws light lines at the value axis's major ticks.
func grid(p *plot.Plot, vertical bool) plot.Plotter {
	return funcPlotter(func(c draw.Canvas, plt *plot.Plot) {
		trX, trY := plt.Transforms(&c)
		ls := draw.LineStyle{Color: gridC, Width: 0.6}
		if vertical {
			for _, t := range plt.X.Tick.Marker.Ticks(plt.X.Min, plt.X.Max) {
				if t.Value < plt.X.Min || t.Value > plt.X.Max {
					continue
				}
				x := trX(t.Value)
				st := ls
				if t.IsMinor() {
					st.Color = color.RGBA{0xf2, 0xf2, 0xf2, 0xff}
				}
				c.StrokeLine2(st, x, c.Min.Y, x, c.Max.Y)
			}
			return
		}
		for _, t := range plt.Y.Tick.Marker.Ticks(plt.Y.Min, plt.Y.Max) {
			if t.Value < plt.Y.Min || t.Value > plt.Y.Max {
				continue
			}
			y := trY(t.Value)
			st := ls
			if t.IsMinor() {
				st.Color = color.RGBA{0xf2, 0xf2, 0xf2, 0xff}
			}
			c.StrokeLine2(st, c.Min.X, y, c.Max.X, y)
		}
	})
}
