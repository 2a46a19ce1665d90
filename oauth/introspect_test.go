package oauth

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestIntrospection(t *testing.T) {
	e := newEnv(t).start()
	rs := service("resource-server", keypad.FormatJWT)
	rs.Options.IntrospectAny = true
	rsSecret := e.mustClient(rs)
	jwtSecret := e.mustClient(service("svc-jwt", keypad.FormatJWT, "read"))
	opSecret := e.mustClient(service("svc-op", keypad.FormatOpaque, "read"))
	e.mustClient(&keypad.Client{ID: "tv", Public: true})

	introspect := func(tok string) response {
		t.Helper()
		return e.post(PathIntrospect, url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, basic("resource-server", rsSecret))
	}
	jwt := e.mustToken("svc-jwt", jwtSecret)
	opaque := e.mustToken("svc-op", opSecret)
	jwtRevoked := e.mustToken("svc-jwt", jwtSecret)
	opaqueRevoked := e.mustToken("svc-op", opSecret)
	for _, rv := range []struct{ tok, id, secret string }{{jwtRevoked, "svc-jwt", jwtSecret}, {opaqueRevoked, "svc-op", opSecret}} {
		if r := e.post(PathRevoke, url.Values{"token": {rv.tok}}, basic(rv.id, rv.secret)); r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
	}

	tests := []struct {
		name   string
		tok    string
		active bool
		client string
	}{
		{"OKJWT", jwt, true, "svc-jwt"},
		{"OKOpaque", opaque, true, "svc-op"},
		{"ErrUnknown", keypad.PrefixAccessToken + "nothing-like-this", false, ""},
		{"ErrGarbage", "x.y.z", false, ""},
		{"ErrRevokedJWT", jwtRevoked, false, ""},
		{"ErrRevokedOpaque", opaqueRevoked, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := introspect(tt.tok)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
			}
			if r.body["active"] != tt.active {
				t.Fatalf("active = %v, want %v (%s)", r.body["active"], tt.active, r.raw)
			}
			if !tt.active && r.raw != `{"active":false}` {
				t.Errorf("inactive answer = %s, want only {\"active\":false}", r.raw)
			}
			if tt.active && (r.body["client_id"] != tt.client || r.body["sub"] != tt.client ||
				r.body["scope"] != "read" || r.body["token_type"] != "Bearer" || r.body["exp"] == nil) {
				t.Errorf("active answer = %s", r.raw)
			}
		})
	}
	t.Run("ErrDeletedClient", func(t *testing.T) {
		doomed := e.mustClient(service("doomed", keypad.FormatJWT))
		tok := e.mustToken("doomed", doomed)
		if r := introspect(tok); r.body["active"] != true {
			t.Fatalf("live client's token: %s", r.raw)
		}
		if err := e.st.DeleteClient(context.Background(), "doomed"); err != nil {
			t.Fatal(err)
		}
		if r := introspect(tok); r.body["active"] != false {
			t.Errorf("JWT of a deleted client: %s, want inactive", r.raw)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		e.clk.Advance(accessTTL)
		for _, tok := range []string{jwt, opaque} {
			if r := introspect(tok); r.body["active"] != false {
				t.Errorf("token active at its expiry: %s", r.raw)
			}
		}
	})
	t.Run("ErrPublicClient", func(t *testing.T) {
		r := e.post(PathIntrospect, url.Values{"token": {jwt}, "client_id": {"tv"}}, nil)
		wantError(t, r, http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrNoClient", func(t *testing.T) {
		wantError(t, e.post(PathIntrospect, url.Values{"token": {jwt}}, nil), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		wantError(t, e.post(PathIntrospect, url.Values{}, basic("resource-server", rsSecret)), http.StatusBadRequest, CodeInvalidRequest)
	})
}

// TestIntrospectionRestricted pins RFC 7662 §2.2/§4: a client learns
// about tokens issued to it or naming it in aud; about anyone else's it
// hears only active:false, unless it is a resource server registered with
// IntrospectAny.
func TestIntrospectionRestricted(t *testing.T) {
	e := newEnv(t).start()
	const meter = "https://meter.example/"
	ownerSecret := e.mustClient(service("owner", keypad.FormatOpaque, "read"))
	nosySecret := e.mustClient(service("nosy", keypad.FormatJWT, "read"))
	meterSecret := e.mustClient(service(meter, keypad.FormatJWT))
	anySvc := service("any-rs", keypad.FormatJWT)
	anySvc.Options.IntrospectAny = true
	anySecret := e.mustClient(anySvc)

	plain := e.mustToken("owner", ownerSecret)
	r := e.post(PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}, "resource": {meter}}, basic("owner", ownerSecret))
	forMeter, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || forMeter == "" {
		t.Fatalf("token with resource: %d %s", r.status, r.raw)
	}
	introspect := func(tok, id, secret string) response {
		t.Helper()
		r := e.post(PathIntrospect, url.Values{"token": {tok}}, basic(id, secret))
		if r.status != http.StatusOK {
			t.Fatalf("introspect as %s: %d %s", id, r.status, r.raw)
		}
		return r
	}
	for _, c := range []struct {
		name, tok, as, secret string
		active                bool
	}{
		{"OKIssuedToCaller", plain, "owner", ownerSecret, true},
		{"OKCallerIsAudience", forMeter, meter, meterSecret, true},
		{"OKIntrospectAny", plain, "any-rs", anySecret, true},
		{"ErrOtherClientsToken", plain, "nosy", nosySecret, false},
		{"ErrOtherAudience", plain, meter, meterSecret, false},
		{"ErrOtherClientsTokenForOtherAudience", forMeter, "nosy", nosySecret, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := introspect(c.tok, c.as, c.secret)
			if c.active {
				if r.body["active"] != true || r.body["client_id"] != "owner" || r.body["sub"] != "owner" {
					t.Errorf("got %s, want the owner's active token", r.raw)
				}
				return
			}
			if r.raw != `{"active":false}` {
				t.Errorf("got %s, want only {\"active\":false}", r.raw)
			}
		})
	}
}

