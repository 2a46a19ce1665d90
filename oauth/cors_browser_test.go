package oauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/browsertest"
	"github.com/keypadauth/keypad/oauth"
)

// spaPage is a single-page app's callback: it takes the code from its URL
// and, from its own origin, exchanges it (PKCE, no secret), reads
// userinfo with the access token (a request the browser preflights, as it
// carries Authorization), reads the challenge of a refused bearer token,
// refreshes, and tries introspection, which is not for browsers. It writes
// what it saw into #out, then shows #done.
const spaPage = `<!doctype html><title>SPA</title><pre id=out></pre><p id=done hidden>done</p><script>
(async () => {
  const out = {};
  const code = new URLSearchParams(location.search).get('code');
  let r = await fetch(%[1]q, {method: 'POST', body: new URLSearchParams({
    grant_type: 'authorization_code', code, client_id: 'spa',
    redirect_uri: location.origin + '/callback', code_verifier: %[4]q})});
  const tok = await r.json();
  out.token = r.status;
  r = await fetch(%[2]q, {headers: {Authorization: 'Bearer ' + tok.access_token}});
  out.sub = (await r.json()).sub;
  r = await fetch(%[2]q, {headers: {Authorization: 'Bearer not-a-token'}});
  out.refused = r.status;
  out.challenge = r.headers.get('WWW-Authenticate') || '';
  r = await fetch(%[1]q, {method: 'POST', body: new URLSearchParams({
    grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'spa'})});
  out.refresh = r.status;
  try {
    await fetch(%[3]q, {method: 'POST', body: new URLSearchParams({token: tok.access_token})});
    out.introspect = 'readable';
  } catch (e) {
    out.introspect = 'blocked';
  }
  document.getElementById('out').textContent = JSON.stringify(out);
})().catch(e => { document.getElementById('out').textContent = 'error: ' + e; })
  .finally(() => { document.getElementById('done').hidden = false; });
</script>`

// TestBrowserSinglePageApp runs the authorization code flow as a
// single-page app runs it in a real browser: everything after the
// redirect is fetch() from the app's own origin, which works only if the
// token and userinfo endpoints answer CORS, and must fail for
// introspection, which does not.
func TestBrowserSinglePageApp(t *testing.T) {
	ctx := browsertest.Start(t)
	e := newFlowEnv(t)
	verifier, challenge := pkce()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, spaPage, e.ts.URL+oauth.PathToken, e.ts.URL+oauth.PathUserinfo, e.ts.URL+oauth.PathIntrospect, verifier)
	}))
	t.Cleanup(app.Close)
	e.client(&keypad.Client{ID: "spa", Name: "Usage Web App", Public: true,
		GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken},
		Scopes:     []string{"openid", "offline_access", "api:read"}, RedirectURIs: []string{app.URL + "/callback"}})

	authURL := e.authURL(url.Values{"response_type": {"code"}, "client_id": {"spa"}, "redirect_uri": {app.URL + "/callback"},
		"scope": {"openid offline_access api:read"}, "state": {"s1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}})
	browsertest.Do(t, ctx, "sign in, approve, and let the app fetch",
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
		chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.ID("done")))
	out, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("out")))
	if err != nil {
		t.Fatalf("browser, read the app's page: %v", err)
	}
	var got struct {
		Token, Refused, Refresh int
		Sub, Challenge          string
		Introspect              string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("the app's page says %q", out)
	}
	if got.Token != http.StatusOK || got.Sub != "sub-alice" || got.Refresh != http.StatusOK {
		t.Errorf("from the app's origin: token %d, userinfo sub %q, refresh %d; want 200, sub-alice, 200", got.Token, got.Sub, got.Refresh)
	}
	if got.Refused != http.StatusUnauthorized || !strings.Contains(got.Challenge, "invalid_token") {
		t.Errorf("a refused bearer token: %d with WWW-Authenticate %q readable by the app; want 401 and invalid_token", got.Refused, got.Challenge)
	}
	if got.Introspect != "blocked" {
		t.Errorf("introspection was %s from a page on another origin; it must stay closed to browsers", got.Introspect)
	}
}
