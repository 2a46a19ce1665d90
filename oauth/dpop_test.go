package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/token/jose"
)

// dpopPost runs client_credentials for svc with the given DPoP headers.
func (e *env) dpopPost(secret string, proofs ...string) response {
	e.t.Helper()
	return e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}}, func(r *http.Request) {
		basic("svc", secret)(r)
		for _, p := range proofs {
			r.Header.Add("DPoP", p)
		}
	})
}

// jwtClaims decodes a JWT's claims without checking it (the tests that
// check signatures are elsewhere).
func jwtClaims(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func cnfOf(m map[string]any) string {
	cnf, _ := m["cnf"].(map[string]any)
	s, _ := cnf["jkt"].(string)
	return s
}

// TestDPoPTokenEndpoint: a valid proof of each algorithm binds the access
// token (cnf.jkt in the JWT, token_type DPoP); introspection reports it.
func TestDPoPTokenEndpoint(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	htu := testIssuer + PathToken
	for _, alg := range jose.Algorithms() {
		t.Run("OK"+alg, func(t *testing.T) {
			k := dpoptest.NewKey(t, alg)
			r := wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), nil)))
			if r.body["token_type"] != "DPoP" {
				t.Errorf("token_type = %v, want DPoP", r.body["token_type"])
			}
			at := r.body["access_token"].(string)
			if got := cnfOf(jwtClaims(t, at)); got != k.JKT {
				t.Errorf("cnf.jkt = %q, want the proof key's thumbprint %q", got, k.JKT)
			}
			in, err := e.srv.Tokens().Introspect(context.Background(), at)
			if err != nil || in.TokenType != token.TypeDPoP || in.Cnf == nil || in.Cnf.JKT != k.JKT {
				t.Errorf("introspection = %+v, %v; want token_type DPoP and cnf.jkt %s", in, err, k.JKT)
			}
		})
	}
	t.Run("OKNoProofIsBearer", func(t *testing.T) {
		r := wantTokens(t, e.dpopPost(secret))
		if r.body["token_type"] != "Bearer" || cnfOf(jwtClaims(t, r.body["access_token"].(string))) != "" {
			t.Errorf("without a proof: %s, want a Bearer token without cnf", r.raw)
		}
	})
	t.Run("OKHTUNormalised", func(t *testing.T) {
		// §4.3: query and fragment are ignored; scheme and host compare
		// case-insensitively; the default port is the same URL.
		k := dpoptest.NewKey(t, jose.ES256)
		for _, u := range []string{htu + "?x=1#f", "HTTPS://Auth.Example.COM:443" + PathToken} {
			wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", u, "", e.clk.Now(), nil)))
		}
	})
	t.Run("OKOpaqueStoresJKT", func(t *testing.T) {
		osecret := e.mustClient(service("svc-opaque", keypad.FormatOpaque, "read"))
		k := dpoptest.NewKey(t, jose.ES256)
		r := wantTokens(t, e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}}, func(r *http.Request) {
			basic("svc-opaque", osecret)(r)
			r.Header.Set("DPoP", k.Proof(t, "POST", htu, "", e.clk.Now(), nil))
		}))
		rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(r.body["access_token"].(string)))
		if err != nil || rec.JKT != k.JKT || r.body["token_type"] != "DPoP" {
			t.Errorf("stored opaque token %+v, %v (response %s); want jkt %s", rec, err, r.raw, k.JKT)
		}
	})
}

