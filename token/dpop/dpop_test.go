package dpop

import (
	"testing"
	"time"
)

func TestNormalURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://auth.example.com/oauth2/token", "https://auth.example.com/oauth2/token", true},
		{"HTTPS://Auth.Example.COM:443/oauth2/token?x=1#f", "https://auth.example.com/oauth2/token", true},
		{"http://127.0.0.1:8080/oauth2/token", "http://127.0.0.1:8080/oauth2/token", true},
		{"http://example.com:80", "http://example.com/", true},
		{"http://[::1]:9000/x", "http://[::1]:9000/x", true},
		{"/oauth2/token", "", false},
		{"https://user@auth.example.com/", "", false},
		{"%zz", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseNone(t *testing.T) {
	if p, err := Parse(nil); p != nil || err != nil {
		t.Errorf("Parse(no header) = %v, %v; want nil, nil", p, err)
	}
}

func TestCheckATH(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	p := &Proof{HTM: "GET", HTU: "https://rs.example/x", IAT: now, ATH: ATH("tok")}
	x := Expect{Method: "GET", URL: "https://rs.example/x", Now: now, MaxAge: time.Minute, AccessToken: "tok"}
	if err := p.Check(x); err != nil {
		t.Fatalf("good proof: %v", err)
	}
	x.AccessToken = "other"
	if err := p.Check(x); err == nil {
		t.Error("an ath of another token passed")
	}
}

// FuzzParse: no header value makes Parse panic, and whatever it accepts
// has a key thumbprint and the required claims.
func FuzzParse(f *testing.F) {
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.AA")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, v string) {
		p, err := Parse([]string{v})
		if err == nil && (p == nil || p.JKT == "" || p.JTI == "" || p.HTM == "" || p.HTU == "") {
			t.Fatalf("accepted %q as %+v", v, p)
		}
	})
}
