package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// poll asks the token endpoint for the device's tokens as a public client.
func (e *env) poll(clientID string, c deviceCodes) response {
	e.t.Helper()
	return e.post(PathToken, url.Values{
		"grant_type": {keypad.GrantDeviceCode}, "client_id": {clientID}, "device_code": {c.device},
	}, nil)
}

// wantTokens checks a successful token response and returns it.
func wantTokens(t testing.TB, r response) response {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s, want tokens", r.status, r.raw)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
	}
	return r
}

func TestDeviceCode(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read", "write", "device:{id}:control"))
	e.mustClient(tv("other", "read"))
	e.mustClient(&keypad.Client{ID: "norefresh", Public: true, Scopes: []string{"read"},
		GrantTypes: []string{keypad.GrantDeviceCode}, TokenFormat: keypad.FormatOpaque})
	boxSecret := e.mustClient(&keypad.Client{ID: "box", Scopes: []string{"read"},
		GrantTypes: []string{keypad.GrantDeviceCode}})
	e.mustClient(&keypad.Client{ID: "svc", Public: true, GrantTypes: []string{keypad.GrantClientCredentials}})

	t.Run("OK", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "read device:abc123:control")
		wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAuthorizationPending)
		grantID := answer(t, e, c.user, "alice", true)
		e.clk.Advance(5 * time.Second)
		issued := issuedCount(t, e, keypad.GrantDeviceCode, "jwt")

		r := wantTokens(t, e.poll("tv", c))
		if r.body["token_type"] != "Bearer" || r.body["scope"] != "read device:abc123:control" || r.body["expires_in"] != accessTTL.Seconds() {
			t.Errorf("body = %s, want Bearer, the approved scope, expires_in %v", r.raw, accessTTL.Seconds())
		}
		claims := verifyWithJWKS(t, e, r.body["access_token"].(string))
		if claims["sub"] != "alice" || claims["client_id"] != "tv" || claims["gid"] != grantID || claims["scope"] != "read device:abc123:control" {
			t.Errorf("claims = %v, want sub alice, client tv, gid %s", claims, grantID)
		}
		rt, _ := r.body["refresh_token"].(string)
		if !strings.HasPrefix(rt, keypad.PrefixRefreshToken) {
			t.Fatalf("refresh_token = %q, want a kp_rt_ token (the client may refresh)", rt)
		}
		rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(rt))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Subject != "alice" || rec.GrantID != grantID || rec.FamilyID == "" || rec.ClientID != "tv" ||
			!slices.Equal(rec.Scopes, []string{"read", "device:abc123:control"}) {
			t.Errorf("stored refresh token = %+v", rec)
		}
		if got := e.record(c); got.Status != keypad.DeviceConsumed || !got.LastPolledAt.Equal(e.clk.Now()) {
			t.Errorf("after the exchange: status %q, last poll %v; want consumed at %v", got.Status, got.LastPolledAt, e.clk.Now())
		}
		if got := issuedCount(t, e, keypad.GrantDeviceCode, "jwt"); got != issued+1 {
			t.Errorf("issued count = %v, want %v", got, issued+1)
		}

		t.Run("ErrUsed", func(t *testing.T) {
			e.clk.Advance(5 * time.Second)
			wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeInvalidGrant)
		})
	})
	t.Run("OKRefreshFamiliesDistinct", func(t *testing.T) {
		var families []string
		for range 2 {
			c := e.mustDeviceAuth("tv", "", "read")
			answer(t, e, c.user, "bob", true)
			r := wantTokens(t, e.poll("tv", c))
			rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(r.body["refresh_token"].(string)))
			if err != nil {
				t.Fatal(err)
			}
			families = append(families, rec.FamilyID)
		}
		if families[0] == families[1] {
			t.Errorf("two device logins share the refresh family %q", families[0])
		}
	})
	t.Run("OKNoRefreshToken", func(t *testing.T) {
		c := e.mustDeviceAuth("norefresh", "", "")
		grantID := answer(t, e, c.user, "carol", true)
		r := wantTokens(t, e.poll("norefresh", c))
		if _, ok := r.body["refresh_token"]; ok {
			t.Errorf("refresh_token issued to a client without the refresh_token grant: %s", r.raw)
		}
		at, _ := r.body["access_token"].(string)
		rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(at))
		if err != nil || rec.GrantID != grantID || rec.Subject != "carol" {
			t.Errorf("stored opaque token = %+v, %v; want grant %s, subject carol", rec, err, grantID)
		}
	})
	t.Run("OKConfidential", func(t *testing.T) {
		c := e.mustDeviceAuth("box", boxSecret, "")
		answer(t, e, c.user, "dave", true)
		form := url.Values{"grant_type": {keypad.GrantDeviceCode}, "device_code": {c.device}}
		wantError(t, e.post(PathToken, url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"box"}, "device_code": {c.device}}, nil),
			http.StatusUnauthorized, CodeInvalidClient)
		wantTokens(t, e.post(PathToken, form, basic("box", boxSecret)))
	})
	t.Run("ErrPending", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "")
		polls := flowEvents(t, e, "poll")
		before := e.record(c)
		for range 3 {
			r := e.poll("tv", c)
			wantError(t, r, http.StatusBadRequest, CodeAuthorizationPending)
			// An on-time poll of a pending code changes nothing, so it
			// is not written (docs/performance.md): the instance
			// remembers it instead.
			if got := e.record(c); !got.LastPolledAt.Equal(before.LastPolledAt) || got.Interval != before.Interval {
				t.Errorf("on-time poll wrote the record: last poll %v, interval %s; want %v, %s untouched",
					got.LastPolledAt, got.Interval, before.LastPolledAt, before.Interval)
			}
			e.clk.Advance(5 * time.Second)
		}
		if got := flowEvents(t, e, "poll"); got != polls+3 {
			t.Errorf("poll events = %v, want %v", got, polls+3)
		}
	})
	t.Run("ErrDenied", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "")
		answer(t, e, c.user, "erin", false)
		wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAccessDenied)
		e.clk.Advance(time.Second) // a denial is final, however fast the device asks
		wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAccessDenied)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		pending := e.mustDeviceAuth("tv", "", "")
		approved := e.mustDeviceAuth("tv", "", "")
		answer(t, e, approved.user, "frank", true)
		expired := flowEvents(t, e, "expired")
		e.clk.Advance(10 * time.Minute) // exactly the lifetime: no longer valid
		wantError(t, e.poll("tv", pending), http.StatusBadRequest, CodeExpiredToken)
		wantError(t, e.poll("tv", approved), http.StatusBadRequest, CodeExpiredToken)
		if got := flowEvents(t, e, "expired"); got != expired+2 {
			t.Errorf("expired events = %v, want %v", got, expired+2)
		}
		if got := e.record(approved).Status; got != keypad.DeviceApproved {
			t.Errorf("an expired approval became %q, want it left approved and unredeemable", got)
		}
	})
	t.Run("ErrOtherClientsCode", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "read")
		answer(t, e, c.user, "grace", true)
		wantError(t, e.poll("other", c), http.StatusBadRequest, CodeInvalidGrant)
		if got := e.record(c); got.Status != keypad.DeviceApproved || !got.LastPolledAt.IsZero() {
			t.Errorf("another client's poll changed the record: status %q, last poll %v", got.Status, got.LastPolledAt)
		}
		wantTokens(t, e.poll("tv", c))
	})
	t.Run("ErrUnknownCode", func(t *testing.T) {
		wantError(t, e.poll("tv", deviceCodes{device: keypad.PrefixDeviceCode + "nope"}), http.StatusBadRequest, CodeInvalidGrant)
	})
	t.Run("ErrMissingDeviceCode", func(t *testing.T) {
		r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}}, nil)
		wantError(t, r, http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("ErrUnauthorizedClient", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "")
		wantError(t, e.poll("svc", c), http.StatusBadRequest, CodeUnauthorizedClient)
	})
	t.Run("ErrGrantRevoked", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "")
		grantID := answer(t, e, c.user, "heidi", true)
		if err := e.st.RevokeGrant(context.Background(), grantID, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAccessDenied)
	})
}

