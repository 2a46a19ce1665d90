package oauth

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestCORS checks the headers browsers act on: the endpoints a browser
// app calls answer any origin and their preflights; the others send no
// CORS header at all, so browsers keep pages on other origins out.
func TestCORS(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	origin := func(r *http.Request) { r.Header.Set("Origin", "https://app.example") }

	tok := e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}}, func(r *http.Request) {
		origin(r)
		basic("svc", secret)(r)
	})
	if tok.status != http.StatusOK || tok.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("token with Origin: %d, Access-Control-Allow-Origin %q; want 200 and *", tok.status, tok.header.Get("Access-Control-Allow-Origin"))
	}
	if tok.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("the token endpoint must never allow credentialed (cookie) requests from other origins")
	}
	bad := e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}}, origin)
	if bad.status != http.StatusUnauthorized || bad.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a refused token request: %d, Access-Control-Allow-Origin %q; want 401 readable by the page (*)", bad.status, bad.header.Get("Access-Control-Allow-Origin"))
	}
	// Without Origin too, so a cache serves browsers what it kept for a
	// server.
	jwks, err := e.ts.Client().Get(e.ts.URL + PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	jwks.Body.Close()
	if jwks.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("the JWKS answered a request without Origin without Access-Control-Allow-Origin: *")
	}

	for _, tt := range []struct {
		path, methods string
	}{
		{PathToken, "POST"},
		{PathRevoke, "POST"},
		{PathJWKS, "GET"},
		{PathASMetadata, "GET"},
		{PathOIDCDiscovery, "GET"},
	} {
		req, _ := http.NewRequest(http.MethodOptions, e.ts.URL+tt.path, nil)
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("Access-Control-Request-Method", tt.methods)
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		r := e.do(req)
		h := r.header
		if r.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			h.Get("Access-Control-Allow-Methods") != tt.methods || h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, DPoP" {
			t.Errorf("preflight %s: %d %v; want 204 allowing * %s with Authorization, Content-Type", tt.path, r.status, h, tt.methods)
		}
	}

	intro := e.post(PathIntrospect, url.Values{"token": {"x"}}, func(r *http.Request) {
		origin(r)
		basic("svc", secret)(r)
	})
	if intro.status != http.StatusOK || intro.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("introspection with Origin: %d, Access-Control-Allow-Origin %q; want 200 and no CORS header", intro.status, intro.header.Get("Access-Control-Allow-Origin"))
	}
	req, _ := http.NewRequest(http.MethodOptions, e.ts.URL+PathIntrospect, nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	if r := e.do(req); r.header.Get("Access-Control-Allow-Origin") != "" || r.status == http.StatusNoContent {
		t.Errorf("preflight of introspection: %d %v; want a refusal without CORS headers", r.status, r.header)
	}
}
