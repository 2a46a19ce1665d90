package oauth_test

import (
	"net/url"
	"testing"

	"github.com/keypadauth/keypad/oauth"
)

// BenchmarkRefreshRotation measures one refresh with rotation over HTTP
// on SQLite: read, atomic consume, grant check, a signed JWT, a new
// refresh token, the grant's last use.
func BenchmarkRefreshRotation(b *testing.B) {
	e := newFlowEnv(b)
	rt := e.signIn("api:read").str("refresh_token")
	for b.Loop() {
		r := e.refresh("webapp", rt, nil)
		if r.status != 200 {
			b.Fatalf("refresh: %d %s", r.status, r.raw)
		}
		rt = r.str("refresh_token")
	}
}

// BenchmarkCodeExchange measures the authorization_code grant alone: the
// codes are made beforehand through the pages.
func BenchmarkCodeExchange(b *testing.B) {
	e := newFlowEnv(b)
	a := e.agent()
	params, verifier := e.webParams("openid offline_access api:read")
	codes := make([]string, 0, 64)
	for range cap(codes) {
		codes = append(codes, a.code(params, "alice", alicePassword))
	}
	i := 0
	for b.Loop() {
		if i == len(codes) {
			b.StopTimer()
			codes, i = codes[:0], 0
			for range cap(codes) {
				codes = append(codes, a.code(params, "alice", alicePassword))
			}
			b.StartTimer()
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {codes[i]}, "code_verifier": {verifier},
			"redirect_uri": {e.callback.URL + "/callback"}}
		if r := e.post(oauth.PathToken, "webapp", form); r.status != 200 {
			b.Fatalf("exchange: %d %s", r.status, r.raw)
		}
		i++
	}
}
