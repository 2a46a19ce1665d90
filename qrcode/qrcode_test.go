package qrcode

import (
	"strings"
	"testing"

	"rsc.io/qr"
)

// uri is a typical verification_uri_complete.
const uri = "https://example.com/device?user_code=WDJBMJHT"

// wantModules returns what every drawing of text must show, built straight
// from rsc.io/qr: the symbol at level M inside a 4-module light margin,
// indexed [y][x], true for dark.
func wantModules(t *testing.T, text string) [][]bool {
	t.Helper()
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatalf("qr.Encode(%q): %v", text, err)
	}
	n := c.Size + 8
	m := make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
		for x := range m[y] {
			inSymbol := 4 <= x && x < 4+c.Size && 4 <= y && y < 4+c.Size
			m[y][x] = inSymbol && c.Black(x-4, y-4)
		}
	}
	return m
}

// mustEqualModules compares a grid read back from a drawing with want.
func mustEqualModules(t *testing.T, got, want [][]bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("drawing has %d rows of modules, want %d", len(got), len(want))
	}
	for y := range want {
		if len(got[y]) != len(want[y]) {
			t.Fatalf("row %d has %d modules, want %d", y, len(got[y]), len(want[y]))
		}
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("module (%d, %d) dark = %v, want %v", x, y, got[y][x], want[y][x])
			}
		}
	}
}

// TestModulesAreAQRCode checks wantModules itself against the standard,
// independently of rsc.io/qr: a light quiet zone and the three 7×7 finder
// patterns (dark ring, light ring, dark 3×3 centre) in the corners.
func TestModulesAreAQRCode(t *testing.T) {
	m := wantModules(t, uri)
	n := len(m)
	for i := range n {
		for q := range QuietZone {
			for _, xy := range [][2]int{{i, q}, {i, n - 1 - q}, {q, i}, {n - 1 - q, i}} {
				if m[xy[1]][xy[0]] {
					t.Fatalf("quiet zone module (%d, %d) is dark", xy[0], xy[1])
				}
			}
		}
	}
	finder := []string{
		"#######",
		"#.....#",
		"#.###.#",
		"#.###.#",
		"#.###.#",
		"#.....#",
		"#######",
	}
	for _, corner := range [][2]int{{4, 4}, {n - 11, 4}, {4, n - 11}} {
		for dy, row := range finder {
			for dx, c := range row {
				if got, want := m[corner[1]+dy][corner[0]+dx], c == '#'; got != want {
					t.Fatalf("finder at %v: module (%d, %d) dark = %v, want %v", corner, dx, dy, got, want)
				}
			}
		}
	}
}

func TestEncodeErr(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"ErrEmpty", "", "text is empty"},
		{"ErrTooLong", strings.Repeat("x", 3000), "encode 3000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := PNG(tt.text, 4); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PNG = %v, want error containing %q", err, tt.want)
			}
			if _, err := SVG(tt.text); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SVG = %v, want error containing %q", err, tt.want)
			}
			var b strings.Builder
			if err := Terminal(&b, tt.text); err == nil || b.Len() != 0 {
				t.Errorf("Terminal = %v after writing %d bytes, want an error and nothing written", err, b.Len())
			}
			if err := ASCII(&b, tt.text); err == nil || b.Len() != 0 {
				t.Errorf("ASCII = %v after writing %d bytes, want an error and nothing written", err, b.Len())
			}
		})
	}
}
