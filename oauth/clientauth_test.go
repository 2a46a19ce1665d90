package oauth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestClientAuthentication(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	// An ID and a secret that need percent-encoding in Basic (RFC 6749
	// §2.3.1): ':' '+' ' ' '%' and non-ASCII.
	oddID, oddSecret := "svc:odd+1", "s3cr3t with space+plus:colon%ü"
	odd := service(oddID, keypad.FormatJWT, "read")
	odd.SecretHash = keypad.SecretHash(oddSecret)
	e.mustClient(odd)
	e.mustClient(&keypad.Client{ID: "tv", Public: true, GrantTypes: []string{keypad.GrantClientCredentials}, Scopes: []string{"read"}})

	cc := func(extra url.Values) url.Values {
		v := url.Values{"grant_type": {keypad.GrantClientCredentials}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	rawBasic := func(s string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", s) }
	}
	tests := []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
		code   string // empty: success
	}{
		{"OKBasic", cc(nil), basic("svc", secret), 200, ""},
		{"OKBasicPercentEncoded", cc(nil), basic(oddID, oddSecret), 200, ""},
		{"OKBasicLowerCaseScheme", cc(nil), rawBasic("basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+secret))), 200, ""},
		{"OKBasicWithSameClientIDInBody", cc(url.Values{"client_id": {"svc"}}), basic("svc", secret), 200, ""},
		{"OKPost", cc(url.Values{"client_id": {"svc"}, "client_secret": {secret}}), nil, 200, ""},
		{"OKPostOddSecret", cc(url.Values{"client_id": {oddID}, "client_secret": {oddSecret}}), nil, 200, ""},
		{"ErrBasicAndPost", cc(url.Values{"client_secret": {secret}}), basic("svc", secret), 400, CodeInvalidRequest},
		{"ErrBasicBodyIDDiffers", cc(url.Values{"client_id": {"other"}}), basic("svc", secret), 400, CodeInvalidRequest},
		{"ErrWrongSecretBasic", cc(nil), basic("svc", "wrong"), 401, CodeInvalidClient},
		{"ErrWrongSecretPost", cc(url.Values{"client_id": {"svc"}, "client_secret": {"wrong"}}), nil, 401, CodeInvalidClient},
		{"ErrUnknownClient", cc(nil), basic("nobody", secret), 401, CodeInvalidClient},
		{"ErrUnencodedBasic", cc(nil), rawBasic("Basic " + base64.StdEncoding.EncodeToString([]byte(oddID+":"+oddSecret))), 401, CodeInvalidClient},
		{"ErrBadPercentEscape", cc(nil), rawBasic("Basic " + base64.StdEncoding.EncodeToString([]byte("svc:%zz"))), 401, CodeInvalidClient},
		{"ErrBearerScheme", cc(nil), rawBasic("Bearer abc"), 401, CodeInvalidClient},
		{"ErrNoCredentials", cc(nil), nil, 401, CodeInvalidClient},
		{"ErrConfidentialWithoutSecret", cc(url.Values{"client_id": {"svc"}}), nil, 401, CodeInvalidClient},
		{"ErrPublicWithSecret", cc(url.Values{"client_id": {"tv"}, "client_secret": {"x"}}), nil, 401, CodeInvalidClient},
		{"ErrPublicAtClientCredentials", cc(url.Values{"client_id": {"tv"}}), nil, 400, CodeUnauthorizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(PathToken, tt.form, tt.edit)
			if tt.code == "" {
				if r.status != http.StatusOK || r.body["access_token"] == nil {
					t.Fatalf("got %d %s, want a token", r.status, r.raw)
				}
				return
			}
			wantError(t, r, tt.status, tt.code)
			if tt.status == 401 && r.header.Get("WWW-Authenticate") != `Basic realm="keypad"` {
				t.Errorf("WWW-Authenticate = %q, want Basic realm=\"keypad\"", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("ErrUnknownLooksLikeWrongSecret", func(t *testing.T) {
		unknown := e.post(PathToken, cc(nil), basic("nobody", "x"))
		wrong := e.post(PathToken, cc(nil), basic("svc", "x"))
		if unknown.raw != wrong.raw {
			t.Errorf("unknown client answered %s, wrong secret %s; want the same", unknown.raw, wrong.raw)
		}
	})
	t.Run("ErrClientWithoutGrant", func(t *testing.T) {
		webSecret := e.mustClient(&keypad.Client{ID: "web2", GrantTypes: []string{keypad.GrantAuthorizationCode}})
		wantError(t, e.post(PathToken, cc(nil), basic("web2", webSecret)), 400, CodeUnauthorizedClient)
	})
}

func TestParseBasicAuth(t *testing.T) {
	b := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, header, id, secret string
		ok                       bool
	}{
		{"OK", b("svc:pw"), "svc", "pw", true},
		{"OKPercent", b("a%3Ab:p%25w"), "a:b", "p%w", true},
		{"OKPlusIsSpace", b("a+b:c+d"), "a b", "c d", true},
		{"OKEmptySecret", b("svc:"), "svc", "", true},
		{"OKColonInSecret", b("svc:a:b"), "svc", "a:b", true},
		{"OKSchemeCase", "bAsIc " + base64.StdEncoding.EncodeToString([]byte("x:y")), "x", "y", true},
		{"ErrNoColon", b("svc"), "", "", false},
		{"ErrEmptyID", b(":pw"), "", "", false},
		{"ErrBadEscape", b("svc:%G0"), "", "", false},
		{"ErrNotBase64", "Basic !!!", "", "", false},
		{"ErrOtherScheme", "Bearer " + base64.StdEncoding.EncodeToString([]byte("x:y")), "", "", false},
		{"ErrNoCredentials", "Basic", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, ok := parseBasicAuth(tt.header)
			if id != tt.id || secret != tt.secret || ok != tt.ok {
				t.Errorf("parseBasicAuth(%q) = %q, %q, %v; want %q, %q, %v", tt.header, id, secret, ok, tt.id, tt.secret, tt.ok)
			}
		})
	}
}

func FuzzParseBasicAuth(f *testing.F) {
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("svc:pw")))
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("a%3Ab:p%25w")))
	f.Add("Basic")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		id, secret, ok := parseBasicAuth(h)
		if !ok {
			if id != "" || secret != "" {
				t.Fatalf("failed parse returned %q, %q", id, secret)
			}
			return
		}
		if id == "" {
			t.Fatal("parse succeeded with an empty client ID")
		}
		// What parsed must survive the encoding a client would use.
		again := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
		id2, secret2, ok2 := parseBasicAuth(again)
		if !ok2 || id2 != id || secret2 != secret {
			t.Fatalf("round trip of %q, %q gave %q, %q, %v", id, secret, id2, secret2, ok2)
		}
	})
}

