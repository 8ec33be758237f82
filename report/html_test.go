package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmbench/bench/report/chart"
)

// chromium finds a headless browser, or skips the test (fails it on CI,
// which installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install Debian's chromium package")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

type pageCheck struct {
	images, broken int
	console        []string
	dom            string
}

var (
	imagesAttr  = regexp.MustCompile(`<body[^>]*\bdata-images="(\d+)"`)
	brokenAttr  = regexp.MustCompile(`<body[^>]*\bdata-broken-images="(\d+)"`)
	consoleLine = regexp.MustCompile(`CONSOLE[^\]]*\] (.*)`)
)

// loadPage opens path in headless chromium, lets it load, and returns what
// the page's own check found (images, broken images) and every console
// message.
func loadPage(t *testing.T, browser, path string, extra ...string) pageCheck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	abs, _ := filepath.Abs(path)
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000"}, extra...)
	cmd := exec.CommandContext(ctx, browser, append(args, "file://"+abs)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(stderr.String(), 2000))
	}
	pc := pageCheck{dom: stdout.String(), images: -1, broken: -1}
	if m := imagesAttr.FindStringSubmatch(pc.dom); m != nil {
		pc.images, _ = strconv.Atoi(m[1])
	}
	if m := brokenAttr.FindStringSubmatch(pc.dom); m != nil {
		pc.broken, _ = strconv.Atoi(m[1])
	}
	for _, m := range consoleLine.FindAllStringSubmatch(stderr.String(), -1) {
		pc.console = append(pc.console, m[1])
	}
	return pc
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestHTMLInChromium opens report.html in a real browser: it renders,
// every chart loads, the console stays silent; the screenshot is kept
// (its path is logged) for a person to look at.
func TestHTMLInChromium(t *testing.T) {
	browser := chromium(t)
	dir := copyRun(t)
	rep, err := Write(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, HTMLFile)
	pc := loadPage(t, browser, html, "--dump-dom")
	if pc.images != len(rep.Charts) || pc.broken != 0 {
		t.Errorf("chromium saw %d images, %d broken; want %d, 0", pc.images, pc.broken, len(rep.Charts))
	}
	if len(pc.console) > 0 {
		t.Errorf("console messages: %q", pc.console)
	}
	if !strings.Contains(pc.dom, "Where the cold start went") || !strings.Contains(pc.dom, "local · fib(25)") {
		t.Error("rendered page lacks its charts or tables")
	}

	shot := filepath.Join(os.TempDir(), "bench-report-screenshot.png")
	loadPage(t, browser, html, "--window-size=1280,2600", "--screenshot="+shot)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != 1280 || sz.Y != 2600 {
		t.Errorf("screenshot is %v", sz)
	}
	// A rendered report is mostly white with text and charts: many
	// colours, not one.
	colours := map[uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 9 {
		for x := 0; x < img.Bounds().Dx(); x += 9 {
			r, g, bb, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|bb>>12] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot has %d colours: blank page?", len(colours))
	}
	t.Logf("screenshot: %s", shot)
}

// The page's own check must catch a chart that does not load, or the
// test above could not fail.
func TestChromiumCatchesBrokenChart(t *testing.T) {
	browser := chromium(t)
	d := loadRun(t)
	good := &Chart{Kind: KindSizes, Name: "01-sizes-x", Title: "fine", Figure: &chart.Figure{}}
	bad := &Chart{Kind: KindSizes, Name: "02-sizes-y", Title: "broken", Figure: &chart.Figure{}}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>`)
	var buf bytes.Buffer
	err := d.writeHTML(&buf, []renderedChart{{Chart: good, SVG: svg, W: 10, H: 10}, {Chart: bad, SVG: []byte("<svg"), W: 10, H: 10}}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), HTMLFile)
	os.WriteFile(path, buf.Bytes(), 0o644)
	pc := loadPage(t, browser, path, "--dump-dom")
	if pc.images != 2 || pc.broken != 1 {
		t.Errorf("chromium saw %d images, %d broken; want 2, 1", pc.images, pc.broken)
	}
	if len(pc.console) != 1 || !strings.Contains(pc.console[0], "broken") {
		t.Errorf("console = %q, want one error naming the broken chart", pc.console)
	}
}
