package admin_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
)

type grantList struct {
	Items []struct {
		ID        string `json:"id"`
		Subject   string `json:"subject"`
		ClientID  string `json:"client_id"`
		Flow      string `json:"flow"`
		RevokedAt string `json:"revoked_at"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// signIn gets a person's tokens from the real token endpoint with the
// password grant: each sign-in is a grant.
func signIn(t *testing.T, e *env, clientID, secret string) *oauth2.Token {
	t.Helper()
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: e.srv.URL() + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}, Scopes: []string{"profile"}}
	tok, err := cfg.PasswordCredentialsToken(t.Context(), "heather", "correct horse battery staple")
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	return tok
}

// thickSecret is the "thick" client's secret.
const thickSecret = "kp_cs_thick-client-secret-for-the-test"

// heatherAndThick registers person p1 (username heather, a password) and
// the confidential client "thick" (password and refresh grants, opaque
// tokens).
func heatherAndThick(t *testing.T, e *env) {
	t.Helper()
	ctx, st := t.Context(), e.srv.Store()
	hash, err := password.Hash("correct horse battery staple", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSubject(ctx, &keypad.Subject{ID: "p1", Username: "heather", PasswordHash: hash, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(ctx, &keypad.Client{ID: "thick", Name: "Thick client", SecretHash: keypad.SecretHash(thickSecret),
		GrantTypes: []string{keypad.GrantPassword, keypad.GrantRefreshToken}, Scopes: []string{"profile"},
		TokenFormat: keypad.FormatOpaque, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
}

// refreshes reports whether a refresh token still works.
func refreshes(t *testing.T, e *env, clientID, secret string, tok *oauth2.Token) bool {
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: e.srv.URL() + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	return err == nil
}

// TestGrants: list a person's and a client's grants, revoke one (its
// refresh token stops working, the other grant's does not), revoke
// every token of a person.
func TestGrants(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	ctx := t.Context()
	st := e.srv.Store()
	heatherAndThick(t, e)
	first, second := signIn(t, e, "thick", thickSecret), signIn(t, e, "thick", thickSecret)
	tok := e.token("ops", oauth.ScopeGrants)

	var l grantList
	e.call(tok, "GET", "/admin/v1/grants?subject=p1", nil).json(t, &l)
	if len(l.Items) != 2 || l.Items[0].ClientID != "thick" || l.Items[0].Flow != keypad.GrantPassword {
		t.Fatalf("grants of p1: %+v, want the two sign-ins", l.Items)
	}
	var byClient grantList
	e.call(tok, "GET", "/admin/v1/grants?client_id=thick&limit=1", nil).json(t, &byClient)
	if len(byClient.Items) != 1 || byClient.NextCursor == "" {
		t.Errorf("first page of thick's grants: %+v", byClient)
	}
	var devices grantList
	e.call(tok, "GET", "/admin/v1/grants?subject=p1&flow=device_code", nil).json(t, &devices)
	if len(devices.Items) != 0 {
		t.Errorf("device-flow grants: %+v, want none", devices.Items)
	}
	e.call(tok, "GET", "/admin/v1/grants", nil).problem(t, 400)
	e.call(tok, "GET", "/admin/v1/grants?subject=p1&client_id=thick", nil).problem(t, 400)
	e.call(tok, "GET", "/admin/v1/grants?subject=nobody", nil).problem(t, 404)
	e.call(tok, "GET", "/admin/v1/grants?subject=p1&all=maybe", nil).problem(t, 400)

	// Which grant is which sign-in: the first refresh token's grant is
	// the one whose revocation stops it.
	g := l.Items[0].ID
	r := e.call(tok, "GET", "/admin/v1/grants/"+g, nil)
	if r.status != 200 || r.header.Get("ETag") == "" {
		t.Fatalf("get grant: %d %v", r.status, r.header)
	}
	e.call(tok, "GET", "/admin/v1/grants/nobody", nil).problem(t, 404)
	if r := e.call(tok, "DELETE", "/admin/v1/grants/"+g, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.call(tok, "DELETE", "/admin/v1/grants/"+g, nil); r.status != 204 {
		t.Errorf("revoking again: %d, want 204", r.status)
	}
	e.call(tok, "DELETE", "/admin/v1/grants/nobody", nil).problem(t, 404)
	a, b := refreshes(t, e, "thick", thickSecret, first), refreshes(t, e, "thick", thickSecret, second)
	if a == b {
		t.Fatalf("after revoking one grant, the refresh tokens work: %t and %t; want exactly one", a, b)
	}
	var active, all grantList
	e.call(tok, "GET", "/admin/v1/grants?subject=p1", nil).json(t, &active)
	e.call(tok, "GET", "/admin/v1/grants?subject=p1&all=true", nil).json(t, &all)
	if len(active.Items) != 1 || len(all.Items) != 2 {
		t.Errorf("after the revocation: %d active, %d in all; want 1 and 2", len(active.Items), len(all.Items))
	}

	// Every token of the person.
	var res struct {
		RevokedGrants []string `json:"revoked_grants"`
	}
	r = e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"subject": "p1"})
	r.json(t, &res)
	if r.status != 200 || len(res.RevokedGrants) != 1 || res.RevokedGrants[0] != active.Items[0].ID {
		t.Fatalf("revoke the person's tokens: %d %s", r.status, r.body)
	}
	if refreshes(t, e, "thick", thickSecret, first) || refreshes(t, e, "thick", thickSecret, second) {
		t.Error("a refresh token works after every token of the person was revoked")
	}
	events, err := st.ListAuditEvents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Type == "grant.revoked" && strings.Contains(ev.Detail, "by=admin-api:ops") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d grant.revoked events by admin-api:ops, want 2", n)
	}
	for _, body := range []map[string]any{{}, {"subject": "p1", "grant_id": "x"}, {"subject": "p1", "client_id": "thick"}} {
		e.call(tok, "POST", "/admin/v1/tokens/revoke", body).problem(t, 400)
	}
	e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"grant_id": "nobody"}).problem(t, 404)
	var none struct {
		RevokedGrants []string `json:"revoked_grants"`
	}
	e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"client_id": "thick"}).json(t, &none)
	if len(none.RevokedGrants) != 0 {
		t.Errorf("revoking again: %v, want nothing", none.RevokedGrants)
	}
}

// TestScopes: the catalogue, with the CLI's rules and ETags.
func TestScopes(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	tok := e.token("ops", oauth.ScopeClients)
	r := e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "read your energy usage history"})
	if r.status != 201 || r.header.Get("Location") != "/admin/v1/scopes/usage:read" {
		t.Fatalf("add: %d %v %s", r.status, r.header, r.body)
	}
	etag := r.header.Get("ETag")
	if got := e.call(tok, "GET", "/admin/v1/scopes/usage:read", nil).header.Get("ETag"); got != etag {
		t.Errorf("GET ETag %q, want %q", got, etag)
	}
	r = e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "read your usage"}, "If-Match", etag)
	if r.status != 200 || r.header.Get("ETag") == etag {
		t.Fatalf("replace: %d %v", r.status, r.header)
	}
	e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "stale"}, "If-Match", etag).problem(t, 412)
	e.call(tok, "DELETE", "/admin/v1/scopes/usage:read", nil, "If-Match", etag).problem(t, 412)
	e.call(tok, "PUT", "/admin/v1/scopes/nope", map[string]any{"description": "x"}, "If-Match", etag).problem(t, 404)
	p := e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "two\nlines"}).problem(t, 400)
	if p.Errors[0].Field != "description" {
		t.Errorf("problem %+v: want the description named", p)
	}
	e.call(tok, "PUT", `/admin/v1/scopes/bad"name`, map[string]any{"description": "x"}).problem(t, 400)
	var l struct {
		Items []struct{ Name, Description string } `json:"items"`
	}
	e.call(tok, "GET", "/admin/v1/scopes", nil).json(t, &l)
	names := []string{}
	for _, s := range l.Items {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "usage:read") || !strings.Contains(got, "keypad:admin") {
		t.Errorf("listed %q", got)
	}
	// Descriptions per language: a translation is part of the version.
	before := r.header.Get("ETag")
	r = e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "read your usage",
		"descriptions": map[string]string{"es": "ver su consumo"}}, "If-Match", before)
	if r.status != 200 || r.header.Get("ETag") == before {
		t.Fatalf("translate: %d %v %s", r.status, r.header, r.body)
	}
	var sc struct{ Descriptions map[string]string }
	e.call(tok, "GET", "/admin/v1/scopes/usage:read", nil).json(t, &sc)
	if sc.Descriptions["es"] != "ver su consumo" {
		t.Errorf("read back descriptions %v", sc.Descriptions)
	}
	e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "x"}, "If-Match", before).problem(t, 412)
	e.call(tok, "PUT", "/admin/v1/scopes/usage:read", map[string]any{"description": "x",
		"descriptions": map[string]string{"not a tag!": "x"}}, "If-Match", r.header.Get("ETag")).problem(t, 400)
	if r := e.call(tok, "DELETE", "/admin/v1/scopes/usage:read", nil, "If-Match", r.header.Get("ETag")); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	e.call(tok, "GET", "/admin/v1/scopes/usage:read", nil).problem(t, 404)
	e.call(tok, "DELETE", "/admin/v1/scopes/usage:read", nil).problem(t, 404)
}

