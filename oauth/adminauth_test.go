package oauth

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// TestAuthorizeAdmin checks the management endpoints' gate: the token's
// scope, keypad:admin for everything, RFC 6750 answers, and no cookie
// authority.
func TestAuthorizeAdmin(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	e.srv.Register(mux)
	mux.HandleFunc("GET /probe", func(w http.ResponseWriter, r *http.Request) {
		c, ok := e.srv.AuthorizeAdmin(w, r, ScopeClients)
		if ok {
			w.Write([]byte(c.ClientID))
		}
	})
	e.start()
	e.ts.Config.Handler = mux
	tok := func(id string, scopes ...string) string {
		secret := e.mustClient(service(id, keypad.FormatJWT, scopes...))
		r := e.clientToken(id, secret, strings.Join(scopes, " "))
		s, _ := r.body["access_token"].(string)
		if s == "" {
			t.Fatalf("token for %s: %d %s", id, r.status, r.raw)
		}
		return s
	}
	clients, admin, audit := tok("clients-admin", ScopeClients), tok("super", ScopeAdmin), tok("auditor", ScopeAudit)
	get := func(edit func(*http.Request)) response {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/probe", nil)
		if edit != nil {
			edit(req)
		}
		return e.do(req)
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	for _, c := range []struct {
		name   string
		edit   func(*http.Request)
		status int
		body   string
		code   string
	}{
		{"the area's scope", bearer(clients), 200, "clients-admin", ""},
		{"keypad:admin", bearer(admin), 200, "super", ""},
		{"another area's scope", bearer(audit), 403, "", "insufficient_scope"},
		{"no token", nil, 401, "", ""},
		{"a forged token", bearer("not-a-token"), 401, "", "invalid_token"},
		{"a cookie only", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "keypad_session", Value: admin}) }, 401, "", ""},
		{"Basic credentials", basic("super", "x"), 400, "", "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(c.edit)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			if c.status == 200 {
				if r.raw != c.body {
					t.Errorf("caller %q, want %q", r.raw, c.body)
				}
				return
			}
			ch := r.header.Get("WWW-Authenticate")
			if !strings.HasPrefix(ch, "Bearer ") || (c.code != "" && !strings.Contains(ch, `error="`+c.code+`"`)) {
				t.Errorf("WWW-Authenticate %q, want error %q", ch, c.code)
			}
			if c.code == "insufficient_scope" && !strings.Contains(ch, `scope="keypad:clients keypad:admin"`) {
				t.Errorf("WWW-Authenticate %q does not name the scopes needed", ch)
			}
		})
	}
}