func TestRevocation(t *testing.T) {
	e := newEnv(t).start()
	ownerSecret := e.mustClient(service("owner", keypad.FormatOpaque, "read"))
	otherSecret := e.mustClient(service("other", keypad.FormatJWT, "read"))
	ctx := context.Background()
	active := func(tok string) bool {
		t.Helper()
		in, err := e.srv.Tokens().Introspect(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return in.Active
	}
	tok := e.mustToken("owner", ownerSecret)

	t.Run("OKOtherClientDoesNothing", func(t *testing.T) {
		r := e.post(PathRevoke, url.Values{"token": {tok}}, basic("other", otherSecret))
		if r.status != http.StatusOK || r.raw != "" {
			t.Fatalf("got %d %q, want 200 and an empty body", r.status, r.raw)
		}
		if !active(tok) {
			t.Fatal("another client revoked the owner's token")
		}
	})
	t.Run("OKOwner", func(t *testing.T) {
		r := e.post(PathRevoke, url.Values{"token": {tok}, "token_type_hint": {"refresh_token"}}, basic("owner", ownerSecret))
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if active(tok) {
			t.Fatal("token active after revocation")
		}
	})
	t.Run("OKUnknownToken", func(t *testing.T) {
		r := e.post(PathRevoke, url.Values{"token": {"kp_at_unknown"}}, basic("owner", ownerSecret))
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s, want 200 (RFC 7009 section 2.2)", r.status, r.raw)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		wantError(t, e.post(PathRevoke, url.Values{"token": {tok}}, basic("owner", "wrong")), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		wantError(t, e.post(PathRevoke, url.Values{}, basic("owner", ownerSecret)), http.StatusBadRequest, CodeInvalidRequest)
	})
}

// TestKeyRotation: tokens signed before a rotation stay valid through the
// overlap, and the JWKS drops the old key once it ends.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	rs := service("rs", keypad.FormatJWT)
	rs.Options.IntrospectAny = true
	rsSecret := e.mustClient(rs)
	old := e.mustToken("svc", secret)
	verifyWithJWKS(t, e, old)

	e.clk.Advance(time.Minute)
	if err := e.keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := e.mustToken("svc", secret)
	verifyWithJWKS(t, e, fresh)
	verifyWithJWKS(t, e, old) // still published
	r := e.post(PathIntrospect, url.Values{"token": {old}}, basic("rs", rsSecret))
	if r.body["active"] != true {
		t.Fatalf("old token after rotation: %s, want active", r.raw)
	}

	e.clk.Advance(overlap)
	resp, err := http.Get(e.ts.URL + PathJWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	decodeJSON(t, resp, &set)
	oldKid := kidOfJWT(t, old)
	for _, k := range set.Keys {
		if k["kid"] == oldKid {
			t.Fatalf("JWKS still has the old key %s after the overlap", oldKid)
		}
	}
	if len(set.Keys) != 2 {
		t.Errorf("JWKS has %d keys after the overlap, want the 2 current ones", len(set.Keys))
	}
}
