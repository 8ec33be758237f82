package chart

import (
	"bytes"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

var tiers = []string{"native", "interp", "baseline", "jit", "tiered", "aot"}

func TestPaletteKeepsRuntimeColours(t *testing.T) {
	a := NewPalette([][2]string{{"wazero", "jit"}, {"wasmtime", "aot"}}, tiers)
	b := NewPalette([][2]string{{"zzz", "x"}, {"wasmtime", "jit"}, {"wazero", "interp"}, {"wazero", "jit"}, {"aaa", "x"}}, tiers)
	for _, r := range []string{"wazero", "wasmtime"} {
		if a.Runtime(r) != b.Runtime(r) {
			t.Errorf("%s has two colours: %v, %v", r, a.Runtime(r), b.Runtime(r))
		}
	}
	if b.Runtime("aaa") == b.Runtime("zzz") || b.Runtime("aaa") == b.Runtime("wazero") {
		t.Error("unknown runtimes share a colour")
	}
	// Tiers of one runtime: the first in tier order is the runtime's
	// colour, later ones lighter.
	if b.Tier("wazero", "interp") != b.Runtime("wazero") || b.Tier("wazero", "jit") == b.Runtime("wazero") {
		t.Errorf("tier shades: interp %v jit %v runtime %v", b.Tier("wazero", "interp"), b.Tier("wazero", "jit"), b.Runtime("wazero"))
	}
	if a.Tier("wazero", "jit") != a.Runtime("wazero") {
		t.Error("a runtime's only tier is not in the runtime's colour")
	}
}

func TestLighten(t *testing.T) {
	c := color.RGBA{0, 100, 200, 255}
	if Lighten(c, 0) != c || Lighten(c, 1) != (color.RGBA{255, 255, 255, 255}) || Darken(c, 1) != (color.RGBA{0, 0, 0, 255}) {
		t.Error("Lighten/Darken ends wrong")
	}
}

func TestLogRule(t *testing.T) {
	if spansDecade([]float64{1, 10}) || !spansDecade([]float64{1, 10.5}) || spansDecade([]float64{0, 5, -3}) {
		t.Error("log scale rule: more than 10x between the positive extremes")
	}
	var a plot.Axis
	valueAxis(&a, []float64{3, 4000}, true, 0)
	if _, ok := a.Scale.(plot.LogScale); !ok || a.Min != 1 {
		t.Errorf("log axis: scale %T min %v", a.Scale, a.Min)
	}
	var labels []string
	for _, tk := range (logTicks{}).Ticks(1, 5000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "1 10 100 1000" {
		t.Errorf("ticks 1..5000: %v", labels)
	}
	labels = nil
	for _, tk := range (logTicks{}).Ticks(1, 60) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "1 2 5 10 20 50" {
		t.Errorf("ticks 1..60: %v", labels)
	}
}

func TestPickUnitAndNum(t *testing.T) {
	for _, c := range []struct {
		unit string
		v    []float64
		want string
	}{{"ns", []float64{5e6, 3e7}, "ms"}, {"ns", []float64{800}, "ns"}, {"bytes", []float64{3 << 20}, "MiB"}, {"usd", []float64{1}, "USD"}} {
		if u := PickUnit(c.unit, c.v); u.Name != c.want {
			t.Errorf("PickUnit(%s, %v) = %s, want %s", c.unit, c.v, u.Name, c.want)
		}
	}
	for v, want := range map[float64]string{0.5: "0.5", 1000: "1000", 1e5: "100k", 2e6: "2M"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

// Each chart type renders to a PNG of the size it announces, with its
// title and legend in the SVG.
func TestFiguresRender(t *testing.T) {
	p := NewPalette([][2]string{{"wazero", "interp"}, {"wazero", "jit"}}, tiers)
	legend := []Entry{{Label: "wazero interp", Color: p.Tier("wazero", "interp")}, {Label: "wazero jit", Color: p.Tier("wazero", "jit"), Line: true, Glyph: Glyph("jit")}}
	figs := []*Figure{
		Bars{Title: "bars", Axis: "time", Unit: Unit{"ms", 1e6}, Legend: legend, Rows: []BarRow{
			{Label: "a", Bars: []Bar{{Segments: []Segment{{1e6, p.Runtime("wazero")}, {2e6, p.Tier("wazero", "jit")}}, Text: "3 ms"}}},
			{Label: "b", Bars: []Bar{{Segments: []Segment{{9e7, p.Runtime("wazero")}}}}, Sep: true}}}.Figure(),
		Boxes{Title: "boxes", Axis: "time", Unit: Unit{"ms", 1e6}, Legend: legend, Rows: []BoxRow{
			{Label: "a", Values: []float64{1e6, 1.1e6, 0.9e6, 1.05e6, 3e6}, Outliers: []float64{3e6}, Color: p.Runtime("wazero")}}}.Figure(),
		Dots{Title: "dots", Axis: "ratio", Unit: Unit{Factor: 1}, Ref: 1, Legend: legend, Rows: []DotRow{
			{Label: "a", Dots: []Dot{{Value: 1.3, Lo: 1.2, Hi: 1.4, Color: p.Runtime("wazero")}, {Value: 110, Color: p.Runtime("wazero")}}}}}.Figure(),
		Lines{Title: "lines", XAxis: "n", YAxis: "time", XUnit: Unit{Factor: 1}, YUnit: Unit{"ms", 1e6}, LogX: true, Legend: legend,
			Lines: []Line{{Label: "a", Color: p.Runtime("wazero"), X: []float64{1, 10, 100}, Y: []float64{1e6, 2e6, 3e7}, Points: true, Glyph: Glyph("interp")}},
			Marks: []Mark{{X: 10, Y: 2e6, Text: "here"}}}.Figure(),
	}
	for _, f := range figs {
		b, err := f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		w, h := f.PixelSize()
		if sz := img.Bounds().Size(); sz.X != w || sz.Y != h || w != int(Width/72*DPI+0.5) {
			t.Errorf("%s: %v, want %dx%d", f.Title, sz, w, h)
		}
		svg, err := f.SVG()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{">" + f.Title + "<", ">wazero jit<", "Arial"} {
			if !bytes.Contains(svg, []byte(want)) {
				t.Errorf("%s: SVG lacks %q", f.Title, want)
			}
		}
	}
}

// A bar's length is never read on a log axis: stacked bars stay linear
// however far their totals span; single bars that span more than ten
// times become dots on a log axis, and the figure says so.
func TestBarsNeverOnLogAxis(t *testing.T) {
	c := color.RGBA{0, 100, 200, 255}
	stacked := Bars{Title: "stacked", Axis: "cold start", Unit: Unit{"ms", 1e6}, Rows: []BarRow{
		{Label: "a", Bars: []Bar{{Segments: []Segment{{1e6, c}, {2e6, c}}}}},
		{Label: "b", Bars: []Bar{{Segments: []Segment{{9e8, c}, {1e8, c}}}}}}}.Figure()
	if strings.Contains(stacked.XLabel, "log") {
		t.Errorf("stacked bars on a log axis: %q", stacked.XLabel)
	}
	if _, ok := stacked.plot.X.Scale.(plot.LogScale); ok {
		t.Error("stacked bars drawn on a log scale")
	}
	single := Bars{Title: "sizes", Axis: "size", Unit: Unit{"KiB", 1024}, Rows: []BarRow{
		{Label: "a", Bars: []Bar{{Segments: []Segment{{16e3, c}}, Text: "16 KB"}}},
		{Label: "b", Bars: []Bar{{Segments: []Segment{{98e6, c}}, Text: "98 MB"}}}}}.Figure()
	if _, ok := single.plot.X.Scale.(plot.LogScale); !ok || !strings.Contains(single.Note, "dots on a logarithmic axis") || !strings.Contains(single.XLabel, "log scale") {
		t.Errorf("single bars spanning 6000x: scale %T, note %q, label %q", single.plot.X.Scale, single.Note, single.XLabel)
	}
	near := Bars{Title: "near", Axis: "size", Unit: Unit{"KiB", 1024}, Rows: []BarRow{
		{Label: "a", Bars: []Bar{{Segments: []Segment{{16e3, c}}}}},
		{Label: "b", Bars: []Bar{{Segments: []Segment{{90e3, c}}}}}}}.Figure()
	if _, ok := near.plot.X.Scale.(plot.LogScale); ok {
		t.Error("bars within ten times drawn on a log axis")
	}
}

func TestLinearTicks(t *testing.T) {
	var labels []string
	for _, tk := range (linTicks{}).Ticks(0, 2700) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "0 500 1000 1500 2000 2500" {
		t.Errorf("ticks 0..2700: %v", labels)
	}
}

// Ratios spanning less than a decade still get at least four labels.
func TestRatioTicks(t *testing.T) {
	var labels []string
	for _, tk := range (logTicks{}).Ticks(1.1, 2.2) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "1.1 1.2 1.3 1.5 1.7 2" {
		t.Errorf("ticks 1.1..2.2: %v", labels)
	}
}

// A right axis: its lines drawn at the same fraction of the height as
// their values on their own axis, with ticks of their own.
func TestRightAxis(t *testing.T) {
	l := Lines{Title: "t", XAxis: "memory", YAxis: "time", XUnit: Unit{Name: "MB", Factor: 1}, YUnit: Unit{Name: "ms", Factor: 1},
		Lines: []Line{{Label: "time", X: []float64{128, 1024}, Y: []float64{10, 20}}},
		Right: []Line{{Label: "cost", X: []float64{128, 1024}, Y: []float64{0.2, 0.4}}}, RightAxis: "cost", RightUnit: Unit{Name: "USD", Factor: 1}}
	f := l.Figure()
	if f.right == nil || len(f.right.Ticks) < 3 || f.right.Label != "cost (USD)" {
		t.Fatalf("right axis %+v", f.right)
	}
	for _, tk := range f.right.Ticks {
		if tk.At < 0 || tk.At > 1 {
			t.Errorf("tick %q at %v, outside the axis", tk.Label, tk.At)
		}
	}
	m := axisMap{min: 1, max: 100, log: true}
	if got := m.frac(10); got < 0.499 || got > 0.501 {
		t.Errorf("10 on a 1..100 log axis sits at %v, want 0.5", got)
	}
	if got := (axisMap{min: 0, max: 4}).at(0.25); got != 1 {
		t.Errorf("a quarter of 0..4 is %v", got)
	}
	if _, err := f.PNG(); err != nil {
		t.Fatal(err)
	}
}