// TestDPoPBadProofs: every check of RFC 9449 §4.3 refuses its proof with
// invalid_dpop_proof, and issues nothing.
func TestDPoPBadProofs(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	htu := testIssuer + PathToken
	k := dpoptest.NewKey(t, jose.ES256)
	other := dpoptest.NewKey(t, jose.ES256)
	now := e.clk.Now
	replayed := k.Proof(t, "POST", htu, "", now(), nil)
	wantTokens(t, e.dpopPost(secret, replayed))
	tests := []struct {
		name   string
		proofs func() []string
	}{
		{"ErrReplayedJTI", func() []string { return []string{replayed} }},
		{"ErrWrongHTM", func() []string { return []string{k.Proof(t, "GET", htu, "", now(), nil)} }},
		{"ErrWrongHTU", func() []string { return []string{k.Proof(t, "POST", testIssuer+PathIntrospect, "", now(), nil)} }},
		{"ErrHTUOtherHost", func() []string {
			return []string{k.Proof(t, "POST", "https://evil.example.com"+PathToken, "", now(), nil)}
		}},
		{"ErrHTUOtherScheme", func() []string {
			return []string{k.Proof(t, "POST", "http://auth.example.com"+PathToken, "", now(), nil)}
		}},
		{"ErrOldIAT", func() []string { return []string{k.Proof(t, "POST", htu, "", now().Add(-61*time.Second), nil)} }},
		{"ErrFutureIAT", func() []string { return []string{k.Proof(t, "POST", htu, "", now().Add(11*time.Second), nil)} }},
		{"ErrPrivateKeyInJWK", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { p.Header["jwk"] = k.PrivateJWK(t) })}
		}},
		{"ErrNoJWK", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { delete(p.Header, "jwk") })}
		}},
		{"ErrAlgNone", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) {
				p.Header["alg"] = "none"
				p.Sign = func([]byte) []byte { return nil }
			})}
		}},
		{"ErrHS256", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { p.Header["alg"] = "HS256"; p.Sign = dpoptest.HS256 })}
		}},
		{"ErrAlgOfAnotherKeyType", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { p.Header["alg"] = "RS256" })}
		}},
		{"ErrBadSignature", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { p.Header["jwk"] = other.PublicJWK() })}
		}},
		{"ErrWrongTyp", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { p.Header["typ"] = "JWT" })}
		}},
		{"ErrNoJTI", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { delete(p.Claims, "jti") })}
		}},
		{"ErrNoIAT", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), func(p *dpoptest.Parts) { delete(p.Claims, "iat") })}
		}},
		{"ErrTwoHeaders", func() []string {
			return []string{k.Proof(t, "POST", htu, "", now(), nil), k.Proof(t, "POST", htu, "", now(), nil)}
		}},
		{"ErrNotAJWS", func() []string { return []string{"not-a-proof"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.dpopPost(secret, tt.proofs()...), http.StatusBadRequest, CodeInvalidDPoPProof)
		})
	}
	t.Run("OKBoundsOfTheWindow", func(t *testing.T) {
		// The same clock that refuses 61 s and +11 s accepts 60 s and +10 s.
		wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", now().Add(-60*time.Second), nil)))
		wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", now().Add(10*time.Second), nil)))
	})
}

// TestDPoPRequired: a client registered --dpop required gets nothing
// without a proof.
func TestDPoPRequired(t *testing.T) {
	e := newEnv(t).start()
	c := service("svc", keypad.FormatJWT, "read")
	c.Options.DPoP = keypad.DPoPRequired
	secret := e.mustClient(c)
	wantError(t, e.dpopPost(secret), http.StatusBadRequest, CodeInvalidDPoPProof)
	k := dpoptest.NewKey(t, jose.EdDSA)
	r := wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", testIssuer+PathToken, "", e.clk.Now(), nil)))
	if r.body["token_type"] != "DPoP" {
		t.Errorf("token_type = %v, want DPoP", r.body["token_type"])
	}
}

// TestDPoPNonce: with nonces required, a proof without one is answered
// use_dpop_nonce and a nonce; the nonce works for its window and the
// next, then is refused with a new one (RFC 9449 §8).
func TestDPoPNonce(t *testing.T) {
	e := newEnv(t)
	period := 5 * time.Minute
	e.mustRebuild(func(c *Config, _ *Deps) {
		c.DPoP = DPoPConfig{RequireNonce: true, NoncePeriod: period, NonceKey: []byte(strings.Repeat("n", 32))}
	}).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	k := dpoptest.NewKey(t, jose.ES256)
	htu := testIssuer + PathToken
	withNonce := func(n string) func(*dpoptest.Parts) { return func(p *dpoptest.Parts) { p.Claims["nonce"] = n } }

	r := e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), nil))
	wantError(t, r, http.StatusBadRequest, CodeUseDPoPNonce)
	nonce := r.header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce came without a DPoP-Nonce header")
	}
	wantError(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), withNonce("made-up"))), http.StatusBadRequest, CodeUseDPoPNonce)
	ok := wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), withNonce(nonce))))
	if ok.header.Get("DPoP-Nonce") != nonce {
		t.Errorf("a success in the same window gave nonce %q, want %q", ok.header.Get("DPoP-Nonce"), nonce)
	}

	// A server instance built separately with the same key agrees.
	twin, err := New(e.cfg, e.deps)
	if err != nil {
		t.Fatal(err)
	}
	if !twin.dpopNonceValid(nonce, e.clk.Now()) {
		t.Error("another instance with the same key refuses the nonce")
	}

	e.clk.Advance(period)
	r = wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), withNonce(nonce))))
	if next := r.header.Get("DPoP-Nonce"); next == nonce || next == "" {
		t.Errorf("after a period the server still gives out nonce %q", next)
	}
	e.clk.Advance(period)
	r = e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), withNonce(nonce)))
	wantError(t, r, http.StatusBadRequest, CodeUseDPoPNonce)
	wantTokens(t, e.dpopPost(secret, k.Proof(t, "POST", htu, "", e.clk.Now(), withNonce(r.header.Get("DPoP-Nonce")))))
}

