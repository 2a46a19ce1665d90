package admin_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/web"
)

// scopeOf is the area scope each route needs, by its path.
func scopeOf(path string) string {
	for prefix, scope := range map[string]string{
		"/admin/v1/people": oauth.ScopeUsers, "/admin/v1/imports": oauth.ScopeUsers, "/admin/v1/grants": oauth.ScopeGrants, "/admin/v1/tokens": oauth.ScopeGrants,
		"/admin/v1/keys": oauth.ScopeKeys, "/admin/v1/audit": oauth.ScopeAudit,
	} {
		if strings.HasPrefix(path, prefix) {
			return scope
		}
	}
	return oauth.ScopeClients
}

// TestAuthorization: every route refuses a missing token (401), a token
// without an admin scope and a token of another area (403), and serves
// keypad:admin and its own area's scope.
func TestAuthorization(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	toks := map[string]string{
		"none":             e.token("app", "profile"),
		oauth.ScopeClients: e.token("clients-admin", oauth.ScopeClients),
		oauth.ScopeUsers:   e.token("users-admin", oauth.ScopeUsers),
		oauth.ScopeAudit:   e.token("auditor", oauth.ScopeAudit),
		oauth.ScopeGrants:  e.token("grants-admin", oauth.ScopeGrants),
		oauth.ScopeKeys:    e.token("keys-admin", oauth.ScopeKeys),
		oauth.ScopeAdmin:   e.token("super", oauth.ScopeAdmin),
	}
	for _, rt := range admin.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if strings.HasSuffix(path, "/openapi.json") {
			continue
		}
		path = strings.ReplaceAll(path, "{id}", "nobody")
		t.Run(rt, func(t *testing.T) {
			r := e.call("", method, path, nil)
			if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("no token: %d %v, want 401 with a Bearer challenge", r.status, r.header)
			}
			others := []string{"none"}
			for _, s := range oauth.AdminScopes[1:] {
				if s != scopeOf(path) {
					others = append(others, s)
				}
			}
			for _, who := range others {
				r := e.call(toks[who], method, path, nil)
				if r.status != 403 || !strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
					t.Errorf("token with %s: %d %v, want 403 insufficient_scope", who, r.status, r.header.Get("WWW-Authenticate"))
				}
			}
			for _, who := range []string{scopeOf(path), oauth.ScopeAdmin} {
				if r := e.call(toks[who], method, path, nil); r.status == 401 || r.status == 403 {
					t.Errorf("token with %s: %d, want it served", who, r.status)
				}
			}
		})
	}
	t.Run("ErrForgedToken", func(t *testing.T) {
		if r := e.call("kp_at_forged", "GET", "/admin/v1/clients", nil); r.status != 401 {
			t.Errorf("forged token: %d", r.status)
		}
	})
}

// TestAdminPublic: the API is on the public listener only with
// admin_public, and there a hosted page's signed-in session cookie
// authorises nothing.
func TestAdminPublic(t *testing.T) {
	t.Run("Off", func(t *testing.T) {
		e := newEnv(t, sqliteDB(t), nil)
		res, err := http.Get(e.srv.URL() + "/admin/v1/clients")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("public listener without admin_public: %d, want 404", res.StatusCode)
		}
	})
	t.Run("On", func(t *testing.T) {
		e := newEnv(t, sqliteDB(t), func(c *config.Config) { c.AdminPublic = true })
		router := routerFor(t, e.srv.URL())
		tok := e.token("ops", oauth.ScopeAdmin)
		if r := e.callAt(e.srv.URL(), router, tok, "GET", "/admin/v1/clients", nil); r.status != 200 {
			t.Fatalf("public listener with admin_public: %d %s", r.status, r.body)
		}
		// A person signed in on the hosted pages: the cookie opens their
		// devices page, and nothing of the admin API.
		ctx := t.Context()
		st := e.srv.Store()
		if err := st.CreateSubject(ctx, &keypad.Subject{ID: "p1", Username: "heather", CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		cookie := keypad.PrefixSession + "signed-in-session-value-for-the-test"
		now := e.clock.Now()
		if err := st.CreateSession(ctx, &keypad.Session{Hash: keypad.SecretHash(cookie), Subject: "p1", AuthTime: now, AMR: []string{"pwd"},
			Data: map[string]string{}, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path string, withCookie bool) (int, string) {
			req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL()+path, nil)
			if withCookie {
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: cookie})
			}
			res, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if status, _ := get("/account/devices", false); status == 200 {
			t.Fatal("the devices page answers 200 without a session: the cookie check below would prove nothing")
		}
		if status, body := get("/account/devices", true); status != 200 {
			t.Fatalf("the session cookie on the devices page: %d %.200s, want 200 (signed in)", status, body)
		}
		for _, path := range []string{"/admin/v1/clients", "/admin/v1/people"} {
			if status, _ := get(path, true); status != 401 {
				t.Errorf("%s with the session cookie: %d, want 401", path, status)
			}
		}
	})
}

// TestOpenAPIRoutes: every route the API serves is documented, and every
// documented operation is served (TestMain checks that the tests call
// each one).
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadDoc(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	// The server mounts registration's initial-access-token endpoint (package
	// oauth) beside the API's own routes.
	served := map[string]bool{"POST " + oauth.PathInitialAccessTokens: true}
	if !documented["POST "+oauth.PathInitialAccessTokens] {
		t.Errorf("POST %s is served but not in openapi.json", oauth.PathInitialAccessTokens)
	}
	for _, rt := range admin.Routes() {
		served[rt] = true
		if !documented[rt] {
			t.Errorf("%s is served but not in openapi.json", rt)
		}
	}
	for rt := range documented {
		if !served[rt] {
			t.Errorf("%s is in openapi.json but not served", rt)
		}
	}
	e := newEnv(t, sqliteDB(t), nil)
	r := e.call("", "GET", "/admin/v1/openapi.json", nil)
	if r.status != 200 || string(r.body) != string(admin.OpenAPI()) {
		t.Errorf("GET /admin/v1/openapi.json: %d, want the document", r.status)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Error("an answer on the admin listener has no X-Request-Id: the middleware is missing")
	}
}
