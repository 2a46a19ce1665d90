package qrcode

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestPNG(t *testing.T) {
	want := wantModules(t, uri)
	n := len(want)
	for _, scale := range []int{1, 3, 8, MaxScale} {
		t.Run(fmt.Sprintf("OKScale%d", scale), func(t *testing.T) {
			data, err := PNG(uri, scale)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if got, side := img.Bounds().Size(), n*scale; got.X != side || got.Y != side {
				t.Fatalf("image is %v, want %d×%d", got, side, side)
			}
			got := make([][]bool, n)
			for y := range got {
				got[y] = make([]bool, n)
				for x := range got[y] {
					c := color.GrayModel.Convert(img.At(x*scale+scale/2, y*scale+scale/2)).(color.Gray)
					if c.Y != 0 && c.Y != 0xff {
						t.Fatalf("pixel at module (%d, %d) is grey %d, want pure black or white", x, y, c.Y)
					}
					got[y][x] = c.Y == 0
				}
			}
			mustEqualModules(t, got, want)
		})
	}
	t.Run("OKSmall", func(t *testing.T) {
		data, err := PNG(uri, 8)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 2048 {
			t.Errorf("PNG is %d bytes, want at most 2048 (1-bit paletted)", len(data))
		}
	})
	for _, scale := range []int{-1, 0, MaxScale + 1} {
		t.Run(fmt.Sprintf("ErrScale%d", scale), func(t *testing.T) {
			if _, err := PNG(uri, scale); err == nil || !strings.Contains(err.Error(), "use 1 to 32 pixels per module") {
				t.Errorf("PNG(_, %d) = %v, want a scale error", scale, err)
			}
		})
	}
}
