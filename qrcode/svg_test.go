package qrcode

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// svgDoc is the shape SVG must have.
type svgDoc struct {
	XMLName        xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox        string   `xml:"viewBox,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Title          string   `xml:"title"`
	Rect           struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		Fill string `xml:"fill,attr"`
		D    string `xml:"d,attr"`
	} `xml:"path"`
}

// runRE matches one rectangle of the path: a run of dark modules.
var runRE = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestSVG(t *testing.T) {
	// A title that needs escaping, to show the document stays well formed.
	text := uri + `&next=<script>alert("x")</script>`
	data, err := SVG(text)
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("xml.Unmarshal: %v\n%s", err, data)
	}
	want := wantModules(t, text)
	n := len(want)
	if got, want := doc.ViewBox, fmt.Sprintf("0 0 %d %d", n, n); got != want {
		t.Errorf("viewBox = %q, want %q", got, want)
	}
	if got, want := doc.ShapeRendering, "crispEdges"; got != want {
		t.Errorf("shape-rendering = %q, want %q", got, want)
	}
	if doc.Title != text {
		t.Errorf("title = %q, want %q", doc.Title, text)
	}
	if r, size := doc.Rect, strconv.Itoa(n); r.Width != size || r.Height != size || r.Fill != "#fff" {
		t.Errorf("background rect = %+v, want %s×%s white", r, size, size)
	}
	if len(doc.Paths) != 1 || doc.Paths[0].Fill != "#000" {
		t.Fatalf("got %d paths (%+v), want one black path", len(doc.Paths), doc.Paths)
	}
	mustEqualModules(t, rasterise(t, doc.Paths[0].D, n), want)
	mustBeInert(t, data)
}

// rasterise fills an n×n grid with the rectangles of path d, failing on
// anything SVG is not meant to write.
func rasterise(t *testing.T, d string, n int) [][]bool {
	t.Helper()
	got := make([][]bool, n)
	for y := range got {
		got[y] = make([]bool, n)
	}
	for d != "" {
		m := runRE.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("path data %.40q… is not a run of modules", d)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		run, _ := strconv.Atoi(m[3])
		if back, _ := strconv.Atoi(m[4]); back != run || x+run > n || y >= n {
			t.Fatalf("path run %q is not a closed rectangle inside the viewBox", m[0])
		}
		for i := range run {
			if got[y][x+i] {
				t.Fatalf("module (%d, %d) drawn twice", x+i, y)
			}
			got[y][x+i] = true
		}
		d = d[len(m[0]):]
	}
	return got
}

// mustBeInert checks that an SVG document has only the elements SVG
// writes and no event-handler or link attributes: nothing runs, nothing
// loads.
func mustBeInert(t *testing.T, data []byte) {
	t.Helper()
	allowed := map[string]bool{"svg": true, "title": true, "rect": true, "path": true}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("xml token: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !allowed[el.Name.Local] {
			t.Errorf("element <%s> in SVG", el.Name.Local)
		}
		for _, a := range el.Attr {
			if strings.HasPrefix(a.Name.Local, "on") || a.Name.Local == "href" || a.Name.Local == "style" {
				t.Errorf("attribute %s on <%s>", a.Name.Local, el.Name.Local)
			}
		}
	}
}
