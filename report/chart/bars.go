package chart

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Segment is one part of a stacked bar.
type Segment struct {
	Value float64 // in the chart's recorded unit
	Color color.Color
}

// Bar is one horizontal bar: its segments stacked left to right, and a
// text written after its end (the total, say).
type Bar struct {
	Segments []Segment
	Text     string
}

// BarRow is one labelled row holding one or more bars (grouped: drawn
// one under the other within the row).
type BarRow struct {
	Label string
	Bars  []Bar
	// Sep draws a separator line above the row (a new group starts).
	Sep bool
}

// Bars is a horizontal bar chart, stacked when bars have several
// segments.
type Bars struct {
	Title, Note string
	// Axis names the value ("cold start"); the unit is appended.
	Axis   string
	Unit   Unit
	Rows   []BarRow
	Legend []Entry
	// Refs are labelled reference lines (limits), drawn dashed; the
	// value axis reaches them.
	Refs []Ref
}

// Figure lays the chart out. A bar's length is always its value on a
// linear axis: a bar on a log axis has no meaningful length. When single
// bars' values span more than ten times, they are drawn as dots on a
// logarithmic axis instead (Dots), and the note says so; stacked bars stay
// linear, their small totals labelled.
func (b Bars) Figure() *Figure {
	var totals []float64
	multi := false
	for _, r := range b.Rows {
		for _, bar := range r.Bars {
			t := 0.0
			for _, s := range bar.Segments {
				t += s.Value / b.Unit.Factor
			}
			totals = append(totals, t)
			multi = multi || len(bar.Segments) > 1
		}
	}
	if spansDecade(append(refValues(b.Refs, b.Unit.Factor), totals...)) && !multi {
		return b.asDots()
	}
	log := false
	p := newPlot(b.Title)
	labels := make([]string, len(b.Rows))
	for i, r := range b.Rows {
		labels[i] = r.Label
	}
	rowAxis(p, labels)
	valueAxis(&p.X, append(refValues(b.Refs, b.Unit.Factor), totals...), log, 0.17)
	xlabel := b.Axis + " (" + b.Unit.Name + scaleWord(log) + ")"
	n := len(b.Rows)
	p.Add(grid(p, true))
	p.Add(funcPlotter(func(c draw.Canvas, plt *plot.Plot) {
		trX, trY := plt.Transforms(&c)
		x0 := trX(plt.X.Min)
		if !log && plt.X.Min < 0 {
			x0 = trX(0)
		}
		drawRefs(c, trX, b.Refs, b.Unit.Factor, plt.X.Min, plt.X.Max)
		txt := textStyle(8, soft)
		txt.YAlign = -0.5
		for i, r := range b.Rows {
			yc := float64(n - 1 - i)
			if r.Sep && i > 0 {
				y := trY(yc + 0.5)
				c.StrokeLine2(draw.LineStyle{Color: color.RGBA{0xbb, 0xbb, 0xbb, 0xff}, Width: 0.6}, c.Min.X, y, c.Max.X, y)
			}
			k := len(r.Bars)
			if k == 0 {
				continue
			}
			band := 0.72
			th := band / float64(k)
			for j, bar := range r.Bars {
				top := yc + band/2 - th*float64(j)
				y1, y0 := trY(top-0.04), trY(top-th+0.04)
				total := 0.0
				for _, s := range bar.Segments {
					total += s.Value / b.Unit.Factor
				}
				if total <= 0 {
					continue
				}
				end := trX(total)
				x := x0
				cum := 0.0
				for _, s := range bar.Segments {
					v := s.Value / b.Unit.Factor
					if v <= 0 {
						continue
					}
					cum += v
					var xe vg.Length
					if log {
						xe = x0 + (end-x0)*vg.Length(cum/total)
					} else {
						xe = trX(cum)
					}
					c.FillPolygon(s.Color, rect(x, y0, xe, y1))
					c.StrokeLines(draw.LineStyle{Color: color.White, Width: 0.5}, []vg.Point{{X: xe, Y: y0}, {X: xe, Y: y1}})
					x = xe
				}
				if bar.Text != "" {
					c.FillText(txt, vg.Point{X: end + 3, Y: (y0 + y1) / 2}, bar.Text)
				}
			}
		}
	}))
	note := b.Note
	rowPt := 20.0
	if len(b.Rows) > 0 && len(b.Rows[0].Bars) > 1 {
		rowPt = 13 * float64(len(b.Rows[0].Bars)+1)
	}
	return &Figure{XLabel: xlabel, Title: b.Title, Note: note, Legend: b.Legend, Width: Width, Height: max(rowsHeight(n, rowPt), refsHeight(b.Refs)) + noteRoom(note), Refs: b.Refs, plot: p}
}

// asDots draws single-segment bars as dots on a logarithmic axis, one dot
// per bar, with the bar's text beside it.
func (b Bars) asDots() *Figure {
	what := "Values span"
	if len(b.Refs) > 0 {
		what = "Values and limits span"
	}
	d := Dots{Title: b.Title, Axis: b.Axis, Unit: b.Unit, Legend: b.Legend, Log: true, Refs: b.Refs,
		Note: joinNote(what+" more than ten times: dots on a logarithmic axis (a bar's length would mean nothing on it).", b.Note)}
	for _, r := range b.Rows {
		dr := DotRow{Label: r.Label, Sep: r.Sep}
		for _, bar := range r.Bars {
			if len(bar.Segments) == 0 || bar.Segments[0].Value <= 0 {
				continue
			}
			dr.Dots = append(dr.Dots, Dot{Value: bar.Segments[0].Value, Color: bar.Segments[0].Color, Glyph: draw.CircleGlyph{}, Text: bar.Text})
		}
		d.Rows = append(d.Rows, dr)
	}
	f := d.Figure()
	f.XLabel = b.Axis + " (" + b.Unit.Name + ", log scale)"
	return f
}

func scaleWord(log bool) string {
	if log {
		return ", log scale"
	}
	return ""
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// noteRoom is the extra height a note takes.
func noteRoom(note string) vg.Length {
	if note == "" {
		return 0
	}
	st := textStyle(noteSize, soft)
	return vg.Length(len(wrap(st, note, Width-24)))*st.FontExtents().Height*1.15 + 10
}
