// Package qrcode draws QR codes of a device flow's
// verification_uri_complete (RFC 8628 §3.3.1), so a person can scan the
// code on a television or in a terminal instead of typing it: as PNG and
// SVG for the /device/qr endpoint, and as text for the CLI.
//
// Every drawing includes the 4-module light quiet zone the QR standard
// requires around the symbol; without it phones often fail to find the
// code, above all on a dark page or terminal. The symbols come from
// rsc.io/qr at error correction level M, which recovers about 15% damage:
// codes on a screen do not get dirty, and the lower level keeps modules
// large enough to scan from across a room.
package qrcode

import (
	"errors"
	"fmt"

	"rsc.io/qr"
)

// QuietZone is the light margin, in modules, drawn on every side.
const QuietZone = 4

// level is the error correction level of every code this package draws.
const level = qr.M

// grid is a QR symbol with its quiet zone: size×size modules, dark(x, y)
// telling which are dark. The drawing functions need nothing else.
type grid struct {
	code *qr.Code
	size int
}

// encode returns the grid for text.
func encode(text string) (grid, error) {
	if text == "" {
		return grid{}, errors.New("qrcode: nothing to encode: text is empty")
	}
	c, err := qr.Encode(text, level)
	if err != nil {
		return grid{}, fmt.Errorf("qrcode: encode %d bytes: %w", len(text), err)
	}
	return grid{code: c, size: c.Size + 2*QuietZone}, nil
}

// dark reports whether module (x, y) is dark; the quiet zone and anything
// outside the grid are light.
func (g grid) dark(x, y int) bool {
	return g.code.Black(x-QuietZone, y-QuietZone)
}
