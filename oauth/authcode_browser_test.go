package oauth_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad/internal/browsertest"
	"github.com/keypadauth/keypad/oauth"
)

// TestBrowserAuthorizationCode is the flow as a web app meets it: the app
// builds the request with golang.org/x/oauth2 (PKCE S256), a person signs
// in and consents in a real headless Chromium, the app exchanges the code
// with the verifier, checks the ID token against the JWKS, reads userinfo
// and refreshes.
func TestBrowserAuthorizationCode(t *testing.T) {
	ctx := browsertest.Start(t)
	e := newFlowEnv(t)

	conf := &oauth2.Config{
		ClientID: "webapp", ClientSecret: e.secrets["webapp"],
		Endpoint: oauth2.Endpoint{
			AuthURL: e.ts.URL + oauth.PathAuthorize, TokenURL: e.ts.URL + oauth.PathToken,
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RedirectURL: e.callback.URL + "/callback",
		Scopes:      []string{"openid", "profile", "email", "offline_access", "api:read"},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-b7", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-b7"))

	browsertest.Do(t, ctx, "open the app's sign-in link and sign in",
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	consent := browsertest.MainText(t, ctx)
	for _, want := range []string{"Energy Dashboard", "Read your energy usage", "See your email address", e.callback.Listener.Addr().String()} {
		if !strings.Contains(consent, want) {
			t.Errorf("consent page lacks %q; it reads:\n%s", want, consent)
		}
	}
	browsertest.Do(t, ctx, "approve", chromedp.Click(chromedp.CSS(`button[value="approve"]`)), chromedp.WaitVisible(chromedp.ID("done")))

	var q url.Values
	select {
	case q = <-e.arrived:
	default:
		t.Fatal("the browser reached the app's page, but the callback saw no request")
	}
	if q.Get("state") != "state-b7" {
		t.Fatalf("callback query = %v, want state-b7", q)
	}
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	_, claims := e.verifyJWT(idToken)
	if claims["nonce"] != "nonce-b7" || claims["aud"] != "webapp" || claims["sub"] != "sub-alice" || claims["iss"] != e.ts.URL {
		t.Errorf("ID token claims %v: want nonce-b7, aud webapp, sub-alice, iss %s", claims, e.ts.URL)
	}
	if claims["at_hash"] != atHash(tok.AccessToken) {
		t.Errorf("at_hash does not bind the access token")
	}

	res, err := conf.Client(context.Background(), tok).Get(e.ts.URL + oauth.PathUserinfo)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&info))
	res.Body.Close()
	if info["sub"] != "sub-alice" || info["email"] != "alice@example.com" || info["name"] != "Alice Example" {
		t.Errorf("userinfo = %v", info)
	}

	// A token without an access token makes x/oauth2 refresh.
	fresh, err := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh answered access %q, refresh %q; want new tokens", fresh.AccessToken, fresh.RefreshToken)
	}
	if e.active(tok.RefreshToken) || !e.active(fresh.RefreshToken) {
		t.Errorf("after rotation the old refresh token should be inactive and the new one active")
	}

	// Consent is remembered now; prompt=login asks for the password again
	// and the sign-in form leads straight back to the app (which the
	// page's Content-Security-Policy must allow).
	again := conf.AuthCodeURL("state-b8", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login"))
	browsertest.Do(t, ctx, "sign in again",
		chromedp.Navigate(again),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.ID("done")))
	select {
	case q = <-e.arrived:
	default:
		t.Fatal("the second sign-in reached the app's page, but the callback saw no request")
	}
	if q.Get("state") != "state-b8" || q.Get("code") == "" {
		t.Errorf("second callback = %v, want a code and state-b8", q)
	}
}
