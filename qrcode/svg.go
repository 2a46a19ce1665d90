package qrcode

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// SVG draws text as a standalone SVG document: one module per user unit,
// a white background over the whole viewBox (quiet zone included, so the
// code scans on a dark page) and all dark modules as a single <path>, one
// rectangle per horizontal run. shape-rendering="crispEdges" keeps module
// edges sharp when scaled. The <title> holds text, escaped, for screen
// readers. There is no script, style or external reference, so the
// document is safe to serve as image/svg+xml under a strict CSP.
func SVG(text string) ([]byte, error) {
	g, err := encode(text)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, g.size, g.size)
	b.WriteString("<title>")
	if err := xml.EscapeText(&b, []byte(text)); err != nil {
		return nil, fmt.Errorf("qrcode: escape title: %w", err)
	}
	b.WriteString("</title>")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, g.size, g.size)
	b.WriteString(`<path fill="#000" d="`)
	for y := range g.size {
		for x := 0; x < g.size; {
			if !g.dark(x, y) {
				x++
				continue
			}
			run := 1
			for g.dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
