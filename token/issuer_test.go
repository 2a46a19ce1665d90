package token

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/sqlstore"
)

const testIssuer = "https://auth.example.com"

type issuerEnv struct {
	st  *sqlstore.Store
	clk *clock
	iss *Issuer
}

func newIssuerEnv(t *testing.T) *issuerEnv {
	t.Helper()
	st := mustOpenStore(t)
	clk := newClock()
	return &issuerEnv{st: st, clk: clk, iss: &Issuer{
		Issuer: testIssuer, Keys: mustKeyring(t, st, clk, 24*time.Hour), Store: st, Grants: st,
		Now: clk.Now, Rand: newRand(1), DefaultAccessTTL: 10 * time.Minute, DefaultRefreshTTL: 48 * time.Hour,
	}}
}

func jwtClient(id string) *keypad.Client {
	return &keypad.Client{ID: id, TokenFormat: keypad.FormatJWT, Scopes: []string{"read", "write"}}
}

func opaqueClient(id string) *keypad.Client {
	return &keypad.Client{ID: id, TokenFormat: keypad.FormatOpaque, Scopes: []string{"read", "write"}}
}

// decodeJWT splits a JWT into header and claims without verifying it.
func decodeJWT(t *testing.T, tok string) (hdr, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", tok)
	}
	for i, dst := range []*map[string]any{&hdr, &claims} {
		b, err := b64url.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, claims
}

func TestIssueAccessJWT(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	now := e.clk.Now()
	tok, ttl, err := e.iss.IssueAccess(ctx, AccessRequest{
		Client: jwtClient("svc"), Subject: "alice", Scopes: []string{"read", "write"}, GrantID: "g1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if ttl != 10*time.Minute {
		t.Errorf("ttl = %v, want the default 10m", ttl)
	}
	hdr, c := decodeJWT(t, tok)
	if hdr["typ"] != "at+jwt" || hdr["alg"] != "ES256" {
		t.Errorf("header = %v, want typ at+jwt, alg ES256", hdr)
	}
	want := map[string]any{
		"iss": testIssuer, "sub": "alice", "aud": testIssuer, "client_id": "svc",
		"scope": "read write", "iat": float64(now.Unix()), "exp": float64(now.Add(10 * time.Minute).Unix()),
		"gid": "g1",
	}
	for name, w := range want {
		if c[name] != w {
			t.Errorf("claim %s = %v, want %v", name, c[name], w)
		}
	}
	if jti, _ := c["jti"].(string); len(jti) < 20 {
		t.Errorf("jti = %q, want a random identifier", jti)
	}
	tok2, _, _ := e.iss.IssueAccess(ctx, AccessRequest{Client: jwtClient("svc"), Subject: "alice"})
	if _, c2 := decodeJWT(t, tok2); c2["jti"] == c["jti"] {
		t.Error("two tokens share a jti")
	}

	t.Run("OKLifetimes", func(t *testing.T) {
		cl := jwtClient("svc")
		cl.AccessTTL = 5 * time.Minute
		tests := []struct {
			name   string
			client *keypad.Client
			ttl    time.Duration
			want   time.Duration
		}{
			{"Default", jwtClient("svc"), 0, 10 * time.Minute},
			{"Client", cl, 0, 5 * time.Minute},
			{"Request", cl, 90 * time.Second, 90 * time.Second},
			{"ClientCapped", longLived(jwtClient("svc")), 0, MaxJWTAccessTTL},
			{"RequestCapped", cl, 48 * time.Hour, MaxJWTAccessTTL},
		}
		for _, tt := range tests {
			tok, got, err := e.iss.IssueAccess(ctx, AccessRequest{Client: tt.client, Subject: "s", TTL: tt.ttl})
			if err != nil {
				t.Fatal(err)
			}
			_, c := decodeJWT(t, tok)
			if got != tt.want || c["exp"] != float64(now.Add(tt.want).Unix()) {
				t.Errorf("%s: ttl %v, exp %v; want %v", tt.name, got, c["exp"], tt.want)
			}
		}
	})
	t.Run("OKRS256AndAudience", func(t *testing.T) {
		cl := jwtClient("svc")
		cl.Options.SigningAlg = keypad.AlgRS256
		tok, _, err := e.iss.IssueAccess(ctx, AccessRequest{Client: cl, Subject: "s", Audience: []string{"api1", "api2"}})
		if err != nil {
			t.Fatal(err)
		}
		hdr, c := decodeJWT(t, tok)
		if hdr["alg"] != "RS256" {
			t.Errorf("alg = %v, want RS256", hdr["alg"])
		}
		if aud, _ := json.Marshal(c["aud"]); string(aud) != `["api1","api2"]` {
			t.Errorf("aud = %s, want [api1 api2]", aud)
		}
		in, err := e.iss.Introspect(ctx, tok)
		if err != nil || !in.Active {
			t.Fatalf("RS256 token introspection = %+v, %v; want active", in, err)
		}
	})
}

func TestIssueAccessOpaque(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	tok, ttl, err := e.iss.IssueAccess(ctx, AccessRequest{Client: opaqueClient("svc"), Subject: "svc", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	// kp_at_, then base64url of 8 bytes of issue time and 256 random bits.
	if !strings.HasPrefix(tok, keypad.PrefixAccessToken) || len(tok) != len(keypad.PrefixAccessToken)+54 {
		t.Errorf("token %q: want kp_at_ and 54 base64url characters (issue time and 256 bits)", tok)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimPrefix(tok, keypad.PrefixAccessToken))
	if err != nil || len(raw) != 40 || int64(binary.BigEndian.Uint64(raw)) != e.clk.Now().UnixNano() {
		t.Errorf("token %q: want the issue time %v in its first 8 bytes (%v)", tok, e.clk.Now(), err)
	}
	rec, err := e.st.GetToken(ctx, keypad.TokenKey(tok))
	if err != nil {
		t.Fatalf("stored record by hash: %v", err)
	}
	if rec.Kind != keypad.KindAccess || rec.ClientID != "svc" || rec.Subject != "svc" ||
		!rec.ExpiresAt.Equal(e.clk.Now().Add(ttl)) || keypad.FormatScope(rec.Scopes) != "read" {
		t.Errorf("stored record = %+v", rec)
	}
}

// longLived gives c a ten-year access and a hundred-year refresh lifetime,
// longer than any format allows.
func longLived(c *keypad.Client) *keypad.Client {
	c.AccessTTL = 10 * 8766 * time.Hour
	c.RefreshTTL = 100 * 8766 * time.Hour
	return c
}

// TestIssueAccessOpaqueLongLived: opaque tokens, which introspection can
// end at once, may live long (for devices that cannot refresh), up to
// MaxOpaqueAccessTTL.
func TestIssueAccessOpaqueLongLived(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	tests := []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"OKTenYears", 0, 10 * 8766 * time.Hour},
		{"OKCapped", MaxOpaqueAccessTTL + time.Hour, MaxOpaqueAccessTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, ttl, err := e.iss.IssueAccess(ctx, AccessRequest{Client: longLived(opaqueClient("meter")), Subject: "s", TTL: tt.ttl})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := e.st.GetToken(ctx, keypad.TokenKey(tok))
			if err != nil {
				t.Fatal(err)
			}
			if ttl != tt.want || !rec.ExpiresAt.Equal(e.clk.Now().Add(tt.want)) {
				t.Errorf("ttl %v, stored expiry %v; want %v", ttl, rec.ExpiresAt, tt.want)
			}
		})
	}
}

