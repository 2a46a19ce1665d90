package web

import "testing"

func TestCSPSource(t *testing.T) {
	for _, c := range []struct{ redirect, want string }{
		{"https://app.example.com/callback?x=1", "https://app.example.com"},
		{"http://127.0.0.1:51004/cb", "http://127.0.0.1:51004"},
		{"http://[::1]:8080/cb", "http://[::1]:8080"},
		{"com.example.app:/oauth", "com.example.app:"},
		{"https://app.example.com;script-src *", ""},
		{"https://a b/", ""},
		{"/relative", ""},
	} {
		if got := cspSource(c.redirect); got != c.want {
			t.Errorf("cspSource(%q) = %q, want %q", c.redirect, got, c.want)
		}
	}
}
