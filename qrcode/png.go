package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// MaxScale bounds PNG's pixels per module: 32 already makes a typical
// device-flow code over 1,000 pixels wide. The bound keeps a scale taken
// from a query string from asking for a huge image.
const MaxScale = 32

// PNG draws text as a black-on-white PNG, scale pixels per module, quiet
// zone included. The image is 1-bit paletted, so it stays small (under
// 1 KB for a typical verification URI at scale 8); scale it up in the
// page with image-rendering: pixelated to keep it sharp.
func PNG(text string, scale int) ([]byte, error) {
	if scale < 1 || scale > MaxScale {
		return nil, fmt.Errorf("qrcode: scale %d is out of range; use 1 to %d pixels per module", scale, MaxScale)
	}
	g, err := encode(text)
	if err != nil {
		return nil, err
	}
	const light, dark = 0, 1 // palette indexes
	side := g.size * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.Gray{Y: 0xff}, color.Gray{Y: 0}})
	for py := range side {
		for px := range side {
			if g.dark(px/scale, py/scale) {
				img.SetColorIndex(px, py, dark)
			} // else: Pix starts as all light
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qrcode: encode png: %w", err)
	}
	return buf.Bytes(), nil
}