func TestIssueRefresh(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	now := e.clk.Now()
	forever := opaqueClient("tv")
	forever.Options.RefreshNoExpiry = true
	tests := []struct {
		name    string
		req     RefreshRequest
		wantExp time.Time
	}{
		{"OKDefault", RefreshRequest{Client: jwtClient("tv"), Subject: "bob", GrantID: "g"}, now.Add(48 * time.Hour)},
		{"OKFamilyKept", RefreshRequest{Client: jwtClient("tv"), Subject: "bob", FamilyID: "fam-1"}, now.Add(48 * time.Hour)},
		{"OKNoExpiry", RefreshRequest{Client: forever, Subject: "bob"}, time.Time{}},
		{"OKClientCapped", RefreshRequest{Client: longLived(jwtClient("tv")), Subject: "bob"}, now.Add(MaxRefreshTTL)},
		{"OKRequestCapped", RefreshRequest{Client: jwtClient("tv"), Subject: "bob", TTL: MaxRefreshTTL + time.Hour}, now.Add(MaxRefreshTTL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.iss.IssueRefresh(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, keypad.PrefixRefreshToken) {
				t.Errorf("token %q lacks kp_rt_", tok)
			}
			rec, err := e.st.GetToken(ctx, keypad.TokenKey(tok))
			if err != nil {
				t.Fatal(err)
			}
			if rec.Kind != keypad.KindRefresh || !rec.ExpiresAt.Equal(tt.wantExp) || rec.FamilyID == "" {
				t.Errorf("record kind %s, expires %v, family %q; want refresh, %v, a family", rec.Kind, rec.ExpiresAt, rec.FamilyID, tt.wantExp)
			}
			if tt.req.FamilyID != "" && rec.FamilyID != tt.req.FamilyID {
				t.Errorf("family = %q, want %q", rec.FamilyID, tt.req.FamilyID)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, _ := NewSecret(newRand(3), "kp_x_")
	b, _ := NewSecret(newRand(3), "kp_x_")
	c, _ := NewSecret(newRand(4), "kp_x_")
	if a != b || a == c {
		t.Errorf("NewSecret is not a function of its randomness: %q %q %q", a, b, c)
	}
	if raw, err := b64url.DecodeString(strings.TrimPrefix(a, "kp_x_")); err != nil || len(raw) != 32 {
		t.Errorf("NewSecret = %q: want prefix + base64url of 32 bytes", a)
	}
}
