package web

import "testing"

func TestPrefersSVG(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"image/png", false},
		{"image/svg+xml", true},
		{"image/png, image/svg+xml", false},
		{"image/png;q=0.5, image/svg+xml", true},
		{"image/svg+xml;q=0.5, image/png", false},
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", true}, // Chromium's <img>
		{"image/svg+xml;q=0", false},
		{"text/html, */*;q=0.1", false},
		{"garbage;;;", false},
	}
	for _, tt := range tests {
		var in []string
		if tt.accept != "" {
			in = []string{tt.accept}
		}
		if got := prefersSVG(in); got != tt.want {
			t.Errorf("prefersSVG(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