// TestDeviceCodeSlowDown follows RFC 8628 §3.5: a poll before the
// interval has passed answers slow_down and adds 5 seconds to that code's
// interval, for good.
func TestDeviceCodeSlowDown(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "")
	other := e.mustDeviceAuth("tv", "", "")
	start := e.clk.Now()
	slowDowns := flowEvents(t, e, "slow_down")
	steps := []struct {
		at       time.Duration // since start
		code     string
		interval time.Duration // the code's interval afterwards
	}{
		{0, CodeAuthorizationPending, 5 * time.Second},
		{time.Second, CodeSlowDown, 10 * time.Second},
		{6 * time.Second, CodeSlowDown, 15 * time.Second},
		{21 * time.Second, CodeAuthorizationPending, 15 * time.Second},
		{36 * time.Second, CodeAuthorizationPending, 15 * time.Second},
	}
	for _, s := range steps {
		e.clk.Advance(start.Add(s.at).Sub(e.clk.Now()))
		r := e.poll("tv", c)
		wantError(t, r, http.StatusBadRequest, s.code)
		if got := e.record(c).Interval; got != s.interval {
			t.Errorf("t+%s: interval %s, want %s", s.at, got, s.interval)
		}
		if s.code == CodeSlowDown {
			if got, want := r.header.Get("Retry-After"), strings.TrimSuffix(s.interval.String(), "s"); got != want {
				t.Errorf("t+%s: Retry-After %q, want %q", s.at, got, want)
			}
		}
	}
	if got := flowEvents(t, e, "slow_down"); got != slowDowns+2 {
		t.Errorf("slow_down events = %v, want %v", got, slowDowns+2)
	}
	if got := e.record(other).Interval; got != 5*time.Second {
		t.Errorf("another code's interval became %s, want it untouched at 5s", got)
	}
	// Approval ends the waiting at once, however early the poll.
	answer(t, e, c.user, "ivan", true)
	e.clk.Advance(time.Second)
	wantTokens(t, e.poll("tv", c))
}