// TestKeys: list and rotate; the server signs with the new key at once.
func TestKeys(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	tok := e.token("ops", oauth.ScopeKeys)
	type keyList struct {
		Items []struct{ KID, Alg, Status string } `json:"items"`
	}
	var before, after keyList
	e.call(tok, "GET", "/admin/v1/keys", nil).json(t, &before)
	if len(before.Items) == 0 || before.Items[0].Status != "current" {
		t.Fatalf("keys: %+v", before)
	}
	e.call(tok, "GET", "/admin/v1/keys?limit=1", nil).problem(t, 400)
	r := e.call(tok, "POST", "/admin/v1/keys/rotate", nil)
	r.json(t, &after)
	if r.status != 200 || len(after.Items) != 2*len(before.Items) {
		t.Fatalf("rotate: %d %+v", r.status, after)
	}
	current := map[string]bool{}
	for _, k := range after.Items {
		if k.Status == "current" {
			current[k.KID] = true
		}
	}
	for _, k := range before.Items {
		if current[k.KID] {
			t.Errorf("key %s is still current after the rotation", k.KID)
		}
	}
	// A token issued now is signed with a new key.
	jwt := e.token("ops2", oauth.ScopeKeys)
	kid := kidOf(t, jwt)
	if !current[kid] {
		t.Errorf("a token after the rotation is signed by %s, not by a current key %v", kid, current)
	}
}

