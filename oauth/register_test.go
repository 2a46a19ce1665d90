package oauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
)

// These tests drive dynamic client registration (RFC 7591) and client
// configuration (RFC 7592) over HTTP against the real server and store.

func withRegistration(rc oauth.RegistrationConfig) flowOption {
	return func(s *flowSettings) { s.registration = &rc }
}

// call sends body (a JSON value, or a string as it is) to path with
// method, with the bearer token when it is not "".
func (e *flowEnv) call(method, path, bearer string, body any) tokenResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, ok := body.(string)
		if !ok {
			raw, err := json.Marshal(body)
			must(e.t, err)
			b = string(raw)
		}
		rd = strings.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	must(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := tokenResponse{status: res.StatusCode, raw: string(b), header: res.Header}
	json.Unmarshal(b, &r.body)
	return r
}

// initialToken stores an initial access token as the CLI does.
func (e *flowEnv) initialToken(ttl time.Duration, uses int) string {
	e.t.Helper()
	secret, t, err := oauth.NewInitialAccessToken(rand.Reader, e.clk.Now(), ttl, uses, "cli")
	must(e.t, err)
	must(e.t, e.st.CreateInitialAccessToken(context.Background(), t))
	return secret
}

// adminToken is an access token of a client_credentials client with
// scopes.
func (e *flowEnv) adminToken(id string, scopes ...string) string {
	e.t.Helper()
	e.client(&keypad.Client{ID: id, Name: id, GrantTypes: []string{keypad.GrantClientCredentials}, Scopes: scopes})
	r := e.post(oauth.PathToken, id, url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")}})
	wantOK(e.t, r)
	return r.str("access_token")
}

// webMetadata is a confidential web app's registration request.
func (e *flowEnv) webMetadata() map[string]any {
	return map[string]any{
		"client_name": "Bright Audits", "client_name#es": "Auditorías Brillantes",
		"redirect_uris": []string{e.callback.URL + "/callback"},
		"grant_types":   []string{"authorization_code", "refresh_token", "client_credentials"},
		"scope":         "openid api:read", "contacts": []string{"dev@bright.example"},
		"logo_uri": "https://bright.example/logo.png", "client_uri": "https://bright.example",
		"policy_uri": "https://bright.example/privacy", "tos_uri": "https://bright.example/tos",
		"software_id": "bright-audits", "software_version": "1.4.2",
	}
}

func wantStatus(t testing.TB, r tokenResponse, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d %q", r.status, r.raw, status, code)
	}
}

func (e *flowEnv) clientCount() int {
	e.t.Helper()
	cs, err := e.st.ListClients(context.Background())
	must(e.t, err)
	return len(cs)
}

func (e *flowEnv) auditTypes() []string {
	e.t.Helper()
	evs, err := e.st.ListAuditEvents(context.Background(), 100)
	must(e.t, err)
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type+" "+ev.ClientID+" "+ev.Detail)
	}
	return out
}

func TestRegisterClosedByDefault(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{}))
	if got := e.discovery()["registration_endpoint"]; got != e.ts.URL+oauth.PathRegister {
		t.Errorf("registration_endpoint = %v, want %s", got, e.ts.URL+oauth.PathRegister)
	}
	before := e.clientCount()
	r := e.call("POST", oauth.PathRegister, "", e.webMetadata())
	wantStatus(t, r, http.StatusUnauthorized, "invalid_token")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(r.str("error_description"), "closed") {
		t.Errorf("closed registration: WWW-Authenticate %q, body %s", r.header.Get("WWW-Authenticate"), r.raw)
	}
	wantStatus(t, e.call("POST", oauth.PathRegister, "kp_it_forged", e.webMetadata()), http.StatusUnauthorized, "invalid_token")
	wantStatus(t, e.call("POST", oauth.PathRegister, "not-a-token", e.webMetadata()), http.StatusUnauthorized, "invalid_token")
	if got := e.clientCount(); got != before {
		t.Errorf("refused registrations stored clients: %d, want %d", got, before)
	}
}

