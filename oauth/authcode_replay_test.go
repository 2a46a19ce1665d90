package oauth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/oauth"
)

// TestCodeReplayByStranger pins RFC 9700 §4.5 and RFC 6749 §4.1.3: a spent
// code presented by another client, or by its own client with a wrong
// verifier or redirect_uri, is refused with invalid_grant and revokes
// nothing; only the code's own client, proving itself, triggers the
// revocation of §4.1.2.
func TestCodeReplayByStranger(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("openid offline_access api:read")
	code := e.agent().code(params, "alice", alicePassword)
	first := e.exchange("webapp", code, verifier)
	wantOK(t, first)
	at, rt := first.str("access_token"), first.str("refresh_token")

	// native is a public client: naming its client_id is all it takes.
	wantErr(t, e.exchange("native", code, verifier), oauth.CodeInvalidGrant)
	wantErr(t, e.exchange("webapp", code, strings.Repeat("w", 43)), oauth.CodeInvalidGrant)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {e.callback.URL + "/other"}}
	wantErr(t, e.post(oauth.PathToken, "webapp", form), oauth.CodeInvalidGrant)
	if !e.active(at) || !e.active(rt) {
		t.Fatalf("a stranger's replay revoked the tokens: access active %v, refresh active %v", e.active(at), e.active(rt))
	}

	// The rightful client replaying it is a leak of its own: revoke.
	r := e.exchange("webapp", code, verifier)
	wantErr(t, r, oauth.CodeInvalidGrant)
	if !strings.Contains(r.str("error_description"), "already used") {
		t.Errorf("rightful replay: %s, want the description to say the code was already used", r.raw)
	}
	if e.active(at) || e.active(rt) {
		t.Errorf("after the rightful replay: access active %v, refresh active %v; want both revoked", e.active(at), e.active(rt))
	}
}

// TestCodeReplayPublicClient: for a public client, "authenticates as the
// client" means its client_id and the PKCE verifier of the code; a replay
// with the client_id alone changes nothing.
func TestCodeReplayPublicClient(t *testing.T) {
	e := newFlowEnv(t)
	port := e.callback.Listener.Addr().String()[len("127.0.0.1:"):]
	redirect := "http://127.0.0.1:" + port + "/cb"
	verifier, challenge := pkce()
	params := url.Values{"response_type": {"code"}, "client_id": {"native"}, "redirect_uri": {redirect},
		"scope": {"api:read"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	u := e.agent().authorize(e.authURL(params), "alice", alicePassword, "approve")
	exchange := func(v string) tokenResponse {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"code_verifier": {v}, "redirect_uri": {redirect}}
		return e.post(oauth.PathToken, "native", form)
	}
	first := exchange(verifier)
	wantOK(t, first)
	at := first.str("access_token")

	wantErr(t, exchange(strings.Repeat("x", 43)), oauth.CodeInvalidGrant)
	wantErr(t, exchange(""), oauth.CodeInvalidGrant)
	if !e.active(at) {
		t.Fatal("a replay without the verifier revoked the public client's tokens")
	}
	wantErr(t, exchange(verifier), oauth.CodeInvalidGrant)
	if e.active(at) {
		t.Error("a replay with the verifier left the tokens active; want them revoked")
	}
}

// TestCodeNotBurnedByFailedExchange: an unused code survives exchanges
// that fail its bindings (another client, a wrong verifier, a wrong or
// missing redirect_uri, a resource it was not issued for), and its client
// can still redeem it.
func TestCodeNotBurnedByFailedExchange(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("api:read")
	code := e.agent().code(params, "alice", alicePassword)
	cb := e.callback.URL + "/callback"
	for name, c := range map[string]struct {
		client string
		form   url.Values
		want   string
	}{
		"OtherClient":   {"native", url.Values{"code_verifier": {verifier}, "redirect_uri": {cb}}, oauth.CodeInvalidGrant},
		"WrongVerifier": {"webapp", url.Values{"code_verifier": {strings.Repeat("w", 43)}, "redirect_uri": {cb}}, oauth.CodeInvalidGrant},
		"NoVerifier":    {"webapp", url.Values{"redirect_uri": {cb}}, oauth.CodeInvalidGrant},
		"WrongRedirect": {"webapp", url.Values{"code_verifier": {verifier}, "redirect_uri": {cb + "/x"}}, oauth.CodeInvalidGrant},
		"NoRedirect":    {"webapp", url.Values{"code_verifier": {verifier}}, oauth.CodeInvalidGrant},
		"OtherResource": {"webapp", url.Values{"code_verifier": {verifier}, "redirect_uri": {cb}, "resource": {"https://other.example/"}}, oauth.CodeInvalidTarget},
	} {
		c.form.Set("grant_type", "authorization_code")
		c.form.Set("code", code)
		r := e.post(oauth.PathToken, c.client, c.form)
		if r.status != 400 || r.str("error") != c.want {
			t.Errorf("%s: got %d %s, want 400 %s", name, r.status, r.raw, c.want)
		}
	}
	wantOK(t, e.exchange("webapp", code, verifier))
}

// TestCodeConcurrentExchange: checking the bindings before consuming opens
// no double spend. Of many simultaneous exchanges of one code by its own
// client exactly one gets tokens, and the others are replays.
func TestCodeConcurrentExchange(t *testing.T) {
	e := newFlowEnv(t)
	params, verifier := e.webParams("api:read")
	code := e.agent().code(params, "alice", alicePassword)
	const n = 8
	results := make(chan tokenResponse, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			results <- e.exchange("webapp", code, verifier)
		}()
	}
	close(start)
	var ok []string
	for range n {
		r := <-results
		if r.status == 200 {
			ok = append(ok, r.str("access_token"))
		} else if r.str("error") != oauth.CodeInvalidGrant {
			t.Errorf("a losing exchange answered %d %s, want invalid_grant", r.status, r.raw)
		}
	}
	if len(ok) > 1 {
		t.Fatalf("%d exchanges of one code got tokens, want at most 1", len(ok))
	}
	// The replays came from the code's own client, so whatever the winner
	// got is revoked (RFC 6749 §4.1.2), whichever order they ran in.
	for _, at := range ok {
		if e.active(at) {
			t.Errorf("the winner's token is active although its code was replayed by its own client")
		}
	}
}
