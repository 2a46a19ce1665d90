package web_test

import (
	"bytes"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

func TestDeviceQR(t *testing.T) {
	e := newEnv(t)
	get := func(path, accept string) response {
		t.Helper()
		req, err := http.NewRequest("GET", e.srv.URL+path, nil)
		must(t, err)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return e.browser().do(req)
	}
	t.Run("PNG", func(t *testing.T) {
		// Nobody issued this code: the route draws any well-formed code,
		// so it is no oracle.
		r := get("/device/qr?user_code=wdjb-mjht", "")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("Content-Type = %q, want image/png", ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control = %q, want no-store", cc)
		}
		img, err := png.Decode(strings.NewReader(r.Body))
		must(t, err)
		if b := img.Bounds(); b.Dx() < 21*8 || b.Dx() != b.Dy() {
			t.Fatalf("QR image is %v, want a square of at least 21 modules at scale 8", b)
		}
	})
	t.Run("SVGByAccept", func(t *testing.T) {
		r := get("/device/qr?user_code=WDJBMJHT", "image/svg+xml")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Fatalf("Content-Type = %q, want image/svg+xml", ct)
		}
		wantBody(t, r, "<svg")
	})
	t.Run("SVGByFormat", func(t *testing.T) {
		r := get("/device/qr?user_code=WDJBMJHT&format=svg", "image/png")
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Fatalf("Content-Type = %q, want image/svg+xml", ct)
		}
		other := get("/device/qr?user_code=BBBBBBBB&format=svg", "")
		if bytes.Equal([]byte(r.Body), []byte(other.Body)) {
			t.Fatal("two codes drew the same QR code")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		wantStatus(t, get("/device/qr?user_code=AEIOU123", ""), http.StatusBadRequest)
		wantStatus(t, get("/device/qr", ""), http.StatusBadRequest)
	})
	t.Run("ErrFormat", func(t *testing.T) {
		wantStatus(t, get("/device/qr?user_code=WDJBMJHT&format=gif", ""), http.StatusBadRequest)
	})
}
