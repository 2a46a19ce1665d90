package qrcode

import (
	"bufio"
	"io"
)

// The escape sequences Terminal wraps each line in: black text on a white
// background, from the basic ECMA-48 set every colour terminal knows,
// then a reset before the newline so the colour does not bleed into the
// rest of the line.
const (
	blackOnWhite = "\x1b[30;47m"
	reset        = "\x1b[0m"
)

// halfBlocks maps a pair of vertically stacked modules, top and bottom, to
// the character that draws them: index 2×top + bottom, 1 meaning dark.
var halfBlocks = [4]string{" ", "▄", "▀", "█"}

// Terminal draws text for a terminal with Unicode half blocks, two module
// rows per line and one column per module, so the code is about square in
// common fonts and small enough for a laptop screen. Light and dark are
// set explicitly with colour escapes, quiet zone included: drawn in the
// terminal's own colours, a code comes out inverted on dark themes, which
// many phone scanners refuse. When the row count is odd, the last line's
// lower half is light, a little extra quiet zone.
func Terminal(w io.Writer, text string) error {
	g, err := encode(text)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for y := 0; y < g.size; y += 2 {
		bw.WriteString(blackOnWhite)
		for x := range g.size {
			bw.WriteString(halfBlocks[2*bit(g.dark(x, y))+bit(g.dark(x, y+1))])
		}
		bw.WriteString(reset + "\n")
	}
	return bw.Flush()
}

// ASCII draws text with no escapes and no Unicode, for logs, dumb
// terminals and copy and paste: "##" for a dark module, two spaces for a
// light one, one line per row, the quiet zone written out as spaces. It
// reads as dark on light, so it scans only where the background is light,
// and less reliably than Terminal; prefer Terminal wherever it renders.
func ASCII(w io.Writer, text string) error {
	g, err := encode(text)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for y := range g.size {
		for x := range g.size {
			if g.dark(x, y) {
				bw.WriteString("##")
			} else {
				bw.WriteString("  ")
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
