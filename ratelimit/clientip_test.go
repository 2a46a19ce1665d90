package ratelimit_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name, remote, header string
		values               []string
		want                 string
	}{
		{"RemoteAddr", "203.0.113.9:5555", "", nil, "203.0.113.9"},
		{"RemoteAddrV6", "[2001:db8::1]:443", "", nil, "2001:db8::1"},
		{"MappedV4", "[::ffff:203.0.113.9]:1", "", nil, "203.0.113.9"},
		{"HeaderIgnoredWhenNotTrusted", "203.0.113.9:1", "", []string{"198.51.100.1"}, "203.0.113.9"},
		{"XFFRightmost", "10.0.0.1:1", "X-Forwarded-For", []string{"1.1.1.1, 198.51.100.2"}, "198.51.100.2"},
		{"XFFLastHeader", "10.0.0.1:1", "X-Forwarded-For", []string{"1.1.1.1", "198.51.100.3"}, "198.51.100.3"},
		{"XRealIP", "10.0.0.1:1", "X-Real-IP", []string{"198.51.100.4"}, "198.51.100.4"},
		{"ErrGarbageFallsBack", "10.0.0.1:1", "X-Real-IP", []string{"not an ip"}, "10.0.0.1"},
		{"ErrMissingFallsBack", "10.0.0.1:1", "X-Real-IP", nil, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/device", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.values {
				name := tt.header
				if name == "" {
					name = "X-Forwarded-For"
				}
				r.Header.Add(name, v)
			}
			if got := ratelimit.ClientIP(r, tt.header); got != tt.want {
				t.Fatalf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", "2001:db8:1:2::/64"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"garbage", "garbage"},
	}
	for _, tt := range tests {
		if got := ratelimit.IPKey(tt.in); got != tt.want {
			t.Errorf("IPKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuckets(t *testing.T) {
	c := newClock()
	b := ratelimit.NewBuckets(0.5, 3, c.Now) // one token every 2 s
	for i := range 3 {
		if ok, _ := b.Allow("a"); !ok {
			t.Fatalf("burst request %d refused", i+1)
		}
	}
	ok, wait := b.Allow("a")
	if ok || wait != 2*time.Second {
		t.Fatalf("got ok=%v wait=%s, want refused with 2s wait", ok, wait)
	}
	if ok, _ := b.Allow("b"); !ok {
		t.Fatal("another key was refused")
	}
	c.Advance(2 * time.Second)
	if ok, _ := b.Allow("a"); !ok {
		t.Fatal("refilled token refused")
	}
	if ok, _ := b.Allow("a"); ok {
		t.Fatal("second request after one refill allowed")
	}
}