func TestRegisterInitialToken(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{}))
	tok := e.initialToken(time.Hour, 2)
	md := e.webMetadata()
	r := e.call("POST", oauth.PathRegister, tok, md)
	if r.status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.status, r.raw)
	}
	id, secret := r.str("client_id"), r.str("client_secret")
	if !strings.HasPrefix(secret, keypad.PrefixClientSecret) || r.body["client_secret_expires_at"] != float64(0) ||
		!strings.HasPrefix(r.str("registration_access_token"), keypad.PrefixRegistrationToken) ||
		r.str("registration_client_uri") != e.ts.URL+oauth.PathRegister+"/"+id || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("registration answer lacks credentials: %s", r.raw)
	}
	for k, v := range md {
		got, _ := json.Marshal(r.body[k])
		want, _ := json.Marshal(v)
		if !bytes.Equal(got, want) {
			t.Errorf("echoed %s = %s, want %s", k, got, want)
		}
	}
	if r.str("token_endpoint_auth_method") != "client_secret_basic" || !slices.Equal(toStrings(r.body["response_types"]), []string{"code"}) {
		t.Errorf("defaults: %s", r.raw)
	}
	// The secret works, and only its hash is stored.
	c, err := e.st.GetClient(context.Background(), id)
	must(t, err)
	if !keypad.SecretMatches(c.SecretHash, secret) || c.Name != "Bright Audits" {
		t.Errorf("stored client %+v", c)
	}
	e.secrets[id] = secret
	wantOK(t, e.post(oauth.PathToken, id, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}))

	// The second use is the last; a third is refused and stores nothing.
	if r := e.call("POST", oauth.PathRegister, tok, md); r.status != http.StatusCreated {
		t.Fatalf("second use: %d %s", r.status, r.raw)
	}
	before := e.clientCount()
	r = e.call("POST", oauth.PathRegister, tok, md)
	wantStatus(t, r, http.StatusUnauthorized, "invalid_token")
	if !strings.Contains(r.str("error_description"), "used up") {
		t.Errorf("used-up token: %s", r.raw)
	}
	// An expired one says so.
	old := e.initialToken(time.Hour, 0)
	e.clk.Advance(time.Hour)
	r = e.call("POST", oauth.PathRegister, old, md)
	wantStatus(t, r, http.StatusUnauthorized, "invalid_token")
	if !strings.Contains(r.str("error_description"), "expired") {
		t.Errorf("expired token: %s", r.raw)
	}
	if got := e.clientCount(); got != before {
		t.Errorf("refused registrations stored clients: %d, want %d", got, before)
	}
	audit := strings.Join(e.auditTypes(), "\n")
	for _, want := range []string{"registration.created " + id + " auth=initial_access_token software_id=bright-audits", "registration.refused"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
}

// TestRegisterInitialTokenRace: a token of one use, raced ten ways,
// registers exactly one client.
func TestRegisterInitialTokenRace(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{}))
	tok := e.initialToken(time.Hour, 1)
	before := e.clientCount()
	md, _ := json.Marshal(e.webMetadata())
	statuses := make([]int, 10)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest("POST", e.ts.URL+oauth.PathRegister, bytes.NewReader(md))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusUnauthorized:
		default:
			t.Errorf("status %d, want 201 or 401", s)
		}
	}
	if created != 1 || e.clientCount() != before+1 {
		t.Fatalf("got %d registrations answered and %d clients stored, want 1 and 1 (statuses %v)", created, e.clientCount()-before, statuses)
	}
}