// TestRevokeTokenByValue: an operator revokes one token by its value,
// whichever client holds it: an access token ends alone (its grant's
// refresh token still works), a refresh token ends with its grant, a JWT
// stops opening the API; unknown values are a 404.
func TestRevokeTokenByValue(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	ctx := t.Context()
	st := e.srv.Store()
	heatherAndThick(t, e)
	first, second := signIn(t, e, "thick", thickSecret), signIn(t, e, "thick", thickSecret)
	tok := e.token("ops", oauth.ScopeGrants)
	type result struct {
		RevokedGrants []string `json:"revoked_grants"`
		RevokedToken  *struct {
			ClientID string `json:"client_id"`
			Kind     string `json:"kind"`
		} `json:"revoked_token"`
	}
	revoke := func(value string) result {
		t.Helper()
		var res result
		r := e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"token": value})
		if r.status != 200 {
			t.Fatalf("revoke by value: %d %s", r.status, r.body)
		}
		r.json(t, &res)
		return res
	}

	if res := revoke(first.AccessToken); res.RevokedToken == nil || res.RevokedToken.ClientID != "thick" ||
		res.RevokedToken.Kind != "access" || len(res.RevokedGrants) != 0 {
		t.Errorf("revoke an access token: %+v, want thick's access token and no grant", res)
	}
	if !refreshes(t, e, "thick", thickSecret, first) {
		t.Error("revoking an access token ended its grant's refresh token too")
	}
	if active(t, e, "thick", thickSecret, first.AccessToken) {
		t.Error("the revoked access token is still active at introspection")
	}
	if !active(t, e, "thick", thickSecret, second.AccessToken) {
		t.Error("the other sign-in's access token went with it")
	}

	res := revoke(second.RefreshToken)
	if res.RevokedToken == nil || res.RevokedToken.Kind != "refresh" || len(res.RevokedGrants) != 1 {
		t.Errorf("revoke a refresh token: %+v, want it and its grant", res)
	}
	if refreshes(t, e, "thick", thickSecret, second) || active(t, e, "thick", thickSecret, second.AccessToken) {
		t.Error("after its refresh token was revoked, the grant's tokens still work")
	}

	other := e.token("other-ops", oauth.ScopeGrants)
	if r := e.call(other, "GET", "/admin/v1/grants?subject=p1", nil); r.status != 200 {
		t.Fatalf("the JWT opens the API before revocation: %d", r.status)
	}
	if res := revoke(other); res.RevokedToken == nil || res.RevokedToken.ClientID != "other-ops" {
		t.Errorf("revoke a JWT: %+v", res)
	}
	if r := e.call(other, "GET", "/admin/v1/grants?subject=p1", nil); r.status != 401 {
		t.Errorf("a revoked JWT at the API: %d, want 401", r.status)
	}

	for _, value := range []string{"kp_at_not-a-token-keypad-issued", "garbage"} {
		e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"token": value}).problem(t, 404)
	}
	e.call(tok, "POST", "/admin/v1/tokens/revoke", map[string]any{"token": first.RefreshToken, "subject": "p1"}).problem(t, 400)
	events, err := st.ListAuditEvents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Type == "token.revoked" && strings.Contains(ev.Detail, "by=admin-api:ops") {
			n++
			if strings.Contains(ev.Detail, first.AccessToken) || strings.Contains(ev.Detail, second.RefreshToken) {
				t.Errorf("an audit event holds a token: %q", ev.Detail)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d token.revoked events by admin-api:ops, want 3", n)
	}
}

// active asks the introspection endpoint (RFC 7662), as the client,
// whether a token is active.
func active(t *testing.T, e *env, clientID, secret, tok string) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL()+"/oauth2/introspect",
		strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var in struct {
		Active bool `json:"active"`
	}
	if err := json.NewDecoder(res.Body).Decode(&in); err != nil || res.StatusCode != 200 {
		t.Fatalf("introspect: %d %v", res.StatusCode, err)
	}
	return in.Active
}