func TestClientCache(t *testing.T) {
	const ttl = 2 * time.Second
	e := newEnv(t, func(c *Config) { c.ClientCacheTTL = ttl }).start()
	ctx := context.Background()
	secret := e.mustClient(service("svc", keypad.FormatJWT))
	rsSecret := e.mustClient(service("rs", keypad.FormatJWT))
	tok := e.mustToken("svc", secret) // now cached

	if err := e.st.DeleteClient(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	t.Run("OKStaleWithinTTL", func(t *testing.T) {
		// The trade-off of the cache, pinned: a deleted client works on
		// this instance until its entry expires.
		e.clk.Advance(ttl - time.Millisecond)
		if r := e.clientToken("svc", secret, ""); r.status != http.StatusOK {
			t.Fatalf("within the TTL: %d %s, want the cached client to work", r.status, r.raw)
		}
	})
	t.Run("ErrAfterTTL", func(t *testing.T) {
		e.clk.Advance(time.Millisecond)
		wantError(t, e.clientToken("svc", secret, ""), http.StatusUnauthorized, CodeInvalidClient)
		r := e.post(PathIntrospect, url.Values{"token": {tok}}, basic("rs", rsSecret))
		if r.body["active"] != false {
			t.Errorf("JWT of a deleted client: %s, want inactive", r.raw)
		}
	})
	t.Run("ErrForgetClientAtOnce", func(t *testing.T) {
		e.mustToken("rs", rsSecret) // cached
		c, err := e.st.GetClient(ctx, "rs")
		if err != nil {
			t.Fatal(err)
		}
		c.SecretHash = keypad.SecretHash("rotated")
		if err := e.st.UpdateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		e.srv.ForgetClient("rs")
		wantError(t, e.clientToken("rs", rsSecret, ""), http.StatusUnauthorized, CodeInvalidClient)
		if r := e.clientToken("rs", "rotated", ""); r.status != http.StatusOK {
			t.Errorf("new secret after rotation: %d %s", r.status, r.raw)
		}
	})
}