func TestRegisterAdminToken(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{}))
	clients, audit := e.adminToken("ops", oauth.ScopeClients), e.adminToken("auditor", oauth.ScopeAudit)
	md := e.webMetadata()
	if r := e.call("POST", oauth.PathRegister, clients, md); r.status != http.StatusCreated {
		t.Fatalf("register with keypad:clients: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.call("POST", oauth.PathRegister, audit, md), http.StatusForbidden, "insufficient_scope")
	// Management scopes need keypad:admin.
	md["scope"] = "api:read keypad:clients"
	r := e.call("POST", oauth.PathRegister, clients, md)
	wantStatus(t, r, http.StatusBadRequest, oauth.CodeInvalidClientMetadata)
	if !strings.Contains(r.str("error_description"), "management scope") {
		t.Errorf("management scope: %s", r.raw)
	}
	super := e.adminToken("super", oauth.ScopeAdmin)
	if r := e.call("POST", oauth.PathRegister, super, md); r.status != http.StatusCreated || r.str("scope") != "api:read keypad:clients" {
		t.Fatalf("register with keypad:admin: %d %s", r.status, r.raw)
	}

	// The admin endpoint issues initial access tokens.
	r = e.call("POST", oauth.PathInitialAccessTokens, clients, map[string]any{"expires_in": 600, "uses": 1})
	if r.status != http.StatusCreated || !strings.HasPrefix(r.str("token"), keypad.PrefixInitialAccessToken) || r.body["max_uses"] != float64(1) {
		t.Fatalf("initial token: %d %s", r.status, r.raw)
	}
	want := e.clk.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	if r.str("expires_at") != want || r.str("created_by") != "ops" {
		t.Errorf("initial token %s: want expires_at %s, created_by ops", r.raw, want)
	}
	if r := e.call("POST", oauth.PathRegister, r.str("token"), e.webMetadata()); r.status != http.StatusCreated {
		t.Fatalf("register with the issued token: %d %s", r.status, r.raw)
	}
	for _, c := range []struct {
		name, bearer string
		body         any
		status       int
	}{
		{"no token", "", map[string]any{}, http.StatusUnauthorized},
		{"another scope", audit, map[string]any{}, http.StatusForbidden},
		{"too long", clients, map[string]any{"expires_in": 400 * 24 * 3600}, http.StatusBadRequest},
		{"negative uses", clients, map[string]any{"uses": -1}, http.StatusBadRequest},
		{"unknown member", clients, map[string]any{"ttl": 5}, http.StatusBadRequest},
	} {
		r := e.call("POST", oauth.PathInitialAccessTokens, c.bearer, c.body)
		if r.status != c.status {
			t.Errorf("%s: got %d %s, want %d", c.name, r.status, r.raw, c.status)
		}
		if c.status == http.StatusBadRequest && (r.header.Get("Content-Type") != "application/problem+json" || r.str("detail") == "") {
			t.Errorf("%s: want problem details, got %s %s", c.name, r.header.Get("Content-Type"), r.raw)
		}
	}
}

func TestRegisterErrors(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{Open: true}))
	before := e.clientCount()
	for _, c := range []struct {
		name   string
		edit   func(map[string]any)
		code   string
		detail string
	}{
		{"http redirect", func(m map[string]any) { m["redirect_uris"] = []string{"http://evil.example/cb"} }, oauth.CodeInvalidRedirectURI, "https"},
		{"fragment", func(m map[string]any) { m["redirect_uris"] = []string{"https://a.example/cb#x"} }, oauth.CodeInvalidRedirectURI, "fragment"},
		{"no redirect", func(m map[string]any) { delete(m, "redirect_uris") }, oauth.CodeInvalidRedirectURI, "required"},
		{"redirect not a list", func(m map[string]any) { m["redirect_uris"] = "https://a.example/cb" }, oauth.CodeInvalidRedirectURI, "array"},
		{"unknown grant", func(m map[string]any) { m["grant_types"] = []string{"implicit"} }, oauth.CodeInvalidClientMetadata, "unknown grant type"},
		{"password grant", func(m map[string]any) { m["grant_types"] = []string{"password"} }, oauth.CodeInvalidClientMetadata, "operator"},
		{"token response", func(m map[string]any) { m["response_types"] = []string{"token"} }, oauth.CodeInvalidClientMetadata, "code only"},
		{"code without grant", func(m map[string]any) {
			m["grant_types"] = []string{"client_credentials"}
			delete(m, "redirect_uris")
			m["response_types"] = []string{"code"}
		}, oauth.CodeInvalidClientMetadata, "go together"},
		{"client_secret_jwt", func(m map[string]any) { m["token_endpoint_auth_method"] = "client_secret_jwt" }, oauth.CodeInvalidClientMetadata, "private_key_jwt"},
		{"unknown method", func(m map[string]any) { m["token_endpoint_auth_method"] = "tls_client_auth" }, oauth.CodeInvalidClientMetadata, "unknown method"},
		{"public client_credentials", func(m map[string]any) { m["token_endpoint_auth_method"] = "none" }, oauth.CodeInvalidClientMetadata, "client_credentials"},
		{"private_key_jwt without keys", func(m map[string]any) { m["token_endpoint_auth_method"] = "private_key_jwt" }, oauth.CodeInvalidClientMetadata, "jwks"},
		{"jwks_uri without private_key_jwt", func(m map[string]any) { m["jwks_uri"] = "https://bright.example/jwks" }, oauth.CodeInvalidClientMetadata, "jwks_uri"},
		{"bad jwks", func(m map[string]any) { m["jwks"] = []string{"x"} }, oauth.CodeInvalidClientMetadata, "JWK Set"},
		{"no name", func(m map[string]any) { delete(m, "client_name") }, oauth.CodeInvalidClientMetadata, "client_name"},
		{"name with a line break", func(m map[string]any) { m["client_name"] = "Bright\nAudits" }, oauth.CodeInvalidClientMetadata, "control character"},
		{"unknown scope", func(m map[string]any) { m["scope"] = "api:write" }, oauth.CodeInvalidClientMetadata, "scopes_supported"},
		{"management scope", func(m map[string]any) { m["scope"] = "keypad:admin" }, oauth.CodeInvalidClientMetadata, "management scope"},
		{"http logo", func(m map[string]any) { m["logo_uri"] = "http://bright.example/logo.png" }, oauth.CodeInvalidClientMetadata, "logo_uri"},
		{"bad language", func(m map[string]any) { m["client_name#not a tag"] = "x" }, oauth.CodeInvalidClientMetadata, "BCP 47"},
		{"dpop not bool", func(m map[string]any) { m["dpop_bound_access_tokens"] = "yes" }, oauth.CodeInvalidClientMetadata, "true or false"},
		{"contacts not a list", func(m map[string]any) { m["contacts"] = "dev@bright.example" }, oauth.CodeInvalidClientMetadata, "array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			md := e.webMetadata()
			c.edit(md)
			r := e.call("POST", oauth.PathRegister, "", md)
			wantStatus(t, r, http.StatusBadRequest, c.code)
			if !strings.Contains(r.str("error_description"), c.detail) {
				t.Errorf("description %q does not mention %q", r.str("error_description"), c.detail)
			}
		})
	}
	for _, c := range []struct{ name, body, contentType string }{
		{"not JSON", "client_name=x", "application/x-www-form-urlencoded"},
		{"a member twice", `{"client_name":"a","client_name":"b"}`, "application/json"},
		{"an array", `[]`, "application/json"},
	} {
		req, _ := http.NewRequest("POST", e.ts.URL+oauth.PathRegister, strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"invalid_request"`) {
			t.Errorf("%s: got %d %s, want 400 invalid_request", c.name, res.StatusCode, b)
		}
	}
	if got := e.clientCount(); got != before {
		t.Errorf("refused registrations stored %d clients", got-before)
	}
}

// TestRegisterOpenNativeApp: with registration open, a public native app
// registers without a token and signs a person in with the code flow.
func TestRegisterOpenNativeApp(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{Open: true}))
	r := e.call("POST", oauth.PathRegister, "", map[string]any{
		"client_name": "Meter App", "redirect_uris": []string{"http://127.0.0.1/cb"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
		"scope": "openid api:read", "dpop_bound_access_tokens": false,
	})
	if r.status != http.StatusCreated || r.str("client_secret") != "" || r.body["client_secret_expires_at"] != nil {
		t.Fatalf("register: %d %s", r.status, r.raw)
	}
	id := r.str("client_id")
	verifier, challenge := pkce()
	params := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {"http://127.0.0.1/cb"},
		"scope": {"openid api:read"}, "state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	code := e.agent().code(params, "alice", alicePassword)
	tr := e.post(oauth.PathToken, id, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {"http://127.0.0.1/cb"}})
	wantOK(t, tr)
	if !strings.Contains(strings.Join(e.auditTypes(), "\n"), "registration.created "+id+" auth=open") {
		t.Errorf("audit log lacks the open registration")
	}
}

func TestRegisterSoftwareStatement(t *testing.T) {
	authority := dpoptest.NewKey(t, "ES256")
	stranger := dpoptest.NewKey(t, "ES256")
	const iss = "https://directory.example.org"
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{Open: true, RequireSoftwareStatement: true,
		Authorities: []oauth.StatementAuthority{{Issuer: iss, JWKS: authority.JWKS("dir-1")}}}))
	sign := func(k *dpoptest.Key, claims map[string]any) string {
		return k.JWT(t, map[string]any{"alg": "ES256", "kid": "dir-1", "typ": "JWT"}, claims)
	}
	now := e.clk.Now().Unix()
	claims := func() map[string]any {
		return map[string]any{"iss": iss, "iat": now, "exp": now + 3600, "software_id": "bright-audits",
			"client_name": "Bright Audits (vetted)", "redirect_uris": []string{e.callback.URL + "/callback"}}
	}
	md := e.webMetadata()
	md["client_name"] = "Totally Not Phishing"
	md["redirect_uris"] = []string{"https://phish.example/cb"}
	md["software_statement"] = sign(authority, claims())
	r := e.call("POST", oauth.PathRegister, "", md)
	if r.status != http.StatusCreated {
		t.Fatalf("register with a statement: %d %s", r.status, r.raw)
	}
	if r.str("client_name") != "Bright Audits (vetted)" || !slices.Equal(toStrings(r.body["redirect_uris"]), []string{e.callback.URL + "/callback"}) ||
		r.str("software_statement") != md["software_statement"] {
		t.Errorf("the statement's claims must win: %s", r.raw)
	}
	reg, err := e.st.GetClientRegistration(context.Background(), r.str("client_id"))
	must(t, err)
	if reg.Metadata.StatementIssuer != iss {
		t.Errorf("statement issuer stored %q, want %q", reg.Metadata.StatementIssuer, iss)
	}
	if !strings.Contains(strings.Join(e.auditTypes(), "\n"), "software_statement="+iss) {
		t.Errorf("audit log lacks the statement's issuer")
	}

	unknown := claims()
	unknown["iss"] = "https://other.example"
	expired := claims()
	expired["exp"] = now - 3600
	for _, c := range []struct{ name, statement, detail string }{
		{"unknown issuer", sign(authority, unknown), "not an authority"},
		{"bad signature", sign(stranger, claims()), "signature"},
		{"expired", sign(authority, expired), "expired"},
		{"not a JWT", "abc", "signed JWT"},
		{"missing", "", "required"},
	} {
		md := e.webMetadata()
		if c.statement != "" {
			md["software_statement"] = c.statement
		}
		r := e.call("POST", oauth.PathRegister, "", md)
		wantStatus(t, r, http.StatusBadRequest, oauth.CodeInvalidSoftwareStatement)
		if !strings.Contains(r.str("error_description"), c.detail) {
			t.Errorf("%s: description %q does not mention %q", c.name, r.str("error_description"), c.detail)
		}
	}
}

// TestRegistrationManagement is RFC 7592's lifecycle: read, replace,
// delete, each with the client's own registration access token only.
func TestRegistrationManagement(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{Open: true}))
	a := e.call("POST", oauth.PathRegister, "", e.webMetadata())
	b := e.call("POST", oauth.PathRegister, "", e.webMetadata())
	if a.status != http.StatusCreated || b.status != http.StatusCreated {
		t.Fatalf("register: %s %s", a.raw, b.raw)
	}
	id, tok, secret := a.str("client_id"), a.str("registration_access_token"), a.str("client_secret")
	uri := oauth.PathRegister + "/" + id
	e.secrets[id] = secret
	access := e.post(oauth.PathToken, id, url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	wantOK(t, access)

	r := e.call("GET", uri, tok, nil)
	if r.status != http.StatusOK || r.str("client_id") != id || r.str("client_secret") != "" || r.str("registration_access_token") != tok {
		t.Fatalf("read: %d %s", r.status, r.raw)
	}
	for _, c := range []struct{ name, path, bearer string }{
		{"no token", uri, ""},
		{"wrong token", uri, "kp_rg_wrong"},
		{"another client's token", uri, b.str("registration_access_token")},
		{"unknown client", oauth.PathRegister + "/nope", tok},
		{"a CLI client", oauth.PathRegister + "/webapp", tok},
	} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			var body any
			if m == "PUT" {
				body = map[string]any{"client_id": id, "client_name": "x"}
			}
			wantStatus(t, e.call(m, c.path, c.bearer, body), http.StatusUnauthorized, "invalid_token")
		}
	}

	md := e.webMetadata()
	md["client_id"] = id
	md["client_name"] = "Bright Audits 2"
	md["grant_types"] = []string{"client_credentials"}
	delete(md, "redirect_uris")
	delete(md, "logo_uri")
	md["client_secret"] = "kp_cs_another"
	wantStatus(t, e.call("PUT", uri, tok, md), http.StatusBadRequest, oauth.CodeInvalidClientMetadata)
	md["client_secret"] = secret
	md["token_endpoint_auth_method"] = "none"
	wantStatus(t, e.call("PUT", uri, tok, md), http.StatusBadRequest, oauth.CodeInvalidClientMetadata)
	md["token_endpoint_auth_method"] = "client_secret_post"
	md["client_id"] = b.str("client_id")
	wantStatus(t, e.call("PUT", uri, tok, md), http.StatusBadRequest, oauth.CodeInvalidClientMetadata)
	md["client_id"] = id
	r = e.call("PUT", uri, tok, md)
	if r.status != http.StatusOK || r.str("client_name") != "Bright Audits 2" || r.body["logo_uri"] != nil ||
		len(toStrings(r.body["response_types"])) != 0 || r.str("token_endpoint_auth_method") != "client_secret_post" {
		t.Fatalf("replace: %d %s", r.status, r.raw)
	}
	if r := e.call("GET", uri, tok, nil); r.str("client_name") != "Bright Audits 2" || len(toStrings(r.body["redirect_uris"])) != 0 {
		t.Errorf("read after replace: %s", r.raw)
	}
	c, err := e.st.GetClient(context.Background(), id)
	must(t, err)
	if !keypad.SecretMatches(c.SecretHash, secret) {
		t.Errorf("the secret changed")
	}

	if r := e.call("DELETE", uri, tok, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.call("GET", uri, tok, nil), http.StatusUnauthorized, "invalid_token")
	if _, err := e.st.GetClient(context.Background(), id); err == nil {
		t.Errorf("the client is still stored")
	}
	if e.active(access.str("access_token")) {
		t.Errorf("the deleted client's token is still active")
	}
	audit := strings.Join(e.auditTypes(), "\n")
	for _, want := range []string{"registration.updated " + id, "registration.deleted " + id} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
}

// TestRegisterOpenLimit: registrations without a token are counted per
// address and hour; past the limit they get 429, while a registration
// with an initial access token still goes through.
func TestRegisterOpenLimit(t *testing.T) {
	e := newFlowEnv(t, withRegistration(oauth.RegistrationConfig{Open: true, OpenPerHour: 3}))
	md := e.webMetadata()
	bad := e.webMetadata()
	delete(bad, "client_name")
	wantStatus(t, e.call("POST", oauth.PathRegister, "", bad), http.StatusBadRequest, oauth.CodeInvalidClientMetadata)
	for range 2 {
		if r := e.call("POST", oauth.PathRegister, "", md); r.status != http.StatusCreated {
			t.Fatalf("open registration: %d %s", r.status, r.raw)
		}
	}
	before := e.clientCount()
	r := e.call("POST", oauth.PathRegister, "", md)
	wantStatus(t, r, http.StatusTooManyRequests, "too_many_requests")
	if r.header.Get("Retry-After") == "" || e.clientCount() != before {
		t.Errorf("over the limit: Retry-After %q, %d clients stored", r.header.Get("Retry-After"), e.clientCount()-before)
	}
	if r := e.call("POST", oauth.PathRegister, e.initialToken(time.Hour, 1), md); r.status != http.StatusCreated {
		t.Fatalf("with an initial access token: %d %s", r.status, r.raw)
	}
	e.clk.Advance(time.Hour)
	if r := e.call("POST", oauth.PathRegister, "", md); r.status != http.StatusCreated {
		t.Fatalf("an hour later: %d %s", r.status, r.raw)
	}
}
