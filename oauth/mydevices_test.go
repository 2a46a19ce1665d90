package oauth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// TestMyDevicesRevoke: revoking one grant on /account/devices ends its
// refresh and access tokens at once (introspection says active:false) and
// leaves every other grant alone, even of the same client.
func TestMyDevicesRevoke(t *testing.T) {
	e := newFlowEnv(t)
	laptop := e.signIn("openid offline_access api:read")
	phone := e.signIn("openid offline_access api:read")
	e.updateClient("webapp", func(c *keypad.Client) { c.TokenFormat = keypad.FormatOpaque })
	tablet := e.signIn("openid offline_access api:read") // opaque access token
	cli := e.nativeSignIn("api:read device:abc123:read")

	a := e.agent()
	page := a.open(e.ts.URL+"/account/devices", "alice", alicePassword)
	if page.status != http.StatusOK {
		t.Fatalf("my devices: %d\n%s", page.status, page.body)
	}
	for _, want := range []string{"Energy Dashboard", "Meter CLI", "Read your energy usage", "device:abc123:read"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("my devices lacks %q", want)
		}
	}
	ids := regexp.MustCompile(`name="grant" value="([^"]+)"`).FindAllStringSubmatch(page.body, -1)
	if len(ids) != 4 {
		t.Fatalf("my devices lists %d grants, want 4", len(ids))
	}
	target := e.grantOf(phone.str("access_token"))

	t.Run("ErrCrossOrigin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/account/devices", strings.NewReader(url.Values{"grant": {target}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := a.c.Do(req)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || !e.active(phone.str("access_token")) {
			t.Errorf("cross-site revoke: status %d, token active %v; want 403 and still active", res.StatusCode, e.active(phone.str("access_token")))
		}
	})
	t.Run("ErrSomeoneElse", func(t *testing.T) {
		b := e.agent()
		b.open(e.ts.URL+"/account/devices", "bob", bobPassword)
		if p := b.do("POST", e.ts.URL+"/account/devices", url.Values{"grant": {target}}); p.status != http.StatusNotFound {
			t.Errorf("bob revoking alice's grant: %d, want 404", p.status)
		}
		if !e.active(phone.str("access_token")) {
			t.Errorf("bob revoked alice's grant")
		}
	})
	t.Run("OK", func(t *testing.T) {
		p := a.do("POST", e.ts.URL+"/account/devices", url.Values{"grant": {target}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d, want 303", p.status)
		}
		if e.active(phone.str("access_token")) || e.active(phone.str("refresh_token")) {
			t.Errorf("the revoked grant's tokens are still active")
		}
		for name, r := range map[string]tokenResponse{"laptop": laptop, "tablet": tablet, "cli": cli} {
			if !e.active(r.str("access_token")) || !e.active(r.str("refresh_token")) {
				t.Errorf("revoking one grant ended the %s's tokens too", name)
			}
		}
		after := a.do("GET", e.ts.URL+"/account/devices", nil)
		if !strings.Contains(after.body, "can no longer use your account") || strings.Contains(after.body, target) {
			t.Errorf("after revoking, the page should confirm it and no longer list the grant:\n%s", after.body)
		}
		wantErr(t, e.refresh("webapp", phone.str("refresh_token"), nil), oauth.CodeInvalidGrant)
	})
	t.Run("OKOpaque", func(t *testing.T) {
		a.do("POST", e.ts.URL+"/account/devices", url.Values{"grant": {e.grantOfRefresh(tablet.str("refresh_token"))}})
		if e.active(tablet.str("access_token")) {
			t.Errorf("the revoked grant's opaque access token is still active")
		}
		if !e.active(laptop.str("access_token")) {
			t.Errorf("another grant fell too")
		}
	})
}

// grantOf reads the grant ID from a JWT access token.
func (e *flowEnv) grantOf(jwt string) string {
	e.t.Helper()
	_, claims := e.verifyJWT(jwt)
	gid, _ := claims["gid"].(string)
	if gid == "" {
		e.t.Fatalf("access token has no gid")
	}
	return gid
}

// grantOfRefresh reads the grant ID of a refresh token by introspection.
func (e *flowEnv) grantOfRefresh(rt string) string {
	e.t.Helper()
	gid, _ := e.introspect(rt)["gid"].(string)
	return gid
}

// nativeSignIn runs the native app's flow on a loopback port.
func (e *flowEnv) nativeSignIn(scope string) tokenResponse {
	e.t.Helper()
	verifier, challenge := pkce()
	redirect := "http://127.0.0.1:" + strings.Split(e.callback.Listener.Addr().String(), ":")[1] + "/cb"
	p := url.Values{"response_type": {"code"}, "client_id": {"native"}, "redirect_uri": {redirect},
		"scope": {scope}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	code := e.agent().code(p, "alice", alicePassword)
	r := e.post(oauth.PathToken, "native", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {redirect}})
	wantOK(e.t, r)
	return r
}
