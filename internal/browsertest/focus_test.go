package browsertest_test

import (
	"math"
	"testing"

	"github.com/keypadauth/keypad/internal/browsertest"
)

func TestContrast(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"rgb(0, 0, 0)", "rgb(255, 255, 255)", 21},
		{"rgb(255, 255, 255)", "rgb(255, 255, 255)", 1},
		{"rgb(85, 85, 85)", "rgb(255, 255, 255)", 7.46},
		{"rgb(249, 168, 37)", "rgb(250, 250, 250)", 1.89}, // the old amber focus ring
		{"rgba(26, 26, 26, 1)", "rgb(11, 87, 208)", 2.73}, // why the ring has a white band
	} {
		got, err := browsertest.Contrast(c.a, c.b)
		if err != nil || math.Abs(got-c.want) > 0.01 {
			t.Errorf("Contrast(%s, %s) = %.2f, %v; want %.2f", c.a, c.b, got, err, c.want)
		}
	}
	for _, bad := range []string{"rgba(0, 0, 0, 0.5)", "#000", "transparent"} {
		if _, err := browsertest.Contrast(bad, "rgb(255, 255, 255)"); err == nil {
			t.Errorf("Contrast(%s, white): no error, want one (not an opaque rgb())", bad)
		}
	}
}