// TestDPoPReplayRace: one proof presented by many requests at once gets
// tokens exactly once.
func TestDPoPReplayRace(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	k := dpoptest.NewKey(t, jose.ES256)
	proof := k.Proof(t, "POST", testIssuer+PathToken, "", e.clk.Now(), nil)
	statuses := raceProof(t, 16, func(int) int { return e.dpopPost(secret, proof).status })
	if statuses[http.StatusOK] != 1 || statuses[http.StatusBadRequest] != 15 {
		t.Errorf("statuses = %v, want one 200 and fifteen 400", statuses)
	}
}

// raceProof runs do(0) to do(n-1) at once and counts the statuses.
func raceProof(t *testing.T, n int, do func(i int) int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := do(i)
			mu.Lock()
			statuses[s]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

// TestDPoPDeviceFlow: the device flow binds at the poll that gets the
// tokens: the key that polls is the key they are bound to, refresh
// included (the TV is a public client); a later poll, with any key, gets
// nothing.
func TestDPoPDeviceFlow(t *testing.T) {
	e := newEnv(t)
	dcfg := keyed(DeviceConfig{})
	e.mustRebuild(func(c *Config, _ *Deps) { c.Device, c.Refresh = &dcfg, true }).start()
	e.mustClient(tv("tv", "read"))
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	htu := testIssuer + PathToken
	poll := func(c deviceCodes, key *dpoptest.Key) response {
		return e.post(PathToken, url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}, "device_code": {c.device}},
			func(r *http.Request) { r.Header.Set("DPoP", key.Proof(t, "POST", htu, "", e.clk.Now(), nil)) })
	}
	c := e.mustDeviceAuth("tv", "", "read")
	wantError(t, poll(c, k), http.StatusBadRequest, CodeAuthorizationPending)
	answer(t, e, c.user, "alice", true)
	e.clk.Advance(5 * time.Second)
	r := wantTokens(t, poll(c, k))
	if got := cnfOf(jwtClaims(t, r.body["access_token"].(string))); got != k.JKT || r.body["token_type"] != "DPoP" {
		t.Errorf("device token: cnf.jkt %q, token_type %v; want %s, DPoP", got, r.body["token_type"], k.JKT)
	}
	e.clk.Advance(5 * time.Second)
	wantError(t, poll(c, other), http.StatusBadRequest, CodeInvalidGrant)

	rt := r.body["refresh_token"].(string)
	refresh := func(key *dpoptest.Key) response {
		return e.post(PathToken, url.Values{"grant_type": {keypad.GrantRefreshToken}, "client_id": {"tv"}, "refresh_token": {rt}},
			func(r *http.Request) {
				if key != nil {
					r.Header.Set("DPoP", key.Proof(t, "POST", htu, "", e.clk.Now(), nil))
				}
			})
	}
	wantError(t, refresh(nil), http.StatusBadRequest, CodeInvalidGrant)
	wantError(t, refresh(other), http.StatusBadRequest, CodeInvalidGrant)
	// Neither burned the token: the right key still refreshes.
	r2 := wantTokens(t, refresh(k))
	if got := cnfOf(jwtClaims(t, r2.body["access_token"].(string))); got != k.JKT {
		t.Errorf("refreshed token cnf.jkt = %q, want %q", got, k.JKT)
	}
	rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(r2.body["refresh_token"].(string)))
	if err != nil || rec.JKT != k.JKT {
		t.Errorf("rotated refresh token %+v, %v; want it bound to %s", rec, err, k.JKT)
	}
}

// BenchmarkTokenDPoP measures client_credentials at the token endpoint
// with an ES256 DPoP proof (a signature check and a replay record more
// than without), against one without for comparison.
func BenchmarkTokenDPoP(b *testing.B) {
	for _, withProof := range []bool{false, true} {
		name := "Bearer"
		if withProof {
			name = "DPoP-ES256"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b).start()
			secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
			k := dpoptest.NewKey(b, jose.ES256)
			b.ResetTimer()
			for b.Loop() {
				var proofs []string
				if withProof {
					b.StopTimer()
					proofs = []string{k.Proof(b, "POST", testIssuer+PathToken, "", e.clk.Now(), nil)}
					b.StartTimer()
				}
				if r := e.dpopPost(secret, proofs...); r.status != http.StatusOK {
					b.Fatalf("%d %s", r.status, r.raw)
				}
			}
		})
	}
}

// TestDPoPMetadata: the metadata lists the proof algorithms (RFC 9449
// §5.1).
func TestDPoPMetadata(t *testing.T) {
	e := newEnv(t).start()
	res, err := http.Get(e.ts.URL + PathASMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Algs, " ") != "ES256 RS256 PS256 EdDSA" {
		t.Errorf("dpop_signing_alg_values_supported = %v, want ES256 RS256 PS256 EdDSA", m.Algs)
	}
}