// TestDeviceCodeLifetimeCaps: a device-flow client registered with
// lifetimes longer than allowed gets JWT access tokens of at most a day
// and refresh tokens of at most thirty years, as every grant does.
func TestDeviceCodeLifetimeCaps(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	c := tv("tv", "read")
	c.TokenFormat, c.AccessTTL, c.RefreshTTL = keypad.FormatJWT, 10*8766*time.Hour, 100*8766*time.Hour
	e.mustClient(c)
	codes := e.mustDeviceAuth("tv", "", "read")
	answer(t, e, codes.user, "alice", true)
	e.clk.Advance(5 * time.Second)
	r := wantTokens(t, e.poll("tv", codes))

	if got, want := r.body["expires_in"], token.MaxJWTAccessTTL.Seconds(); got != want {
		t.Errorf("expires_in = %v, want %v (the JWT cap)", got, want)
	}
	claims := verifyWithJWKS(t, e, r.body["access_token"].(string))
	if got, want := claims["exp"], float64(e.clk.Now().Add(token.MaxJWTAccessTTL).Unix()); got != want {
		t.Errorf("exp = %v, want %v", got, want)
	}
	rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(r.body["refresh_token"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rec.ExpiresAt, e.clk.Now().Add(token.MaxRefreshTTL); !got.Equal(want) {
		t.Errorf("refresh token expires %v, want %v (thirty years)", got, want)
	}
}

// TestDeviceCodeConcurrentRedemption polls one approved code from 50
// goroutines at once: exactly one gets tokens, the rest invalid_grant.
func TestDeviceCodeConcurrentRedemption(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "")
	answer(t, e, c.user, "judy", true)

	const n = 50
	body := url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}, "device_code": {c.device}}.Encode()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer hc.CloseIdleConnections()
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make(chan string, n)
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathToken, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			<-start
			resp, err := hc.Do(req)
			if err != nil {
				statuses <- "transport error: " + err.Error()
				return
			}
			defer resp.Body.Close()
			var r struct {
				Error       string `json:"error"`
				AccessToken string `json:"access_token"`
			}
			decodeJSON(t, resp, &r)
			switch {
			case resp.StatusCode == http.StatusOK && r.AccessToken != "":
				statuses <- "tokens"
			default:
				statuses <- r.Error
			}
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	got := map[string]int{}
	for s := range statuses {
		got[s]++
	}
	if got["tokens"] != 1 || got[CodeInvalidGrant] != n-1 {
		t.Errorf("outcomes = %v, want 1 tokens and %d %s", got, n-1, CodeInvalidGrant)
	}
	if issued := issuedCount(t, e, keypad.GrantDeviceCode, "jwt"); issued != 1 {
		t.Errorf("issued count = %v, want 1", issued)
	}
}

// TestDeviceCodeXOAuth2 plays the device with golang.org/x/oauth2, a
// client written by others from the RFC: DeviceAuth, then
// DeviceAccessToken polling until the person (here: the store, as the
// pages would) approves after the first poll.
func TestDeviceCodeXOAuth2(t *testing.T) {
	dcfg := keyed(DeviceConfig{Interval: time.Second})
	e := newEnv(t).mustRebuild(func(c *Config, _ *Deps) { c.Device = &dcfg })
	mux := http.NewServeMux()
	e.srv.Register(mux)
	// Each poll reaches the server one injected second after the last,
	// as x/oauth2 spaces them in real time; the first one is announced.
	firstPoll := make(chan struct{})
	var once sync.Once
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathToken {
			mux.ServeHTTP(w, r)
			return
		}
		e.clk.Advance(time.Second)
		mux.ServeHTTP(w, r)
		once.Do(func() { close(firstPoll) })
	}))
	t.Cleanup(e.ts.Close)
	e.mustClient(tv("tv", "read", "write"))

	cfg := &oauth2.Config{
		ClientID: "tv",
		Scopes:   []string{"read"},
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: e.ts.URL + PathDeviceAuthorization,
			TokenURL:      e.ts.URL + PathToken,
			AuthStyle:     oauth2.AuthStyleInParams,
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if da.Interval != 1 || !displayCode.MatchString(da.UserCode) || da.VerificationURIComplete != testIssuer+"/device?user_code="+da.UserCode {
		t.Fatalf("device auth response = %+v", da)
	}
	approved := make(chan string, 1)
	go func() {
		defer close(approved)
		select {
		case <-firstPoll:
			id, err := tryAnswer(e, da.UserCode, "mallory", true)
			if err != nil {
				t.Error(err)
			}
			approved <- id
		case <-ctx.Done():
		}
	}()
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	grantID := <-approved
	if tok.RefreshToken == "" || tok.Extra("scope") != "read" {
		t.Errorf("token = %+v, scope %v; want a refresh token and scope read", tok, tok.Extra("scope"))
	}
	if claims := verifyWithJWKS(t, e, tok.AccessToken); claims["sub"] != "mallory" || claims["gid"] != grantID {
		t.Errorf("claims = %v, want sub mallory and gid %s", claims, grantID)
	}
}
